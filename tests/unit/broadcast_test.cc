// Reliable broadcast end to end: the checkers pass the correct protocol and
// flag the planted bug; each checker also catches a hand-built violation and
// stays honest (inconclusive) when the trace cannot decide.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "registry.h"
#include "protocols/broadcast/checkers.h"
#include "analysis/offline.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "catalogue.h"
#include "test_support.h"

using namespace dsim;
using namespace dsim::analysis;
using dsim::testing::load_catalogue;
using dsim::testing::event;

namespace {

const CheckResult& find(const scenario::RunReport& r, std::string_view name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return c;
  }
  FAIL("no such check");
  return r.checks.front();
}

}  // namespace

TEST_CASE("no_duplicate_delivery: flags the second delivery of a message naming node and message") {
  NoDuplicateDelivery c;
  c.consume(event(10, "n2", "bdeliver", {{"origin", std::string("n1")}, {"seq", int64_t{3}}}));
  c.consume(event(20, "n3", "bdeliver", {{"origin", std::string("n1")}, {"seq", int64_t{3}}}));
  CHECK_FALSE(c.violated());
  c.consume(event(30, "n2", "bdeliver", {{"origin", std::string("n1")}, {"seq", int64_t{3}}}));
  CHECK(c.violated());
  const CheckResult r = c.finish();
  CHECK(r.status == Status::kViolated);
  REQUIRE(r.violation.has_value());
  CHECK(r.violation->node == "n2");
  CHECK(r.violation->t_ns == 30);
  CHECK(r.violation->message.find("n1#3") != std::string::npos);
}

TEST_CASE("all_delivered: held violated and inconclusive are told apart") {
  const int64_t s = 1'000'000'000;
  auto base = [&](AllDelivered& c) {
    for (const char* n : {"n1", "n2", "n3"}) c.consume(event(0, n, "start"));
    c.consume(event(1 * s, "n1", "bcast", {{"seq", int64_t{1}}}));
    c.consume(event(1 * s, "n1", "bdeliver", {{"origin", std::string("n1")}, {"seq", int64_t{1}}}));
    c.consume(event(1 * s + 5, "n2", "bdeliver", {{"origin", std::string("n1")}, {"seq", int64_t{1}}}));
  };
  SUBCASE("a node never gets the message: violated at the deadline") {
    AllDelivered c(2 * s);
    base(c);
    c.consume(event(10 * s, "*", "end"));
    const CheckResult r = c.finish();
    CHECK(r.status == Status::kViolated);
    REQUIRE(r.violation.has_value());
    CHECK(r.violation->node == "n3");
    CHECK(r.violation->t_ns == 3 * s);
  }
  SUBCASE("the node that missed it crashed and stayed down: no obligation") {
    AllDelivered c(2 * s);
    base(c);
    c.consume(event(2 * s, "n3", "crash"));
    c.consume(event(10 * s, "*", "end"));
    CHECK(c.finish().status == Status::kHeld);
  }
  SUBCASE("the run ends before the bound expires: inconclusive, not a guess") {
    AllDelivered c(20 * s);
    base(c);
    c.consume(event(10 * s, "*", "end"));
    const CheckResult r = c.finish();
    CHECK(r.status == Status::kInconclusive);
    CHECK(r.note.find("before the bound") != std::string::npos);
  }
  SUBCASE("the bound counts from the end of the last fault") {
    AllDelivered c(2 * s);
    base(c);
    c.consume(event(2 * s, "*", "partition", {{"groups", std::string("n3|n1,n2")}}));
    c.consume(event(6 * s, "*", "heal"));
    c.consume(event(7 * s, "n3", "bdeliver", {{"origin", std::string("n1")}, {"seq", int64_t{1}}}));
    c.consume(event(10 * s, "*", "end"));
    CHECK(c.finish().status == Status::kHeld);  // 7s <= heal (6s) + 2s
  }
}

TEST_CASE("broadcast: the correct protocol passes under loss crashes and partitions") {
  const auto s = load_catalogue("scenarios/teaching/broadcast-lossy.yaml");
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    scenario::RunOptions opt;
    opt.seed = seed;
    const auto r = scenario::run_scenario(s, opt);
    CHECK(r.as_expected);
    CHECK(find(r, "no_duplicate_delivery").status == Status::kHeld);
    CHECK(find(r, "all_delivered").status == Status::kHeld);
    CHECK(r.counters.dropped > 0);
  }
}

TEST_CASE("broadcast: the planted no_retransmit bug is caught by all_delivered") {
  const auto s = load_catalogue("scenarios/bugs/broadcast-no-retransmit.yaml");
  int caught = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    scenario::RunOptions opt;
    opt.seed = seed;
    const auto r = scenario::run_scenario(s, opt);
    CHECK(find(r, "no_duplicate_delivery").status == Status::kHeld);
    caught += find(r, "all_delivered").status == Status::kViolated ? 1 : 0;
  }
  CHECK(caught == 20);  // 20% loss over 80 sends: a loss is all but certain
}

TEST_CASE("broadcast: delivered-once state must be durable (volatile dedup would duplicate)") {
  // With unsynced writes lost on crash the protocol still syncs before it
  // acknowledges, so no crash schedule can make it deliver twice.
  const auto s = load_catalogue("scenarios/teaching/broadcast-lossy.yaml", "restart_after: 800ms",
                      "restart_after: 800ms, lose_unsynced: true");
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    scenario::RunOptions opt;
    opt.seed = seed;
    CHECK(find(scenario::run_scenario(s, opt), "no_duplicate_delivery").status == Status::kHeld);
  }
}

TEST_CASE("check: the offline checkers on a saved trace agree with the online run") {
  const auto dir = std::filesystem::path(dsim::testing::temp_path("offline-test"));
  std::filesystem::create_directories(dir);
  for (const char* rel : {"scenarios/teaching/broadcast-lossy.yaml", "scenarios/bugs/broadcast-no-retransmit.yaml"}) {
    CAPTURE(rel);
    const auto s = load_catalogue(rel);
    scenario::RunOptions opt;
    opt.seed = 3;
    opt.trace_path = (dir / "t.jsonl").string();
    const auto online = scenario::run_scenario(s, opt);
    REQUIRE(online.trace_error.empty());
    const auto offline = check_trace(dsim::testing::registry(), opt.trace_path, std::nullopt);
    REQUIRE(offline.error.empty());
    REQUIRE(offline.checks.size() == online.checks.size());
    for (size_t i = 0; i < online.checks.size(); ++i) {
      CHECK(offline.checks[i].name == online.checks[i].name);
      CHECK(offline.checks[i].status == online.checks[i].status);
      CHECK(offline.checks[i].note == online.checks[i].note);
      CHECK(offline.checks[i].violation.has_value() == online.checks[i].violation.has_value());
      if (online.checks[i].violation) {
        CHECK(offline.checks[i].violation->message == online.checks[i].violation->message);
        CHECK(offline.checks[i].violation->t_ns == online.checks[i].violation->t_ns);
      }
    }
    CHECK(offline.expect_violated == s.expect_violated);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("broadcast: the planted volatile_dedup bug is caught by no_duplicate_delivery") {
  const auto buggy = load_catalogue("scenarios/bugs/broadcast-volatile-dedup.yaml");
  // The same schedule with the delivered set kept durably (the real protocol).
  const auto fixed = load_catalogue("scenarios/bugs/broadcast-volatile-dedup.yaml", "bug: volatile_dedup", "bug: none");
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    scenario::RunOptions opt;
    opt.seed = seed;
    const auto r = scenario::run_scenario(buggy, opt);
    CHECK(find(r, "no_duplicate_delivery").status == Status::kViolated);
    CHECK(find(r, "all_delivered").status == Status::kHeld);
    const auto ok = scenario::run_scenario(fixed, opt);
    CHECK(find(ok, "no_duplicate_delivery").status == Status::kHeld);
    CHECK(find(ok, "all_delivered").status == Status::kHeld);
  }
}
