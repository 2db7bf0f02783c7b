#include "two_phase_commit.h"

#include <dsim/assert.h>
#include <dsim/stored_int.h>

#include <string>

namespace tpc {
namespace {

constexpr uint64_t kRetryTag = 1;  // vote timeouts use 2 * tx (tx >= 1)

// Storage keys. Coordinator: "next_tx", "open" (space-separated ids of
// transactions not yet acknowledged by all), "tx/<id>" = p(reparing),
// c(ommitted) or a(borted). Participant: "p/<id>" = y(es, prepared),
// c or a; "in_doubt" (space-separated ids). Storage has no iteration, so the
// lists say what to reload after a crash.
std::string key(const char* prefix, int64_t tx) { return prefix + std::to_string(tx); }

std::string join(const auto& ids) {
  std::string s;
  for (const auto& id : ids) {
    if (!s.empty()) s += ' ';
    if constexpr (requires { id.first; }) s += std::to_string(id.first);
    else s += std::to_string(id);
  }
  return s;
}

template <typename F>
void for_each_id(std::string_view list, F f) {
  while (!list.empty()) {
    const size_t sp = list.find(' ');
    f(dsim::parse_stored_int(list.substr(0, sp)));
    list = sp == std::string_view::npos ? std::string_view{} : list.substr(sp + 1);
  }
}

std::string_view decision_text(bool commit) { return commit ? "commit" : "abort"; }

}  // namespace

std::string_view message_name(uint32_t type) {
  switch (type) {
    case kBegin: return "begin_tx";
    case kPrepare: return "prepare";
    case kVote: return "vote";
    case kDecision: return "decision";
    case kAck: return "ack";
    case kQuery: return "query";
  }
  return {};
}

std::unique_ptr<dsim::Node> make_node(const Config& cfg, dsim::NodeId id) {
  if (id == cfg.coordinator) return std::make_unique<Coordinator>(cfg);
  return std::make_unique<Participant>(cfg);
}

// ---- Coordinator -------------------------------------------------------------

void Coordinator::on_start(dsim::Context&) { DSIM_ASSERT(open_.empty()); }

void Coordinator::on_recover(dsim::Context& ctx) {
  dsim::Storage& st = ctx.storage();
  if (auto v = st.get("next_tx")) next_tx_ = dsim::parse_stored_int(*v);
  std::string open;
  if (auto v = st.get("open")) open = *v;
  ctx.emit("recover", {{"open", std::string_view(open)}});
  for_each_id(open, [&](int64_t tx) {
    DSIM_ASSERT(tx < next_tx_);
    const auto state = st.get(key("tx/", tx));
    DSIM_ASSERT(state.has_value());
    if (*state == "p") {
      open_[tx];  // undecided when we crashed: nobody can have committed it
      decide(ctx, tx, false, "recovered");
      return;
    }
    Tx& t = open_[tx];
    t.state = *state == "c" ? Tx::State::kCommitted : Tx::State::kAborted;
    for (uint32_t p = 0; p < ctx.cluster_size(); ++p) {
      if (dsim::NodeId{p} != ctx.self()) t.unacked.insert(p);
      if (dsim::NodeId{p} != ctx.self()) send_decision(ctx, tx, t.state == Tx::State::kCommitted, p);
    }
  });
  arm_retry(ctx);
}

void Coordinator::begin(dsim::Context& ctx) {
  const int64_t tx = next_tx_++;
  Tx& t = open_[tx];
  dsim::Storage& st = ctx.storage();
  st.put("next_tx", std::to_string(next_tx_));
  st.put(key("tx/", tx), "p");
  persist_open(ctx);
  st.sync();  // a transaction id is never reused, and recovery must find it
  ctx.emit("tx_begin", {{"tx", tx}, {"participants", static_cast<int64_t>(ctx.cluster_size() - 1)}});
  dsim::Message m;
  m.type = kPrepare;
  m.f[0] = tx;
  for (uint32_t p = 0; p < ctx.cluster_size(); ++p) {
    if (dsim::NodeId{p} != ctx.self()) ctx.send(dsim::NodeId{p}, m);
  }
  t.vote_timer = ctx.set_timer(cfg_.vote_timeout, 2 * static_cast<uint64_t>(tx));
}

void Coordinator::decide(dsim::Context& ctx, int64_t tx, bool commit, std::string_view reason) {
  Tx& t = open_.at(tx);
  DSIM_ASSERT(t.state == Tx::State::kPreparing);
  t.state = commit ? Tx::State::kCommitted : Tx::State::kAborted;
  if (t.vote_timer.valid()) ctx.cancel_timer(t.vote_timer);
  t.vote_timer = {};
  // Durable before anyone hears it: a decision, once sent, never changes.
  ctx.storage().put(key("tx/", tx), commit ? "c" : "a");
  ctx.storage().sync();
  ctx.emit("decide", {{"tx", tx}, {"decision", decision_text(commit)}, {"reason", reason}});
  for (uint32_t p = 0; p < ctx.cluster_size(); ++p) {
    if (dsim::NodeId{p} == ctx.self()) continue;
    t.unacked.insert(p);
    send_decision(ctx, tx, commit, p);
  }
  arm_retry(ctx);
}

void Coordinator::send_decision(dsim::Context& ctx, int64_t tx, bool commit, uint32_t to) {
  dsim::Message m;
  m.type = kDecision;
  m.f[0] = tx;
  m.f[1] = commit ? 1 : 0;
  ctx.send(dsim::NodeId{to}, m);
}

void Coordinator::persist_open(dsim::Context& ctx) { ctx.storage().put("open", join(open_)); }

void Coordinator::arm_retry(dsim::Context& ctx) {
  if (retry_timer_.valid()) return;
  for (const auto& [tx, t] : open_) {
    if (t.state != Tx::State::kPreparing) {
      retry_timer_ = ctx.set_timer(cfg_.retry, kRetryTag);
      return;
    }
  }
}

void Coordinator::on_message(dsim::Context& ctx, dsim::NodeId from, const dsim::Message& m) {
  if (m.type == kBegin) {
    begin(ctx);
    return;
  }
  DSIM_ASSERT(from != dsim::kExternal);
  const int64_t tx = m.f[0];
  DSIM_ASSERT(tx >= 1 && tx < next_tx_);
  auto it = open_.find(tx);
  switch (m.type) {
    case kVote: {
      if (it == open_.end()) return;  // long finished: a duplicated vote
      Tx& t = it->second;
      if (t.state != Tx::State::kPreparing) {
        send_decision(ctx, tx, t.state == Tx::State::kCommitted, from.value);
        return;
      }
      if (m.f[1] == 0) {
        decide(ctx, tx, false, "vote_no");
        return;
      }
      t.yes.insert(from.value);
      if (t.yes.size() == ctx.cluster_size() - 1) decide(ctx, tx, true, "all_yes");
      return;
    }
    case kAck:
      if (it == open_.end() || it->second.state == Tx::State::kPreparing) return;
      it->second.unacked.erase(from.value);
      if (it->second.unacked.empty()) {
        open_.erase(it);
        persist_open(ctx);  // unsynced on purpose: losing it only repeats a decision
      }
      return;
    case kQuery: {
      if (it != open_.end() && it->second.state == Tx::State::kPreparing) return;  // the vote timeout will decide
      // Decided (open or finished): the durable record answers.
      const auto state = ctx.storage().get(key("tx/", tx));
      DSIM_ASSERT(state.has_value() && *state != "p");
      send_decision(ctx, tx, *state == "c", from.value);
      return;
    }
  }
  DSIM_ASSERT_MSG(false, "unexpected message at the coordinator");
}

void Coordinator::on_timer(dsim::Context& ctx, dsim::TimerId id, uint64_t tag) {
  if (tag == kRetryTag) {
    DSIM_ASSERT(id == retry_timer_);
    retry_timer_ = {};
    for (const auto& [tx, t] : open_) {
      if (t.state == Tx::State::kPreparing) continue;
      for (uint32_t p : t.unacked) send_decision(ctx, tx, t.state == Tx::State::kCommitted, p);
    }
    arm_retry(ctx);
    return;
  }
  const auto tx = static_cast<int64_t>(tag / 2);
  auto it = open_.find(tx);
  DSIM_ASSERT(it != open_.end() && it->second.vote_timer == id);
  it->second.vote_timer = {};
  DSIM_ASSERT(it->second.state == Tx::State::kPreparing);
  // The planted bug: silence taken for consent.
  decide(ctx, tx, cfg_.bug == Config::Bug::kCommitOnTimeout, "vote_timeout");
}

// ---- Participant -------------------------------------------------------------

void Participant::on_start(dsim::Context&) { DSIM_ASSERT(in_doubt_.empty()); }

void Participant::on_recover(dsim::Context& ctx) {
  std::string list;
  if (auto v = ctx.storage().get("in_doubt")) list = *v;
  for_each_id(list, [&](int64_t tx) {
    const auto state = ctx.storage().get(key("p/", tx));
    if (state && *state == "y") in_doubt_.insert(tx);
  });
  ctx.emit("recover", {{"open", std::string_view(join(in_doubt_))}});
  arm_query(ctx);
}

void Participant::prepare(dsim::Context& ctx, dsim::NodeId from, int64_t tx) {
  dsim::Storage& st = ctx.storage();
  const std::string k = key("p/", tx);
  dsim::Message vote;
  vote.type = kVote;
  vote.f[0] = tx;
  if (auto state = st.get(k)) {
    // A duplicate Prepare: repeat the vote we made ("a" covers a no vote).
    vote.f[1] = *state == "a" ? 0 : 1;
    ctx.send(from, vote);
    return;
  }
  const bool yes = ctx.rng().below(100) >= cfg_.vote_no_percent;
  if (yes) {
    // Prepared: from here on only the coordinator may decide.
    st.put(k, "y");
    in_doubt_.insert(tx);
    persist_in_doubt(ctx);
    st.sync();
    ctx.emit("vote", {{"tx", tx}, {"vote", std::string_view("yes")}});
    arm_query(ctx);
  } else {
    st.put(k, "a");
    st.sync();
    ctx.emit("vote", {{"tx", tx}, {"vote", std::string_view("no")}});
    ctx.emit("outcome", {{"tx", tx}, {"decision", decision_text(false)}});
  }
  vote.f[1] = yes ? 1 : 0;
  ctx.send(from, vote);
}

void Participant::learn(dsim::Context& ctx, int64_t tx, bool commit) {
  dsim::Storage& st = ctx.storage();
  const std::string k = key("p/", tx);
  const auto state = st.get(k);
  if (state && *state != "y") return;  // already decided here
  // Not prepared (never saw the Prepare, or forgot it in a crash): there is
  // nothing to commit, so this participant aborts whatever it is told.
  const bool outcome = state.has_value() && commit;
  st.put(k, outcome ? "c" : "a");
  in_doubt_.erase(tx);
  persist_in_doubt(ctx);
  st.sync();
  ctx.emit("outcome", {{"tx", tx}, {"decision", decision_text(outcome)}});
}

void Participant::persist_in_doubt(dsim::Context& ctx) { ctx.storage().put("in_doubt", join(in_doubt_)); }

void Participant::arm_query(dsim::Context& ctx) {
  if (in_doubt_.empty() || query_timer_.valid()) return;
  query_timer_ = ctx.set_timer(cfg_.retry, kRetryTag);
}

void Participant::on_message(dsim::Context& ctx, dsim::NodeId from, const dsim::Message& m) {
  switch (m.type) {
    case kBegin:
      // A request that reached a participant: hand it to the coordinator
      // (best effort, like a client's request to the wrong server).
      ctx.send(cfg_.coordinator, m);
      return;
    case kPrepare:
      prepare(ctx, from, m.f[0]);
      return;
    case kDecision: {
      learn(ctx, m.f[0], m.f[1] == 1);
      dsim::Message ack;
      ack.type = kAck;
      ack.f[0] = m.f[0];
      ctx.send(from, ack);
      return;
    }
  }
  DSIM_ASSERT_MSG(false, "unexpected message at a participant");
}

void Participant::on_timer(dsim::Context& ctx, dsim::TimerId id, uint64_t tag) {
  DSIM_ASSERT(tag == kRetryTag && id == query_timer_);
  query_timer_ = {};
  for (int64_t tx : in_doubt_) {
    dsim::Message q;
    q.type = kQuery;
    q.f[0] = tx;
    ctx.send(cfg_.coordinator, q);
  }
  arm_query(ctx);
}

}  // namespace tpc
