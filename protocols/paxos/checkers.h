// Paxos's safety properties, judged from the acceptors' own "accepted"
// events (not from what learners claim), and a liveness property.
//
// paxos_agreement      per slot at most one value is chosen, where a value
//                      is chosen when a majority of acceptors accepted it
//                      in one ballot; and a chosen value was proposed
//                      (validity)
// learner_consistency  no learner learns two values for a slot, and no two
//                      learners learn different values for one slot
// paxos_liveness       after the last fault, a value is chosen within the
//                      bound
// Acceptors are the nodes that started (every node is one).
#pragma once
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <string>

#include "dsim/checker.h"
#include "dsim/fault_window.h"

namespace dsim::analysis {

class PaxosAgreement final : public CloneableChecker<PaxosAgreement> {
 public:
  std::string_view name() const override { return "paxos_agreement"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;
  void fingerprint(Fingerprint& h) const override;

 private:
  struct Chosen {
    int64_t ballot;
    std::string value;
    std::set<std::string> by;
    int64_t t;
  };
  std::set<std::string> acceptors_;
  std::set<std::string> proposed_;
  std::map<std::tuple<int64_t, int64_t, std::string>, std::set<std::string>> accepted_;  // (slot, ballot, value)
  std::map<int64_t, Chosen> chosen_;                                                     // slot -> first chosen
  std::optional<Violation> first_;
};

class LearnerConsistency final : public CloneableChecker<LearnerConsistency> {
 public:
  std::string_view name() const override { return "learner_consistency"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;
  void fingerprint(Fingerprint& h) const override;

 private:
  struct Learned {
    std::string value;
    std::string node;
    int64_t t;
  };
  std::map<std::pair<std::string, int64_t>, std::pair<std::string, int64_t>> learned_;  // (node, slot) -> (value, t)
  std::map<int64_t, Learned> first_learned_;                                            // slot -> first learn anywhere
  uint64_t learns_ = 0;
  std::optional<Violation> first_;
};

class PaxosLiveness final : public CloneableChecker<PaxosLiveness> {
 public:
  explicit PaxosLiveness(int64_t within_ns) : within_ns_(within_ns) {}
  void fingerprint(Fingerprint& h) const override;
  std::string_view name() const override { return "paxos_liveness"; }
  CheckKind kind() const override { return CheckKind::kLiveness; }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;

 private:
  int64_t within_ns_;
  FaultWindow faults_;
  std::set<std::string> acceptors_;
  std::map<std::tuple<int64_t, int64_t, std::string>, std::set<std::string>> accepted_;
  std::optional<int64_t> chosen_at_;
  int64_t ballots_ = 0;  // prepare events: how hard the proposers tried
};

}  // namespace dsim::analysis
