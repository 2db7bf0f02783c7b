// Scripted schedules and explore sections: what the loader refuses (with
// file:line:col and the nearest valid name), what the writer writes back,
// replaying a schedule with `dsim run`'s runner, and shrinking one.
#include <doctest/doctest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "registry.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/shrink.h"
#include "sim/scenario/writer.h"

using namespace dsim;
using namespace dsim::scenario;

namespace {

// Five lines of YAML shared by the cases below; what a case adds starts at
// line kBaseLines + 1.
constexpr const char* kBase =
    "version: 1\n"
    "name: sched\n"
    "protocol: broadcast\n"
    "duration: 3s\n"
    "nodes: 3\n";
constexpr int kBaseLines = 5;

// A planted-bug broadcast, replayed: n1's only broadcast reaches n2 and is
// lost on its way to n3, and nothing retransmits it.
constexpr const char* kDropped =
    "version: 1\n"
    "name: broadcast-schedule-drop\n"
    "protocol: broadcast\n"
    "duration: 3s\n"
    "nodes: 3\n"
    "broadcast: {bug: no_retransmit}\n"
    "workload: {broadcasts: 1, from: [n1]}\n"
    "checks: [no_duplicate_delivery, {name: all_delivered, within: 1s}]\n"
    "schedule:\n"
    "  - {input: n1}\n"
    "  - {deliver: {from: n1, to: n2, nth: 1}}\n"
    "  - {drop: {from: n1, to: n3, nth: 1}}\n"
    "  - {deliver: {from: n2, to: n1, nth: 1}}\n";

std::optional<Scenario> load(const std::string& text, Diagnostics& diag) {
  return load_scenario_text(dsim::testing::registry(), text, "s.yaml", diag);
}

Scenario must_load(const std::string& text) {
  Diagnostics diag;
  auto s = load(text, diag);
  CAPTURE(diag.render(false));
  CAPTURE(text);
  REQUIRE(s.has_value());
  return *s;
}

struct BadCase {
  const char* what;
  std::string yaml;  // appended to kBase
  int line;          // within `yaml`, from 1; the file's line is kBaseLines + line
  int column;
  const char* text;
};

// The first error whose message has `text`, or none.
const Diagnostic* find_error(const Diagnostics& diag, const std::string& text) {
  for (const Diagnostic& d : diag.items()) {
    if (d.message.find(text) != std::string::npos) return &d;
  }
  return nullptr;
}

std::vector<ScheduleStep> without_lines(std::vector<ScheduleStep> steps) {
  for (auto& s : steps) s.line = 0;
  return steps;
}

}  // namespace

TEST_CASE("schedule: a valid schedule loads step by step") {
  const Scenario s = must_load(std::string(kBase) +
                               "workload: {broadcasts: 2, from: [n1]}\n"
                               "schedule:\n"
                               "  - {input: n1}\n"
                               "  - {deliver: {from: n1, to: n2, nth: 3}}\n"
                               "  - {drop: {from: n1, to: n3, nth: 1}}\n"
                               "  - {duplicate: {from: n2, to: n1, nth: 2}}\n"
                               "  - {timer: n2, tag: 1}\n"
                               "  - {crash: n3, lose_unsynced: true}\n"
                               "  - {restart: n3}\n");
  using K = ScheduleStep::Kind;
  REQUIRE(s.schedule.size() == 7);
  CHECK(s.schedule[0].kind == K::kInput);
  CHECK(s.schedule[0].node == NodeId{0});
  CHECK(s.schedule[0].line == kBaseLines + 3);
  CHECK(s.schedule[1].kind == K::kDeliver);
  CHECK(s.schedule[1].node == NodeId{0});
  CHECK(s.schedule[1].to == NodeId{1});
  CHECK(s.schedule[1].nth == 3);
  CHECK(s.schedule[2].kind == K::kDrop);
  CHECK(s.schedule[2].to == NodeId{2});
  CHECK(s.schedule[3].kind == K::kDuplicate);
  CHECK(s.schedule[3].node == NodeId{1});
  CHECK(s.schedule[3].nth == 2);
  CHECK(s.schedule[4].kind == K::kTimer);
  CHECK(s.schedule[4].tag == 1);
  CHECK(s.schedule[5].kind == K::kCrash);
  CHECK(s.schedule[5].lose_unsynced);
  CHECK(s.schedule[6].kind == K::kRestart);
  CHECK_FALSE(s.schedule[6].lose_unsynced);
  CHECK_FALSE(s.explore.has_value());
}

TEST_CASE("explore: a valid section loads") {
  const Scenario s = must_load(std::string(kBase) +
                               "workload: {broadcasts: 4, from: [n1]}\n"
                               "explore:\n"
                               "  strategy: dfs\n"
                               "  max_depth: 12\n"
                               "  max_states: 1000\n"
                               "  max_time: 90s\n"
                               "  crashes: 1\n"
                               "  restarts: 1\n"
                               "  lose_unsynced: true\n"
                               "  drops: 2\n"
                               "  duplicates: 3\n"
                               "  fifo: true\n"
                               "  goals: [{kind: bdeliver, where: {origin: n1, seq: 1}, at_least: 2}, {kind: bcast}]\n"
                               "  prune: [{kind: bcast, more_than: 3}]\n");
  REQUIRE(s.explore.has_value());
  const ExploreSpec& e = *s.explore;
  CHECK(e.strategy == ExploreSpec::Strategy::kDfs);
  CHECK(e.max_depth == 12);
  CHECK(e.max_states == 1000);
  REQUIRE(e.max_time.has_value());
  CHECK(*e.max_time == seconds(90));
  CHECK(e.crashes == 1);
  CHECK(e.restarts == 1);
  CHECK(e.lose_unsynced);
  CHECK(e.drops == 2);
  CHECK(e.duplicates == 3);
  CHECK(e.fifo);
  CHECK_FALSE(e.inputs.has_value());  // the workload's count
  REQUIRE(e.goals.size() == 2);
  CHECK(e.goals[0].first.kind == "bdeliver");
  CHECK(e.goals[0].first.where == std::vector<std::pair<std::string, std::string>>{{"origin", "n1"}, {"seq", "1"}});
  CHECK(e.goals[0].second == 2);
  CHECK(e.goals[1].second == 1);  // at_least defaults to 1
  REQUIRE(e.prunes.size() == 1);
  CHECK(e.prunes[0].second == 3);
  CHECK(s.schedule.empty());

  const Scenario d = must_load(std::string(kBase) + "workload: {broadcasts: 4, from: [n1]}\nexplore: {inputs: 1}\n");
  REQUIRE(d.explore.has_value());
  CHECK(d.explore->inputs == std::optional<uint32_t>(1));
  CHECK(d.explore->strategy == ExploreSpec::Strategy::kBfs);
  CHECK(d.explore->max_depth == 30);
  CHECK_FALSE(d.explore->max_time.has_value());
  CHECK_FALSE(d.explore->fifo);
}

TEST_CASE("schedule and explore: bad input is an error at its line and column, naming the nearest valid name") {
  const std::vector<BadCase> cases = {
      {"schedule with nemesis", "nemesis: {faults: [crash], until: 2s}\nschedule:\n  - {input: n1}\n", 2, 1,
       "'schedule' cannot be combined with 'nemesis' (line 6)"},
      {"schedule with faults", "faults: [{at: 1s, crash: n1}]\nschedule:\n  - {crash: n1}\n", 2, 1,
       "'schedule' cannot be combined with 'faults'"},
      {"schedule with explore", "schedule:\n  - {crash: n1}\nexplore: {crashes: 1}\n", 1, 1,
       "'schedule' cannot be combined with 'explore'"},
      {"explore with nemesis", "nemesis: {faults: [crash], until: 2s}\nexplore: {crashes: 1}\n", 2, 1,
       "'explore' cannot be combined with 'nemesis'"},
      {"explore with faults", "faults: [{at: 1s, crash: n1}]\nexplore: {crashes: 1}\n", 2, 1,
       "'explore' cannot be combined with 'faults'"},
      {"not a list", "schedule: {crash: n1}\n", 1, 11, "expected a list of steps for 'schedule'"},
      {"empty", "schedule: []\n", 1, 11, "'schedule' lists no steps"},
      {"misspelt action", "schedule:\n  - {delivr: {from: n1, to: n2, nth: 1}}\n", 2, 6,
       "unknown key 'delivr' in 'schedule[0]'; did you mean 'deliver'?"},
      {"no action", "schedule:\n  - {tag: 1}\n", 2, 5, "'schedule[0]' has no action"},
      {"two actions", "schedule:\n  - {crash: n1, restart: n1}\n", 2, 26, "has two actions, 'crash' and 'restart'"},
      {"unknown node", "schedule:\n  - {timer: n4, tag: 1}\n", 2, 13, "unknown node 'n4' in 'schedule[0].timer'; did you mean"},
      {"unknown node in a message", "schedule:\n  - {deliver: {from: n1, to: m2, nth: 1}}\n", 2, 30,
       "unknown node 'm2' in 'schedule[0].deliver.to'; did you mean 'n2'?"},
      {"message key", "schedule:\n  - {drop: {from: n1, too: n2, nth: 1}}\n", 2, 23,
       "unknown key 'too' in 'schedule[0].drop'; did you mean 'to'?"},
      {"message missing nth", "schedule:\n  - {drop: {from: n1, to: n2}}\n", 2, 12,
       "missing required key 'nth' in 'schedule[0].drop'"},
      {"nth from 1", "schedule:\n  - {duplicate: {from: n1, to: n2, nth: 0}}\n", 2, 41,
       "'schedule[0].duplicate.nth' is 0, expected a value in [1, "},
      {"nth quoted", "schedule:\n  - {deliver: {from: n1, to: n2, nth: \"1\"}}\n", 2, 39,
       "expected an integer for 'schedule[0].deliver.nth', got the quoted string"},
      {"message not a map", "schedule:\n  - {deliver: n1}\n", 2, 15, "must be {from: A, to: B, nth: N}"},
      {"timer without tag", "schedule:\n  - {timer: n1}\n", 2, 5, "missing required key 'tag' in 'schedule[0]'"},
      {"tag on a crash", "schedule:\n  - {crash: n1, tag: 1}\n", 2, 22, "'tag' applies to a timer step, not to crash"},
      {"lose_unsynced on a restart", "schedule:\n  - {restart: n1, lose_unsynced: true}\n", 2, 34,
       "'lose_unsynced' applies to a crash step, not to restart"},
      {"lose_unsynced not a boolean", "schedule:\n  - {crash: n1, lose_unsynced: yes}\n", 2, 32,
       "expected true or false for 'schedule[0].lose_unsynced'"},
      {"step not a map", "schedule:\n  - crash n1\n", 2, 5, "expected a mapping for 'schedule[0]'"},
      {"inputs beyond the workload", "workload: {broadcasts: 1, from: [n1]}\nschedule:\n  - {input: n1}\n  - {input: n2}\n", 4,
       5, "'schedule[1]' gives workload input 2, and the workload has 1 (workload.broadcasts)"},
      {"explore unknown key", "explore: {max_dept: 3}\n", 1, 11,
       "unknown key 'max_dept' in 'explore'; did you mean 'max_depth'?"},
      {"explore strategy", "explore: {strategy: bsf}\n", 1, 21, "unknown strategy 'bsf' in 'explore.strategy'; did you mean 'bfs'?"},
      {"explore depth", "explore: {max_depth: 0}\n", 1, 22, "'explore.max_depth' is 0, expected a value in [1, "},
      {"explore negative budget", "explore: {crashes: -1}\n", 1, 20, "invalid integer \"-1\" for 'explore.crashes': must not be negative"},
      {"explore max_time", "explore: {max_time: 0}\n", 1, 21, "'explore.max_time' must be positive"},
      {"explore lose_unsynced without crashes", "explore: {lose_unsynced: true}\n", 1, 26,
       "'explore.lose_unsynced' applies to crashes, and 'explore.crashes' is 0"},
      {"explore goals not a list", "explore: {goals: {kind: bcast}}\n", 1, 18, "expected a list for 'explore.goals'"},
      {"explore goal kind", "explore: {goals: [{kind: bdelivr}]}\n", 1, 26,
       "unknown event kind 'bdelivr' in 'explore.goals[0].kind'; did you mean 'bdeliver'?"},
      {"explore goal field", "explore: {goals: [{kind: bdeliver, where: {sq: 1}}]}\n", 1, 44,
       "event 'bdeliver' has no field 'sq'; did you mean 'seq'?"},
      {"explore goal field type", "explore: {goals: [{kind: bdeliver, where: {seq: one}}]}\n", 1, 49,
       "invalid integer \"one\" for 'explore.goals[0].where.seq'"},
      {"explore goal at_least", "explore: {goals: [{kind: bcast, at_least: 0}]}\n", 1, 43,
       "'explore.goals[0].at_least' is 0"},
      {"explore goal key", "explore: {goals: [{kind: bcast, more_than: 1}]}\n", 1, 33,
       "unknown key 'more_than' in 'explore.goals[0]'"},
      {"explore prune without bound", "explore: {prune: [{kind: bcast}]}\n", 1, 19,
       "missing required key 'more_than' in 'explore.prune[0]'"},
      {"explore inputs", "explore: {inputs: x}\n", 1, 19, "invalid integer \"x\" for 'explore.inputs'"},
      {"explore fifo", "explore: {fifo: 1}\n", 1, 17, "expected true or false for 'explore.fifo'"},
  };
  for (const BadCase& c : cases) {
    const std::string what = c.what;
    CAPTURE(what);
    Diagnostics diag;
    const std::string text = std::string(kBase) + c.yaml;
    CAPTURE(text);
    const auto s = load(text, diag);
    CHECK_FALSE(s.has_value());
    const Diagnostic* d = find_error(diag, c.text);
    CAPTURE(diag.render(false));
    REQUIRE(d != nullptr);
    CHECK(d->line == kBaseLines + c.line);
    CHECK(d->column == c.column);
  }
}

TEST_CASE("schedule: clients are refused with a schedule and with explore") {
  const std::string raft = "version: 1\nname: r\nprotocol: raft\nduration: 3s\nnodes: 3\nclients: {count: 1}\n";
  for (const char* section : {"schedule:\n  - {timer: n1, tag: 1}\n", "explore: {crashes: 1}\n"}) {
    Diagnostics diag;
    CHECK_FALSE(load(raft + section, diag).has_value());
    const Diagnostic* d = find_error(diag, "cannot be combined with 'clients' (line 6)");
    CAPTURE(diag.render(false));
    REQUIRE(d != nullptr);
    CHECK(d->line == 7);
    CHECK(d->column == 1);
  }
}

TEST_CASE("schedule: the run must last past the last step, and the error says how long") {
  Diagnostics diag;
  const std::string text =
      "version: 1\nname: s\nprotocol: broadcast\nduration: 3ms\nnodes: 3\n"
      "schedule:\n  - {crash: n1}\n  - {restart: n1}\n  - {crash: n2}\n";
  CHECK_FALSE(load(text, diag).has_value());
  const Diagnostic* d = find_error(diag, "'duration' is 3ms, too short for the schedule's 3 steps");
  CAPTURE(diag.render(false));
  REQUIRE(d != nullptr);
  CHECK(d->line == 4);
  CHECK(d->column == 11);
  CHECK(d->message.find("at least 4ms") != std::string::npos);
  // Exactly steps + 1 ms is enough.
  std::string ok = text;
  ok.replace(ok.find("3ms"), 3, "4ms");
  CHECK(must_load(ok).schedule.size() == 3);
}

TEST_CASE("schedule: a protocol without workload inputs refuses input steps and explore.inputs") {
  // Paxos proposes by itself: it has no workload.
  const std::string paxos = "version: 1\nname: p\nprotocol: paxos\nduration: 3s\nnodes: 3\n";
  Diagnostics diag;
  CHECK_FALSE(load(paxos + "schedule:\n  - {input: n1}\n", diag).has_value());
  CHECK(find_error(diag, "gives a workload input, and protocol paxos takes none") != nullptr);
  Diagnostics diag2;
  CHECK_FALSE(load(paxos + "explore: {inputs: 1}\n", diag2).has_value());
  CHECK(find_error(diag2, "'explore.inputs': protocol paxos takes no workload inputs") != nullptr);
}

TEST_CASE("writer: a schedule and an explore section write back as YAML that loads equal") {
  const Scenario s = must_load(std::string(kBase) +
                               "workload: {broadcasts: 2, from: [n1]}\n"
                               "schedule:\n"
                               "  - {input: n1}\n"
                               "  - {deliver: {from: n1, to: n2, nth: 3}}\n"
                               "  - {drop: {from: n1, to: n3, nth: 1}}\n"
                               "  - {duplicate: {from: n2, to: n1, nth: 2}}\n"
                               "  - {timer: n2, tag: 18446744073}\n"
                               "  - {crash: n3, lose_unsynced: true}\n"
                               "  - {crash: n2}\n"
                               "  - {restart: n3}\n");
  const std::vector<std::string> notes = {"", "data #1\nsecond line", "", "ack"};
  const std::string yaml = scenario_to_yaml(s, "", notes);
  CAPTURE(yaml);
  // One step per line, flow style, with its note as a comment.
  // The longest step is the duplicate: notes start two columns after it.
  CHECK(yaml.find("schedule:\n  - {input: n1}\n  - {deliver: {from: n1, to: n2, nth: 3}}    # data #1 second line\n") !=
        std::string::npos);
  CHECK(yaml.find("  - {duplicate: {from: n2, to: n1, nth: 2}}  # ack\n") != std::string::npos);
  CHECK(yaml.find("  - {crash: n3, lose_unsynced: true}\n  - {crash: n2}\n") != std::string::npos);
  const Scenario back = must_load(yaml);
  CHECK(without_lines(back.schedule) == without_lines(s.schedule));
  CHECK(scenario_to_yaml(back) == scenario_to_yaml(s));

  const Scenario e = must_load(std::string(kBase) +
                               "workload: {broadcasts: 4, from: [n1]}\n"
                               "explore:\n"
                               "  strategy: dfs\n"
                               "  max_time: 90s\n"
                               "  crashes: 2\n"
                               "  lose_unsynced: true\n"
                               "  drops: 1\n"
                               "  fifo: true\n"
                               "  inputs: 3\n"
                               "  goals: [{kind: bdeliver, where: {origin: \"n1\", seq: -7}, at_least: 2}]\n"
                               "  prune: [{kind: bcast, where: {payload: 10}, more_than: 0}]\n");
  const std::string ey = scenario_to_yaml(e);
  CAPTURE(ey);
  const Scenario eback = must_load(ey);
  REQUIRE(eback.explore.has_value());
  const ExploreSpec& a = *e.explore;
  const ExploreSpec& b = *eback.explore;
  CHECK(a.strategy == b.strategy);
  CHECK(a.max_depth == b.max_depth);
  CHECK(a.max_states == b.max_states);
  CHECK(a.max_time == b.max_time);
  CHECK(b.crashes == 2);
  CHECK(b.restarts == 0);
  CHECK(b.lose_unsynced);
  CHECK(b.drops == 1);
  CHECK(b.duplicates == 0);
  CHECK(b.fifo);
  CHECK(b.inputs == std::optional<uint32_t>(3));
  REQUIRE(b.goals.size() == 1);
  CHECK(b.goals[0].first.where == a.goals[0].first.where);
  CHECK(b.goals[0].first.where[1].second == "-7");
  CHECK(b.goals[0].second == 2);
  REQUIRE(b.prunes.size() == 1);
  CHECK(b.prunes[0].first.where[0].second == "10");  // an integer field, read as one
  CHECK(b.prunes[0].second == 0);
  CHECK(scenario_to_yaml(eback) == ey);  // a fixed point
}

// ---- Replay

namespace {

RunReport replay(const Scenario& s, uint64_t seed, std::optional<Duration> until = std::nullopt) {
  RunOptions opt;
  opt.seed = seed;
  opt.until = until;
  return run_scenario(s, opt);
}

const analysis::CheckResult& result_of(const RunReport& r, const std::string& name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return c;
  }
  FAIL("no result for " << name);
  return r.checks.front();
}

}  // namespace

TEST_CASE("schedule replay: the steps happen one per millisecond, and the checks judge them") {
  const Scenario s = must_load(kDropped);
  const RunReport r = replay(s, 5);
  CAPTURE(r.schedule_error);
  REQUIRE(r.schedule_error.empty());
  CHECK(r.node_failure.empty());
  CHECK(r.end == Time{0} + seconds(3));
  CHECK(r.counters.events == 4);  // one per step
  CHECK(r.counters.sent == 3);     // n1's data to n2 and n3, n2's ack
  CHECK(r.counters.dropped == 1);
  CHECK(result_of(r, "no_duplicate_delivery").status == analysis::Status::kHeld);
  const auto& lost = result_of(r, "all_delivered");
  CHECK(lost.status == analysis::Status::kViolated);
  REQUIRE(lost.violation.has_value());
  CHECK(lost.violation->message.find("not delivered to n3") != std::string::npos);
  CHECK(r.as_expected == false);  // kDropped expects nothing
  CHECK(r.violated == std::vector<std::string>{"all_delivered"});

  // The same scenario with the message delivered instead: nothing is lost.
  std::string fixed = kDropped;
  fixed.replace(fixed.find("{drop: {from: n1, to: n3"), 6, "{deliver:");
  const RunReport ok = replay(must_load(fixed), 5);
  REQUIRE(ok.schedule_error.empty());
  CHECK(ok.counters.dropped == 0);
  CHECK(result_of(ok, "all_delivered").status == analysis::Status::kHeld);
}

TEST_CASE("schedule replay: same scenario and seed, the same trace byte for byte") {
  // Raft draws its election timeouts from the node's stream: the seed matters.
  const Scenario s = must_load(
      "version: 1\nname: raft-schedule-election\nprotocol: raft\nduration: 20ms\nnodes: 3\n"
      "checks: [election_safety, log_matching]\n"
      "schedule:\n"
      "  - {timer: n1, tag: 1}\n"
      "  - {deliver: {from: n1, to: n2, nth: 1}}\n"
      "  - {deliver: {from: n2, to: n1, nth: 1}}\n"
      "  - {timer: n1, tag: 2}\n"
      "  - {deliver: {from: n1, to: n3, nth: 2}}\n");
  const RunReport a = replay(s, 11), b = replay(s, 11);
  REQUIRE(a.schedule_error.empty());
  CHECK(a.trace_sha256.size() == 64);
  CHECK(a.trace_sha256 == b.trace_sha256);
  CHECK(a.trace_lines == b.trace_lines);
  CHECK(a.counters.events == 5);
  CHECK(result_of(a, "election_safety").status == analysis::Status::kHeld);
  // Another seed: other election timeouts in the nodes' state, another trace.
  CHECK(replay(s, 12).trace_sha256 != a.trace_sha256);
}

TEST_CASE("schedule replay: a step that cannot happen is an error naming its line, and no trace is kept") {
  std::string text = kDropped;
  text.replace(text.find("to: n3, nth: 1"), 14, "to: n3, nth: 2");
  const Scenario s = must_load(text);
  const std::string trace = (std::filesystem::temp_directory_path() / "dsim-schedule-test-bad.jsonl").string();
  std::filesystem::remove(trace);
  RunOptions opt;
  opt.seed = 1;
  opt.trace_path = trace;
  const RunReport r = run_scenario(s, opt);
  CHECK(r.schedule_error ==
        "s.yaml:12: schedule step 3 ({drop: {from: n1, to: n3, nth: 2}}): no message n1 -> n3 #2 in flight");
  CHECK(r.checks.empty());
  CHECK_FALSE(r.as_expected);
  CHECK_FALSE(r.violations_as_expected);
  CHECK_FALSE(std::filesystem::exists(trace));

  // A node that is down cannot take a message, nor crash again.
  const Scenario down = must_load(std::string(kBase) +
                                  "workload: {broadcasts: 1, from: [n1]}\n"
                                  "schedule:\n"
                                  "  - {input: n1}\n"
                                  "  - {crash: n2}\n"
                                  "  - {crash: n2}\n");
  const RunReport d = replay(down, 1);
  CHECK(d.schedule_error.find("s.yaml:10: schedule step 3 ({crash: n2}): ") == 0);
  CHECK(d.schedule_error.find("already down") != std::string::npos);
}

TEST_CASE("schedule replay: --until ends the run before the later steps") {
  const Scenario s = must_load(kDropped);
  const RunReport r = replay(s, 1, milliseconds(2));
  REQUIRE(r.schedule_error.empty());
  CHECK(r.end == Time{0} + milliseconds(2));
  CHECK(r.counters.events == 2);
  CHECK(r.counters.dropped == 0);
}

// ---- Shrink

TEST_CASE("shrink: a schedule loses every step the violation does not need, and each kept step still happens") {
  // n1's broadcast never reaches n3: its copy is dropped, and the run ends
  // with nothing left to happen. The crash and restart of n2 are noise.
  const Scenario s = must_load(
      "version: 1\nname: broadcast-schedule-padded\nprotocol: broadcast\nduration: 3s\nnodes: 3\n"
      "broadcast: {bug: no_retransmit}\n"
      "workload: {broadcasts: 1, from: [n1]}\n"
      "checks: [no_duplicate_delivery, {name: all_delivered, within: 1s}]\n"
      "expect: {violated: [all_delivered]}\n"
      "schedule:\n"
      "  - {input: n1}\n"
      "  - {deliver: {from: n1, to: n2, nth: 1}}\n"
      "  - {deliver: {from: n2, to: n1, nth: 1}}\n"
      "  - {drop: {from: n1, to: n3, nth: 1}}\n"
      "  - {crash: n2}\n"
      "  - {restart: n2}\n");
  REQUIRE(replay(s, 4).as_expected);
  std::string error;
  const auto r = shrink(dsim::testing::registry(), s, 4, "", &error);
  REQUIRE_MESSAGE(r.has_value(), error);
  CHECK(r->check == "all_delivered");
  CHECK(r->steps_before == 6);
  // A message left in flight is not a lost one (the run would simply stop
  // with it there, judged at once): the drop and the deliveries that empty
  // the network stay; the restart goes.
  CHECK(r->steps_after == 5);
  bool dropped = false, restarted = false;
  for (const ScheduleStep& st : r->scenario.schedule) {
    dropped = dropped || st.kind == ScheduleStep::Kind::kDrop;
    restarted = restarted || st.kind == ScheduleStep::Kind::kRestart;
  }
  CHECK(dropped);
  CHECK_FALSE(restarted);
  // Written and read back, it replays to the same violation.
  const Scenario back = must_load(scenario_to_yaml(r->scenario));
  const RunReport again = replay(back, *back.seed);
  REQUIRE(again.schedule_error.empty());
  CHECK(result_of(again, "all_delivered").status == analysis::Status::kViolated);
}

TEST_CASE("schedule: a run that stops with a message in flight convicts no one of losing it") {
  const Scenario s = must_load(
      "version: 1\nname: cut\nprotocol: broadcast\nduration: 3s\nnodes: 3\n"
      "broadcast: {bug: no_retransmit}\n"
      "workload: {broadcasts: 1, from: [n1]}\n"
      "checks: [{name: all_delivered, within: 1s}]\n"
      "schedule:\n"
      "  - {input: n1}\n"
      "  - {deliver: {from: n1, to: n2, nth: 1}}\n");
  const RunReport r = replay(s, 1);
  REQUIRE(r.schedule_error.empty());
  CHECK(result_of(r, "all_delivered").status == analysis::Status::kInconclusive);
  CHECK(r.end == Time{0} + Duration{3'000'000});  // right after its 2 steps, not at its 3s duration
}

TEST_CASE("shrink: a schedule whose step cannot happen is refused as bad input") {
  std::string text = kDropped;
  text.replace(text.find("{input: n1}"), 11, "{input: n2}");  // n2's data is not what the later steps name
  const Scenario s = must_load(text);
  std::string error;
  bool bad = false;
  CHECK_FALSE(shrink(dsim::testing::registry(), s, 1, "", &error, &bad).has_value());
  CHECK(bad);
  CHECK(error.find("s.yaml:11: schedule step 2 ") == 0);
}

namespace {

// Sets a timer at start; firing it breaks the node's own rule.
class FailsOnTimer final : public Node {
 public:
  void on_start(Context& ctx) override { ctx.set_timer(milliseconds(5), 7); }
  void on_message(Context&, NodeId, const Message&) override {}
  void on_timer(Context& ctx, TimerId, uint64_t) override { ctx.fail("the timer broke a rule"); }
};

}  // namespace

TEST_CASE("schedule replay: a node's failure stops the replay and is reported as in a timed run") {
  const Scenario s = must_load(std::string(kBase) +
                               "checks: [no_duplicate_delivery]\n"
                               "schedule:\n"
                               "  - {timer: n2, tag: 7}\n"
                               "  - {timer: n1, tag: 7}\n");
  RunOptions opt;
  opt.seed = 1;
  opt.node_factory = [](NodeId) { return std::make_unique<FailsOnTimer>(); };
  const RunReport r = run_scenario(s, opt);
  CHECK(r.schedule_error.empty());
  CHECK(r.node_failure == "n2 at 1ms: the timer broke a rule");
  CHECK(r.end == Time{0} + milliseconds(1));
  CHECK(r.counters.events == 1);  // the second step never ran
  CHECK_FALSE(r.as_expected);
}
