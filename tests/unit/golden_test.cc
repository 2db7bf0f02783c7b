// Determinism is the product. These hashes pin the exact trace bytes of
// representative scenarios: any change to behaviour or trace format shows
// up here, and the commit that changes them must say why.
//
// To update after a deliberate change: run the failing case, copy the new
// hash from the failure output, and explain the change in the commit.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "sim/trace/sha256.h"
#include "catalogue.h"

using namespace dsim;

TEST_CASE("golden: trace hashes of representative scenarios are pinned") {
  CHECK(dsim::testing::trace_hash(dsim::testing::load_catalogue("scenarios/teaching/broadcast-lossy.yaml"), 7) ==
        "e199b0a205df36228375d5ab890997b8384f69858192ef2587310a9e8360829a");
  CHECK(dsim::testing::trace_hash(dsim::testing::load_catalogue("scenarios/regression/broadcast-nemesis.yaml"), 42) ==
        "6d2087fcbb53d004efc9bf3b06708df7fd985b4a54665122d3dc057e1d9ef8ec");
}

TEST_CASE("golden: same seed same bytes - another seed another trace") {
  const auto s = dsim::testing::load_catalogue("scenarios/teaching/broadcast-lossy.yaml");
  CHECK(dsim::testing::trace_hash(s, 7) == dsim::testing::trace_hash(s, 7));
  CHECK(dsim::testing::trace_hash(s, 7) != dsim::testing::trace_hash(s, 8));
}

TEST_CASE("golden: the hash covers exactly the bytes of the trace file") {
  const auto s = dsim::testing::load_catalogue("scenarios/teaching/broadcast-lossy.yaml");
  const auto path = (std::filesystem::temp_directory_path() / "dsim-golden.jsonl").string();
  scenario::RunOptions opt;
  opt.seed = 7;
  opt.trace_path = path;
  const auto r = scenario::run_scenario(s, opt);
  REQUIRE(r.trace_error.empty());
  std::string err;
  CHECK(trace::Sha256::of_file(path, &err) == r.trace_sha256);
  CHECK_FALSE(std::filesystem::exists(path + ".partial"));
  std::filesystem::remove(path);
}

TEST_CASE("golden: turning the trace off does not change the simulation") {
  const auto s = dsim::testing::load_catalogue("scenarios/regression/broadcast-nemesis.yaml");
  scenario::RunOptions on, off;
  on.seed = off.seed = 42;
  off.fingerprint = false;
  const auto a = scenario::run_scenario(s, on);
  const auto b = scenario::run_scenario(s, off);
  CHECK(a.counters.events == b.counters.events);
  CHECK(a.counters.sent == b.counters.sent);
  CHECK(a.counters.dropped == b.counters.dropped);
  CHECK(a.violated == b.violated);
  CHECK(b.trace_sha256.empty());
}
