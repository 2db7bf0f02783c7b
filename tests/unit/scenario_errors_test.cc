// Bad scenarios: each file in tests/testdata/bad-scenarios starts with
//   # expect: LINE:COL: TEXT
// and loading it must fail with its first error at LINE:COL containing
// TEXT. The CLI test (tests/cli/cli_test.sh) runs the same files through
// `dsim run` and checks exit code 3 and the file:line:col prefix.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "registry.h"
#include "sim/scenario/loader.h"

using namespace dsim::scenario;

namespace {
struct Expectation {
  int line = 0;
  int column = 0;
  std::string text;
};

Expectation parse_expectation(const std::string& first_line) {
  Expectation e;
  const std::string prefix = "# expect: ";
  REQUIRE(first_line.rfind(prefix, 0) == 0);
  std::istringstream in(first_line.substr(prefix.size()));
  char colon;
  in >> e.line >> colon >> e.column >> colon;
  std::getline(in, e.text);
  if (!e.text.empty() && e.text[0] == ' ') e.text.erase(0, 1);
  return e;
}
}  // namespace

TEST_CASE("scenario: every bad input fails with the expected file:line:col and message") {
  const std::filesystem::path dir = DSIM_SOURCE_DIR "/tests/testdata/bad-scenarios";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 15);
  for (const auto& path : files) {
    CAPTURE(path.filename().string());
    std::ifstream in(path);
    std::string first;
    std::getline(in, first);
    const Expectation want = parse_expectation(first);
    Diagnostics diag;
    const auto s = load_scenario_file(dsim::testing::registry(), path.string(), diag);
    CHECK_FALSE(s.has_value());
    REQUIRE(!diag.items().empty());
    const Diagnostic& got = diag.items().front();
    CAPTURE(got.message);
    CHECK(got.line == want.line);
    CHECK(got.column == want.column);
    CHECK(got.message.find(want.text) != std::string::npos);
    // The rendered form is what editors parse.
    const std::string rendered = diag.render(false);
    CHECK(rendered.rfind(path.string() + ":" + std::to_string(want.line) + ":" + std::to_string(want.column) + ": error: ", 0) == 0);
  }
}

TEST_CASE("scenario: every catalogue scenario loads") {
  for (const char* sub : {"teaching", "bugs", "regression", "perf"}) {
    const std::filesystem::path dir = std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios" / sub;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".yaml") continue;
      CAPTURE(entry.path().string());
      Diagnostics diag;
      const auto s = load_scenario_file(dsim::testing::registry(), entry.path().string(), diag);
      CAPTURE(diag.render(false));
      CHECK(s.has_value());
    }
  }
}

TEST_CASE("scenario: all errors are reported not just the first") {
  Diagnostics diag;
  const auto s = load_scenario_text(dsim::testing::registry(), 
      "version: 1\nname: t\nprotocol: broadcast\nduration: 5s\nnodes: 3\nnetwork: {drop: 2, duplicate: x}\n"
      "faults:\n  - {at: 1s, crash: n7}\n",
      "multi.yaml", diag);
  CHECK_FALSE(s.has_value());
  CHECK(diag.count() == 3);
}

TEST_CASE("scenario: a valid file yields the typed spec") {
  Diagnostics diag;
  const auto s = load_scenario_text(dsim::testing::registry(), R"(version: 1
name: typed
protocol: broadcast
seed: 0x10
duration: 1m30s
nodes: [a, b, c]
clocks: {b: {offset: -5ms, drift_ppm: 200}}
network:
  latency: {dist: lognormal, median: 10ms, sigma: 0.5}
  drop: 0.05
  links: [{from: a, to: b, drop: 1, both_ways: true}]
  topology:
    zones: {east: [a, b], west: [c]}
    intra_zone: 1ms
    links: [{between: [east, west], latency: 40ms}]
faults:
  - {at: 2s, clog: {from: a, to: c}, for: 1s}
  - {at: 1s, clock: c, jump: -20ms}
nemesis: {faults: [crash, partition], interval: [1s, 2s], duration: 500ms, max_down: 1, until: 60s}
checks: [{name: all_delivered, within: 3s}]
x-comment: ignored
)",
                                    "typed.yaml", diag);
  CAPTURE(diag.render(false));
  REQUIRE(s.has_value());
  CHECK(*s->seed == 16);
  CHECK(s->duration == dsim::seconds(90));
  CHECK(s->nodes == std::vector<std::string>{"a", "b", "c"});
  CHECK(s->clocks[1].offset == dsim::milliseconds(-5));
  CHECK(s->clocks[1].drift_ppm == 200);
  CHECK(s->network.drop == dsim::Ratio{5, 100});
  CHECK(s->links.size() == 2);
  REQUIRE(s->topology.has_value());
  CHECK(s->topology->zone_of == std::vector<uint32_t>{0, 0, 1});
  REQUIRE(s->faults.size() == 2);
  CHECK(s->faults[0].type == FaultSpec::Type::kClockJump);  // sorted by time
  CHECK(s->faults[1].link);
  REQUIRE(s->nemesis.has_value());
  CHECK(s->nemesis->kinds.size() == 2);
  REQUIRE(s->checks.size() == 1);
  CHECK(s->checks[0].within_ns == 3'000'000'000);
}
