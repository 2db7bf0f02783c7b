// Every checker proven able to fail, and never passing on nothing
// (docs/scenarios.md, "Verdicts and evidence"). One row per checker the registry
// knows: a new checker without a row fails the first test.
//   pass:    a correct catalogue scenario and seed on which it holds
//   fail:    a planted-bug scenario at its pinned seed that it flags
//   vacuous: a trace with only start and end events, which it must not pass
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "catalogue.h"
#include "dsim/node.h"

namespace dsim {
namespace {

struct Row {
  const char* checker;
  const char* pass;  // scenarios/<pass>, seed pass_seed
  uint64_t pass_seed;
  const char* fail;  // a planted bug: scenarios/<fail>, at the seed it pins
  uint64_t fail_seed;
  // The scenarios start programs by paths relative to the source root
  // (maelstrom): run them from there.
  bool from_source_root = false;
};

// Runs in DSIM_SOURCE_DIR while alive when asked to; restores the directory.
struct SourceRootCwd {
  explicit SourceRootCwd(bool on) {
    if (!on) return;
    saved = std::filesystem::current_path();
    std::filesystem::current_path(DSIM_SOURCE_DIR);
  }
  ~SourceRootCwd() {
    if (!saved.empty()) std::filesystem::current_path(saved);
  }
  std::filesystem::path saved;
};

const std::vector<Row>& table() {
  static const std::vector<Row> kRows = {
      {"election_safety", "teaching/raft-leader-crash.yaml", 1, "bugs/raft-volatile-vote.yaml", 31},
      {"log_matching", "teaching/raft-leader-crash.yaml", 1, "bugs/raft-skip-prev-check.yaml", 1},
      {"leader_completeness", "teaching/raft-leader-crash.yaml", 1, "bugs/raft-vote-any-log.yaml", 1},
      {"state_machine_safety", "teaching/raft-leader-crash.yaml", 1, "bugs/raft-commit-previous-term.yaml", 1},
      {"raft_liveness", "teaching/raft-leader-crash.yaml", 1, "bugs/raft-slow-election.yaml", 1},
      {"raft_catch_up", "regression/raft-catch-up.yaml", 1, "bugs/raft-slow-backtrack.yaml", 1},
      {"paxos_agreement", "teaching/paxos-basic.yaml", 1, "bugs/paxos-accept-any-ballot.yaml", 3},
      {"learner_consistency", "teaching/paxos-basic.yaml", 1, "bugs/paxos-forget-accepted.yaml", 1},
      {"paxos_liveness", "teaching/paxos-basic.yaml", 1, "teaching/paxos-dueling-proposers.yaml", 1},
      {"multipaxos_liveness", "teaching/multipaxos-leader-crash.yaml", 1, "bugs/multipaxos-drop-requests.yaml", 1},
      {"mutual_exclusion", "teaching/lock-gc-pause-fenced.yaml", 1, "bugs/lock-volatile-lock.yaml", 1},
      {"lock_liveness", "teaching/lock-gc-pause-fenced.yaml", 1, "bugs/lock-never-expire.yaml", 1},
      {"mapreduce_result", "teaching/mapreduce-worker-crash.yaml", 1, "bugs/mapreduce-non-atomic-commit.yaml", 1},
      {"mapreduce_liveness", "teaching/mapreduce-worker-crash.yaml", 1, "bugs/mapreduce-never-reassign.yaml", 1},
      {"discovery_safety", "teaching/discovery-partitions.yaml", 1, "bugs/discovery-keep-ephemerals.yaml", 1},
      {"discovery_liveness", "teaching/discovery-partitions.yaml", 1, "bugs/discovery-keep-ephemerals-liveness.yaml", 1},
      {"no_duplicate_delivery", "teaching/broadcast-lossy.yaml", 1, "bugs/broadcast-volatile-dedup.yaml", 7},
      {"all_delivered", "teaching/broadcast-lossy.yaml", 1, "bugs/broadcast-no-retransmit.yaml", 7},
      {"linearizable", "teaching/cap-cp.yaml", 1, "bugs/raft-stale-reads.yaml", 1},
      {"acked_durable", "teaching/kafka-acks-all-leader-crash.yaml", 1, "teaching/kafka-acks1-leader-crash.yaml", 1},
      {"consumer_offsets", "teaching/kafka-acks-all-leader-crash.yaml", 1, "bugs/kafka-fetch-beyond-hw.yaml", 1},
      {"replica_prefix", "teaching/kafka-acks-all-leader-crash.yaml", 1, "bugs/kafka-hw-uses-max.yaml", 1},
      {"maelstrom", "../examples/maelstrom/scenarios/maelstrom-kafka.yaml", 1,
       "../examples/maelstrom/scenarios/maelstrom-kafka-lost-write.yaml", 1, true},
  };
  return kRows;
}

const Row* row_of(std::string_view name) {
  for (const Row& r : table()) {
    if (name == r.checker) return &r;
  }
  return nullptr;
}

analysis::Status status_in(const scenario::RunReport& r, std::string_view checker) {
  for (const auto& c : r.checks) {
    if (c.name == checker) return c.status;
  }
  FAIL("the scenario does not run ", std::string(checker));
  return analysis::Status::kInconclusive;
}

std::string note_in(const scenario::RunReport& r, std::string_view checker) {
  for (const auto& c : r.checks) {
    if (c.name == checker) return c.note + (c.violation ? c.violation->message : "");
  }
  return {};
}

TEST_CASE("every checker the registry knows has a row in the evidence table") {
  for (const auto& l : testing::registry().all_checkers()) {
    CAPTURE(l.info.name);
    CHECK(row_of(l.info.name) != nullptr);
    CHECK_FALSE(l.info.evidence.empty());  // it states the least it needs to hold
  }
  CHECK(table().size() == testing::registry().all_checkers().size());
}

TEST_CASE("every checker holds on a correct run, flags a planted bug, and does not pass on nothing") {
  for (const auto& l : testing::registry().all_checkers()) {
    const Row* row = row_of(l.info.name);
    if (!row) continue;  // the test above fails
    const std::string name(l.info.name);
    SUBCASE(name.c_str()) {
      const SourceRootCwd cwd(row->from_source_root);
      {
        INFO("passes: ", row->pass, " seed ", row->pass_seed);
        const auto s = testing::load_catalogue(std::string("scenarios/") + row->pass);
        scenario::RunOptions opt;
        opt.seed = row->pass_seed;
        opt.fingerprint = false;
        const auto r = scenario::run_scenario(s, opt);
        CAPTURE(note_in(r, name));
        CHECK(status_in(r, name) == analysis::Status::kHeld);
      }
      {
        INFO("flags: ", row->fail, " seed ", row->fail_seed);
        const auto s = testing::load_catalogue(std::string("scenarios/") + row->fail);
        CHECK(s.seed == row->fail_seed);
        CHECK(std::find(s.expect_violated.begin(), s.expect_violated.end(), name) != s.expect_violated.end());
        scenario::RunOptions opt;
        opt.seed = row->fail_seed;
        opt.fingerprint = false;
        const auto r = scenario::run_scenario(s, opt);
        CAPTURE(note_in(r, name));
        CHECK(status_in(r, name) == analysis::Status::kViolated);
      }
      {
        INFO("vacuous: a trace of start and end events only");
        analysis::CheckSpec spec;
        spec.name = name;
        spec.within_ns = l.info.takes_within() ? 1'000'000'000 : 0;
        auto checker = testing::registry().make_checker(spec, l.protocols.front());
        REQUIRE(checker);
        for (const char* n : {"n1", "n2", "n3"}) checker->consume(testing::event(0, n, "start"));
        checker->consume(testing::event(60'000'000'000, "*", "end"));
        const auto r = checker->finish();
        CAPTURE(r.note);
        CHECK(r.status != analysis::Status::kHeld);
      }
    }
  }
}

// A Raft "implementation" that does nothing: n1 says once that it leads
// term 1, and every message, timer and client write is ignored.
struct DoNothing final : Node {
  void on_start(Context& ctx) override {
    if (ctx.self().value == 0) ctx.emit("role", {{"role", std::string_view("leader")}, {"term", int64_t{1}}});
  }
  void on_recover(Context&) override {}
  void on_message(Context&, NodeId, const Message&) override {}
  void on_timer(Context&, TimerId, uint64_t) override {}
};

TEST_CASE("a do-nothing Raft node passes no teaching Raft scenario") {
  std::vector<std::string> files;
  for (const auto& f : std::filesystem::directory_iterator(std::string(DSIM_SOURCE_DIR) + "/scenarios/teaching")) {
    const std::string stem = f.path().filename().string();
    if (stem.rfind("raft-", 0) == 0 && f.path().extension() == ".yaml") files.push_back("scenarios/teaching/" + stem);
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 4);
  for (const std::string& file : files) {
    CAPTURE(file);
    const auto s = testing::load_catalogue(file);
    scenario::RunOptions opt;
    opt.seed = 1;
    opt.fingerprint = false;
    opt.node_factory = [](NodeId) { return std::make_unique<DoNothing>(); };
    const auto r = scenario::run_scenario(s, opt);
    CHECK_FALSE(r.as_expected);
    size_t held = 0;
    for (const auto& c : r.checks) {
      CAPTURE(c.name);
      CAPTURE(c.note);
      if (c.status == analysis::Status::kHeld) ++held;
      // The harness submitted requests and none was ever answered.
      if (c.name == "raft_liveness") CHECK(c.status == analysis::Status::kViolated);
    }
    CHECK(held < r.checks.size());
  }
}

}  // namespace
}  // namespace dsim
