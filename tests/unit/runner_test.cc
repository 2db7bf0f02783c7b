// The scenario runner: faults aimed at a role resolve when they fire, to the
// node holding the role then, and are skipped (and traced) when none does.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "registry.h"
#include "protocols/broadcast/broadcast.h"
#include "dsim/checker.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "test_support.h"

using namespace dsim;

namespace {

// Node i claims the role "leader" from time (i+1) * 100ms until it crashes:
// the highest id that has reached its time wins, so the leader changes.
struct RoleNode final : Node {
  explicit RoleNode(NodeId self) : self_(self) {}
  void on_start(Context& c) override { c.set_timer(milliseconds(100) * (self_.value + 1), 1); }
  void on_message(Context&, NodeId, const Message&) override {}
  void on_timer(Context&, TimerId, uint64_t) override { claimed_ = true; }
  std::string_view role() const override { return claimed_ ? "leader" : "follower"; }
  NodeId self_;
  bool claimed_ = false;
};

scenario::Scenario three_nodes() {
  scenario::Scenario s;
  s.path = "roles.yaml";
  s.name = "roles";
  s.protocol = "broadcast";
  s.def = dsim::testing::registry().find("broadcast");
  s.config = dsim::make_config(broadcast::Config{});
  s.duration = seconds(1);
  s.nodes = {"n1", "n2", "n3"};
  s.clocks.assign(3, {});
  return s;
}

scenario::FaultSpec crash_role(int64_t at_ms) {
  scenario::FaultSpec f;
  f.type = scenario::FaultSpec::Type::kCrash;
  f.at = Time{0} + milliseconds(at_ms);
  f.target.role = "leader";
  return f;
}

}  // namespace

TEST_CASE("runner: a fault aimed at a role hits the node that holds it when the fault fires") {
  scenario::Scenario s = three_nodes();
  s.faults = {crash_role(50), crash_role(150), crash_role(250)};
  // At 50ms nobody leads: skipped. At 150ms n1 leads (lowest id holding the
  // role). At 250ms n1 is down and n2 leads.
  scenario::RunOptions opt;
  opt.seed = 1;
  opt.node_factory = [](NodeId id) { return std::make_unique<RoleNode>(id); };
  const std::string path = dsim::testing::temp_path("roles.jsonl");
  opt.trace_path = path;
  const auto r = scenario::run_scenario(s, opt);
  REQUIRE(r.trace_error.empty());
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"kind\":\"crash\"") != std::string::npos || line.find("fault_skipped") != std::string::npos) {
      lines.push_back(line);
    }
  }
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].find("\"t\":50000000,\"node\":\"*\",\"kind\":\"fault_skipped\"") != std::string::npos);
  CHECK(lines[0].find("no node has role leader") != std::string::npos);
  CHECK(lines[1].find("\"t\":150000000,\"node\":\"n1\",\"kind\":\"crash\"") != std::string::npos);
  CHECK(lines[2].find("\"t\":250000000,\"node\":\"n2\",\"kind\":\"crash\"") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("catalogue: every teaching, regression and bug scenario ends as it declares on its own seed") {
  for (const char* sub : {"teaching", "regression", "bugs"}) {
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios" / sub)) {
      if (entry.path().extension() != ".yaml") continue;
      CAPTURE(entry.path().string());
      scenario::Diagnostics diag;
      const auto s = scenario::load_scenario_file(dsim::testing::registry(), entry.path().string(), diag);
      REQUIRE(s.has_value());
      REQUIRE(s->seed.has_value());  // catalogue scenarios pin their seed
      scenario::RunOptions opt;
      opt.seed = *s->seed;
      opt.fingerprint = false;
      const auto r = scenario::run_scenario(*s, opt);
      std::string statuses;
      for (const auto& c : r.checks) statuses += c.name + "=" + analysis::to_string(c.status) + " ";
      CAPTURE(statuses);
      CHECK(r.as_expected);
      // A correct scenario must decide: an inconclusive liveness check there
      // means the run is too short for its own bound.
      if (s->expect_violated.empty()) {
        for (const auto& c : r.checks) CHECK(c.status == analysis::Status::kHeld);
      }
    }
  }
}
