// The Raft checkers judge the same whichever way their events come: alone
// or keeping one RaftLogs between log_matching and leader_completeness
// (trace::SharedState), in either order, fed every event (a file) or only
// the kinds they declare (a live run), as Events or as borrowed views. Run
// on planted bugs and correct runs of the catalogue, and on a hand-built
// install_snapshot whose verdict depends on the logs before it.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analysis/leader_liveness.h"
#include "analysis/offline.h"
#include "catalogue.h"
#include "test_files.h"
#include "protocols/raft/checkers.h"

using namespace dsim;
using dsim::testing::event;

namespace {

struct Recorder : trace::Consumer {
  std::vector<trace::Event> events;
  void consume(const trace::Event& e) override { events.push_back(e); }
};

// Every event a run hands its checkers (numbered as the fan-out numbers
// them), and the run's own verdicts.
std::vector<trace::Event> record(const std::string& rel, uint64_t seed, std::vector<analysis::CheckResult>* live) {
  const scenario::Scenario s = testing::load_catalogue(rel);
  Recorder rec;
  scenario::RunOptions opt;
  opt.seed = seed;
  opt.observers.push_back(&rec);
  auto report = scenario::run_scenario(s, opt);
  *live = report.checks;
  REQUIRE_FALSE(rec.events.empty());
  return rec.events;
}

using Make = std::function<std::unique_ptr<analysis::Checker>()>;

std::string show(const analysis::CheckResult& r) {
  std::string s = std::string(r.name) + " " + analysis::to_string(r.status) + " | " + r.note;
  if (r.violation) s += " | " + std::to_string(r.violation->t_ns) + " " + r.violation->node + ": " + r.violation->message;
  return s;
}

bool declares(const analysis::Checker& c, const std::string& kind) {
  const auto k = c.kinds();
  return k.empty() || std::find(k.begin(), k.end(), kind) != k.end();
}

// The event as the fan-out's view of it: fields borrowed from `e`.
void feed_view(analysis::Checker& c, const trace::Event& e) {
  std::vector<Field> fields;
  for (const auto& [k, v] : e.fields) {
    if (const auto* n = std::get_if<int64_t>(&v)) fields.push_back({k, *n});
    if (const auto* s = std::get_if<std::string>(&v)) fields.push_back({k, std::string_view(*s)});
    if (const auto* b = std::get_if<bool>(&v)) fields.push_back({k, *b});
  }
  c.consume_view(trace::EventView{e.t, e.node, e.kind, fields, e.source, e.seq});
}

enum class Feed { kAllEvents, kDeclaredEvents, kDeclaredViews };

// Feeds `events` to the checkers made by `makes` (sharing state when
// `share`), in that order, and returns their verdicts.
std::vector<std::string> judge(const std::vector<trace::Event>& events, const std::vector<Make>& makes, bool share,
                               Feed feed) {
  std::vector<std::unique_ptr<analysis::Checker>> cs;
  trace::SharedState shared;
  for (const Make& m : makes) {
    cs.push_back(m());
    if (share) cs.back()->share(shared);
  }
  for (const trace::Event& e : events) {
    for (auto& c : cs) {
      if (feed == Feed::kAllEvents) {
        c->consume(e);
      } else if (declares(*c, e.kind)) {
        if (feed == Feed::kDeclaredViews && c->takes_views()) {
          feed_view(*c, e);
        } else {
          c->consume(e);
        }
      }
    }
  }
  std::vector<std::string> out;
  for (auto& c : cs) out.push_back(show(c->finish()));
  return out;
}

const Make kLogMatching = [] { return std::make_unique<analysis::LogMatching>(); };
const Make kLeaderCompleteness = [] { return std::make_unique<analysis::LeaderCompleteness>(); };
const Make kStateMachine = [] { return std::make_unique<analysis::StateMachineSafety>(); };
const Make kLiveness = [] { return std::make_unique<analysis::LeaderLiveness>("raft_liveness", 2'000'000'000); };

// Every way of feeding gives each checker's verdict alone.
void same_every_way(const std::vector<trace::Event>& events) {
  const std::vector<std::string> alone{judge(events, {kLogMatching}, false, Feed::kAllEvents)[0],
                                       judge(events, {kLeaderCompleteness}, false, Feed::kAllEvents)[0]};
  for (const Feed feed : {Feed::kAllEvents, Feed::kDeclaredEvents, Feed::kDeclaredViews}) {
    CAPTURE(static_cast<int>(feed));
    CHECK(judge(events, {kLogMatching, kLeaderCompleteness}, true, feed) == alone);
    auto reversed = judge(events, {kLeaderCompleteness, kLogMatching}, true, feed);
    std::reverse(reversed.begin(), reversed.end());
    CHECK(reversed == alone);
  }
  for (const Make& m : {kStateMachine, kLiveness}) {
    const auto by_event = judge(events, {m}, false, Feed::kDeclaredEvents);
    CHECK(judge(events, {m}, false, Feed::kDeclaredViews) == by_event);
  }
}

}  // namespace

TEST_CASE("shared RaftLogs: planted bugs are caught, and correct runs held, exactly as by each checker alone") {
  struct Case {
    const char* rel;
    uint64_t seed;
    const char* violated;  // the check the run flags ("" none)
  };
  for (const Case& c : {Case{"scenarios/bugs/raft-skip-prev-check.yaml", 1, "log_matching"},
                        Case{"scenarios/bugs/raft-vote-any-log.yaml", 1, "leader_completeness"},
                        Case{"scenarios/bugs/raft-commit-previous-term.yaml", 1, "leader_completeness"},
                        Case{"scenarios/regression/raft-snapshot-nemesis.yaml", 1, ""},
                        Case{"scenarios/regression/raft-churn.yaml", 3, ""}}) {
    CAPTURE(c.rel);
    std::vector<analysis::CheckResult> live;
    const auto events = record(c.rel, c.seed, &live);
    same_every_way(events);
    // The live run (shared logs, views) said what each checker says alone
    // on the recorded events.
    for (const analysis::CheckResult& r : live) {
      const Make* m = r.name == "log_matching"           ? &kLogMatching
                      : r.name == "leader_completeness"  ? &kLeaderCompleteness
                      : r.name == "state_machine_safety" ? &kStateMachine
                                                         : nullptr;
      if (m) CHECK(show(r) == judge(events, {*m}, false, Feed::kAllEvents)[0]);
    }
    if (*c.violated) {
      const auto it = std::find_if(live.begin(), live.end(), [&](const auto& r) { return r.name == c.violated; });
      REQUIRE(it != live.end());
      CHECK(it->status == analysis::Status::kViolated);
    } else {
      for (const auto& r : live) CHECK(r.status == analysis::Status::kHeld);
    }
  }
}

TEST_CASE("shared RaftLogs: leader_completeness judges an install against the logs before it, whoever applied it") {
  // n1 commits 1..3 of term 1, then installs a snapshot through 2 of term 5,
  // which no node holds: its log becomes the snapshot's. Judged on the log
  // after the install, no node would hold the committed entries and the
  // contradiction would pass; log_matching, fed first, applies the install.
  std::vector<trace::Event> events;
  events.push_back(event(0, "n1", "role", {{"role", std::string("leader")}, {"term", int64_t{1}}}));
  for (int64_t i = 1; i <= 3; ++i) {
    events.push_back(event(i, "n1", "append", {{"index", i}, {"term", int64_t{1}}, {"cmd", "k=" + std::to_string(i)}}));
  }
  events.push_back(event(4, "n1", "commit", {{"index", int64_t{3}}}));
  events.push_back(event(5, "n1", "install_snapshot", {{"index", int64_t{2}}, {"term", int64_t{5}}}));
  for (size_t i = 0; i < events.size(); ++i) events[i].seq = i + 2;  // line numbers after the header
  const auto alone = judge(events, {kLeaderCompleteness}, false, Feed::kAllEvents);
  CHECK(alone[0] ==
        "leader_completeness violated |  | 5 n1: n1 installed a snapshot through index 2 (term 5), but entry 2 (term 1) "
        "is committed (n1 committed through index 3 at 4ns)");
  same_every_way(events);
}

TEST_CASE("shared RaftLogs: a clone keeps its own logs") {
  trace::SharedState shared;
  analysis::LogMatching lm;
  analysis::LeaderCompleteness lc;
  lm.share(shared);
  lc.share(shared);
  auto app = [](uint64_t seq, const std::string& node, int64_t index, int64_t term, const std::string& cmd) {
    auto e = event(static_cast<int64_t>(seq), node, "append", {{"index", index}, {"term", term}, {"cmd", cmd}});
    e.seq = seq;
    return e;
  };
  lm.consume(app(1, "n1", 1, 1, "a"));
  lc.consume(app(1, "n1", 1, 1, "a"));
  auto copy = lm.clone();
  // The original's logs move on; the copy's stay those of a checker that
  // saw only the first append.
  lm.consume(app(2, "n2", 1, 1, "a"));
  lc.consume(app(2, "n2", 1, 1, "a"));
  analysis::LogMatching reference;
  reference.consume(app(1, "n1", 1, 1, "a"));
  auto digest = [](const analysis::Checker& c) {
    Fingerprint h(1);
    c.fingerprint(h);
    return h.value();
  };
  CHECK(digest(*copy) == digest(reference));
  CHECK(digest(lm) != digest(reference));
  // And it goes on alone: its own appends reach only its logs.
  copy->consume(app(3, "n3", 1, 1, "a"));
  reference.consume(app(3, "n3", 1, 1, "a"));
  CHECK(digest(*copy) == digest(reference));
  CHECK(lc.finish().status == analysis::Status::kInconclusive);  // nothing committed
}

TEST_CASE("shared RaftLogs: dsim check on the trace file gives the live run's verdicts, evidence included") {
  const std::string dir = testing::temp_dir("raft-shared");
  for (const char* rel : {"scenarios/bugs/raft-skip-prev-check.yaml", "scenarios/bugs/raft-commit-previous-term.yaml",
                          "scenarios/regression/raft-snapshot-nemesis.yaml"}) {
    CAPTURE(rel);
    const auto s = testing::load_catalogue(rel);
    scenario::RunOptions opt;
    opt.seed = 2;
    opt.trace_path = dir + "/t.jsonl";
    const auto live = scenario::run_scenario(s, opt);
    REQUIRE(live.trace_error.empty());
    const auto offline = analysis::check_trace(testing::registry(), opt.trace_path, std::nullopt);
    REQUIRE(offline.error.empty());
    REQUIRE(offline.checks.size() == live.checks.size());
    for (size_t i = 0; i < live.checks.size(); ++i) CHECK(show(offline.checks[i]) == show(live.checks[i]));
  }
  std::filesystem::remove_all(dir);
}
