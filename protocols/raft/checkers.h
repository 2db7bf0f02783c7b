// Raft's safety properties (Raft paper, Figure 3) and a liveness property,
// checked from trace events alone: role, append, truncate, recover, commit,
// apply, client_request, client_response and faults.
//
// election_safety        at most one leader per term
// log_matching           same index and term => identical logs up to there
// leader_completeness    a committed entry is in the log of every later leader
// state_machine_safety   no two nodes apply different commands at one index
// raft_liveness is analysis/leader_liveness.h (shared with Multi-Paxos).
#pragma once
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dsim/checker.h"
#include "dsim/fault_window.h"
#include "analysis/interner.h"

namespace dsim::analysis {

// Each node's log as the trace tells it: per index the entry's term and a
// hash of the whole prefix up to it, so "same prefix" is one comparison.
class RaftLogs {
 public:
  struct Slot {
    int64_t term;
    uint64_t prefix;
  };
  // Returns true when the event changed a log.
  bool consume(const trace::Event& e);
  const std::vector<Slot>& log(const std::string& node) { return logs_[node]; }
  // Every non-empty log, by node name (an empty one and a missing one are
  // the same log).
  void fingerprint(Fingerprint& h) const;

 private:
  std::map<std::string, std::vector<Slot>> logs_;
};

class ElectionSafety final : public CloneableChecker<ElectionSafety> {
 public:
  std::string_view name() const override { return "election_safety"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  std::vector<std::string_view> kinds() const override { return {"role"}; }
  CheckResult finish() override;
  void fingerprint(Fingerprint& h) const override;

 private:
  struct Leader {
    std::string node;
    int64_t t;
  };
  std::map<int64_t, Leader> leaders_;  // term -> first leader
  std::optional<Violation> first_;
};

class LogMatching final : public CloneableChecker<LogMatching> {
 public:
  std::string_view name() const override { return "log_matching"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  std::vector<std::string_view> kinds() const override { return {"append", "truncate", "recover"}; }
  CheckResult finish() override;
  void fingerprint(Fingerprint& h) const override;

 private:
  struct Seen {
    uint64_t prefix;
    std::string node;
    int64_t t;
  };
  RaftLogs logs_;
  std::map<std::pair<int64_t, int64_t>, Seen> first_seen_;  // (index, term)
  std::optional<Violation> first_;
};

class LeaderCompleteness final : public CloneableChecker<LeaderCompleteness> {
 public:
  std::string_view name() const override { return "leader_completeness"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  std::vector<std::string_view> kinds() const override { return {"append", "truncate", "recover", "commit", "role"}; }
  CheckResult finish() override;
  void fingerprint(Fingerprint& h) const override;

 private:
  struct Committed {
    int64_t index = 0;
    RaftLogs::Slot slot{0, 0};
    std::string by;
    int64_t at = 0;
  };
  RaftLogs logs_;
  std::map<std::string, int64_t> term_of_;  // each node's current term, from role events
  // Per term in which commits happened: the highest index committed then
  // (its prefix hash covers every committed entry before it).
  std::map<int64_t, Committed> committed_in_;
  int64_t best_term_ = 0;  // the term whose entry in committed_in_ has the highest index
  std::optional<Violation> first_;
};

// Memory and time per event stay bounded by what must be remembered, not
// by the run's length: commands are kept in full only above a watermark,
// the highest index every live node has applied (at least once); below it
// the checker keeps one hash of the whole prefix. A restarted node applies
// its log again from index 1: above the watermark each entry is compared
// one by one, and its prefix hash is compared when it reaches the
// watermark.
class StateMachineSafety final : public CloneableChecker<StateMachineSafety> {
 public:
  std::string_view name() const override { return "state_machine_safety"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  std::vector<std::string_view> kinds() const override { return {"start", "restart", "crash", "apply"}; }
  CheckResult finish() override;
  void fingerprint(Fingerprint& h) const override;
  // Indexes whose commands are still held (for tests: bounded by how far
  // the slowest live node lags, not by the run's length).
  size_t retained() const { return window_.size(); }

 private:
  struct Slot {
    bool known = false;
    int64_t term = 0;
    uint64_t hash = 0;
    uint32_t node = 0;
    std::string cmd;
  };
  struct NodeState {
    bool up = true;
    int64_t applied = 0;      // last index applied since the node (re)started
    uint64_t prefix = 0;      // hash of what it applied since then
    bool prefix_ok = true;    // it applied 1, 2, ..., applied in order
    int64_t max_applied = 0;  // highest index it ever applied
  };
  NodeState& node(const std::string& name, uint32_t* id);
  void advance_watermark();

  std::map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
  std::vector<NodeState> nodes_;
  bool saw_start_ = false;  // without start events the node set is unknown: keep everything
  int64_t base_ = 0;        // the watermark: window_[0] is index base_ + 1
  uint64_t base_prefix_ = 0;
  bool base_prefix_ok_ = true;
  std::deque<Slot> window_;
  uint64_t applies_ = 0;
  std::optional<Violation> first_;
};

}  // namespace dsim::analysis
