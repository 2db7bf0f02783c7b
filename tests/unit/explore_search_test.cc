// The explorer's search in small (sim/explore/explorer.h), on the real
// protocols: a bug found and its path replayed, a correct configuration
// exhausted, limits, goals, refusals. Small enough to run under the
// sanitizers; tests/cli/explore_test.sh runs the catalogue.
#include <doctest/doctest.h>

#include <string>

#include "registry.h"
#include "sim/explore/explorer.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"

using namespace dsim;

namespace {

scenario::Scenario load(const std::string& text) {
  scenario::Diagnostics d;
  auto s = scenario::load_scenario_text(testing::registry(), text, "explore-test.yaml", d);
  INFO(d.render(false));
  REQUIRE(s.has_value());
  return *s;
}

explore::ExploreResult run(const scenario::Scenario& s) {
  explore::ExploreOptions o;
  o.spec = *s.explore;
  std::string error;
  auto r = explore::run_explore(s, 1, o, &error);
  INFO(error);
  REQUIRE(r.has_value());
  return *r;
}

const char* kBroadcast = R"(
version: 1
name: bc
protocol: broadcast
duration: 1s
nodes: 3
broadcast: {retransmit: 100ms, bug: BUG}
workload: {broadcasts: 1, from: any}
checks: [no_duplicate_delivery, {name: all_delivered, within: 2s}]
explore: {strategy: STRATEGY, max_depth: DEPTH, drops: 1}
)";

std::string broadcast(const std::string& bug, const std::string& strategy, int depth) {
  std::string t = kBroadcast;
  t.replace(t.find("BUG"), 3, bug);
  t.replace(t.find("STRATEGY"), 8, strategy);
  t.replace(t.find("DEPTH"), 5, std::to_string(depth));
  return t;
}

}  // namespace

TEST_CASE("explore search: breadth-first finds the shortest lost broadcast, and the path replays under dsim run") {
  scenario::Scenario s = load(broadcast("no_retransmit", "bfs", 10));
  const auto r = run(s);
  REQUIRE(r.outcome == explore::ExploreResult::Outcome::kViolation);
  CHECK(r.violated == std::vector<std::string>{"all_delivered"});
  CHECK(r.at_quiescence);
  CHECK(r.path.size() == 4);
  REQUIRE(r.path_notes.size() == 4);
  CHECK(r.path_notes[0].rfind("input 1 to ", 0) == 0);
  // As the command writes it: the schedule, ending an hour later.
  s.explore.reset();
  s.schedule = r.path;
  s.duration = Duration{5'000'000} + Duration{3'600'000'000'000};
  scenario::RunOptions ro;
  ro.seed = 1;
  const auto rr = scenario::run_scenario(s, ro);
  CHECK(rr.violated == std::vector<std::string>{"all_delivered"});
}

TEST_CASE("explore search: correct broadcast under one loss holds in every state up to the bound, both strategies") {
  const auto bfs = run(load(broadcast("none", "bfs", 6)));
  const auto dfs = run(load(broadcast("none", "dfs", 6)));
  for (const auto* r : {&bfs, &dfs}) {
    CHECK(r->outcome == explore::ExploreResult::Outcome::kExhausted);
    CHECK(r->depth_bounded);
    CHECK(r->violated.empty());
  }
  // The same states, whatever the order they were reached in.
  CHECK(bfs.stats.distinct == dfs.stats.distinct);
  CHECK(bfs.stats.distinct > 100);
}

TEST_CASE("explore search: random walks find Paxos's forgotten promise, the same way every time") {
  const std::string text = R"(
version: 1
name: fp
protocol: paxos
duration: 1s
nodes: 3
paxos: {proposers: [n1, n2], max_rounds: 1, backoff: false, bug: forget_promise}
checks: [paxos_agreement, learner_consistency]
explore: {strategy: random, max_depth: 30, crashes: 1, restarts: 1, fifo: true, max_states: 2000000}
)";
  const auto a = run(load(text));
  REQUIRE(a.outcome == explore::ExploreResult::Outcome::kViolation);
  CHECK(a.violated == std::vector<std::string>{"paxos_agreement"});
  CHECK(a.walks > 0);
  const auto b = run(load(text));
  CHECK(a.path == b.path);
  CHECK(a.stats.distinct == b.stats.distinct);
}

TEST_CASE("explore search: goals end the search, prunes cut it, a state limit is inconclusive") {
  const std::string base = R"(
version: 1
name: goal
protocol: paxos
duration: 1s
nodes: 3
paxos: {proposers: [n1, n2], max_rounds: 1, backoff: false}
checks: [paxos_agreement]
)";
  const auto goal = run(load(base + "explore: {max_depth: 12, fifo: true, goals: [{kind: learned, at_least: 1}]}\n"));
  CHECK(goal.outcome == explore::ExploreResult::Outcome::kGoal);
  CHECK(goal.path.size() == 9);
  // No prepare may be sent: nothing but the start timers can happen.
  const auto pruned = run(load(base + "explore: {max_depth: 12, prune: [{kind: prepare, more_than: 0}]}\n"));
  CHECK(pruned.outcome == explore::ExploreResult::Outcome::kExhausted);
  CHECK(pruned.stats.distinct < 10);
  const auto limited = run(load(base + "explore: {max_depth: 12, max_states: 50}\n"));
  CHECK(limited.outcome == explore::ExploreResult::Outcome::kLimit);
  CHECK(limited.limit == "states");
}

TEST_CASE("explore search: a protocol whose nodes cannot be copied is refused with the reason") {
  const scenario::Scenario s = load(R"(
version: 1
name: lock
protocol: lock
duration: 1s
nodes: 3
explore: {max_depth: 5}
)");
  explore::ExploreOptions o;
  o.spec = *s.explore;
  std::string error;
  CHECK_FALSE(explore::run_explore(s, 1, o, &error).has_value());
  CHECK(error.find("cannot be explored") != std::string::npos);
}
