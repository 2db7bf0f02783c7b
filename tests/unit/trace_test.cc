// Trace writer and reader: round trip, strictness, atomic files.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sim/trace/reader.h"
#include "sim/trace/writer.h"

using namespace dsim;

namespace {
std::string temp(const std::string& name) { return (std::filesystem::temp_directory_path() / name).string(); }

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
