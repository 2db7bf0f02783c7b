// A solution of the Paxos lab, for dsim's own tests only: it shows the
// skeleton's helpers are enough to score full points. Not for students.
#include "paxos_lab.h"

#include <algorithm>

namespace paxoslab {

void PaxosLab::start(dsim::Context& ctx) {
  if (is_proposer_) set_retry_timer(ctx, cfg_.start);
}

void PaxosLab::on_retry_timeout(dsim::Context& ctx) {
  if (!learned_.empty()) return;
  if (!announced_) {
    propose(ctx, my_value(ctx));
    announced_ = true;
  }
  ballot_ = make_ballot(ctx, std::max({highest_seen_, ballot_, promised_}));
  promises_.clear();
  best_ballot_ = kNoBallot;
  best_value_.clear();
  accepting_ = false;
  send_prepare(ctx, ballot_);
  const int64_t backoff = static_cast<int64_t>(ctx.rng().below(static_cast<uint64_t>(cfg_.retry.ns) + 1));
  set_retry_timer(ctx, dsim::Duration{cfg_.retry.ns + backoff});
}

void PaxosLab::handle_prepare(dsim::Context& ctx, dsim::NodeId from, const Prepare& m) {
  if (m.ballot > promised_) {
    promise(ctx, from, m.ballot);
  } else {
    nack(ctx, from, m.ballot);
  }
}

void PaxosLab::handle_promise(dsim::Context& ctx, dsim::NodeId from, const Promise& m) {
  if (m.ballot != ballot_ || accepting_) return;
  promises_.insert(from.value);
  if (m.accepted_ballot > best_ballot_) {
    best_ballot_ = m.accepted_ballot;
    best_value_ = m.accepted_value;
  }
  if (promises_.size() >= majority(ctx)) {
    accepting_ = true;
    send_accept(ctx, ballot_, best_ballot_ == kNoBallot ? my_value(ctx) : best_value_);
  }
}

void PaxosLab::handle_nack(dsim::Context&, dsim::NodeId, const Nack& m) {
  highest_seen_ = std::max(highest_seen_, m.promised);
}

void PaxosLab::handle_accept(dsim::Context& ctx, dsim::NodeId from, const Accept& m) {
  if (m.ballot >= promised_) {
    accept(ctx, m.ballot, m.value);
  } else {
    nack(ctx, from, m.ballot);
  }
}

void PaxosLab::handle_accepted(dsim::Context& ctx, dsim::NodeId from, const Accepted& m) {
  highest_seen_ = std::max(highest_seen_, m.ballot);
  auto& who = accepts_[{m.ballot, m.value}];
  who.insert(from.value);
  if (who.size() >= majority(ctx)) {
    learn(ctx, m.ballot, m.value);
    stop_retry_timer(ctx);
  }
}

}  // namespace paxoslab
