// Your Raft node. The class, its messages and its helpers are given; the
// algorithm (raft_lab.cc, every "TODO") is yours. Add fields and methods
// here as you need them.
//
// The helpers (lab_support.cc) do the bookkeeping the grader relies on:
// every change of role, vote, log, commit index and applied entry goes
// through one of them, which persists it and writes the trace event the
// checkers read. Change state only through them and the checkers see
// exactly what your node did.
#pragma once
#include <dsim/node.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raftlab {

struct Config {
  dsim::Duration election_min = dsim::milliseconds(150);
  dsim::Duration election_max = dsim::milliseconds(300);
  dsim::Duration heartbeat = dsim::milliseconds(50);
  // At most this many entries per AppendEntries (the Figure 8 test sets 1,
  // so that old entries travel one by one): honour it when you batch.
  uint32_t max_batch = 64;
};

// ---- Messages. dsim::Message carries a type, six integers and a body;
// these structs and the send/decode helpers hide that.
enum MessageType : uint32_t {
  kClientRequest = 1,  // from the harness: f[0] = request id, body = command (fixed: the workload sends it)
  kRequestVote = 3,
  kVoteReply = 4,
  kAppendEntries = 5,
  kAppendReply = 6,
};
std::string_view message_name(uint32_t type);

struct Entry {
  int64_t term = 0;
  int64_t req = 0;  // the client request id; 0 for an entry no client asked for (a leader's no-op)
  std::string cmd;
};

struct RequestVote {
  int64_t term = 0;
  int64_t last_log_index = 0;
  int64_t last_log_term = 0;
};
struct VoteReply {
  int64_t term = 0;
  bool granted = false;
};
struct AppendEntries {
  int64_t term = 0;
  int64_t prev_log_index = 0;
  int64_t prev_log_term = 0;
  int64_t leader_commit = 0;
  std::vector<Entry> entries;
};
struct AppendReply {
  int64_t term = 0;
  bool success = false;
  int64_t match_index = 0;     // success: the follower's log matches up to here
  int64_t conflict_index = 0;  // failure: where the leader might retry (your choice; see the README, part 3)
};

enum class Role { kFollower, kCandidate, kLeader };

class RaftLab final : public dsim::Node {
 public:
  explicit RaftLab(Config cfg) : cfg_(cfg) {}

  // dsim's callbacks (given: they decode and call the handlers below).
  void on_start(dsim::Context& ctx) override;
  void on_recover(dsim::Context& ctx) override;
  void on_message(dsim::Context& ctx, dsim::NodeId from, const dsim::Message& m) override;
  void on_timer(dsim::Context& ctx, dsim::TimerId id, uint64_t tag) override;
  std::string_view role() const override;
  std::string_view message_name(uint32_t type) const override { return raftlab::message_name(type); }

 private:
  // ================= YOUR CODE: raft_lab.cc =================
  void start(dsim::Context& ctx);
  void on_election_timeout(dsim::Context& ctx);
  void on_heartbeat_timeout(dsim::Context& ctx);
  void handle_request_vote(dsim::Context& ctx, dsim::NodeId from, const RequestVote& m);
  void handle_vote_reply(dsim::Context& ctx, dsim::NodeId from, const VoteReply& m);
  void handle_append_entries(dsim::Context& ctx, dsim::NodeId from, const AppendEntries& m);
  void handle_append_reply(dsim::Context& ctx, dsim::NodeId from, const AppendReply& m);
  void handle_client_request(dsim::Context& ctx, int64_t req, const std::string& cmd);

  // ================= Helpers: lab_support.cc =================
  // Persistent state (Figure 2). Each setter writes storage and syncs it
  // before returning, so a crash right after keeps the change.
  void set_term(dsim::Context& ctx, int64_t term);        // also forgets the vote (a new term has none)
  void vote_for(dsim::Context& ctx, dsim::NodeId node);   // records and traces this term's vote
  void append_entry(dsim::Context& ctx, Entry e);          // at last_log_index() + 1
  void truncate_log(dsim::Context& ctx, int64_t from);     // removes entries from..last
  void load_persistent_state(dsim::Context& ctx);          // on (re)start: term, vote, log from storage
  // Volatile state.
  void set_role(dsim::Context& ctx, Role r);               // traces the role with the current term
  // Raises the commit index to `index` (never lowers it), then applies
  // every committed entry in order; a leader answers the client of each
  // entry of its own term it applies.
  void commit_up_to(dsim::Context& ctx, int64_t index);
  // Tells the client of request `req` it was not accepted (not a leader).
  void reject_client(dsim::Context& ctx, int64_t req, std::string_view why);

  // The log, 1-based as in the paper; index 0 is "before the first entry" (term 0).
  int64_t last_log_index() const { return static_cast<int64_t>(log_.size()); }
  int64_t term_at(int64_t index) const { return index == 0 ? 0 : log_[static_cast<size_t>(index - 1)].term; }
  const Entry& entry_at(int64_t index) const { return log_[static_cast<size_t>(index - 1)]; }
  int64_t last_log_term() const { return term_at(last_log_index()); }
  uint32_t cluster_size(const dsim::Context& ctx) const { return ctx.cluster_size(); }  // servers 0..n-1
  uint32_t majority(const dsim::Context& ctx) const { return ctx.cluster_size() / 2 + 1; }

  // Messages.
  void send(dsim::Context& ctx, dsim::NodeId to, const RequestVote& m);
  void send(dsim::Context& ctx, dsim::NodeId to, const VoteReply& m);
  void send(dsim::Context& ctx, dsim::NodeId to, const AppendEntries& m);
  void send(dsim::Context& ctx, dsim::NodeId to, const AppendReply& m);

  // Timers: a new random election timeout in [election_min, election_max]
  // (the previous one is cancelled), and the leader's heartbeat.
  void reset_election_timer(dsim::Context& ctx);
  void stop_election_timer(dsim::Context& ctx);
  void start_heartbeat_timer(dsim::Context& ctx);
  void stop_heartbeat_timer(dsim::Context& ctx);

  // ================= State =================
  Config cfg_;
  // Persistent (change only through the helpers above).
  int64_t current_term_ = 0;
  std::optional<dsim::NodeId> voted_for_;
  std::vector<Entry> log_;
  // Volatile.
  Role role_ = Role::kFollower;
  int64_t commit_index_ = 0;
  int64_t last_applied_ = 0;
  dsim::TimerId election_timer_;
  dsim::TimerId heartbeat_timer_;
  // TODO: your own state: votes received, the leader's next_index and
  // match_index per peer, the leader you know, ...
};

}  // namespace raftlab
