// Checkers for reliable broadcast (protocols/broadcast), reading only the
// "bcast", "bdeliver" and fault events of a trace.
//
// no_duplicate_delivery (safety): no node delivers the same (origin, seq)
//   twice.
// all_delivered (liveness): every message broadcast by a node that is up at
//   the end is delivered by every node up at the end, within `within` after
//   the later of its broadcast and the end of the last fault. Inconclusive
//   when the run ends before that deadline or still partitioned.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "analysis/checker.h"
#include "analysis/fault_window.h"

namespace dsim::analysis {

class NoDuplicateDelivery final : public Checker {
 public:
  std::string_view name() const override { return "no_duplicate_delivery"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;

 private:
  std::map<std::tuple<std::string, std::string, int64_t>, int64_t> seen_;  // (node, origin, seq) -> t
  std::optional<Violation> first_;
  uint64_t deliveries_ = 0;
};

class AllDelivered final : public Checker {
 public:
  explicit AllDelivered(int64_t within_ns) : within_ns_(within_ns) {}
  std::string_view name() const override { return "all_delivered"; }
  CheckKind kind() const override { return CheckKind::kLiveness; }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;

 private:
  struct Sent {
    int64_t t = 0;
    std::map<std::string, int64_t> delivered_at;  // node -> first delivery time
  };
  int64_t within_ns_;
  FaultWindow faults_;
  std::map<std::pair<std::string, int64_t>, Sent> sent_;  // (origin, seq)
};

}  // namespace dsim::analysis
