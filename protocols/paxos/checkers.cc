#include "protocols/paxos/checkers.h"

namespace dsim::analysis {
namespace {

std::string names(const std::set<std::string>& s) {
  std::string out;
  for (const auto& n : s) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

void PaxosAgreement::consume(const trace::Event& e) {
  if (e.kind == "start") {
    acceptors_.insert(e.node);
  } else if (e.kind == "propose") {
    proposed_.insert(std::string(e.get_str("value").value_or("")));
  } else if (e.kind == "accepted") {
    const int64_t slot = e.get_int("slot").value_or(0), ballot = e.get_int("ballot").value_or(-1);
    const std::string value(e.get_str("value").value_or(""));
    auto& by = accepted_[{slot, ballot, value}];
    by.insert(e.node);
    if (by.size() < acceptors_.size() / 2 + 1 || first_) return;
    auto [it, fresh] = chosen_.try_emplace(slot, Chosen{ballot, value, by, e.t});
    if (fresh) {
      if (!proposed_.count(value)) {
        first_ = Violation{e.t, e.node,
                           "slot " + std::to_string(slot) + ": value '" + value + "' was chosen in ballot " +
                               std::to_string(ballot) + " but no proposer ever proposed it"};
      }
      return;
    }
    if (it->second.value == value) return;
    first_ = Violation{e.t, e.node,
                       "slot " + std::to_string(slot) + ": two values chosen: '" + it->second.value + "' in ballot " +
                           std::to_string(it->second.ballot) + " (accepted by " + names(it->second.by) + " at " +
                           format_time(it->second.t) + ") and '" + value + "' in ballot " + std::to_string(ballot) +
                           " (accepted by " + names(by) + ")"};
  }
}

// Once violated, a safety verdict cannot change: that is all the
// fingerprint holds then. Otherwise what later events are judged against;
// times, who is named in messages and counts kept for notes are left out.
void PaxosAgreement::fingerprint(Fingerprint& h) const {
  h(first_.has_value());
  if (first_) return;
  h(acceptors_, proposed_, accepted_.size());
  for (const auto& [key, by] : accepted_) h(std::get<0>(key), std::get<1>(key), std::get<2>(key), by);
  h(chosen_.size());
  for (const auto& [slot, c] : chosen_) h(slot, c.value);
}

CheckResult PaxosAgreement::finish() {
  CheckResult r{std::string(name()), kind(), first_ ? Status::kViolated : Status::kHeld, first_, {}};
  if (!first_) {
    if (chosen_.empty()) {
      r.note = "no value was chosen";
    } else if (chosen_.size() == 1) {
      r.note = "slot " + std::to_string(chosen_.begin()->first) + " chose '" + chosen_.begin()->second.value +
               "' in ballot " + std::to_string(chosen_.begin()->second.ballot);
    } else {
      r.note = std::to_string(chosen_.size()) + " slots chosen, one value each";
    }
  }
  require_evidence(r, !chosen_.empty(), "no value was chosen (no majority accepted one proposal)");
  return r;
}

void LearnerConsistency::consume(const trace::Event& e) {
  if (e.kind != "learned" || first_) return;
  ++learns_;
  const int64_t slot = e.get_int("slot").value_or(0);
  const std::string value(e.get_str("value").value_or(""));
  auto [it, fresh] = learned_.try_emplace({e.node, slot}, std::make_pair(value, e.t));
  if (!fresh && it->second.first != value) {
    first_ = Violation{e.t, e.node,
                       e.node + " learned '" + it->second.first + "' for slot " + std::to_string(slot) + " at " +
                           format_time(it->second.second) + " and '" + value + "' at " + format_time(e.t)};
    return;
  }
  auto [f, first] = first_learned_.try_emplace(slot, Learned{value, e.node, e.t});
  if (first || f->second.value == value) return;
  first_ = Violation{e.t, e.node,
                     e.node + " learned '" + value + "' for slot " + std::to_string(slot) + ", but " + f->second.node +
                         " learned '" + f->second.value + "' there at " + format_time(f->second.t)};
}

void LearnerConsistency::fingerprint(Fingerprint& h) const {
  h(first_.has_value());
  if (first_) return;
  h(learns_ > 0, learned_.size());
  for (const auto& [key, v] : learned_) h(key, v.first);
  h(first_learned_.size());
  for (const auto& [slot, l] : first_learned_) h(slot, l.value);
}

CheckResult LearnerConsistency::finish() {
  CheckResult r{std::string(name()), kind(), first_ ? Status::kViolated : Status::kHeld, first_, {}};
  if (!first_) r.note = std::to_string(learns_) + " learns, none contradicting";
  require_evidence(r, learns_ > 0, "no learner learned a value");
  return r;
}

void PaxosLiveness::consume(const trace::Event& e) {
  faults_.consume(e);
  if (e.kind == "start") acceptors_.insert(e.node);
  if (e.kind == "prepare") ++ballots_;
  if (e.kind != "accepted" || chosen_at_) return;
  auto& by = accepted_[{e.get_int("slot").value_or(0), e.get_int("ballot").value_or(-1),
                        std::string(e.get_str("value").value_or(""))}];
  by.insert(e.node);
  if (by.size() >= acceptors_.size() / 2 + 1) chosen_at_ = e.t;
}

void PaxosLiveness::fingerprint(Fingerprint& h) const {
  // A liveness verdict is decided from deadlines: here times decide it.
  // The count of prepares only feeds the note.
  h(faults_.quiet_since(), faults_.end_time(), faults_.partitioned_at_end(), faults_.up(), chosen_at_);
  if (chosen_at_) return;  // what was accepted no longer matters
  h(acceptors_, accepted_.size());
  for (const auto& [key, by] : accepted_) h(std::get<0>(key), std::get<1>(key), std::get<2>(key), by);
}

CheckResult PaxosLiveness::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, std::nullopt, {}};
  const int64_t deadline = faults_.quiet_since() + within_ns_;
  if (chosen_at_ && *chosen_at_ <= deadline) {
    r.note = "a value was chosen at " + format_time(*chosen_at_) + " after " + std::to_string(ballots_) + " prepares";
    return r;
  }
  if (deadline > faults_.end_time() || faults_.partitioned_at_end()) {
    r.status = Status::kInconclusive;
    r.note = "the run ended (or stayed partitioned) before the bound expired at " + format_time(deadline);
    return r;
  }
  r.status = Status::kViolated;
  r.violation = Violation{deadline, "*",
                          "no value chosen by " + format_time(deadline) + " (" + format_time(within_ns_) +
                              " after the last fault); the proposers tried " + std::to_string(ballots_) + " ballots" +
                              (chosen_at_ ? ", and one was chosen only at " + format_time(*chosen_at_) : "")};
  return r;
}

}  // namespace dsim::analysis
