// Trace writer and reader: round trip, strictness, atomic files.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <set>

#include "registry.h"
#include "sim/trace/reader.h"
#include "sim/trace/schema.h"
#include "sim/trace/writer.h"
#include "test_support.h"

using namespace dsim;

namespace {
std::string temp(const std::string& name) { return dsim::testing::temp_path(name); }

// The writer's temporary files beside `path` ("<path>.<pid>.<n>.partial").
int temporaries_of(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string() + ".";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    const std::string f = e.path().filename().string();
    if (f.starts_with(name) && f.ends_with(".partial")) ++n;
  }
  return n;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_error(const std::string& text) {
  const std::string path = temp("dsim-bad-trace.jsonl");
  write_file(path, text);
  trace::Reader r;
  std::string err = r.open(path);
  if (err.empty()) {
    trace::Event e;
    while (r.next(&e)) {
    }
    err = r.error();
  }
  std::filesystem::remove(path);
  return err;
}
}  // namespace

TEST_CASE("trace: written events read back with the same fields in order") {
  const std::string path = temp("dsim-roundtrip.jsonl");
  {
    trace::JsonlWriter w({"a", "b"}, R"("scenario":"x.yaml")");
    REQUIRE(w.open(path).empty());
    const Field f1[] = {{"msg", int64_t{5}}, {"to", std::string_view("b\"q\n")}, {"ok", true}};
    w.event(Time{10}, NodeId{0}, "send", f1);
    w.event(Time{20}, kGlobal, "heal", {});
    REQUIRE(w.finish().empty());
    CHECK(w.lines() == 3);
  }
  trace::Reader r;
  REQUIRE(r.open(path).empty());
  CHECK(r.meta().get_str("scenario") == std::optional<std::string_view>("x.yaml"));
  trace::Event e;
  REQUIRE(r.next(&e));
  CHECK(e.t == 10);
  CHECK(e.node == "a");
  CHECK(e.kind == "send");
  REQUIRE(e.fields.size() == 3);
  CHECK(e.get_int("msg") == std::optional<int64_t>(5));
  CHECK(e.get_str("to") == std::optional<std::string_view>("b\"q\n"));
  REQUIRE(r.next(&e));
  CHECK(e.node == "*");
  CHECK_FALSE(r.next(&e));
  CHECK(r.error().empty());
  std::filesystem::remove(path);
}

TEST_CASE("trace: an unfinished writer leaves no file that looks whole") {
  const std::string path = temp("dsim-unfinished.jsonl");
  std::filesystem::remove(path);
  {
    trace::JsonlWriter w({"a"}, "");
    REQUIRE(w.open(path).empty());
    w.event(Time{1}, NodeId{0}, "start", {});
    CHECK(temporaries_of(path) == 1);
    CHECK_FALSE(std::filesystem::exists(path));
  }  // destroyed without finish(): the run died
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(temporaries_of(path) == 0);
}

TEST_CASE("trace: the reader rejects malformed input with file:line:col") {
  const std::string meta = R"({"t":0,"node":"*","kind":"meta","schema":"dsim.trace/1"})" "\n";
  CHECK(read_error("").find(":1:1: error: empty trace") != std::string::npos);
  CHECK(read_error(R"({"t":0,"node":"*","kind":"start"})" "\n").find("first line must be the meta header") !=
        std::string::npos);
  CHECK(read_error(R"({"t":0,"node":"*","kind":"meta","schema":"dsim.trace/9"})" "\n").find("unsupported trace schema") !=
        std::string::npos);
  CHECK(read_error(meta + "{\"t\":1,\"node\":\"a\",\"kind\":\"x\"\n").find(":2:") != std::string::npos);
  CHECK(read_error(meta + R"({"t":-1,"node":"a","kind":"x"})").find("invalid \"t\"") != std::string::npos);
  CHECK(read_error(meta + R"({"t":1,"kind":"x"})").find("missing or invalid \"node\"") != std::string::npos);
  CHECK(read_error(meta + R"({"t":1,"node":"a"})").find("missing or invalid \"kind\"") != std::string::npos);
  CHECK(read_error(meta + R"({"t":5,"node":"a","kind":"x"})" "\n" R"({"t":4,"node":"a","kind":"x"})")
            .find(":3:1: error: time goes backwards") != std::string::npos);
  CHECK(read_error(meta + "[1,2]\n").find("must be a JSON object") != std::string::npos);
  CHECK(read_error(meta + "\n\n" R"({"t":5,"node":"a","kind":"x","extra":{"nested":[1]}})").empty());
}

TEST_CASE("trace schema: every built-in protocol declares its kinds, once, apart from the engine's") {
  std::set<std::string_view> engine;
  for (const auto* table : {&trace::engine_events(), &trace::fault_events(), &trace::client_events()}) {
    for (const auto& e : *table) CHECK(engine.insert(e.kind).second);
  }
  for (const auto& p : dsim::testing::registry().protocols()) {
    CAPTURE(p->name());
    const auto events = p->events();
    CHECK_FALSE(events.empty());  // built-in protocols are checked strictly
    std::set<std::string_view> own;
    for (const auto& e : events) {
      CAPTURE(e.kind);
      CHECK(own.insert(e.kind).second);   // declared once
      CHECK(engine.count(e.kind) == 0);  // the engine's kinds are not the protocol's to redefine
      std::set<std::string_view> keys;
      for (const auto& f : e.fields) CHECK(keys.insert(f.name).second);
    }
  }
}

TEST_CASE("trace schema: strict reading names the line and column of what is wrong") {
  const std::string meta = R"({"t":0,"node":"*","kind":"meta","schema":"dsim.trace/1","protocol":"raft"})" "\n";
  const std::string end = R"({"t":9,"node":"*","kind":"end","events":1,"sent":0,"delivered":0,"dropped":0,"duplicated":0,"budget_exhausted":false})" "\n";
  auto strict_error = [&](const std::string& body) {
    const std::string path = temp("dsim-strict.jsonl");
    std::ofstream(path) << meta << body;
    trace::Reader r;
    std::string err = r.open(path);
    r.validate_with(std::make_unique<trace::Schema>("raft", dsim::testing::registry().protocol_events("raft")));
    trace::Event e;
    while (err.empty() && r.next(&e)) {
    }
    if (err.empty()) err = r.error();
    std::filesystem::remove(path);
    return err;
  };
  CHECK(strict_error(R"({"t":1,"node":"n1","kind":"role","role":"leader","term":1})" "\n" + end).empty());
  CHECK(strict_error(R"({"t":1,"node":"n1","kind":"state","role":"leader","term":1})" "\n" + end)
            .find(":2:27: error: unknown event kind \"state\" for protocol raft") != std::string::npos);
  CHECK(strict_error(R"({"t":1,"node":"n1","kind":"role","role":"leader","term":"1"})" "\n" + end)
            .find(":2:57: error: \"term\" of event \"role\" must be an integer, found a string") != std::string::npos);
  CHECK(strict_error(R"({"t":1,"node":"n1","kind":"role","role":"leader"})" "\n" + end)
            .find(":2:49: error: event \"role\" has no \"term\"") != std::string::npos);
  CHECK(strict_error(R"({"t":1,"node":"n1","kind":"role","role":"leader","term":1})" "\n")
            .find(":3:1: error: incomplete trace (no end event)") != std::string::npos);
  CHECK(strict_error(end + R"({"t":10,"node":"n1","kind":"start"})" "\n").find("after the end") != std::string::npos);
  // Unknown keys are ignored; optional ones may be absent.
  CHECK(strict_error(R"({"t":1,"node":"n1","kind":"client_response","req":1,"ok":false,"reason":"x","extra":[1]})" "\n" + end)
            .empty());
}
