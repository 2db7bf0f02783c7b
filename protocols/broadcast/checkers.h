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
#include <unordered_map>
#include <vector>

#include "dsim/checker.h"
#include "dsim/fault_window.h"
#include "analysis/interner.h"

namespace dsim::analysis {

class NoDuplicateDelivery final : public CloneableChecker<NoDuplicateDelivery> {
 public:
  std::string_view name() const override { return "no_duplicate_delivery"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;
  void fingerprint(Fingerprint& h) const override;

 private:
  struct Key {
    uint64_t nodes;  // node id << 32 | origin id
    int64_t seq;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return std::hash<uint64_t>()(k.nodes * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(k.seq)); }
  };
  // Looked up, never iterated: hash order cannot reach the verdict.
  std::unordered_map<Key, int64_t, KeyHash> seen_;  // -> first delivery time
  Interner names_;
  std::optional<Violation> first_;
  uint64_t deliveries_ = 0;
};

class AllDelivered final : public CloneableChecker<AllDelivered> {
 public:
  explicit AllDelivered(int64_t within_ns) : within_ns_(within_ns) {}
  std::string_view name() const override { return "all_delivered"; }
  CheckKind kind() const override { return CheckKind::kLiveness; }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;
  void fingerprint(Fingerprint& h) const override;

 private:
  struct Sent {
    int64_t t = 0;
    std::vector<int64_t> delivered_at;  // by node id; -1 = not delivered
  };
  struct Input {
    int64_t t;
    std::string to;
    int64_t req;
  };
  int64_t within_ns_;
  FaultWindow faults_;
  std::map<std::pair<std::string, int64_t>, Sent> sent_;  // (origin, seq), iterated in order
  Interner names_;
  // What the harness asked (harness_input), to the nodes that were up then
  // and never crashed afterwards; and when each node broadcast each payload.
  std::vector<Input> inputs_;
  std::map<std::string, bool> up_now_;                        // from start/crash/restart
  std::map<std::string, int64_t> last_crash_;                 // node -> time of its last crash
  std::map<std::pair<std::string, int64_t>, int64_t> bcast_;  // (node, payload) -> first bcast time
};

}  // namespace dsim::analysis
