// Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus
// Algorithm", Figure 2), as a sans-IO node: leader election with randomized
// timeouts, log replication with the consistency check and conflict
// truncation, the commit rule, durable term/vote/log through storage(), an
// optional replicated state machine (StateMachine below: the key-value
// store, protocols/raft/kv_machine.h, or the coordination service), and the
// PreVote and CheckQuorum options of etcd.
//
// Trace events (docs/trace-schema.md): role {role, term}; vote {for, term};
// append {index, term, cmd}; truncate {from}; commit {index};
// apply {index, term, cmd}; client_request {req, index}; client_response
// {req, ok, index | reason}; recover {log_len, term, snapshot?};
// snapshot {index, term}; install_snapshot {index, term}.
//
// Snapshots and log compaction (Raft paper, section 7 and Figure 13): with
// `snapshot_every` N > 0 and a state machine that can snapshot itself
// (StateMachine::can_snapshot; pure Raft, without a machine, has nothing to
// save and always can), a node that has applied N entries since its last
// snapshot saves the machine's state at its applied index and discards the
// log entries before (applied - N/2) from storage: the kept margin lets a
// follower a little behind catch up from the log. The logical log does not
// change (last index, commit and apply indexes stay). A follower that
// needs an entry the leader compacted gets the leader's snapshot
// (kInstallSnapshot), and a restarted node restores its machine from the
// snapshot and applies again from the snapshot's index + 1.
//
// Planted bugs (Config::Bug), each caught by a checker in analysis/:
//   commit_previous_term  count replicas for entries of earlier terms (Fig. 8)
//   volatile_vote         votedFor not persisted: two votes in one term
//   skip_prev_check       accept entries without matching prevLogTerm
//   vote_any_log          grant votes without the up-to-date-log check
//   stale_reads           (CP store, KvMachine) any node answers reads from
//                         its own state machine, without going through the log
//   slow_backtrack        the old catch-up: a rejection backs nextIndex up
//                         by one entry (no conflict-term hint) and every
//                         heartbeat pipelines past a probe still in flight,
//                         so a follower with a long conflicting suffix can
//                         stay behind for good under message loss
//
// Catch-up follows etcd's progress tracking: each follower is in probe
// state (one AppendEntries outstanding at nextIndex, re-sent unchanged on
// each heartbeat until answered) or replicate state (optimistic
// pipelining). A rejection carries a hint (conflict index, conflict term)
// so the leader skips a whole term of the follower's log per round trip
// (Raft paper 5.3).
//
// As the CP key-value store (make_node: RaftNode with a KvMachine), Raft
// serves kv::kKvRequest from client nodes (protocols/kv/kv.h); see
// protocols/raft/kv_machine.h. Without a state machine RaftNode is pure
// Raft: it replicates and commits, and answers kClientRequest itself.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dsim/assert.h"
#include "dsim/ids.h"
#include "dsim/node.h"

namespace dsim::raft {

struct Config {
  Duration election_min = milliseconds(150);
  Duration election_max = milliseconds(300);
  Duration heartbeat = milliseconds(50);
  bool prevote = false;
  bool check_quorum = false;
  uint32_t max_batch = 64;  // entries per AppendEntries
  // How the KV store (KvMachine) serves reads: through the log; ReadIndex (the commit
  // index, once a heartbeat round confirms leadership, Raft thesis 6.4); or
  // a leader lease (no round trip while a majority acknowledged heartbeats
  // sent within the last 0.9 x election_min on the leader's clock: safe
  // only while clocks keep time and followers honour the lease, i.e. with
  // check_quorum or prevote; a restarted node then also refuses votes for
  // election_min, since it forgot whose lease it had acknowledged).
  enum class Reads { kLog, kReadIndex, kLease } reads = Reads::kLog;
  // Number heartbeat rounds (AppendEntries f[5]). Only ReadIndex and lease
  // reads use them; with reads through the log, false keeps every round at
  // 0, so that states `dsim explore` reaches differ by what the nodes know,
  // not by how many heartbeats the leader sent (default true).
  bool heartbeat_rounds = true;
  // Take a snapshot after this many entries applied since the last one; 0:
  // never. The default keeps short runs (every golden scenario) free of
  // snapshots while bounding a long run's log to about 1.5 x 10,000 entries.
  uint64_t snapshot_every = 10000;
  enum class Bug { kNone, kCommitPreviousTerm, kVolatileVote, kSkipPrevCheck, kVoteAnyLog, kStaleReads, kSlowBacktrack } bug = Bug::kNone;
};

enum MessageType : uint32_t {
  kClientRequest = 1,  // external; f[0] = request id; body = command
  kForward = 2,        // follower -> leader: f[0] = request id; body = command
  kRequestVote = 3,    // f: term, last_index, last_term, prevote
  kVoteReply = 4,      // f: term, granted, prevote, why (VoteReason)
  kAppendEntries = 5,  // f: term, prev_index, prev_term, leader_commit, count; body = entries
  kAppendReply = 6,    // f: term, success, match_index | rejected prev_index, round, hint_index, hint_term
  // Leader -> follower whose next entry was compacted away: f: term,
  // last_index, last_term, leader_commit, 0, round; body = the state
  // machine's snapshot at last_index. Answered by kAppendReply (success,
  // match_index = last_index).
  kInstallSnapshot = 7,
};

// Why a vote was granted or refused (vote_reply f[3]), for traces.
enum VoteReason : int64_t { kVoteGranted, kVoteStaleTerm, kVoteAlreadyVoted, kVoteLogBehind, kVoteLeaderAlive };
inline constexpr std::string_view kVoteReasons[] = {"granted", "stale_term", "already_voted", "log_behind",
                                                    "leader_alive"};

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };
const char* role_name(Role r);

struct Entry {
  Term term;
  int64_t req = 0;  // client request id, 0 for the leader's no-op
  std::string cmd;

  void fingerprint(Fingerprint& h) const { h(term, req, cmd); }
};

class RaftNode;

// A replicated state machine on Raft's log: the key-value store
// (KvMachine, protocols/raft/kv_machine.h) or the coordination service
// (protocols/coord). Its commands are log entries starting with '#'.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // A message Raft does not know (from clients, or forwarded by peers).
  virtual void on_message(RaftNode& raft, Context& ctx, NodeId from, const Message& m) = 0;
  // A committed command (without the '#') at log `index`, in log order, on
  // every node.
  virtual void apply(RaftNode& raft, Context& ctx, LogIndex index, std::string_view cmd) = 0;
  // Every committed entry at log `index`, in log order, on every node,
  // before Raft traces its apply event. By default '#' commands go to
  // apply() and other entries are ignored.
  virtual void apply_entry(RaftNode& raft, Context& ctx, LogIndex index, const Entry& e) {
    if (!e.cmd.empty() && e.cmd[0] == '#') apply(raft, ctx, index, std::string_view(e.cmd).substr(1));
  }
  // After Raft applied committed entries (applied_index() moved).
  virtual void on_applied(RaftNode&, Context&) {}
  // On the leader, a peer acknowledged heartbeat round `round` (or a later
  // one) of the current term: see RaftNode::round_confirmed.
  virtual void on_round_acked(RaftNode&, Context&, int64_t /*round*/) {}
  // On the leader, every heartbeat.
  virtual void on_leader_tick(RaftNode&, Context&) {}
  // This node became leader (true) or stopped being leader (false).
  virtual void on_leadership(RaftNode&, Context&, bool) {}
  virtual std::string_view message_name(uint32_t) const { return "unknown"; }

  // ---- Exploration (Node::clone, Node::fingerprint). A copy of this
  // machine, or nullptr (the default) when it cannot be copied: then the
  // RaftNode that holds it cannot be explored either.
  virtual std::unique_ptr<StateMachine> clone() const { return nullptr; }
  // Every member that decides what the machine does next.
  virtual void fingerprint(Fingerprint& /*h*/) const {}
  // Whether the machine asks RaftNode::in_contact, lease_valid or
  // round_confirmed (the default: assume so). When it does not and reads go
  // through the log, the node's fingerprint leaves out the state only those
  // answers read (heartbeat rounds, lease times).
  virtual bool uses_contact() const { return true; }

  // ---- Snapshots (Config::snapshot_every). A machine that returns false
  // (the default) disables snapshots for its node: its log is never
  // compacted. One that returns true writes its whole replicated state
  // into `out` (appending to it; the same bytes for the same state: it is
  // stored and sent) and restore() makes the machine equal to the one that
  // wrote `data`, forgetting everything it held before.
  virtual bool can_snapshot() const { return false; }
  virtual void snapshot(std::string& /*out*/) const {}
  virtual void restore(RaftNode& /*raft*/, Context& /*ctx*/, std::string_view /*data*/) {}
};

// Owns a RaftNode's state machine; copying it (RaftNode's copy, for clone)
// copies the machine through StateMachine::clone, which may give nullptr.
class OwnedMachine {
 public:
  explicit OwnedMachine(std::unique_ptr<StateMachine> p) : p_(std::move(p)) {}
  OwnedMachine(const OwnedMachine& o) : p_(o.p_ ? o.p_->clone() : nullptr) {}
  OwnedMachine& operator=(const OwnedMachine&) = delete;
  StateMachine* operator->() const { return p_.get(); }
  StateMachine* get() const { return p_.get(); }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  std::unique_ptr<StateMachine> p_;
};

class RaftNode final : public Node {
 public:
  explicit RaftNode(Config cfg, std::unique_ptr<StateMachine> sm = nullptr) : cfg_(cfg), sm_(std::move(sm)) {}

  // For a StateMachine: append `cmd` ("#..." is added) if this node leads;
  // false otherwise.
  bool propose(Context& ctx, std::string_view cmd);
  // Append `cmd` verbatim (no '#') if this node leads; false otherwise.
  bool propose_entry(Context& ctx, std::string cmd);
  bool is_leader() const { return role_ == Role::kLeader; }
  std::optional<NodeId> leader_hint() const { return leader_; }  // nullopt: none known
  // Whether this node may serve reads from its state: a leader that heard
  // from a majority within 0.9 x election_min and has committed in its
  // term, or a follower that heard from its leader within election_min and
  // has applied as far as the highest commit index a leader told it
  // (ZooKeeper's followers stop serving clients when they lose the leader;
  // this also keeps a lagging follower from answering from old state).
  bool in_contact(const Context& ctx) const;
  // The leader has committed an entry of its own term (its no-op), so its
  // commit index is at least every earlier leader's (ReadIndex, thesis 6.4).
  bool committed_in_term() const { return commit_ >= term_start_; }
  // A majority acknowledged heartbeats sent within 0.9 x election_min.
  bool lease_valid(const Context& ctx) const;
  // On the leader: start a heartbeat round now (an AppendEntries to every
  // peer) and return its number, for round_confirmed.
  int64_t start_round(Context& ctx);
  // On the leader: a majority (counting itself) acknowledged heartbeat
  // round `round` or a later one in this term.
  bool round_confirmed(const Context& ctx, int64_t round) const;
  LogIndex applied_index() const { return applied_; }

  void on_start(Context& ctx) override;
  void on_recover(Context& ctx) override;
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override;
  std::string_view role() const override { return role_name(role_); }
  std::string_view message_name(uint32_t type) const override;
  // A deep copy (the state machine too); nullptr when the state machine
  // cannot be copied.
  std::unique_ptr<Node> clone() const override;
  void fingerprint(Fingerprint& h) const override;

  // For tests.
  Term term() const { return term_; }
  Role raft_role() const { return role_; }
  LogIndex commit_index() const { return commit_; }
  LogIndex last_index() const { return LogIndex{base_index_.value + static_cast<int64_t>(log_.size())}; }
  // The entries held in memory and storage: base_index() + 1 .. last_index()
  // (all of them until the first snapshot compacts the log).
  const std::vector<Entry>& log() const { return log_; }
  // Entries up to here are compacted (0: none); a snapshot covers them.
  LogIndex base_index() const { return base_index_; }
  // The last index the newest snapshot covers (0: no snapshot yet).
  LogIndex snapshot_index() const { return snap_index_; }
  // The KvMachine's store; empty without one.
  const std::map<std::string, std::string>& kv() const;
  const StateMachine* machine() const { return sm_.get(); }
  std::optional<NodeId> voted_for() const { return voted_for_; }

 private:
  void load(Context& ctx);
  // The entry at `index` (base_index() < index <= last_index()).
  const Entry& entry_at(LogIndex index) const {
    DSIM_ASSERT(index > base_index_);
    return log_[static_cast<size_t>(index.value - base_index_.value - 1)];
  }
  // The term at `index` (base_index() <= index <= last_index()).
  Term term_at(LogIndex index) const { return index == base_index_ ? base_term_ : entry_at(index).term; }
  bool log_up_to_date(LogIndex last_index, Term last_term) const;
  uint32_t majority(const Context& ctx) const { return ctx.cluster_size() / 2 + 1; }

  void persist_term_vote(Context& ctx);
  // Stores the entry at `index` as a log record: `wire`, its encoding,
  // when the caller has it (a follower: a slice of the AppendEntries body);
  // empty: encoded here.
  void persist_entry(Context& ctx, LogIndex index, std::string_view wire);
  void append_local(Context& ctx, Entry e, std::string_view wire = {});
  void truncate_from(Context& ctx, LogIndex index);
  bool snapshots_enabled() const { return cfg_.snapshot_every > 0 && (!sm_ || sm_->can_snapshot()); }
  void maybe_snapshot(Context& ctx);
  // Discards the entries up to `index` (base_index() <= index <= last_index()).
  void compact_to(Context& ctx, LogIndex index);
  void persist_snapshot(Context& ctx);
  void follow_leader(Context& ctx, NodeId from, Term term, LogIndex leader_commit);
  void send_snapshot(Context& ctx, uint32_t peer);
  void on_install_snapshot(Context& ctx, NodeId from, const Message& m);

  void set_role(Context& ctx, Role r);
  // reset_timer: Figure 2 resets the election timer only on AppendEntries
  // from the current leader or on granting a vote; a higher term alone
  // (a disruptive candidate we refuse) must not postpone our own election.
  void become_follower(Context& ctx, Term term, bool reset_timer = true);
  void become_pre_candidate(Context& ctx);
  void become_candidate(Context& ctx);
  void become_leader(Context& ctx);
  void reset_election_timer(Context& ctx);

  void on_client(Context& ctx, int64_t req, const std::string& cmd);
  void on_request_vote(Context& ctx, NodeId from, const Message& m);
  void on_vote_reply(Context& ctx, NodeId from, const Message& m);
  void on_append(Context& ctx, NodeId from, const Message& m);
  void on_append_reply(Context& ctx, NodeId from, const Message& m);
  // heartbeat: a probe still in flight is sent again (a lost probe or
  // reply must not stall catch-up); otherwise a peer being probed waits.
  // The AppendEntries last built in one broadcast, for peers at the same
  // nextIndex.
  struct AppendCache {
    bool valid = false;
    LogIndex next;
    int64_t count = 0;
    Message m;
  };
  void send_append(Context& ctx, uint32_t peer, bool heartbeat = false, AppendCache* cache = nullptr);
  void broadcast_append(Context& ctx, bool heartbeat = false);
  void on_append_reject(Context& ctx, uint32_t peer, const Message& m);
  void advance_commit(Context& ctx);
  void apply_committed(Context& ctx);

  Config cfg_;
  OwnedMachine sm_;
  // Durable (Figure 2: "updated on stable storage before responding").
  Term term_;
  std::optional<NodeId> voted_for_;  // stored as "-1" when none
  std::vector<Entry> log_;  // base_index_ + 1 .. last_index()
  LogIndex base_index_;     // compacted up to here
  Term base_term_;          // the term of the entry at base_index_
  LogIndex snap_index_;     // the newest snapshot: its last included index,
  Term snap_term_;          // that entry's term,
  std::string snap_data_;   // and the state machine there
  // Volatile.
  Role role_ = Role::kFollower;
  std::optional<NodeId> leader_;
  LogIndex commit_;
  LogIndex applied_;
  Time heard_from_leader_{-1'000'000'000'000};
  std::set<uint32_t> votes_;
  std::vector<LogIndex> next_;
  std::vector<LogIndex> match_;
  // etcd's progress states: probing (nextIndex unsure, one AppendEntries
  // in flight) or replicating (pipelined).
  std::vector<bool> probing_;
  std::vector<bool> probe_sent_;
  std::vector<bool> active_;  // CheckQuorum: peers heard from this round
  int64_t round_ = 0;             // heartbeat round, carried in AppendEntries f[5]
  std::vector<int64_t> acked_round_;
  std::vector<Time> acked_at_;     // lease: when the newest round each peer acknowledged was sent
  std::map<int64_t, Time> round_sent_;  // lease: heartbeat round -> when it was sent
  Time restart_guard_{INT64_MIN / 2};  // lease: no votes before this after a restart
  LogIndex term_start_;           // index of this leader's no-op
  LogIndex leader_commit_seen_;  // the highest commit index a leader sent
  std::vector<LogIndex> match_scratch_;  // advance_commit's working copy of match_ (decides nothing)
  TimerId election_timer_;
  TimerId heartbeat_timer_;
};

// A RaftNode with the key-value store (KvMachine): the protocol "raft".
std::unique_ptr<Node> make_node(const Config& cfg);

// The trace name of one of this protocol's message types, "" for another's.
std::string_view message_type_name(uint32_t type);


}  // namespace dsim::raft
