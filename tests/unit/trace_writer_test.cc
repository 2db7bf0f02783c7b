// The trace writer's fast paths against the plain formatter: the bytes of
// every line (word-at-a-time string copies, small integers, pre-rendered
// node names), their order across the hashing and writing thread, and the
// exits (finished, abandoned, a full device).
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <optional>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "test_files.h"
#include "dsim/trace_event.h"
#include "sim/trace/json_text.h"
#include "sim/trace/sha256.h"
#include "sim/trace/writer.h"

using namespace dsim;

namespace {

std::string temp_dir() { return testing::temp_dir("tracew"); }
using testing::slurp;

int files_in(const std::string& dir) {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

// An event with owned text, so a list of them can be replayed into several
// writers and into the reference formatter.
struct OwnedEvent {
  int64_t t = 0;
  NodeId node{0};
  std::string kind;
  std::vector<std::pair<std::string, FieldValue>> fields;  // string values point into texts
  std::vector<std::string> texts;
};

const std::vector<std::string> kNames = {"n1", "node-with-a-long-name-0123456789", "q\"uote", "\x01"};

// What a trace line is, written the plain way (json_text.h), byte for byte.
std::string reference_line(const OwnedEvent& e) {
  std::string out = "{\"t\":";
  trace::append_int(out, e.t);
  out += ",\"node\":";
  if (e.node == kGlobal) {
    trace::append_json_string(out, "*");
  } else if (e.node == kExternal) {
    trace::append_json_string(out, "$ext");
  } else {
    trace::append_json_string(out, kNames[e.node.value]);
  }
  out += ",\"kind\":";
  trace::append_json_string(out, e.kind);
  for (const auto& [key, value] : e.fields) {
    out += ',';
    trace::append_json_string(out, key);
    out += ':';
    if (const auto* i = std::get_if<int64_t>(&value)) {
      trace::append_int(out, *i);
    } else if (const auto* s = std::get_if<std::string_view>(&value)) {
      trace::append_json_string(out, *s);
    } else {
      out += std::get<bool>(value) ? "true" : "false";
    }
  }
  out += "}\n";
  return out;
}

void replay(trace::JsonlWriter& w, const std::vector<OwnedEvent>& events) {
  std::vector<Field> fields;
  for (const OwnedEvent& e : events) {
    fields.clear();
    for (const auto& [key, value] : e.fields) fields.push_back(Field{key, value});
    w.event(Time{e.t}, e.node, e.kind, fields);
  }
}

// Strings of every length from 0 to 40 with each byte that must be escaped
// (and some that must not: DEL, UTF-8) at every position, integers around
// every digit count and both ends of int64, every node form; then a
// deterministic mix, and one line far larger than a 64 KiB chunk.
std::vector<OwnedEvent> make_events(size_t mix) {
  std::vector<OwnedEvent> out;
  int64_t t = 0;
  auto add = [&](std::string kind, std::vector<std::string> texts, std::vector<int64_t> ints, NodeId node) {
    OwnedEvent e;
    // Three lines per time (the writer reuses the last one's rendering),
    // times growing through every digit count up to 13.
    e.t = (t / 3) * (t / 3) * (t / 3);
    ++t;
    e.node = node;
    e.kind = std::move(kind);
    e.texts = std::move(texts);
    out.push_back(std::move(e));
    OwnedEvent& b = out.back();
    for (size_t i = 0; i < b.texts.size(); ++i) b.fields.emplace_back("s" + std::to_string(i), std::string_view(b.texts[i]));
    for (size_t i = 0; i < ints.size(); ++i) b.fields.emplace_back("i" + std::to_string(i), ints[i]);
  };
  const std::string specials = std::string("\"\\\n\r\t\x01\x1f\x7f", 8) + "\xc3\xa9";
  for (size_t len = 0; len <= 40; ++len) {
    add("plain", {std::string(len, 'x')}, {}, NodeId{0});
    for (size_t pos = 0; pos < len; ++pos) {
      for (const char c : specials) {
        std::string s(len, 'y');
        s[pos] = c;
        add(std::string(len % 7, 'k'), {s}, {}, NodeId{static_cast<uint32_t>(pos % kNames.size())});
      }
    }
  }
  std::vector<int64_t> ints = {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), -1, -9, -10, -99, -100};
  for (int64_t p = 1; p > 0 && p <= std::numeric_limits<int64_t>::max() / 10; p *= 10) {
    ints.push_back(p - 1);
    ints.push_back(p);
    ints.push_back(p + 1);
  }
  add("ints", {}, ints, kGlobal);
  OwnedEvent flags;
  flags.t = -5;  // negative, and between equal times
  flags.node = kExternal;
  flags.kind = "flags";
  flags.fields = {{"yes", true}, {"no", false}, {"", std::string_view()}};
  out.push_back(flags);
  uint64_t x = 88172645463325252ull;  // xorshift64: a fixed, varied mix
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (size_t i = 0; i < mix; ++i) {
    std::vector<std::string> texts;
    for (uint64_t k = next() % 4; k > 0; --k) {
      std::string s(next() % 24, 'a');
      for (char& c : s) c = static_cast<char>(' ' + next() % 95);
      if (next() % 16 == 0 && !s.empty()) s[next() % s.size()] = specials[next() % specials.size()];
      texts.push_back(std::move(s));
    }
    std::vector<int64_t> nums;
    for (uint64_t k = next() % 5; k > 0; --k) nums.push_back(static_cast<int64_t>(next() >> (next() % 64)));
    add(i % 3 == 0 ? "send" : "deliver", texts, nums, NodeId{static_cast<uint32_t>(next() % kNames.size())});
  }
  add("big", {std::string(200'000, 'b') + "\"" + std::string(100, 'c')}, {7}, NodeId{1});
  add("after_big", {}, {1}, NodeId{0});
  return out;
}

std::string reference_trace(const std::vector<OwnedEvent>& events, const std::string& header_members) {
  std::string out = std::string(R"({"t":0,"node":"*","kind":"meta","schema":")") + std::string(trace::kSchema) + "\"," + header_members + "}\n";
  for (const OwnedEvent& e : events) out += reference_line(e);
  return out;
}

std::string sha_of(const std::string& bytes) {
  trace::Sha256 h;
  h.update(bytes);
  return h.hex_digest();
}

}  // namespace

TEST_CASE("trace writer: every line is the plain formatter's, on one thread or two") {
  const auto events = make_events(60'000);
  const std::string header = R"("scenario":"w.yaml")";
  const std::string want = reference_trace(events, header);
  REQUIRE(want.size() > 40 * 65536);  // many chunks: the thread takes over
  const std::string dir = temp_dir();
  for (const bool threaded : {true, false}) {
    CAPTURE(threaded);
    const std::string path = dir + (threaded ? "/two.jsonl" : "/one.jsonl");
    trace::JsonlWriter w(kNames, header);
    w.set_threaded(threaded);
    REQUIRE(w.open(path).empty());
    replay(w, events);
    REQUIRE(w.finish().empty());
    CHECK(w.used_thread() == threaded);
    CHECK(w.lines() == events.size() + 1);
    CHECK(w.bytes() == want.size());
    const std::string got = slurp(path);
    REQUIRE(got.size() == want.size());
    if (got != want) {
      size_t i = 0;
      while (got[i] == want[i]) ++i;
      FAIL("first difference at byte " << i << ": got '" << got.substr(i > 40 ? i - 40 : 0, 80) << "' want '"
                                       << want.substr(i > 40 ? i - 40 : 0, 80) << "'");
    }
    CHECK(w.sha256_hex() == sha_of(want));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace writer: without a file the hash is the file's") {
  const auto events = make_events(20'000);
  trace::JsonlWriter w(kNames, R"("x":1)");
  replay(w, events);
  REQUIRE(w.finish().empty());
  CHECK(w.used_thread());
  CHECK(w.sha256_hex() == sha_of(reference_trace(events, R"("x":1)")));
}

TEST_CASE("trace writer: a trace under one chunk starts no thread") {
  const std::string dir = temp_dir();
  trace::JsonlWriter w(kNames, R"("x":1)");
  REQUIRE(w.open(dir + "/small.jsonl").empty());
  const Field f[] = {{"msg", int64_t{1}}};
  w.event(Time{5}, NodeId{0}, "send", f);
  REQUIRE(w.finish().empty());
  CHECK_FALSE(w.used_thread());
  CHECK(slurp(dir + "/small.jsonl") ==
        std::string(R"({"t":0,"node":"*","kind":"meta","schema":")") + std::string(trace::kSchema) + "\",\"x\":1}\n" +
            R"({"t":5,"node":"n1","kind":"send","msg":1})" "\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace writer: abandoned while the thread runs, nothing is left and nothing hangs") {
  const auto events = make_events(30'000);
  const std::string dir = temp_dir();
  for (int round = 0; round < 20; ++round) {  // stopped at different points of the hand-over
    trace::JsonlWriter w(kNames, "");
    REQUIRE(w.open(dir + "/abandoned.jsonl").empty());
    std::vector<OwnedEvent> part(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(events.size() * (round + 1) / 21));
    replay(w, part);
    if (round > 0) CHECK(w.used_thread());
  }  // destroyed without finish(): a run that failed
  CHECK(files_in(dir) == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace writer: a full device fails the trace after the thread wrote to it") {
  const std::string dir = temp_dir();
  const std::optional<std::string> device = testing::full_device(dir);
  if (!device) {
    MESSAGE("skipped: root without mknod");
    std::filesystem::remove_all(dir);
    return;
  }
  const std::string full = *device;
  const auto events = make_events(20'000);
  trace::JsonlWriter w(kNames, "");
  REQUIRE(w.open(full).empty());
  replay(w, events);
  CHECK(w.finish() == "cannot write " + full + ": No space left on device");
  CHECK(w.used_thread());
  CHECK(last_output_errno() == ENOSPC);
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace writer: memory running out on the writing thread reaches the caller, and no file is left") {
  const auto events = make_events(30'000);
  const std::string dir = temp_dir();
  for (const bool threaded : {true, false}) {
    for (const uint64_t chunk : {0u, 1u, 5u, 20u}) {
      CAPTURE(threaded);
      CAPTURE(chunk);
      bool threw = false;
      {
        trace::JsonlWriter w(kNames, "");
        w.set_threaded(threaded);
        w.fail_chunk_for_test(chunk);
        REQUIRE(w.open(dir + "/oom.jsonl").empty());
        try {
          replay(w, events);
          (void)w.finish();
        } catch (const std::bad_alloc&) {
          threw = true;  // the simulation thread sees it, as if it had thrown there
        }
        CHECK(w.used_thread() == threaded);
      }  // destroyed without a successful finish(): the run failed
      CHECK(threw);
      CHECK(files_in(dir) == 0);
    }
  }
  std::filesystem::remove_all(dir);
}
