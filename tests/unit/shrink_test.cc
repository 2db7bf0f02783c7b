// Writing scenarios back to YAML, and shrinking failures.
#include <doctest/doctest.h>

#include <filesystem>

#include "registry.h"
#include "catalogue.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/shrink.h"
#include "sim/scenario/writer.h"

using namespace dsim;

TEST_CASE("writer: every catalogue scenario written back loads to the same simulation") {
  for (const char* sub : {"teaching", "regression", "bugs", "perf", "lb"}) {
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios" / sub)) {
      const std::string rel = std::string("scenarios/") + sub + "/" + e.path().filename().string();
      if (rel.find("1000") != std::string::npos) continue;  // the perf giants: covered by smaller ones
      if (e.path().extension() != ".yaml") continue;         // a folder's README
      CAPTURE(rel);
      const scenario::Scenario s = dsim::testing::load_catalogue(rel);
      const std::string yaml = scenario::scenario_to_yaml(s, "round trip");
      scenario::Diagnostics diag;
      const auto back = scenario::load_scenario_text(dsim::testing::registry(), yaml, rel, diag);
      CAPTURE(diag.render(false));
      CAPTURE(yaml);
      REQUIRE(back.has_value());
      CHECK(scenario::scenario_to_yaml(*back, "round trip") == yaml);  // a fixed point
      CHECK(dsim::testing::trace_hash(*back, 3) == dsim::testing::trace_hash(s, 3));                        // the very same run
    }
  }
}

TEST_CASE("writer: durations are exact") {
  CHECK(scenario::duration_text(Duration{0}) == "0");
  CHECK(scenario::duration_text(milliseconds(150)) == "150ms");
  CHECK(scenario::duration_text(microseconds(1500)) == "1500us");
  CHECK(scenario::duration_text(Duration{7}) == "7ns");
  CHECK(scenario::duration_text(milliseconds(-20)) == "-20ms");
}

TEST_CASE("shrink: a nemesis failure becomes a short scripted scenario that fails the same check") {
  const scenario::Scenario s = dsim::testing::load_catalogue("scenarios/bugs/raft-vote-any-log.yaml");
  std::string error;
  const auto r = scenario::shrink(dsim::testing::registry(), s, 1, "", &error);
  REQUIRE_MESSAGE(r.has_value(), error);
  CHECK(r->check == "leader_completeness");
  CHECK_FALSE(r->scenario.nemesis.has_value());
  CHECK(r->faults_after * 4 <= r->faults_before);
  CHECK(r->events_after < r->events_before);
  CHECK(r->time_after <= r->time_before);
  // Written out and read back, it still fails the same check on its seed.
  const std::string yaml = scenario::scenario_to_yaml(r->scenario);
  scenario::Diagnostics diag;
  const auto back = scenario::load_scenario_text(dsim::testing::registry(), yaml, "shrunk.yaml", diag);
  REQUIRE(back.has_value());
  REQUIRE(back->seed.has_value());
  scenario::RunOptions opt;
  opt.seed = *back->seed;
  const auto run = scenario::run_scenario(*back, opt);
  REQUIRE(run.checks.size() == 1);
  CHECK(run.checks[0].name == "leader_completeness");
  CHECK(run.checks[0].status == analysis::Status::kViolated);
  CHECK(run.as_expected);
}

TEST_CASE("shrink: a seed that violates nothing is refused") {
  const scenario::Scenario s = dsim::testing::load_catalogue("scenarios/teaching/broadcast-lossy.yaml");
  std::string error;
  CHECK_FALSE(scenario::shrink(dsim::testing::registry(), s, 7, "", &error).has_value());
  CHECK(error.find("does not violate") != std::string::npos);
}
