// Your Raft. Implement each TODO, in the order the README gives (part 1:
// election; part 2: replication; part 3: persistence and fast backup).
// Figure 2 of the Raft paper is the specification; the helpers in
// raft_lab.h persist state and write the trace events the grader reads.
//
// Rules of the simulator: no clocks, threads, sleeps or global state. Use
// ctx.rng() for randomness (the helpers' election timer already does),
// and react only in these callbacks.
#include "raft_lab.h"

namespace raftlab {

// Called at start and after every restart, once the persistent state
// (current_term_, voted_for_, log_) has been loaded from storage.
void RaftLab::start(dsim::Context& ctx) {
  set_role(ctx, Role::kFollower);
  // TODO (part 1): a follower waits for a leader; start its election timer.
  (void)ctx;
}

// The election timer fired: no leader was heard from in time.
void RaftLab::on_election_timeout(dsim::Context& ctx) {
  // TODO (part 1): become a candidate of a new term: set_term, vote for
  // yourself (vote_for), set_role, reset the election timer, and send a
  // RequestVote to every other server (0 .. cluster_size(ctx) - 1).
  (void)ctx;
}

// The leader's heartbeat timer fired.
void RaftLab::on_heartbeat_timeout(dsim::Context& ctx) {
  // TODO (part 1): a leader sends AppendEntries (empty ones are
  // heartbeats) to every follower and restarts the heartbeat timer.
  // TODO (part 2): carry each follower the entries from its next_index.
  (void)ctx;
}

void RaftLab::handle_request_vote(dsim::Context& ctx, dsim::NodeId from, const RequestVote& m) {
  // TODO (part 1): Figure 2, RequestVote RPC, receiver implementation.
  // A higher term makes this node a follower of that term first.
  // TODO (part 2): grant only to a candidate whose log is at least as
  // up to date as this node's (section 5.4.1).
  (void)ctx, (void)from, (void)m;
}

void RaftLab::handle_vote_reply(dsim::Context& ctx, dsim::NodeId from, const VoteReply& m) {
  // TODO (part 1): count votes of the current term; with a majority become
  // leader and assert leadership at once (heartbeats).
  (void)ctx, (void)from, (void)m;
}

void RaftLab::handle_append_entries(dsim::Context& ctx, dsim::NodeId from, const AppendEntries& m) {
  // TODO (part 1): a current leader's AppendEntries resets the election
  // timer; reply with this node's term.
  // TODO (part 2): the consistency check on prev_log_index/prev_log_term,
  // delete a conflicting suffix (truncate_log) and append what is new,
  // then commit_up_to(min(leader_commit, index of the last new entry)).
  // TODO (part 3): on a rejection, say where the leader should retry
  // (conflict_index) so a far-behind follower catches up in a few round trips.
  (void)ctx, (void)from, (void)m;
}

void RaftLab::handle_append_reply(dsim::Context& ctx, dsim::NodeId from, const AppendReply& m) {
  // TODO (part 2): on success advance match_index/next_index for `from`;
  // commit an index a majority stores whose entry is of the current term
  // (section 5.4.2: never count replicas of an older term's entry).
  // On failure move next_index back and retry.
  (void)ctx, (void)from, (void)m;
}

// A client request (request id `req`, command `cmd`). The workload sends it
// to the current leader when there is one, else to any server.
void RaftLab::handle_client_request(dsim::Context& ctx, int64_t req, const std::string& cmd) {
  // TODO (part 2): a leader appends Entry{current_term_, req, cmd} and
  // replicates it; commit_up_to answers the client once it is committed.
  // Others: reject_client(ctx, req, "not the leader").
  (void)ctx, (void)req, (void)cmd;
}

}  // namespace raftlab
