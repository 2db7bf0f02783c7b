// A solution of the Raft lab, for dsim's own tests only: it shows the
// skeleton's helpers are enough to score full points. Not for students.
#include "raft_lab.h"

#include <algorithm>

namespace raftlab {

void RaftLab::start(dsim::Context& ctx) {
  set_role(ctx, Role::kFollower);
  reset_election_timer(ctx);
}

void RaftLab::become_follower(dsim::Context& ctx, int64_t term) {
  const bool changed = role_ != Role::kFollower || term > current_term_;
  set_term(ctx, term);
  if (role_ == Role::kLeader) stop_heartbeat_timer(ctx);
  if (changed) set_role(ctx, Role::kFollower);
}

void RaftLab::on_election_timeout(dsim::Context& ctx) {
  if (role_ == Role::kLeader) return;
  set_term(ctx, current_term_ + 1);
  vote_for(ctx, ctx.self());
  set_role(ctx, Role::kCandidate);
  votes_ = {ctx.self().value};
  reset_election_timer(ctx);
  if (votes_.size() >= majority(ctx)) {
    become_leader(ctx);
    return;
  }
  for (uint32_t p = 0; p < cluster_size(ctx); ++p) {
    if (p != ctx.self().value) send(ctx, dsim::NodeId{p}, RequestVote{current_term_, last_log_index(), last_log_term()});
  }
}

void RaftLab::become_leader(dsim::Context& ctx) {
  stop_election_timer(ctx);
  set_role(ctx, Role::kLeader);
  next_index_.assign(cluster_size(ctx), last_log_index() + 1);
  match_index_.assign(cluster_size(ctx), 0);
  append_entry(ctx, Entry{current_term_, 0, ""});  // a no-op of this term, to commit earlier entries
  match_index_[ctx.self().value] = last_log_index();
  on_heartbeat_timeout(ctx);
}

void RaftLab::on_heartbeat_timeout(dsim::Context& ctx) {
  if (role_ != Role::kLeader) return;
  for (uint32_t p = 0; p < cluster_size(ctx); ++p) {
    if (p != ctx.self().value) send_append(ctx, p);
  }
  start_heartbeat_timer(ctx);
}

void RaftLab::send_append(dsim::Context& ctx, uint32_t peer) {
  AppendEntries a;
  a.term = current_term_;
  a.prev_log_index = next_index_[peer] - 1;
  a.prev_log_term = term_at(a.prev_log_index);
  a.leader_commit = commit_index_;
  for (int64_t i = next_index_[peer]; i <= last_log_index() && a.entries.size() < cfg_.max_batch; ++i) a.entries.push_back(entry_at(i));
  send(ctx, dsim::NodeId{peer}, a);
}

void RaftLab::handle_request_vote(dsim::Context& ctx, dsim::NodeId from, const RequestVote& m) {
  if (m.term > current_term_) become_follower(ctx, m.term);
  const bool up_to_date =
      m.last_log_term > last_log_term() || (m.last_log_term == last_log_term() && m.last_log_index >= last_log_index());
  const bool grant = m.term == current_term_ && (!voted_for_ || *voted_for_ == from) && up_to_date;
  if (grant) {
    if (!voted_for_) vote_for(ctx, from);
    reset_election_timer(ctx);
  }
  send(ctx, from, VoteReply{current_term_, grant});
}

void RaftLab::handle_vote_reply(dsim::Context& ctx, dsim::NodeId from, const VoteReply& m) {
  if (m.term > current_term_) {
    become_follower(ctx, m.term);
    reset_election_timer(ctx);
    return;
  }
  if (role_ != Role::kCandidate || m.term != current_term_ || !m.granted) return;
  votes_.insert(from.value);
  if (votes_.size() >= majority(ctx)) become_leader(ctx);
}

void RaftLab::handle_append_entries(dsim::Context& ctx, dsim::NodeId from, const AppendEntries& m) {
  if (m.term < current_term_) {
    send(ctx, from, AppendReply{current_term_, false, 0, 0});
    return;
  }
  if (m.term > current_term_ || role_ != Role::kFollower) become_follower(ctx, m.term);
  reset_election_timer(ctx);
  if (m.prev_log_index > last_log_index() || term_at(m.prev_log_index) != m.prev_log_term) {
    // Fast backup: retry at the start of the conflicting term, or after our log.
    int64_t hint = std::min(m.prev_log_index, last_log_index() + 1);
    if (hint <= last_log_index() && hint >= 1) {
      const int64_t t = term_at(hint);
      while (hint > 1 && term_at(hint - 1) == t) --hint;
    }
    send(ctx, from, AppendReply{current_term_, false, 0, std::max<int64_t>(hint, 1)});
    return;
  }
  int64_t index = m.prev_log_index;
  for (const Entry& e : m.entries) {
    ++index;
    if (index <= last_log_index()) {
      if (term_at(index) == e.term) continue;
      truncate_log(ctx, index);
    }
    append_entry(ctx, e);
  }
  commit_up_to(ctx, std::min(m.leader_commit, index));
  send(ctx, from, AppendReply{current_term_, true, index, 0});
}

void RaftLab::handle_append_reply(dsim::Context& ctx, dsim::NodeId from, const AppendReply& m) {
  if (m.term > current_term_) {
    become_follower(ctx, m.term);
    reset_election_timer(ctx);
    return;
  }
  if (role_ != Role::kLeader || m.term != current_term_) return;
  const uint32_t p = from.value;
  if (m.success) {
    match_index_[p] = std::max(match_index_[p], m.match_index);
    next_index_[p] = std::max(next_index_[p], m.match_index + 1);
    advance_commit(ctx);
    if (next_index_[p] <= last_log_index()) send_append(ctx, p);
  } else {
    next_index_[p] = std::max<int64_t>(1, std::min(next_index_[p] - 1, m.conflict_index));
    send_append(ctx, p);
  }
}

void RaftLab::advance_commit(dsim::Context& ctx) {
  for (int64_t n = last_log_index(); n > commit_index_; --n) {
    if (term_at(n) != current_term_) break;
    uint32_t count = 0;
    for (uint32_t p = 0; p < cluster_size(ctx); ++p) count += match_index_[p] >= n ? 1 : 0;
    if (count >= majority(ctx)) {
      commit_up_to(ctx, n);
      return;
    }
  }
}

void RaftLab::handle_client_request(dsim::Context& ctx, int64_t req, const std::string& cmd) {
  if (role_ != Role::kLeader) {
    reject_client(ctx, req, "not the leader");
    return;
  }
  append_entry(ctx, Entry{current_term_, req, cmd});
  match_index_[ctx.self().value] = last_log_index();
  for (uint32_t p = 0; p < cluster_size(ctx); ++p) {
    if (p != ctx.self().value && next_index_[p] == last_log_index()) send_append(ctx, p);
  }
  advance_commit(ctx);
}

}  // namespace raftlab
