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

// One representative scenario per protocol (plus key-value clients on the CP
// store and the load balancer's proxy), seed 3. Pinned before the protocols
// became plug-ins, so the redesign is proven not to change a single byte.
TEST_CASE("golden: one scenario per protocol") {
  const std::pair<const char*, const char*> kPinned[] = {
      {"scenarios/teaching/raft-leader-crash.yaml", "cb94de3231311f3c381caf37c321a25850cd09f1fe22559e549db57811266e7e"},
      {"scenarios/teaching/paxos-basic.yaml", "9c1308d5a96b0ea32f1fea73671d60270e3716a58e5ca1d789f0ded6b5b9fd3d"},
      {"scenarios/teaching/multipaxos-leader-crash.yaml", "2dcb6a64b211724887361bc455bb76f8791b3748874920dbda28091c4a27b065"},
      {"scenarios/teaching/cap-cp.yaml", "d42d3d7f325334517f3907c5dfcbe6754c6e80161e572d27ae8d953e6249d6e5"},
      {"scenarios/teaching/cap-ap-strong.yaml", "90711c13bf21a214775757bf4ce5d4922a21804572ac82e1a3d27bc4a4a90235"},
      {"scenarios/teaching/lock-gc-pause.yaml", "c3341708f1fb5969b089488196a02dbac1ae2349c0fd52346ba98f1df4c7274b"},
      {"scenarios/teaching/discovery-partitions.yaml", "bc29c4da0c1985d6ae6ba08eb873bd449cdd614dc02ba0f31ed92849968e42fd"},
      {"scenarios/lb/lb-slow-backend.yaml", "86e34e29da80da0230bcfe0cdca1e43e6eca5f7a4dd24be676ce8c80a24c33be"},
  };
  for (const auto& pinned : kPinned) {
    // Not a structured binding: doctest's CAPTURE captures it in a lambda,
    // which clang before 16 rejects for bindings (C++20 allows it).
    const char* path = pinned.first;
    const char* hash = pinned.second;
    CAPTURE(path);
    CHECK(dsim::testing::trace_hash(dsim::testing::load_catalogue(path), 3) == hash);
  }
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
