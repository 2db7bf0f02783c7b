#include "checkers.h"

#include <algorithm>

namespace tpc {

using dsim::analysis::CheckResult;
using dsim::analysis::format_time;
using dsim::analysis::Status;
using dsim::analysis::Violation;

void Atomicity::consume(const dsim::trace::Event& e) {
  if (e.kind != "decide" && e.kind != "outcome") return;
  const auto tx = e.get_int("tx");
  const auto decision = e.get_str("decision");
  if (!tx || !decision) return;
  if (e.kind == "outcome") ++outcomes_;
  Seen& s = txs_[*tx];
  const bool commit = *decision == "commit";
  std::string& who = commit ? s.committer : s.aborter;
  if (who.empty()) {
    who = e.node;
    (commit ? s.commit_t : s.abort_t) = e.t;
  }
  if (first_ || s.committer.empty() || s.aborter.empty()) return;
  first_ = Violation{e.t, e.node,
                     "transaction " + std::to_string(*tx) + " was committed by " + s.committer + " at " +
                         format_time(s.commit_t) + " and aborted by " + s.aborter + " at " + format_time(s.abort_t)};
}

CheckResult Atomicity::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, first_, {}};
  if (first_) {
    r.status = Status::kViolated;
  } else if (outcomes_ == 0) {
    r.status = Status::kInconclusive;  // a cluster that does nothing proves nothing
    r.note = "no participant reached an outcome";
  } else {
    r.note = std::to_string(txs_.size()) + " transactions, " + std::to_string(outcomes_) +
             " participant outcomes, all in agreement";
  }
  return r;
}

void TxDecided::consume(const dsim::trace::Event& e) {
  faults_.consume(e);
  if (e.kind == "input" && e.get_str("type") == "begin_tx") {
    ++requests_;
  } else if (e.kind == "tx_begin") {
    if (auto tx = e.get_int("tx")) txs_[*tx].begun = e.t;
    coordinator_ = e.node;
  } else if (e.kind == "decide") {
    if (auto tx = e.get_int("tx")) {
      Tx& t = txs_[*tx];
      if (!t.decided) t.decided = e.t;
    }
  } else if (e.kind == "outcome") {
    if (auto tx = e.get_int("tx")) txs_[*tx].outcomes.emplace(e.node, e.t);
  }
}

CheckResult TxDecided::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, std::nullopt, {}};
  const int64_t end = faults_.end_time();
  const int64_t quiet = faults_.quiet_since();
  if (requests_ == 0) {
    r.status = Status::kInconclusive;
    r.note = "no transaction was requested";
    return r;
  }
  if (faults_.partitioned_at_end()) {
    r.status = Status::kInconclusive;
    r.note = "the network is still partitioned at the end of the run";
    return r;
  }
  if (txs_.empty()) {
    if (quiet + within_ns_ <= end) {
      r.status = Status::kViolated;
      r.violation = Violation{quiet + within_ns_, "*",
                              std::to_string(requests_) + " transactions were requested and none began"};
    } else {
      r.status = Status::kInconclusive;
      r.note = "no transaction began, and the run ended within the bound after the last fault";
    }
    return r;
  }
  uint64_t judged = 0;
  int64_t worst = 0;
  for (const auto& [id, t] : txs_) {
    const int64_t from = std::max(t.begun, quiet);
    const int64_t deadline = from + within_ns_;
    if (deadline > end) continue;  // not due yet when the run ended
    ++judged;
    const std::string what = "transaction " + std::to_string(id) + " (begun at " + format_time(t.begun) + ")";
    if (!t.decided || *t.decided > deadline) {
      r.status = Status::kViolated;
      r.violation = Violation{deadline, coordinator_, what + " was not decided by " + format_time(deadline)};
      return r;
    }
    for (const auto& [node, up] : faults_.up()) {
      if (!up || node == coordinator_ || node == "*" || node == "$ext") continue;
      auto it = t.outcomes.find(node);
      if (it == t.outcomes.end() || it->second > deadline) {
        r.status = Status::kViolated;
        r.violation = Violation{deadline, node, what + " had no outcome at " + node + " by " + format_time(deadline)};
        return r;
      }
      worst = std::max(worst, it->second - t.begun);
    }
  }
  if (judged == 0) {
    r.status = Status::kInconclusive;
    r.note = "no transaction was due: the run ended within the bound of each";
    return r;
  }
  r.note = std::to_string(judged) + " transactions decided everywhere; the slowest took " + format_time(worst);
  return r;
}

}  // namespace tpc
