#include "protocols/lock/checkers.h"

namespace dsim::analysis {

void MutualExclusion::consume(const trace::Event& e) {
  if (e.kind != "resource_write") return;
  const trace::Value* acc = e.find("accepted");
  const bool accepted = acc && std::holds_alternative<bool>(*acc) && std::get<bool>(*acc);
  if (!accepted) {
    ++rejected_;
    return;
  }
  ++accepted_;
  Write w{e.t, std::string(e.get_str("client").value_or("?")), e.get_int("token").value_or(0), e.get_int("seq").value_or(0)};
  if (!highest_ || w.token >= highest_->token) {
    highest_ = w;
    return;
  }
  if (first_) return;
  first_ = Violation{e.t, e.node,
                     "the resource accepted a write from " + w.client + " with token " + std::to_string(w.token) +
                         " (seq " + std::to_string(w.seq) + ") after accepting " + highest_->client + "'s write with token " +
                         std::to_string(highest_->token) + " at " + format_time(highest_->t) +
                         ": two clients wrote while each believed it held the lock"};
}

CheckResult MutualExclusion::finish() {
  CheckResult r{std::string(name()), kind(), first_ ? Status::kViolated : Status::kHeld, first_, {}};
  if (!first_) {
    r.note = std::to_string(accepted_) + " writes accepted in token order" +
             (rejected_ ? ", " + std::to_string(rejected_) + " stale ones rejected by fencing" : "");
  }
  require_evidence(r, accepted_ > 0, "the resource accepted no write");
  return r;
}

void LockLiveness::consume(const trace::Event& e) {
  faults_.consume(e);
  if (e.kind == "grant") {
    ++grants_;
    const int64_t gap = e.t - free_at_;
    if (free_at_ >= faults_.quiet_since() && gap > within_ns_ && !first_) {
      first_ = Violation{e.t, e.node,
                         "the lock was free from " + format_time(free_at_) + " (" + free_how_ + ") but granted again only at " +
                             format_time(e.t) + ", after " + format_time(gap)};
    }
    worst_gap_ = std::max(worst_gap_, gap);
    free_at_ = e.t + e.get_int("ttl_ns").value_or(0);
    free_how_ = "the lease of " + std::string(e.get_str("client").value_or("?")) + " expired";
  } else if (e.kind == "release") {
    free_at_ = std::min(free_at_, e.t);
    free_how_ = std::string(e.get_str("client").value_or("?")) + " released it";
  }
}

CheckResult LockLiveness::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, first_, {}};
  if (first_) {
    r.status = Status::kViolated;
    return r;
  }
  const int64_t end = faults_.end_time();
  const int64_t deadline = std::max(free_at_, faults_.quiet_since()) + within_ns_;
  if (faults_.partitioned_at_end()) {
    r.status = Status::kInconclusive;
    r.note = "the network is still partitioned at the end of the run";
    return r;
  }
  if (deadline <= end && free_at_ <= end) {
    // Free at the end and not granted for longer than the bound.
    r.status = Status::kViolated;
    r.violation = Violation{deadline, "*",
                            "the lock was free from " + format_time(std::max(free_at_, faults_.quiet_since())) + " (" +
                                free_how_ + ") and not granted by " + format_time(deadline)};
    return r;
  }
  r.note = std::to_string(grants_) + " grants; a free lock waited at most " + format_time(std::max<int64_t>(worst_gap_, 0));
  require_evidence(r, grants_ > 0, "the lock was never granted, and the run ended before a bound had passed");
  return r;
}

}  // namespace dsim::analysis
