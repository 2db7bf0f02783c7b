// Raft's safety properties (Raft paper, Figure 3) and a liveness property,
// checked from trace events alone: role, append, truncate, recover, commit,
// apply, snapshot, install_snapshot, client_request, client_response and
// faults.
//
// Snapshots: the checkers judge each node's logical log. A `snapshot`
// (the node compacted its log into its state machine) changes nothing;
// `install_snapshot {index, term}` gives the node the committed prefix
// through index (its entries after index stay when its own entry at index
// has that term, else they go); `recover {snapshot: s}` restores a state
// machine that applied 1..s, so applies resume at s+1.
//
// Hot path: nodes are small ids (NodeIds), kinds are told apart by
// compile-time-length comparisons and fields are read through FieldRef,
// so an event costs no string search; the verdicts and messages are those
// of a by-name reading, online or offline.
//
// election_safety        at most one leader per term
// log_matching           same index and term => identical logs up to there
// leader_completeness    a committed entry is in the log of every later leader
// state_machine_safety   no two nodes apply different commands at one index
// raft_liveness is analysis/leader_liveness.h (shared with Multi-Paxos).
#pragma once
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsim/assert.h"
#include "dsim/checker.h"
#include "dsim/fault_window.h"
#include "analysis/interner.h"

namespace dsim::analysis {

// The Raft event kinds the checkers read, told apart once per event.
enum class RaftKind : uint8_t {
  kOther,
  kAppend,
  kTruncate,
  kRecover,
  kSnapshot,
  kInstallSnapshot,
  kCommit,
  kApply,
  kRole,
  kStart,
  kRestart,
  kCrash,
};
RaftKind raft_kind(std::string_view kind);

// Each node's log as the trace tells it: per index the entry's term and a
// hash of the whole prefix up to it, so "same prefix" is one comparison.
// A compacted prefix stays (the logical log); memory is 16 bytes per entry
// per node. Nodes are numbered by its own NodeIds.
//
// log_matching and leader_completeness of one run keep one RaftLogs
// between them (trace::SharedState): each hands it the events it reads,
// and a shared one applies each event once, by its number (Event::seq),
// whichever checker comes first. Applying an event changes the logs the
// same way whoever applies it, so each checker judges what it would alone.
class RaftLogs {
 public:
  struct Slot {
    int64_t term;
    uint64_t prefix;
  };
  // e's node, by the ids below. E: trace::Event or trace::EventView (the
  // same answers for both).
  template <class E>
  uint32_t node(const E& e) {
    if (shared_ && e.seq == node_seq_) return node_;
    node_seq_ = e.seq;
    node_ = ids_.id(e);
    return node_;
  }
  // Applies e (of kind k, by `node`). Returns true when the event may have
  // changed `node`'s log (append, truncate, recover, install_snapshot).
  // Shared: an event already applied (the same seq) is not applied again,
  // and the answer is the first one.
  template <class E>
  bool consume(const E& e, RaftKind k, uint32_t node) {
    if (shared_) {
      DSIM_ASSERT(e.seq != 0);  // the feeder numbers events when it shares
      if (e.seq == applied_seq_) return changed_;
      applied_seq_ = e.seq;
    }
    replaced_node_ = UINT32_MAX;
    changed_ = apply(e, k, node);
    return changed_;
  }
  const std::vector<Slot>& log(uint32_t node) const {
    static const std::vector<Slot> kEmpty;
    return node < logs_.size() ? logs_[node] : kEmpty;
  }
  // The log of `node` as it was before the event consume() last applied
  // (which differs from log() only for an install_snapshot that replaced
  // the node's log).
  const std::vector<Slot>& log_before(uint32_t node) const {
    return node == replaced_node_ ? replaced_ : log(node);
  }
  size_t nodes() const { return logs_.size(); }
  NodeIds& ids() { return ids_; }
  const NodeIds& ids() const { return ids_; }
  // From now on, several checkers hand this object the same events.
  // REQUIRES: it has not consumed any yet.
  void share() {
    DSIM_ASSERT(shared_ || (logs_.empty() && ids_.size() == 0));
    shared_ = true;
  }
  // A checker's own copy (a clone for exploration): not shared.
  RaftLogs unshared_copy() const {
    RaftLogs c = *this;
    c.shared_ = false;
    return c;
  }
  // Every non-empty log, by node name (an empty one and a missing one are
  // the same log).
  void fingerprint(Fingerprint& h) const;

 private:
  template <class E>
  bool apply(const E& e, RaftKind k, uint32_t node);
  std::vector<Slot>& mut(uint32_t node) {
    if (node >= logs_.size()) logs_.resize(node + 1);
    return logs_[node];
  }
  NodeIds ids_;
  std::vector<std::vector<Slot>> logs_;  // by node id
  std::vector<Slot> replaced_;           // the log an install_snapshot replaced
  uint32_t replaced_node_ = UINT32_MAX;  // whose (UINT32_MAX: none)
  bool shared_ = false;
  uint64_t applied_seq_ = 0;  // shared: the last event applied, and its answer
  bool changed_ = false;
  uint64_t node_seq_ = UINT64_MAX;  // shared: the last event node() answered, and its node
  uint32_t node_ = 0;
  trace::FieldRef index_{"index"}, term_{"term"}, cmd_{"cmd"}, from_{"from"}, log_len_{"log_len"};
};

// The RaftLogs of a checker: its own, or one kept with the other checkers
// of its run (share()). A copy (clone) gets its own copy of the logs.
class RaftLogsRef {
 public:
  RaftLogsRef() : p_(std::make_shared<RaftLogs>()) {}
  RaftLogsRef(const RaftLogsRef& o) : p_(std::make_shared<RaftLogs>(o.p_->unshared_copy())) {}
  RaftLogsRef& operator=(const RaftLogsRef& o) {
    if (this != &o) p_ = std::make_shared<RaftLogs>(o.p_->unshared_copy());
    return *this;
  }
  // Takes the run's shared logs. REQUIRES: no event consumed yet.
  void share(trace::SharedState& s) {
    DSIM_ASSERT(p_->nodes() == 0 && p_->ids().size() == 0);
    p_ = s.get<RaftLogs>();
    p_->share();
  }
  RaftLogs* operator->() const { return p_.get(); }
  RaftLogs& operator*() const { return *p_; }

 private:
  std::shared_ptr<RaftLogs> p_;
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
    uint32_t node;
    int64_t t;
  };
  NodeIds ids_;
  std::map<int64_t, Leader> leaders_;  // term -> first leader (one per term: bounded by the elections)
  std::optional<Violation> first_;
  trace::FieldRef role_{"role"}, term_{"term"};
};

// Memory: the logs (RaftLogs, kept once with leader_completeness), and per index the first prefix seen with
// each term there (24 bytes per index; an index that saw several terms
// keeps the others in a side map). Forgetting old indexes is not sound:
// any later append of the same (index, term) must still be compared.
class LogMatching final : public CloneableChecker<LogMatching> {
 public:
  std::string_view name() const override { return "log_matching"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override { consume_any(e); }
  bool takes_views() const override { return true; }
  void consume_view(const trace::EventView& v) override { consume_any(v); }
  std::vector<std::string_view> kinds() const override { return {"append", "truncate", "recover", "install_snapshot"}; }
  void share(trace::SharedState& s) override { logs_.share(s); }
  CheckResult finish() override;
  void fingerprint(Fingerprint& h) const override;

 private:
  static constexpr int64_t kNone = INT64_MIN;
  struct Seen {
    int64_t term = kNone;
    uint64_t prefix = 0;
    uint32_t node = 0;
  };
  template <class E>
  void consume_any(const E& e);
  // The first (index, term) pair's record, inserted if new (fresh = true).
  Seen& seen(int64_t index, int64_t term, bool* fresh);
  RaftLogsRef logs_;
  std::vector<Seen> first_term_;                       // by index - 1: the first term seen there
  std::map<std::pair<int64_t, int64_t>, Seen> more_;  // (index, term): any other term at an index
  size_t pairs_ = 0;
  std::optional<Violation> first_;
};

class LeaderCompleteness final : public CloneableChecker<LeaderCompleteness> {
 public:
  std::string_view name() const override { return "leader_completeness"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override { consume_any(e); }
  bool takes_views() const override { return true; }
  void consume_view(const trace::EventView& v) override { consume_any(v); }
  std::vector<std::string_view> kinds() const override {
    return {"append", "truncate", "recover", "install_snapshot", "commit", "role"};
  }
  void share(trace::SharedState& s) override { logs_.share(s); }
  CheckResult finish() override;
  void fingerprint(Fingerprint& h) const override;

 private:
  struct Committed {
    int64_t index = 0;
    RaftLogs::Slot slot{0, 0};
    uint32_t by = 0;
    int64_t at = 0;
  };
  template <class E>
  void consume_any(const E& e);
  template <class E>
  void check_install(const E& e, uint32_t node);
  RaftLogsRef logs_;
  std::vector<int64_t> term_of_;  // each node's current term, from role events, by id
  // Per term in which commits happened: the highest index committed then
  // (its prefix hash covers every committed entry before it).
  std::map<int64_t, Committed> committed_in_;
  int64_t best_term_ = 0;  // the term whose entry in committed_in_ has the highest index
  std::optional<Violation> first_;
  trace::FieldRef index_{"index"}, term_{"term"}, role_{"role"};
};

// Memory and time per event stay bounded by what must be remembered, not
// by the run's length: commands are kept in full only above a watermark,
// the highest index every live node has applied (at least once); below it
// the checker keeps one hash of the whole prefix. A restarted node applies
// its log again from index 1 (or from s+1 after `recover {snapshot: s}`):
// above the watermark each entry is compared one by one, and its prefix
// hash is compared when it reaches the watermark. A node restored from a
// snapshot it took itself resumes with the prefix hash it had then; one
// restored from an installed snapshot is taken to hold the committed
// prefix (its later entries are still compared one by one).
class StateMachineSafety final : public CloneableChecker<StateMachineSafety> {
 public:
  std::string_view name() const override { return "state_machine_safety"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override { consume_any(e); }
  bool takes_views() const override { return true; }
  void consume_view(const trace::EventView& v) override { consume_any(v); }
  std::vector<std::string_view> kinds() const override {
    return {"start", "restart", "crash", "apply", "recover", "snapshot", "install_snapshot"};
  }
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
    bool prefix_ok = true;    // prefix covers 1, 2, ..., applied, in order
    int64_t max_applied = 0;  // highest index it ever applied
    // Its latest snapshot: through which index, and the prefix hash of its
    // state machine then (snap_ok: known).
    int64_t snap_index = 0;
    uint64_t snap_prefix = 0;
    bool snap_ok = false;
  };
  // The slots above the watermark: a ring of reused slots (a slot's
  // command buffer stays for the next index), growing by doubling.
  class Window {
   public:
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    Slot& operator[](size_t i) { return ring_[(head_ + i) & (ring_.size() - 1)]; }
    const Slot& operator[](size_t i) const { return ring_[(head_ + i) & (ring_.size() - 1)]; }
    const Slot& front() const { return (*this)[0]; }
    void pop_front() {
      Slot& s = ring_[head_];
      s.known = false;
      s.cmd.clear();
      head_ = (head_ + 1) & (ring_.size() - 1);
      --size_;
    }
    // Grows to n slots (new ones unknown). REQUIRES: n >= size().
    void grow_to(size_t n);

   private:
    std::vector<Slot> ring_;  // size 0 or a power of two
    size_t head_ = 0;
    size_t size_ = 0;
  };
  template <class E>
  void consume_any(const E& e);
  template <class E>
  NodeState& node(const E& e, uint32_t* id);
  void advance_watermark();    // recomputes the lowest max_applied of the live nodes, then advance_to it
  void advance_to(int64_t w);  // moves the watermark up to w, as far as the window reaches
  void applied_through(NodeState& n, int64_t index);

  NodeIds ids_;
  std::vector<NodeState> nodes_;
  bool saw_start_ = false;  // without start events the node set is unknown: keep everything
  int64_t base_ = 0;        // the watermark: window_[0] is index base_ + 1
  uint64_t base_prefix_ = 0;
  bool base_prefix_ok_ = true;
  Window window_;
  // The lowest max_applied of the live nodes, as advance_watermark last
  // found it (low_ok_: still so; derived state, not fingerprinted).
  int64_t low_ = INT64_MAX;
  bool low_ok_ = false;
  uint64_t applies_ = 0;
  std::optional<Violation> first_;
  trace::FieldRef index_{"index"}, term_{"term"}, cmd_{"cmd"}, snapshot_{"snapshot"};
};

}  // namespace dsim::analysis
