// Hostile inputs at the library level (issue 15): each case is a defect
// that once crashed, hung or overflowed, pinned where it was fixed. The
// end-to-end table of the same inputs is tests/cli/hostile_test.sh.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "registry.h"
#include "analysis/history.h"
#include "sim/core/input.h"
#include "dsim/time.h"
#include "sim/core/utf8.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/units.h"
#include "sim/trace/json_line.h"
#include "sim/trace/reader.h"
#include "test_support.h"

using namespace dsim;

namespace {

std::string temp_file(const std::string& name, const std::string& text) {
  const auto path = dsim::testing::temp_path("hardening-" + name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string history_error(const std::string& text) {
  std::vector<analysis::history::Op> ops;
  const std::string path = temp_file("history.jsonl", text);
  std::string err;
  CHECK_NOTHROW(err = analysis::history::read_file(path, &ops));
  std::filesystem::remove(path);
  return err;
}

std::string trace_error(const std::string& body) {
  const std::string path =
      temp_file("trace.jsonl", "{\"t\":0,\"node\":\"\",\"kind\":\"meta\",\"schema\":\"dsim.trace/1\"}\n" + body);
  trace::Reader r;
  std::string err = r.open(path);
  trace::Event e;
  while (err.empty() && r.next(&e)) {
  }
  if (err.empty()) err = r.error();
  std::filesystem::remove(path);
  return err;
}

}  // namespace

TEST_CASE("hardening: UTF-8 validation finds the first bad byte") {
  CHECK(valid_utf8("plain ascii"));
  CHECK(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK(invalid_utf8_at("caf\xE9") == 3);             // Latin-1
  CHECK(invalid_utf8_at("\xC0\xAF") == 0);            // overlong
  CHECK(invalid_utf8_at("a\xED\xA0\x80") == 1);       // surrogate
  CHECK(invalid_utf8_at("\xF4\x90\x80\x80") == 0);    // above U+10FFFF
  CHECK(invalid_utf8_at("ok\xE2\x82") == 2);          // truncated
}

TEST_CASE("hardening: a non-UTF-8 scenario string is a located error") {
  scenario::Diagnostics d;
  const auto s = scenario::load_scenario_text(dsim::testing::registry(), "version: 1\nname: caf\xE9\nprotocol: broadcast\nduration: 1s\nnodes: 3\n",
                                              "x.yaml", d);
  REQUIRE_FALSE(s);
  REQUIRE(d.items().size() >= 1);
  CHECK(d.items()[0].line == 2);
  CHECK(d.items()[0].column == 7);
  CHECK(d.items()[0].message.find("not valid UTF-8") != std::string::npos);
}

TEST_CASE("hardening: time arithmetic saturates instead of wrapping") {
  CHECK(Time::max() + Duration{1} == Time::max());
  CHECK(Time{5} + Duration{INT64_MAX} == Time::max());
  CHECK(Time{-5} - Duration{INT64_MAX} == Time{INT64_MIN});
  CHECK(Duration{INT64_MAX} * 2 == Duration{INT64_MAX});
  CHECK(Duration{INT64_MAX} + Duration{1} == Duration{INT64_MAX});
  CHECK(Time{1} + Duration{2} == Time{3});
}

TEST_CASE("hardening: durations are bounded at 100 years") {
  int64_t ns = 0;
  std::string why;
  CHECK(scenario::parse_duration("876000h", false, &ns, &why));
  CHECK(ns == scenario::kMaxDurationNs);
  CHECK_FALSE(scenario::parse_duration("876000h1ns", false, &ns, &why));
  CHECK(why.find("too large") != std::string::npos);
  CHECK_FALSE(scenario::parse_duration("9223372036854775807ns", false, &ns, &why));
  CHECK_FALSE(scenario::parse_duration("-9223372036854775807ns", true, &ns, &why));
}

TEST_CASE("hardening: lines are read with a cap") {
  std::istringstream in("short\n" + std::string(100, 'x') + "\nafter");
  std::string line;
  CHECK(read_line(in, &line, 10) == LineRead::kLine);
  CHECK(line == "short");
  CHECK(read_line(in, &line, 10) == LineRead::kTooLong);
  std::istringstream tail("a\n\nb");
  CHECK(read_line(tail, &line) == LineRead::kLine);
  CHECK(read_line(tail, &line) == LineRead::kLine);
  CHECK(line.empty());
  CHECK(read_line(tail, &line) == LineRead::kLine);
  CHECK(line == "b");
  CHECK(read_line(tail, &line) == LineRead::kEnd);
}

TEST_CASE("hardening: a duplicate JSON key is an error at the second key") {
  nlohmann::json j;
  size_t col = 0;
  std::string why;
  CHECK_FALSE(trace::parse_json_line(R"({"t":1,"node":"a","t":2})", &j, &col, &why));
  CHECK(col == 19);
  CHECK(why.find("duplicate key \"t\"") != std::string::npos);
  CHECK(trace::parse_json_line(R"({"a":{"t":1},"b":{"t":2}})", &j, &col, &why));  // per object
  CHECK_FALSE(trace::parse_json_line("{\"t\":1e400}", &j, &col, &why));           // no exception escapes
}

TEST_CASE("hardening: trace reader rejects duplicate keys and impossible log indexes") {
  CHECK(trace_error("{\"t\":1,\"node\":\"n1\",\"kind\":\"x\",\"t\":0}\n").find(":2:") != std::string::npos);
  const std::string big = trace_error("{\"t\":1,\"node\":\"n1\",\"kind\":\"append\",\"index\":100000000,\"term\":1}\n");
  CHECK(big.find(":2:1: error:") != std::string::npos);
  CHECK(big.find("index") != std::string::npos);
  CHECK(trace_error("{\"t\":1,\"node\":\"n1\",\"kind\":\"append\",\"index\":1,\"term\":1}\n").empty());
  const std::string path = temp_file("long.jsonl", "{\"t\":0,\"node\":\"\",\"kind\":\"meta\",\"schema\":\"dsim.trace/1\"}\n" +
                                                       std::string(kMaxLineBytes + 1, ' ') + "\n");
  trace::Reader r;
  REQUIRE(r.open(path).empty());
  trace::Event e;
  CHECK_THROWS_AS(r.next(&e), ResourceLimit);
  std::filesystem::remove(path);
}

TEST_CASE("hardening: history numbers, times, order and keys are checked with a location") {
  const std::string ok = R"({"process":0,"type":"invoke","f":"write","key":"x","value":1,"time":5})";
  CHECK(history_error(ok + "\n").empty());
  CHECK(history_error(ok + "\n" + R"({"process":0,"type":"ok","f":"write","key":"x","value":1,"time":1e400})")
            .find(":2:") != std::string::npos);
  CHECK(history_error(R"({"process":0,"type":"invoke","f":"write","key":"x","value":1,"time":18446744073709551615})")
            .find("'time'") != std::string::npos);
  CHECK(history_error(ok + "\n" + R"({"process":0,"type":"ok","f":"write","key":"x","value":1,"time":3})")
            .find(":2:1:") != std::string::npos);
  CHECK(history_error(R"({"process":0,"process":1,"type":"invoke","f":"write","key":"x","value":1,"time":1})")
            .find("duplicate key") != std::string::npos);
}

TEST_CASE("hardening: empty, comment-only, CR-only and NUL files are located errors") {
  for (const std::string& text : {std::string(), std::string("# nothing\n"), std::string("\r\r\r"),
                                 std::string("\0version: 1\n", 12)}) {
    scenario::Diagnostics d;
    CHECK_FALSE(scenario::load_scenario_text(dsim::testing::registry(), text, "x.yaml", d));
    REQUIRE(d.items().size() == 1);
    CHECK(d.items()[0].line == 1);
    CHECK(d.items()[0].column == 1);
  }
}

TEST_CASE("hardening: directories, devices and oversized files are refused as scenarios") {
  scenario::Diagnostics d;
  CHECK_FALSE(scenario::load_scenario_file(dsim::testing::registry(), std::filesystem::temp_directory_path().string(), d));
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].line == 1);
  CHECK(d.items()[0].message.find("directory") != std::string::npos);
  scenario::Diagnostics d2;
  CHECK_FALSE(scenario::load_scenario_file(dsim::testing::registry(), "/dev/zero", d2));  // would be read until memory ran out
  const std::string big = temp_file("big.yaml", std::string(kMaxScenarioBytes + 1, '#'));
  scenario::Diagnostics d3;
  CHECK_THROWS_AS(scenario::load_scenario_file(dsim::testing::registry(), big, d3), ResourceLimit);
  std::filesystem::remove(big);
}

TEST_CASE("hardening: a nemesis ticking every nanosecond keeps a bounded record") {
  scenario::Diagnostics d;
  const auto s = scenario::load_scenario_text(dsim::testing::registry(),
      "version: 1\nname: n\nprotocol: broadcast\nduration: 1ms\nnodes: 3\n"
      "nemesis: {faults: [clog], interval: 1ns, duration: 1ns, until: 300us}\n",
      "x.yaml", d);
  REQUIRE(s);
  scenario::RunOptions opt;
  opt.seed = 1;
  const scenario::RunReport r = scenario::run_scenario(*s, opt);
  CHECK(r.nemesis_faults.size() == scenario::kMaxRecordedNemesisFaults);
}
