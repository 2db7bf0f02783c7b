// raft_catch_up: once the last fault is over, every live follower reaches
// the leader's commit index within the bound. Precisely: for each time t
// from the end of the last fault on (t0 = that end), with C(t) the highest
// commit index any node had reached by t (a leader's; no follower commits
// past what a leader committed), every node that is up at the end has a
// commit index >= C(t) by max(t, t0) + within. A follower that stays behind
// (a long conflicting suffix the leader fails to walk back over under
// message loss) violates it even while the leader keeps serving clients, so
// raft_liveness holds.
//
// Reads "commit" {index}, "crash" and "restart" (a restarted node's commit
// index starts again from 0) and the fault events. State is kept only from
// the last fault event on, so it is bounded by the fault-free tail.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dsim/checker.h"
#include "dsim/fault_window.h"

namespace dsim::analysis {

class RaftCatchUp final : public Checker {
 public:
  explicit RaftCatchUp(int64_t within_ns) : within_ns_(within_ns) {}
  std::string_view name() const override { return "raft_catch_up"; }
  CheckKind kind() const override { return CheckKind::kLiveness; }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;

 private:
  struct Step {
    int64_t t;
    int64_t index;
  };
  struct NodeCommits {
    int64_t current = 0;      // commit index now
    int64_t at_reset = 0;     // commit index at the last fault event
    std::vector<Step> steps;  // advances since the last fault event
  };
  void record(NodeCommits& n, int64_t t, int64_t index);

  int64_t within_ns_;
  FaultWindow faults_;
  int64_t max_commit_ = 0;        // over all nodes, ever
  int64_t max_at_reset_ = 0;
  std::vector<Step> max_steps_;   // advances of max_commit_ since the last fault event
  std::map<std::string, NodeCommits> nodes_;
  uint64_t commits_ = 0;
};

}  // namespace dsim::analysis
