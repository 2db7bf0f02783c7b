#include "protocols/paxos/paxos.h"

#include <iterator>

#include "dsim/assert.h"
#include "dsim/stored_int.h"

namespace dsim::paxos {
namespace {
constexpr uint64_t kStartTag = 1;
constexpr uint64_t kRetryTag = 2;
constexpr Slot kSlot{0};  // single-decree: the one slot
}  // namespace

std::unique_ptr<Node> make_node(const Config& cfg) { return std::make_unique<PaxosNode>(cfg); }

std::string_view message_type_name(uint32_t type) {
  switch (type) {
    case kPrepare: return "prepare";
    case kPromise: return "promise";
    case kNack: return "nack";
    case kAccept: return "accept";
    case kAccepted: return "accepted";
  }
  return {};
}

std::string_view PaxosNode::message_name(uint32_t type) const {
  const std::string_view n = message_type_name(type);
  return n.empty() ? "unknown" : n;
}

void PaxosNode::fingerprint(Fingerprint& h) const {
  // Acceptor (cfg_ is the same in every state; the start timer is the
  // host's, which hashes pending timers itself).
  h(proposer_, promised_, accepted_ballot_, accepted_value_, learned_);
  // Once a value is learned the learner and the proposer are done: nothing
  // below changes what the node does (start_round and nacks return, the
  // phase is idle, a cancelled retry timer never fires).
  if (!learned_.empty()) return;
  h(accepts_);
  if (!proposer_) return;  // only proposers read the rest
  h(round_, ballot_, highest_seen_, phase_, value_, retry_timer_.valid());
  // Promises count only in phase 1 (start_round starts them afresh).
  if (phase_ == Phase::kPrepare) h(promises_, best_ballot_, best_value_);
}

void PaxosNode::load(Context& ctx) {
  Storage& st = ctx.storage();
  if (cfg_.bug != Config::Bug::kForgetPromise) {
    if (auto v = st.get("promised")) promised_ = Ballot{parse_stored_int(*v)};
  }
  if (cfg_.bug != Config::Bug::kForgetAccepted) {
    if (auto v = st.get("accepted_ballot")) accepted_ballot_ = Ballot{parse_stored_int(*v)};
    if (auto v = st.get("accepted_value")) accepted_value_ = *v;
  }
}

void PaxosNode::persist(Context& ctx) {
  // "Before replying, an acceptor records its promise and what it accepted
  // in stable storage"; the planted bugs skip one of them.
  Storage& st = ctx.storage();
  if (cfg_.bug != Config::Bug::kForgetPromise) st.put("promised", std::to_string(promised_.value));
  if (cfg_.bug != Config::Bug::kForgetAccepted) {
    st.put("accepted_ballot", std::to_string(accepted_ballot_.value));
    st.put("accepted_value", accepted_value_);
  }
  st.sync();
}

void PaxosNode::on_start(Context& ctx) {
  proposer_ = cfg_.proposers.count(ctx.self().value) > 0;
  if (proposer_) {
    const auto k = static_cast<int64_t>(std::distance(cfg_.proposers.begin(), cfg_.proposers.find(ctx.self().value)));
    ctx.set_timer(cfg_.start + cfg_.stagger * k, kStartTag);
  }
}

void PaxosNode::on_recover(Context& ctx) {
  load(ctx);
  ctx.emit("recover", {{"promised", promised_.value}, {"accepted_ballot", accepted_ballot_.value}});
  on_start(ctx);
}

void PaxosNode::start_round(Context& ctx) {
  DSIM_ASSERT(proposer_);
  if (!learned_.empty()) return;  // done
  // Ballots are unique per proposer (round * 100 + id + 1) and above every
  // ballot this proposer has seen.
  DSIM_ASSERT(ctx.cluster_size() < 100);
  const int64_t id = ctx.self().value + 1;
  const int64_t round = std::max(round_ + 1, highest_seen_.value / 100 + 1);
  if (cfg_.max_rounds > 0 && round > cfg_.max_rounds) return;  // out of rounds: stop retrying
  round_ = round;
  ballot_ = Ballot{round_ * 100 + id};
  DSIM_ASSERT(ballot_ > highest_seen_);
  phase_ = Phase::kPrepare;
  promises_.clear();
  best_ballot_ = kNoBallot;
  best_value_.clear();
  if (value_.empty()) {
    value_ = "value-from-" + std::string(ctx.node_name(ctx.self()));
    ctx.emit("propose", {{"slot", kSlot.value}, {"value", std::string_view(value_)}});
  }
  ctx.emit("prepare", {{"slot", kSlot.value}, {"ballot", ballot_.value}});
  Message m;
  m.type = kPrepare;
  m.f[0] = ballot_.value;
  for (uint32_t p = 0; p < ctx.cluster_size(); ++p) ctx.send(NodeId{p}, m);
  schedule_retry(ctx, false);
}

void PaxosNode::schedule_retry(Context& ctx, bool preempted) {
  // Without backoff a proposer starts a round every `retry`, rejected or
  // not: two of them in lockstep can preempt each other forever (the
  // livelock FLP says no deterministic protocol fully avoids). A random
  // pause after a rejection breaks the lockstep.
  if (preempted && !cfg_.backoff) return;
  ctx.cancel_timer(retry_timer_);
  // Without backoff, or with a fixed one, nothing is drawn (the random
  // stream does not advance: `dsim explore` hashes it).
  const Duration jitter = !cfg_.backoff                          ? Duration{0}
                          : cfg_.backoff_min == cfg_.backoff_max ? cfg_.backoff_min
                                                                 : Duration{ctx.rng().between(cfg_.backoff_min.ns, cfg_.backoff_max.ns)};
  retry_timer_ = ctx.set_timer(preempted ? jitter : cfg_.retry + jitter, kRetryTag);
}

void PaxosNode::on_timer(Context& ctx, TimerId id, uint64_t tag) {
  if (tag == kStartTag) {
    start_round(ctx);
    return;
  }
  DSIM_ASSERT(tag == kRetryTag);
  if (id != retry_timer_) return;
  retry_timer_ = TimerId{};
  start_round(ctx);
}

void PaxosNode::on_message(Context& ctx, NodeId from, const Message& m) {
  const Ballot b{m.f[0]};
  switch (m.type) {
    case kPrepare: {  // acceptor, phase 1b
      Message r;
      if (b > promised_) {
        promised_ = b;
        persist(ctx);
        ctx.emit("promise", {{"slot", kSlot.value}, {"ballot", b.value}, {"accepted_ballot", accepted_ballot_.value},
                             {"accepted_value", std::string_view(accepted_value_)}});
        r.type = kPromise;
        r.f[0] = b.value;
        r.f[1] = accepted_ballot_.value;
        r.body = accepted_value_;
      } else {
        ctx.emit("nack", {{"slot", kSlot.value}, {"ballot", b.value}, {"promised", promised_.value}});
        r.type = kNack;
        r.f[0] = b.value;
        r.f[1] = promised_.value;
      }
      ctx.send(from, r);
      return;
    }
    case kAccept: {  // acceptor, phase 2b
      if (b >= promised_ || cfg_.bug == Config::Bug::kAcceptAnyBallot) {
        promised_ = std::max(promised_, b);
        accepted_ballot_ = b;
        accepted_value_ = m.body;
        persist(ctx);
        ctx.emit("accepted", {{"slot", kSlot.value}, {"ballot", b.value}, {"value", std::string_view(accepted_value_)}});
        Message r;
        r.type = kAccepted;
        r.f[0] = b.value;
        r.body = accepted_value_;
        for (uint32_t p = 0; p < ctx.cluster_size(); ++p) {
          if (cfg_.learners.empty() || cfg_.learners.count(p)) ctx.send(NodeId{p}, r);
        }
      } else {
        ctx.emit("nack", {{"slot", kSlot.value}, {"ballot", b.value}, {"promised", promised_.value}});
        Message r;
        r.type = kNack;
        r.f[0] = b.value;
        r.f[1] = promised_.value;
        ctx.send(from, r);
      }
      return;
    }
    case kPromise: {  // proposer, phase 2a once a majority promised
      highest_seen_ = std::max(highest_seen_, b);
      if (!proposer_ || phase_ != Phase::kPrepare || b != ballot_) return;
      promises_.insert(from.value);
      if (Ballot{m.f[1]} > best_ballot_) {
        best_ballot_ = Ballot{m.f[1]};
        best_value_ = m.body;
      }
      if (promises_.size() < majority(ctx)) return;
      phase_ = Phase::kAccept;
      // The heart of Paxos: a value some acceptor may already have accepted
      // must be proposed again.
      const std::string v = best_ballot_.valid() && cfg_.bug != Config::Bug::kIgnoreAccepted ? best_value_ : value_;
      ctx.emit("accept", {{"slot", kSlot.value}, {"ballot", ballot_.value}, {"value", std::string_view(v)}});
      Message a;
      a.type = kAccept;
      a.f[0] = ballot_.value;
      a.body = v;
      for (uint32_t p = 0; p < ctx.cluster_size(); ++p) ctx.send(NodeId{p}, a);
      return;
    }
    case kNack: {
      highest_seen_ = std::max(highest_seen_, Ballot{m.f[1]});
      if (!proposer_ || b != ballot_ || phase_ == Phase::kIdle || !learned_.empty()) return;
      phase_ = Phase::kIdle;
      schedule_retry(ctx, /*preempted=*/true);
      return;
    }
    case kAccepted: {  // learner
      highest_seen_ = std::max(highest_seen_, b);
      auto& who = accepts_[{b, m.body}];
      who.insert(from.value);
      if (learned_.empty() && who.size() >= majority(ctx)) {
        learned_ = m.body;
        ctx.emit("learned", {{"slot", kSlot.value}, {"ballot", b.value}, {"value", std::string_view(learned_)}});
        if (proposer_) {
          ctx.cancel_timer(retry_timer_);
          phase_ = Phase::kIdle;
        }
      }
      return;
    }
  }
  DSIM_ASSERT_MSG(false, "unknown paxos message type");
}

}  // namespace dsim::paxos
