#include "protocols/raft/raft.h"

#include <algorithm>
#include <functional>
#include <charconv>
#include <cstring>

#include "protocols/raft/kv_machine.h"
#include "dsim/assert.h"
#include "dsim/stored_int.h"

namespace dsim::raft {
namespace {

constexpr uint64_t kElectionTag = 1;
constexpr uint64_t kHeartbeatTag = 2;

// Entries on the wire and on disk: "<term> <req> <len>:<cmd>", repeated.
// Storage's record log holds each entry in this encoding (one record per
// entry), so an AppendEntries body is a copy of consecutive records: each
// entry is encoded once, when it is appended, not in every message that
// carries it, and a follower stores the bytes it received as they are.
// Writes `v` then `sep` at `p` (room for 21 characters), returns the end.
char* put_int(char* p, int64_t v, char sep) {
  const auto r = std::to_chars(p, p + 20, v);
  DSIM_ASSERT(r.ec == std::errc());
  *r.ptr = sep;
  return r.ptr + 1;
}

// The header of `e`'s encoding, "<term> <req> <len>:", at `head` (room
// for 64 characters); returns its end. The command follows it.
char* encode_head(char* head, const Entry& e) {
  char* p = put_int(head, e.term.value, ' ');
  p = put_int(p, e.req, ' ');
  return put_int(p, static_cast<int64_t>(e.cmd.size()), ':');
}


// Parses the decimal integer at the front of `s` up to `stop`, and
// consumes both. The digits are read in one pass (no separate search for
// the separator): AppendEntries bodies are decoded on every delivery.
int64_t take_int(std::string_view& s, char stop) {
  const char* p = s.data();
  const char* const end = p + s.size();
  const bool neg = p != end && *p == '-';
  if (neg) ++p;
  DSIM_ASSERT_MSG(p != end && *p != stop, "corrupt raft entry encoding");
  // At most 18 digits, so the value cannot overflow (terms, request ids
  // and lengths are far smaller).
  const char* const digits = p;
  int64_t v = 0;
  for (; p != end && *p != stop; ++p) {
    const auto d = static_cast<unsigned char>(*p - '0');
    DSIM_ASSERT_MSG(d <= 9, "corrupt raft entry encoding");
    v = v * 10 + d;
  }
  DSIM_ASSERT_MSG(p != end && p - digits <= 18, "corrupt raft entry encoding");
  s.remove_prefix(static_cast<size_t>(p + 1 - s.data()));
  return neg ? -v : v;
}

// One entry of an AppendEntries body (or a stored record), its command
// still in the body: an entry the follower already holds is compared by
// term and never copied. `wire` is the whole encoding, header and command:
// the record a follower stores.
struct WireEntry {
  Term term;
  int64_t req = 0;
  std::string_view cmd;
  std::string_view wire;
};

WireEntry decode_entry(std::string_view& s) {
  WireEntry e;
  const char* const begin = s.data();
  e.term = Term{take_int(s, ' ')};
  e.req = take_int(s, ' ');
  const auto len = static_cast<size_t>(take_int(s, ':'));
  DSIM_ASSERT(len <= s.size());
  e.cmd = s.substr(0, len);
  s.remove_prefix(len);
  e.wire = std::string_view(begin, static_cast<size_t>(s.data() - begin));
  return e;
}

// The newest snapshot in storage, key "snap": "<index> <term> " + the
// state machine's bytes. Key "base": "<index> <term>" of the last
// compacted entry.
std::string snapshot_value(LogIndex index, Term term, std::string_view data) {
  std::string v = std::to_string(index.value);
  v += ' ';
  v += std::to_string(term.value);
  v += ' ';
  v += data;
  return v;
}

}  // namespace

const char* role_name(Role r) {
  switch (r) {
    case Role::kFollower: return "follower";
    case Role::kPreCandidate: return "pre_candidate";
    case Role::kCandidate: return "candidate";
    case Role::kLeader: return "leader";
  }
  return "?";
}

std::unique_ptr<Node> make_node(const Config& cfg) {
  return std::make_unique<RaftNode>(cfg, std::make_unique<KvMachine>(cfg));
}

std::unique_ptr<Node> RaftNode::clone() const {
  auto copy = std::make_unique<RaftNode>(*this);
  if (sm_ && !copy->sm_) return nullptr;  // the state machine cannot be copied
  return copy;
}

void RaftNode::fingerprint(Fingerprint& h) const {
  // Durable state, then volatile state. Left out: cfg_ (the same in every
  // state of a run) and TimerId values (only whether each timer is armed).
  h(term_, voted_for_, log_, role_, leader_, commit_, applied_);
  h(base_index_, base_term_, snap_index_, snap_term_, snap_data_);
  h(election_timer_.valid(), heartbeat_timer_.valid());
  // Votes count only while campaigning (become_* starts them afresh).
  if (role_ == Role::kCandidate || role_ == Role::kPreCandidate) h(votes_);
  // The leader's progress tracking; a follower's copies are stale leftovers
  // that become_leader resets, so they decide nothing.
  if (role_ == Role::kLeader) h(next_, match_, probing_, probe_sent_, term_start_);
  // CheckQuorum's "heard from this election timeout" flags.
  if (cfg_.check_quorum) h(active_);
  // What only in_contact, lease_valid and round_confirmed read, and the
  // leader lease of PreVote / CheckQuorum: left out when nothing asks.
  const bool contact = cfg_.reads != Config::Reads::kLog || (sm_ && sm_->uses_contact());
  if (contact || cfg_.check_quorum || cfg_.prevote) h(heard_from_leader_);
  if (contact) h(round_, acked_round_, acked_at_, round_sent_, leader_commit_seen_);
  if (cfg_.reads == Config::Reads::kLease) h(restart_guard_);
  h(sm_.get() != nullptr);
  if (sm_) sm_->fingerprint(h);
}

const std::map<std::string, std::string>& RaftNode::kv() const {
  static const std::map<std::string, std::string> kEmpty;
  const auto* m = dynamic_cast<const KvMachine*>(sm_.get());
  return m ? m->kv() : kEmpty;
}

std::string_view message_type_name(uint32_t type) {
  switch (type) {
    case kClientRequest: return "client_request";
    case kForward: return "forward";
    case kRequestVote: return "request_vote";
    case kVoteReply: return "vote_reply";
    case kAppendEntries: return "append_entries";
    case kAppendReply: return "append_reply";
    case kInstallSnapshot: return "install_snapshot";
  }
  return {};
}

std::string_view RaftNode::message_name(uint32_t type) const {
  std::string_view n = message_type_name(type);
  if (n.empty()) return sm_ ? sm_->message_name(type) : "unknown";
  return n;
}

// ---- Storage -----------------------------------------------------------------

void RaftNode::load(Context& ctx) {
  Storage& st = ctx.storage();
  auto as_int = [](const std::optional<std::string>& v, int64_t dflt) { return v ? parse_stored_int(*v) : dflt; };
  term_ = Term{as_int(st.get("term"), 0)};
  // The vote is stored as the node's number, "-1" for none.
  const int64_t vote = cfg_.bug == Config::Bug::kVolatileVote ? -1 : as_int(st.get("vote"), -1);
  voted_for_ = vote < 0 ? std::nullopt : std::optional<NodeId>(NodeId{static_cast<uint32_t>(vote)});
  if (const auto snap = st.get("snap")) {
    std::string_view s = *snap;
    snap_index_ = LogIndex{take_stored_int(s, ' ')};
    snap_term_ = Term{take_stored_int(s, ' ')};
    snap_data_.assign(s);
  }
  if (const auto base = st.get("base")) {
    std::string_view s = *base;
    base_index_ = LogIndex{take_stored_int(s, ' ')};
    base_term_ = Term{parse_stored_int(s)};
  }
  // Storage compacts and forgets together with the keys above: one sync
  // makes both durable, a crash that loses unsynced writes undoes both.
  DSIM_ASSERT(st.log_begin() == static_cast<uint64_t>(base_index_.value));
  DSIM_ASSERT(snap_index_ >= base_index_);
  log_.clear();
  log_.reserve(static_cast<size_t>(st.log_end() - st.log_begin()));
  // Records are entries in their wire encoding, back to back: one pass.
  std::string_view records = st.log_records(st.log_begin(), st.log_end());
  while (!records.empty()) {
    const WireEntry e = decode_entry(records);
    log_.push_back(Entry{e.term, e.req, std::string(e.cmd)});
  }
  DSIM_ASSERT_MSG(log_.size() == st.log_end() - st.log_begin(), "corrupt raft log record");
  DSIM_ASSERT(last_index() >= snap_index_);
}

void RaftNode::persist_term_vote(Context& ctx) {
  ctx.storage().put("term", std::to_string(term_.value));
  if (cfg_.bug != Config::Bug::kVolatileVote) {
    ctx.storage().put("vote", std::to_string(voted_for_ ? int64_t{voted_for_->value} : int64_t{-1}));
  }
  ctx.storage().sync();
}

void RaftNode::persist_entry(Context& ctx, LogIndex index, std::string_view wire) {
  Storage& st = ctx.storage();
  DSIM_ASSERT(st.log_end() == static_cast<uint64_t>(index.value - 1));
  if (!wire.empty()) {
    st.log_append(wire);
    return;
  }
  const Entry& e = entry_at(index);
  char head[64];
  const char* const end = encode_head(head, e);
  st.log_append(std::string_view(head, static_cast<size_t>(end - head)), e.cmd);  // one record, header and command
}

void RaftNode::append_local(Context& ctx, Entry e, std::string_view wire) {
  log_.push_back(std::move(e));
  const LogIndex index = last_index();
  persist_entry(ctx, index, wire);
  const Entry& back = log_.back();
  ctx.emit("append", {{"index", index.value}, {"term", back.term.value}, {"cmd", std::string_view(back.cmd)}});
}

void RaftNode::truncate_from(Context& ctx, LogIndex index) {
  DSIM_ASSERT(index >= LogIndex{1});
  // The correct protocol never truncates a committed entry; planted bugs
  // may, and then it is the checkers' job to say so.
  if (cfg_.bug == Config::Bug::kNone) DSIM_ASSERT_MSG(index > commit_, "raft: a committed entry was truncated");
  DSIM_ASSERT(index > base_index_);
  log_.resize(static_cast<size_t>(index.value - 1 - base_index_.value));
  ctx.storage().log_truncate(static_cast<uint64_t>(index.value - 1));
  ctx.emit("truncate", {{"from", index.value}});
}

bool RaftNode::log_up_to_date(LogIndex last_index_other, Term last_term_other) const {
  // Raft 5.4.1: compare the terms of the last entries, then the lengths.
  const Term my_term = term_at(last_index());
  if (last_term_other != my_term) return last_term_other > my_term;
  return last_index_other >= last_index();
}

// ---- Roles -------------------------------------------------------------------

void RaftNode::set_role(Context& ctx, Role r) {
  // Legal transitions only: a leader never becomes a candidate
  // directly; it steps down to follower first.
  DSIM_ASSERT(!(role_ == Role::kLeader && (r == Role::kCandidate || r == Role::kPreCandidate)));
  role_ = r;
  ctx.emit("role", {{"role", std::string_view(role_name(r))}, {"term", term_.value}});
}

void RaftNode::reset_election_timer(Context& ctx) {
  ctx.cancel_timer(election_timer_);
  // A fixed timeout draws nothing: the same delays, and a random stream
  // that does not advance, so `dsim explore` (which hashes it) merges
  // states that differ only by how many times the timer was reset.
  const Duration d = cfg_.election_min == cfg_.election_max
                         ? cfg_.election_min
                         : Duration{ctx.rng().between(cfg_.election_min.ns, cfg_.election_max.ns)};
  election_timer_ = ctx.set_timer(d, kElectionTag);
}

void RaftNode::become_follower(Context& ctx, Term term, bool reset_timer) {
  DSIM_ASSERT(term >= term_);  // terms never go back
  const bool changed = term > term_ || role_ != Role::kFollower;
  if (term > term_) {
    term_ = term;
    voted_for_ = std::nullopt;
    leader_ = std::nullopt;
    persist_term_vote(ctx);
  }
  if (role_ == Role::kLeader) {
    ctx.cancel_timer(heartbeat_timer_);
    heartbeat_timer_ = TimerId{};
    leader_ = std::nullopt;
    if (sm_) sm_->on_leadership(*this, ctx, false);
  }
  if (changed) set_role(ctx, Role::kFollower);
  if (reset_timer || !election_timer_.valid()) reset_election_timer(ctx);
}

void RaftNode::become_pre_candidate(Context& ctx) {
  DSIM_ASSERT(role_ != Role::kLeader);
  set_role(ctx, Role::kPreCandidate);
  votes_ = {ctx.self().value};
  leader_ = std::nullopt;
  Message m;
  m.type = kRequestVote;
  m.f = {term_.next().value, last_index().value, term_at(last_index()).value, 1, 0, 0};
  for (uint32_t p = 0; p < ctx.cluster_size(); ++p) {
    if (p != ctx.self().value) ctx.send(NodeId{p}, m);
  }
  reset_election_timer(ctx);
  if (votes_.size() >= majority(ctx)) become_candidate(ctx);
}

void RaftNode::become_candidate(Context& ctx) {
  DSIM_ASSERT(role_ != Role::kLeader);
  term_ = term_.next();
  voted_for_ = ctx.self();
  leader_ = std::nullopt;
  persist_term_vote(ctx);
  set_role(ctx, Role::kCandidate);
  ctx.emit("vote", {{"for", ctx.node_name(ctx.self())}, {"term", term_.value}});
  votes_ = {ctx.self().value};
  Message m;
  m.type = kRequestVote;
  m.f = {term_.value, last_index().value, term_at(last_index()).value, 0, 0, 0};
  for (uint32_t p = 0; p < ctx.cluster_size(); ++p) {
    if (p != ctx.self().value) ctx.send(NodeId{p}, m);
  }
  reset_election_timer(ctx);
  if (votes_.size() >= majority(ctx)) become_leader(ctx);
}

void RaftNode::become_leader(Context& ctx) {
  DSIM_ASSERT(role_ == Role::kCandidate);
  DSIM_ASSERT(votes_.size() >= majority(ctx));
  set_role(ctx, Role::kLeader);
  leader_ = ctx.self();
  const auto n = ctx.cluster_size();
  next_.assign(n, last_index().next());
  match_.assign(n, LogIndex{0});
  probing_.assign(n, true);  // etcd: a new leader probes every follower
  probe_sent_.assign(n, false);
  active_.assign(n, false);
  // Raft 8: a no-op entry of the new term lets earlier entries commit.
  append_local(ctx, Entry{term_, 0, ""});
  ctx.storage().sync();
  match_[ctx.self().value] = last_index();
  term_start_ = last_index();
  round_sent_.clear();
  if (cfg_.heartbeat_rounds) round_sent_[++round_] = ctx.now();  // the round the broadcast below carries
  acked_round_.assign(n, 0);
  acked_at_.assign(n, Time{INT64_MIN / 2});
  broadcast_append(ctx);
  heartbeat_timer_ = ctx.set_timer(cfg_.heartbeat, kHeartbeatTag);
  reset_election_timer(ctx);  // CheckQuorum rounds
  advance_commit(ctx);        // a one-node cluster commits at once
  if (sm_) sm_->on_leadership(*this, ctx, true);
}

bool RaftNode::propose(Context& ctx, std::string_view cmd) { return propose_entry(ctx, std::string("#").append(cmd)); }

bool RaftNode::propose_entry(Context& ctx, std::string cmd) {
  if (role_ != Role::kLeader) return false;
  append_local(ctx, Entry{term_, 0, std::move(cmd)});
  ctx.storage().sync();
  match_[ctx.self().value] = last_index();
  broadcast_append(ctx);
  advance_commit(ctx);
  return true;
}

// ---- Events ------------------------------------------------------------------

void RaftNode::on_start(Context& ctx) {
  DSIM_ASSERT(log_.empty() && term_ == Term{0});
  set_role(ctx, Role::kFollower);
  reset_election_timer(ctx);
}

void RaftNode::on_recover(Context& ctx) {
  load(ctx);
  if (cfg_.reads == Config::Reads::kLease) restart_guard_ = ctx.now() + cfg_.election_min;
  if (snap_index_ > LogIndex{0}) {
    // Raft 7: the machine restarts from the snapshot, and commit and apply
    // resume at its index (entries up to there are committed).
    if (sm_) sm_->restore(*this, ctx, snap_data_);
    commit_ = snap_index_;
    applied_ = snap_index_;
    ctx.emit("recover", {{"log_len", last_index().value}, {"term", term_.value}, {"snapshot", snap_index_.value}});
    // The commit index it starts from, for readers that follow commit
    // events alone (raft_catch_up, the report).
    ctx.emit("commit", {{"index", commit_.value}});
  } else {
    ctx.emit("recover", {{"log_len", last_index().value}, {"term", term_.value}});
  }
  set_role(ctx, Role::kFollower);
  reset_election_timer(ctx);
}

void RaftNode::on_timer(Context& ctx, TimerId id, uint64_t tag) {
  if (tag == kHeartbeatTag) {
    DSIM_ASSERT(id == heartbeat_timer_);
    DSIM_ASSERT(role_ == Role::kLeader);
    // Each heartbeat is a round (for leases and in_contact); rounds ride in
    // message fields, which traces do not record.
    if (cfg_.heartbeat_rounds) {
      round_sent_[++round_] = ctx.now();
      while (!round_sent_.empty() && ctx.now() - round_sent_.begin()->second > cfg_.election_max) {
        round_sent_.erase(round_sent_.begin());
      }
    }
    broadcast_append(ctx, /*heartbeat=*/true);
    heartbeat_timer_ = ctx.set_timer(cfg_.heartbeat, kHeartbeatTag);
    if (sm_) sm_->on_leader_tick(*this, ctx);
    return;
  }
  DSIM_ASSERT(tag == kElectionTag);
  DSIM_ASSERT(id == election_timer_);
  election_timer_ = TimerId{};
  if (role_ == Role::kLeader) {
    // CheckQuorum: a leader that has not heard from a majority during an
    // election timeout steps down, so a partitioned leader stops serving.
    if (cfg_.check_quorum) {
      uint32_t heard = 1;
      for (uint32_t p = 0; p < active_.size(); ++p) heard += (p != ctx.self().value && active_[p]) ? 1 : 0;
      std::fill(active_.begin(), active_.end(), false);
      if (heard < majority(ctx)) {
        become_follower(ctx, term_);
        return;
      }
    }
    reset_election_timer(ctx);
    return;
  }
  if (cfg_.prevote) {
    become_pre_candidate(ctx);
  } else {
    become_candidate(ctx);
  }
}

void RaftNode::on_message(Context& ctx, NodeId from, const Message& m) {
  switch (m.type) {
    case kClientRequest:
    case kForward:
      on_client(ctx, m.f[0], m.body);
      return;
    case kRequestVote: on_request_vote(ctx, from, m); return;
    case kVoteReply: on_vote_reply(ctx, from, m); return;
    case kAppendEntries: on_append(ctx, from, m); return;
    case kAppendReply: on_append_reply(ctx, from, m); return;
    case kInstallSnapshot: on_install_snapshot(ctx, from, m); return;
  }
  if (sm_) {
    sm_->on_message(*this, ctx, from, m);
    return;
  }
  DSIM_ASSERT_MSG(false, "unknown raft message type");
}

void RaftNode::on_client(Context& ctx, int64_t req, const std::string& cmd) {
  if (role_ == Role::kLeader) {
    append_local(ctx, Entry{term_, req, cmd});
    ctx.storage().sync();
    match_[ctx.self().value] = last_index();
    ctx.emit("client_request", {{"req", req}, {"index", last_index().value}});
    broadcast_append(ctx);
    advance_commit(ctx);
    return;
  }
  if (leader_) {  // redirect to the leader we know
    Message fwd;
    fwd.type = kForward;
    fwd.f[0] = req;
    fwd.body = cmd;
    ctx.send(*leader_, fwd);
    return;
  }
  ctx.emit("client_response", {{"req", req}, {"ok", false}, {"reason", std::string_view("no leader known")}});
}

bool RaftNode::in_contact(const Context& ctx) const {
  if (role_ == Role::kLeader) return commit_ >= term_start_ && lease_valid(ctx);
  return leader_.has_value() && ctx.now() - heard_from_leader_ < cfg_.election_min && applied_ >= leader_commit_seen_;
}

bool RaftNode::lease_valid(const Context& ctx) const {
  const Duration lease{cfg_.election_min.ns / 10 * 9};
  uint32_t fresh = 1;  // the leader itself
  for (uint32_t p = 0; p < acked_at_.size(); ++p) {
    if (p != ctx.self().value && ctx.now() - acked_at_[p] < lease) ++fresh;
  }
  return fresh >= majority(ctx);
}

int64_t RaftNode::start_round(Context& ctx) {
  DSIM_ASSERT(role_ == Role::kLeader);
  round_sent_[++round_] = ctx.now();
  broadcast_append(ctx, /*heartbeat=*/true);
  return round_;
}

bool RaftNode::round_confirmed(const Context& ctx, int64_t round) const {
  uint32_t confirmed = 1;
  for (uint32_t p = 0; p < acked_round_.size(); ++p) {
    if (p != ctx.self().value && acked_round_[p] >= round) ++confirmed;
  }
  return confirmed >= majority(ctx);
}

void RaftNode::on_request_vote(Context& ctx, NodeId from, const Message& m) {
  const Term term{m.f[0]};
  const bool prevote = m.f[3] != 0;
  const bool log_ok = cfg_.bug == Config::Bug::kVoteAnyLog || log_up_to_date(LogIndex{m.f[1]}, Term{m.f[2]});
  // Leader lease (with CheckQuorum, as etcd): while we hear from a live
  // leader, a disruptive candidate cannot force a new term.
  const bool in_lease = ((cfg_.check_quorum || prevote) && leader_.has_value() && role_ != Role::kLeader &&
                         ctx.now() - heard_from_leader_ < cfg_.election_min) ||
                        (cfg_.reads == Config::Reads::kLease && ctx.now() < restart_guard_);
  Message reply;
  reply.type = kVoteReply;
  // f[3] says why a vote was refused (kVoteReasons); only traces read it.
  if (prevote) {
    const bool grant = term > term_ && log_ok && !in_lease;
    const int64_t why = grant ? kVoteGranted : term <= term_ ? kVoteStaleTerm : !log_ok ? kVoteLogBehind : kVoteLeaderAlive;
    reply.f = {grant ? term.value : term_.value, grant ? 1 : 0, 1, why, 0, 0};
    ctx.send(from, reply);
    return;
  }
  if (term > term_ && in_lease) {
    reply.f = {term_.value, 0, 0, kVoteLeaderAlive, 0, 0};
    ctx.send(from, reply);
    return;
  }
  if (term > term_) become_follower(ctx, term, /*reset_timer=*/false);
  bool grant = false;
  const int64_t why = term < term_                            ? kVoteStaleTerm
                      : voted_for_ && *voted_for_ != from     ? kVoteAlreadyVoted
                      : !log_ok                               ? kVoteLogBehind
                                                              : kVoteGranted;
  if (term == term_ && (!voted_for_ || *voted_for_ == from) && log_ok) {
    grant = true;
    if (!voted_for_) {
      voted_for_ = from;
      persist_term_vote(ctx);  // before replying (Figure 2)
      ctx.emit("vote", {{"for", ctx.node_name(from)}, {"term", term_.value}});
    }
    reset_election_timer(ctx);
  }
  reply.f = {term_.value, grant ? 1 : 0, 0, why, 0, 0};
  ctx.send(from, reply);
}

void RaftNode::on_vote_reply(Context& ctx, NodeId from, const Message& m) {
  const Term term{m.f[0]};
  const bool granted = m.f[1] != 0;
  const bool prevote = m.f[2] != 0;
  if (prevote) {
    if (!granted && term > term_) {
      become_follower(ctx, term);
      return;
    }
    if (role_ != Role::kPreCandidate || !granted || term != term_.next()) return;
    votes_.insert(from.value);
    if (votes_.size() >= majority(ctx)) become_candidate(ctx);
    return;
  }
  if (term > term_) {
    become_follower(ctx, term);
    return;
  }
  if (role_ != Role::kCandidate || term != term_ || !granted) return;
  votes_.insert(from.value);
  if (votes_.size() >= majority(ctx)) become_leader(ctx);
}

void RaftNode::send_append(Context& ctx, uint32_t peer, bool heartbeat, AppendCache* cache) {
  DSIM_ASSERT(role_ == Role::kLeader);
  const bool slow = cfg_.bug == Config::Bug::kSlowBacktrack;
  // Probe state: one AppendEntries outstanding. New entries wait for its
  // answer; a heartbeat sends the same probe again, so that a lost probe
  // or reply costs one heartbeat, never the probe's progress.
  if (!slow && probing_[peer] && probe_sent_[peer] && !heartbeat) return;
  const LogIndex next = next_[peer];
  DSIM_ASSERT(next >= LogIndex{1} && next <= last_index().next());
  const LogIndex prev = next.prev();
  if (prev < base_index_) {  // compacted: only the snapshot has it
    send_snapshot(ctx, peer);
    return;
  }
  const int64_t count = std::min<int64_t>(cfg_.max_batch, last_index() - prev);
  // Within one broadcast nothing else in the message changes (term, commit
  // index, round, the log), so peers at the same nextIndex get the message
  // built for the first of them: the entries are encoded once, not per peer.
  Message local;
  Message& m = cache ? cache->m : local;
  if (!cache || !cache->valid || cache->next != next || cache->count != count) {
    m.type = kAppendEntries;
    m.f = {term_.value, prev.value, term_at(prev).value, commit_.value, count, round_};
    // The entries' records (position = index - 1), already encoded.
    const auto first = static_cast<uint64_t>(next.value - 1);
    m.body.assign(ctx.storage().log_records(first, first + static_cast<uint64_t>(count)));
    if (cache) {
      cache->valid = true;
      cache->next = next;
      cache->count = count;
    }
  }
  ctx.send(NodeId{peer}, m);
  if (!slow && probing_[peer]) {
    probe_sent_[peer] = true;
    return;
  }
  // Pipelining (etcd's "replicate" state): assume these arrive and send only
  // newer entries next time. A loss shows up as a rejection, which puts the
  // peer back in probe state. (The planted slow_backtrack bug pipelines
  // always, so each heartbeat runs ahead of a probe still in flight.)
  next_[peer] = next + count;
}

void RaftNode::broadcast_append(Context& ctx, bool heartbeat) {
  AppendCache cache;
  const auto n = static_cast<uint32_t>(next_.size());  // one slot per node (become_leader)
  const uint32_t self = ctx.self().value;
  for (uint32_t p = 0; p < n; ++p) {
    if (p != self) send_append(ctx, p, heartbeat, &cache);
  }
}

void RaftNode::on_append(Context& ctx, NodeId from, const Message& m) {
  const Term term{m.f[0]};
  Message reply;
  reply.type = kAppendReply;
  if (term < term_) {  // Figure 2, AppendEntries 1: reply false if term < currentTerm
    reply.f = {term_.value, 0, 0, 0, 0, 0};
    ctx.send(from, reply);
    return;
  }
  follow_leader(ctx, from, term, LogIndex{m.f[3]});
  reply.f[3] = m.f[5];  // the heartbeat round this answers (ReadIndex)

  const LogIndex prev{m.f[1]};
  const Term prev_term{m.f[2]};
  const LogIndex leader_commit{m.f[3]};
  const int64_t count = m.f[4];
  // Figure 2, AppendEntries 2: reply false if the log has no entry at
  // prevLogIndex whose term matches prevLogTerm.
  // Before base_index_ everything is committed (a snapshot holds it), so
  // it matches the leader's log.
  const bool prev_ok = prev < base_index_ ||
                       (prev <= last_index() &&
                        (cfg_.bug == Config::Bug::kSkipPrevCheck || term_at(prev) == prev_term));
  if (!prev_ok) {
    if (cfg_.bug == Config::Bug::kSlowBacktrack) {
      reply.f = {term_.value, 0, std::min(prev.prev(), last_index()).value, m.f[5], 0, 0};  // retry one entry back
    } else {
      // The conflict hint (Raft 5.3, etcd's findConflictByTerm): the last
      // index at or before prev whose term is at most prev_term. Every
      // entry after it has a term the leader's entry at prev does not, so
      // the leader can skip them all in one round trip.
      LogIndex hint = std::min(prev, last_index());
      while (hint > base_index_ && term_at(hint) > prev_term) hint = hint.prev();
      reply.f = {term_.value, 0, prev.value, m.f[5], hint.value, term_at(hint).value};
    }
    ctx.send(from, reply);
    return;
  }
  std::string_view body = m.body;
  LogIndex index = prev;
  bool wrote = false;
  for (int64_t k = 0; k < count; ++k) {
    const WireEntry e = decode_entry(body);
    ++index;
    if (index <= base_index_) continue;  // committed, in our snapshot
    if (index <= last_index()) {
      if (term_at(index) == e.term) continue;  // already have it
      truncate_from(ctx, index);  // AppendEntries 3: conflict, delete it and all that follow
    }
    append_local(ctx, Entry{e.term, e.req, std::string(e.cmd)}, e.wire);  // AppendEntries 4
    wrote = true;
  }
  if (wrote) ctx.storage().sync();
  // AppendEntries 5: commitIndex = min(leaderCommit, index of last new entry).
  const LogIndex new_commit = std::min(leader_commit, index);
  if (new_commit > commit_) {
    commit_ = new_commit;
    ctx.emit("commit", {{"index", commit_.value}});
    apply_committed(ctx);
  }
  reply.f = {term_.value, 1, index.value, m.f[5], 0, 0};
  ctx.send(from, reply);
}

void RaftNode::on_append_reply(Context& ctx, NodeId from, const Message& m) {
  const Term term{m.f[0]};
  if (term > term_) {
    become_follower(ctx, term);
    return;
  }
  if (role_ != Role::kLeader || term != term_) return;
  active_[from.value] = true;
  acked_round_[from.value] = std::max(acked_round_[from.value], m.f[3]);
  // The lease runs from when the acknowledged round was sent, not from
  // when the acknowledgement arrived: the follower's promise began then.
  // Most acknowledgements answer the newest round, the map's last entry
  // (reached without a search).
  if (!round_sent_.empty() && round_sent_.rbegin()->first == m.f[3]) {
    acked_at_[from.value] = std::max(acked_at_[from.value], round_sent_.rbegin()->second);
  } else if (auto it = round_sent_.find(m.f[3]); it != round_sent_.end()) {
    acked_at_[from.value] = std::max(acked_at_[from.value], it->second);
  }
  if (sm_) sm_->on_round_acked(*this, ctx, m.f[3]);
  const uint32_t peer = from.value;
  if (m.f[1] != 0) {
    const LogIndex match{m.f[2]};
    DSIM_ASSERT(match <= last_index());
    if (match > match_[peer]) match_[peer] = match;
    if (probing_[peer] && cfg_.bug != Config::Bug::kSlowBacktrack) {
      // The probe found where the logs agree: pipeline from there.
      probing_[peer] = false;
      probe_sent_[peer] = false;
      next_[peer] = match_[peer].next();
    }
    next_[peer] = std::max(next_[peer], match.next());
    advance_commit(ctx);
    if (next_[peer] <= last_index()) send_append(ctx, peer);  // more to send
  } else if (cfg_.bug == Config::Bug::kSlowBacktrack) {
    const LogIndex hint{m.f[2]};
    // Never below what the follower has acknowledged: a late rejection of
    // an old request must not undo progress.
    next_[peer] = std::max(match_[peer].next(), std::min(next_[peer].prev(), hint.next()));
    send_append(ctx, peer);
  } else {
    on_append_reject(ctx, peer, m);
  }
}

void RaftNode::on_append_reject(Context& ctx, uint32_t peer, const Message& m) {
  const LogIndex rejected{m.f[2]};  // the prev_index the follower refused
  // Stale rejections (of a probe already answered, or of pipelined
  // messages sent before an earlier rejection) say nothing new (etcd's
  // MaybeDecrTo).
  if (probing_[peer] ? rejected != next_[peer].prev() : rejected <= match_[peer]) return;
  // The follower's hint: its log has term hint_term at hint_index and
  // nothing it holds after that can match. The last index where our log's
  // term is at most hint_term is the next candidate for agreement.
  const Term hint_term{m.f[5]};
  LogIndex probe = std::min(LogIndex{m.f[4]}, last_index());
  while (probe > match_[peer] && probe > base_index_ && term_at(probe) > hint_term) probe = probe.prev();
  next_[peer] = std::max(match_[peer].next(), std::min(rejected, probe.next()));
  probing_[peer] = true;
  probe_sent_[peer] = false;
  send_append(ctx, peer);
}

void RaftNode::advance_commit(Context& ctx) {
  DSIM_ASSERT(role_ == Role::kLeader);
  // Figure 2, leaders: commit N if a majority has matchIndex >= N and
  // log[N].term == currentTerm (Raft 5.4.2: never count replicas for an
  // entry of an earlier term; it commits indirectly). The largest N a
  // majority holds is the majority-th largest matchIndex; terms never
  // decrease along the log, so if that entry is of an earlier term, so is
  // every entry before it. (Scanning down from the last index cost a pass
  // over the peers per uncommitted entry, on every acknowledgement.)
  // Most acknowledgements cannot move the commit index: fewer than a
  // majority hold anything past it. One pass says so without selecting.
  const size_t needed = match_.size() / 2 + 1;  // majority(ctx): match_ has a slot per node
  size_t ahead = 0;
  for (const LogIndex m : match_) ahead += m > commit_ ? 1 : 0;
  if (ahead < needed) return;
  LogIndex n = commit_;
  if (match_.size() <= 16) {
    // Small clusters: the largest matchIndex that `needed` nodes hold, by
    // counting (no copy; a handful of comparisons).
    for (const LogIndex v : match_) {
      if (v <= n) continue;
      size_t holding = 0;
      for (const LogIndex w : match_) holding += w >= v ? 1 : 0;
      if (holding >= needed) n = v;
    }
  } else {
    match_scratch_.assign(match_.begin(), match_.end());
    const size_t k = needed - 1;
    std::nth_element(match_scratch_.begin(), match_scratch_.begin() + static_cast<std::ptrdiff_t>(k),
                     match_scratch_.end(), std::greater<>());
    n = match_scratch_[k];
  }
  if (n <= commit_) return;
  DSIM_ASSERT(n <= last_index());
  if (term_at(n) != term_ && cfg_.bug != Config::Bug::kCommitPreviousTerm) return;
  commit_ = n;
  ctx.emit("commit", {{"index", commit_.value}});
  apply_committed(ctx);
}

void RaftNode::apply_committed(Context& ctx) {
  DSIM_ASSERT(commit_ <= last_index());
  while (applied_ < commit_) {
    ++applied_;
    const Entry& e = entry_at(applied_);
    if (sm_) sm_->apply_entry(*this, ctx, applied_, e);
    ctx.emit("apply", {{"index", applied_.value}, {"term", e.term.value}, {"cmd", std::string_view(e.cmd)}});
    if (role_ == Role::kLeader && e.req != 0 && e.term == term_) {
      ctx.emit("client_response", {{"req", e.req}, {"ok", true}, {"index", applied_.value}});
    }
  }
  if (sm_) sm_->on_applied(*this, ctx);
  maybe_snapshot(ctx);
}

// ---- Snapshots (Raft 7) ------------------------------------------------------------

void RaftNode::maybe_snapshot(Context& ctx) {
  if (!snapshots_enabled()) return;
  if (static_cast<uint64_t>(applied_ - snap_index_) < cfg_.snapshot_every) return;
  DSIM_ASSERT(applied_ > snap_index_);
  DSIM_ASSERT(applied_ <= commit_);
  snap_index_ = applied_;
  snap_term_ = term_at(applied_);
  snap_data_.clear();
  if (sm_) sm_->snapshot(snap_data_);
  persist_snapshot(ctx);
  // Keep a margin of entries for followers a little behind, so that they
  // catch up from the log instead of a whole snapshot (etcd keeps 5,000).
  const auto margin = static_cast<int64_t>(cfg_.snapshot_every / 2);
  const LogIndex upto{std::max(base_index_.value, snap_index_.value - margin)};
  if (upto > base_index_) compact_to(ctx, upto);
  // Not synced here: the snapshot and the compaction become durable with the
  // node's next sync, together; a crash before that loses both, and the
  // node recovers from the previous snapshot and its whole log.
  ctx.emit("snapshot", {{"index", snap_index_.value}, {"term", snap_term_.value}});
}

void RaftNode::persist_snapshot(Context& ctx) {
  ctx.storage().put("snap", snapshot_value(snap_index_, snap_term_, snap_data_));
}

void RaftNode::compact_to(Context& ctx, LogIndex index) {
  DSIM_ASSERT(index > base_index_);
  DSIM_ASSERT(index <= last_index());
  DSIM_ASSERT(index <= snap_index_);  // never discard what no snapshot holds
  base_term_ = term_at(index);
  log_.erase(log_.begin(), log_.begin() + (index.value - base_index_.value));
  base_index_ = index;
  ctx.storage().log_compact(static_cast<uint64_t>(index.value));
  ctx.storage().put("base", std::to_string(base_index_.value) + " " + std::to_string(base_term_.value));
}

// AppendEntries or InstallSnapshot from `from`, a leader of `term` >= ours:
// follow it (Figure 2: a candidate steps down, the election timer resets).
void RaftNode::follow_leader(Context& ctx, NodeId from, Term term, LogIndex leader_commit) {
  if (term > term_ || role_ != Role::kFollower) become_follower(ctx, term);
  if (cfg_.bug == Config::Bug::kNone) {
    DSIM_ASSERT_MSG(!(leader_ && *leader_ != from), "raft: two leaders in one term");
  }
  leader_ = from;
  heard_from_leader_ = ctx.now();
  leader_commit_seen_ = std::max(leader_commit_seen_, leader_commit);
  reset_election_timer(ctx);
}

void RaftNode::send_snapshot(Context& ctx, uint32_t peer) {
  DSIM_ASSERT(role_ == Role::kLeader);
  DSIM_ASSERT(snap_index_ >= base_index_);
  DSIM_ASSERT(snap_index_ > LogIndex{0});
  Message m;
  m.type = kInstallSnapshot;
  m.f = {term_.value, snap_index_.value, snap_term_.value, commit_.value, 0, round_};
  m.body = snap_data_;
  ctx.send(NodeId{peer}, m);
  // etcd's snapshot state: nothing more until the follower answers (a
  // success moves it to replicate state from the snapshot's index); each
  // heartbeat sends the snapshot again, as it does a probe.
  probing_[peer] = true;
  probe_sent_[peer] = true;
}

void RaftNode::on_install_snapshot(Context& ctx, NodeId from, const Message& m) {
  const Term term{m.f[0]};
  Message reply;
  reply.type = kAppendReply;
  if (term < term_) {  // as AppendEntries: a stale leader learns the term
    reply.f = {term_.value, 0, 0, 0, 0, 0};
    ctx.send(from, reply);
    return;
  }
  follow_leader(ctx, from, term, LogIndex{m.f[3]});

  const LogIndex index{m.f[1]};
  const Term index_term{m.f[2]};
  DSIM_ASSERT(index > LogIndex{0});
  DSIM_ASSERT(LogIndex{m.f[3]} >= index);  // a leader snapshots committed entries only
  // Already applied that far: our log matches the leader's through `index`
  // (it is committed), so there is nothing to install.
  if (index > applied_) {
    Storage& st = ctx.storage();
    // Figure 13, 6-7: keep the entries after `index` if ours at `index`
    // has the snapshot's term; otherwise the log is just the snapshot.
    const bool keep = index <= last_index() && term_at(index) == index_term;
    if (keep) {
      log_.erase(log_.begin(), log_.begin() + (index.value - base_index_.value));
      st.log_compact(static_cast<uint64_t>(index.value));
    } else {
      log_.clear();
      st.log_truncate(st.log_begin());
      st.log_compact(static_cast<uint64_t>(index.value));
    }
    base_index_ = index;
    base_term_ = index_term;
    snap_index_ = index;
    snap_term_ = index_term;
    snap_data_ = m.body;
    // Figure 13, 8: reset the state machine from the snapshot.
    if (sm_) sm_->restore(*this, ctx, snap_data_);
    applied_ = index;
    const bool advanced = index > commit_;
    commit_ = std::max(commit_, index);
    persist_snapshot(ctx);
    st.put("base", std::to_string(base_index_.value) + " " + std::to_string(base_term_.value));
    st.sync();
    ctx.emit("install_snapshot", {{"index", index.value}, {"term", index_term.value}});
    if (advanced) ctx.emit("commit", {{"index", commit_.value}});  // as for recover
    if (sm_) sm_->on_applied(*this, ctx);
  }
  reply.f = {term_.value, 1, index.value, m.f[5], 0, 0};
  ctx.send(from, reply);
}

}  // namespace dsim::raft
