// The lab's helpers: message encoding, persistence, trace events, timers.
// You need not change this file; read it to see what each helper records.

#include <string>

#include "raft_lab.h"

namespace raftlab {
namespace {

constexpr uint64_t kElectionTag = 1, kHeartbeatTag = 2;

const char* role_name(Role r) {
  switch (r) {
    case Role::kFollower: return "follower";
    case Role::kCandidate: return "candidate";
    case Role::kLeader: return "leader";
  }
  return "follower";
}

// Entries in a message body or a storage value: "term req len:cmd" each.
void encode_entry(std::string& out, const Entry& e) {
  out += std::to_string(e.term) + " " + std::to_string(e.req) + " " + std::to_string(e.cmd.size()) + ":" + e.cmd;
}

int64_t read_int(std::string_view& s, char end) {
  int64_t v = 0;
  bool neg = false;
  size_t i = 0;
  if (i < s.size() && s[i] == '-') {
    neg = true;
    ++i;
  }
  for (; i < s.size() && s[i] != end; ++i) v = v * 10 + (s[i] - '0');
  s.remove_prefix(i < s.size() ? i + 1 : i);
  return neg ? -v : v;
}

Entry decode_entry(std::string_view& s) {
  Entry e;
  e.term = read_int(s, ' ');
  e.req = read_int(s, ' ');
  const auto len = static_cast<size_t>(read_int(s, ':'));
  e.cmd = std::string(s.substr(0, len));
  s.remove_prefix(std::min(len, s.size()));
  return e;
}

std::string log_key(int64_t index) { return "log/" + std::to_string(index); }

int64_t stored_int(const std::optional<std::string>& v, int64_t dflt) {
  if (!v) return dflt;
  std::string_view s = *v;
  return read_int(s, '\0');
}

}  // namespace

std::string_view message_name(uint32_t type) {
  switch (type) {
    case kClientRequest: return "ClientRequest";
    case kRequestVote: return "RequestVote";
    case kVoteReply: return "VoteReply";
    case kAppendEntries: return "AppendEntries";
    case kAppendReply: return "AppendReply";
  }
  return "";
}

std::string_view RaftLab::role() const { return role_name(role_); }

// ---- Callbacks: decode, then call your handlers.

void RaftLab::on_start(dsim::Context& ctx) {
  load_persistent_state(ctx);
  start(ctx);
}

void RaftLab::on_recover(dsim::Context& ctx) {
  load_persistent_state(ctx);
  ctx.emit("recover", {{"log_len", last_log_index()}, {"term", current_term_}});
  start(ctx);
}

void RaftLab::on_message(dsim::Context& ctx, dsim::NodeId from, const dsim::Message& m) {
  switch (m.type) {
    case kClientRequest: handle_client_request(ctx, m.f[0], m.body); return;
    case kRequestVote: handle_request_vote(ctx, from, {m.f[0], m.f[1], m.f[2]}); return;
    case kVoteReply: handle_vote_reply(ctx, from, {m.f[0], m.f[1] != 0}); return;
    case kAppendEntries: {
      AppendEntries a{m.f[0], m.f[1], m.f[2], m.f[3], {}};
      std::string_view body = m.body;
      for (int64_t i = 0; i < m.f[4]; ++i) a.entries.push_back(decode_entry(body));
      handle_append_entries(ctx, from, a);
      return;
    }
    case kAppendReply: handle_append_reply(ctx, from, {m.f[0], m.f[1] != 0, m.f[2], m.f[3]}); return;
  }
}

void RaftLab::on_timer(dsim::Context& ctx, dsim::TimerId id, uint64_t tag) {
  if (tag == kElectionTag && id == election_timer_) {
    election_timer_ = {};
    on_election_timeout(ctx);
  } else if (tag == kHeartbeatTag && id == heartbeat_timer_) {
    heartbeat_timer_ = {};
    on_heartbeat_timeout(ctx);
  }
}

// ---- Persistence.

void RaftLab::set_term(dsim::Context& ctx, int64_t term) {
  if (term < current_term_) {
    ctx.fail("set_term(" + std::to_string(term) + ") would move the term backwards from " + std::to_string(current_term_));
  }
  if (term == current_term_) return;
  current_term_ = term;
  voted_for_.reset();
  ctx.storage().put("term", std::to_string(term));
  ctx.storage().put("vote", "-1");
  ctx.storage().sync();
}

void RaftLab::vote_for(dsim::Context& ctx, dsim::NodeId node) {
  if (voted_for_ && *voted_for_ != node) {
    ctx.fail("vote_for(" + std::string(ctx.node_name(node)) + ") in term " + std::to_string(current_term_) +
             ", which already has a vote for " + std::string(ctx.node_name(*voted_for_)) + ": two votes in one term");
  }
  voted_for_ = node;
  ctx.storage().put("vote", std::to_string(node.value));
  ctx.storage().sync();
  ctx.emit("vote", {{"for", ctx.node_name(node)}, {"term", current_term_}});
}

void RaftLab::append_entry(dsim::Context& ctx, Entry e) {
  log_.push_back(std::move(e));
  std::string v;
  encode_entry(v, log_.back());
  ctx.storage().put(log_key(last_log_index()), v);
  ctx.storage().put("log_len", std::to_string(last_log_index()));
  ctx.storage().sync();
  ctx.emit("append", {{"index", last_log_index()}, {"term", log_.back().term}, {"cmd", std::string_view(log_.back().cmd)}});
}

void RaftLab::truncate_log(dsim::Context& ctx, int64_t from) {
  if (from < 1) ctx.fail("truncate_log(" + std::to_string(from) + "): log indexes start at 1");
  if (from > last_log_index()) return;
  for (int64_t i = from; i <= last_log_index(); ++i) ctx.storage().erase(log_key(i));
  log_.resize(static_cast<size_t>(from - 1));
  ctx.storage().put("log_len", std::to_string(last_log_index()));
  ctx.storage().sync();
  ctx.emit("truncate", {{"from", from}});
}

void RaftLab::load_persistent_state(dsim::Context& ctx) {
  dsim::Storage& st = ctx.storage();
  current_term_ = stored_int(st.get("term"), 0);
  const int64_t vote = stored_int(st.get("vote"), -1);
  voted_for_ = vote < 0 ? std::nullopt : std::optional<dsim::NodeId>(dsim::NodeId{static_cast<uint32_t>(vote)});
  const int64_t len = stored_int(st.get("log_len"), 0);
  log_.clear();
  for (int64_t i = 1; i <= len; ++i) {
    const auto v = st.get(log_key(i));
    if (!v) ctx.fail("log entry " + std::to_string(i) + " of " + std::to_string(len) + " is missing from storage");
    std::string_view s = *v;
    log_.push_back(decode_entry(s));
  }
}

// ---- Volatile state.

void RaftLab::set_role(dsim::Context& ctx, Role r) {
  role_ = r;
  ctx.emit("role", {{"role", std::string_view(role_name(r))}, {"term", current_term_}});
}

void RaftLab::commit_up_to(dsim::Context& ctx, int64_t index) {
  index = std::min(index, last_log_index());
  if (index <= commit_index_) return;
  commit_index_ = index;
  ctx.emit("commit", {{"index", commit_index_}});
  while (last_applied_ < commit_index_) {
    ++last_applied_;
    const Entry& e = entry_at(last_applied_);
    ctx.emit("apply", {{"index", last_applied_}, {"term", e.term}, {"cmd", std::string_view(e.cmd)}});
    if (role_ == Role::kLeader && e.req != 0 && e.term == current_term_) {
      ctx.emit("client_response", {{"req", e.req}, {"ok", true}, {"index", last_applied_}});
    }
  }
}

void RaftLab::reject_client(dsim::Context& ctx, int64_t req, std::string_view why) {
  ctx.emit("client_response", {{"req", req}, {"ok", false}, {"reason", why}});
}

// ---- Messages.

void RaftLab::send(dsim::Context& ctx, dsim::NodeId to, const RequestVote& m) {
  dsim::Message msg;
  msg.type = kRequestVote;
  msg.f = {m.term, m.last_log_index, m.last_log_term, 0, 0, 0};
  ctx.send(to, msg);
}

void RaftLab::send(dsim::Context& ctx, dsim::NodeId to, const VoteReply& m) {
  dsim::Message msg;
  msg.type = kVoteReply;
  msg.f = {m.term, m.granted ? 1 : 0, 0, 0, 0, 0};
  ctx.send(to, msg);
}

void RaftLab::send(dsim::Context& ctx, dsim::NodeId to, const AppendEntries& m) {
  dsim::Message msg;
  msg.type = kAppendEntries;
  msg.f = {m.term, m.prev_log_index, m.prev_log_term, m.leader_commit, static_cast<int64_t>(m.entries.size()), 0};
  for (const Entry& e : m.entries) encode_entry(msg.body, e);
  ctx.send(to, msg);
}

void RaftLab::send(dsim::Context& ctx, dsim::NodeId to, const AppendReply& m) {
  dsim::Message msg;
  msg.type = kAppendReply;
  msg.f = {m.term, m.success ? 1 : 0, m.match_index, m.conflict_index, 0, 0};
  ctx.send(to, msg);
}

// ---- Timers.

void RaftLab::reset_election_timer(dsim::Context& ctx) {
  stop_election_timer(ctx);
  const int64_t span = cfg_.election_max.ns - cfg_.election_min.ns;
  const int64_t jitter = span > 0 ? static_cast<int64_t>(ctx.rng().below(static_cast<uint64_t>(span) + 1)) : 0;
  election_timer_ = ctx.set_timer(dsim::Duration{cfg_.election_min.ns + jitter}, kElectionTag);
}

void RaftLab::stop_election_timer(dsim::Context& ctx) {
  if (election_timer_.valid()) ctx.cancel_timer(election_timer_);
  election_timer_ = {};
}

void RaftLab::start_heartbeat_timer(dsim::Context& ctx) {
  stop_heartbeat_timer(ctx);
  heartbeat_timer_ = ctx.set_timer(cfg_.heartbeat, kHeartbeatTag);
}

void RaftLab::stop_heartbeat_timer(dsim::Context& ctx) {
  if (heartbeat_timer_.valid()) ctx.cancel_timer(heartbeat_timer_);
  heartbeat_timer_ = {};
}

}  // namespace raftlab
