#include "protocols/raft/catch_up.h"

#include <algorithm>

namespace dsim::analysis {

void RaftCatchUp::record(NodeCommits& n, int64_t t, int64_t index) {
  n.current = index;
  n.steps.push_back({t, index});
}

void RaftCatchUp::consume(const trace::Event& e) {
  const int64_t quiet_before = faults_.quiet_since();
  const bool was_partitioned = faults_.partitioned_at_end();
  faults_.consume(e);
  if (e.kind == "commit") {
    const auto index = e.get_int("index");
    if (!index) return;
    ++commits_;
    record(nodes_[e.node], e.t, *index);
    if (*index > max_commit_) {
      max_commit_ = *index;
      max_steps_.push_back({e.t, *index});
    }
    return;
  }
  if (e.kind == "crash" || e.kind == "restart" || e.kind == "start") {
    NodeCommits& n = nodes_[e.node];
    n.current = 0;  // a restarted node learns its commit index again
    n.steps.push_back({e.t, 0});
  }
  if (faults_.quiet_since() == quiet_before && faults_.partitioned_at_end() == was_partitioned && e.kind != "crash" &&
      e.kind != "restart") {
    return;
  }
  // A fault: only what happens from now on can matter at the end, apart
  // from where everyone stands now.
  max_at_reset_ = max_commit_;
  max_steps_.clear();
  for (auto& [name, n] : nodes_) {
    n.at_reset = n.current;
    n.steps.clear();
  }
}

CheckResult RaftCatchUp::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, std::nullopt, {}};
  const int64_t end = faults_.end_time();
  const int64_t quiet = faults_.quiet_since();
  if (faults_.partitioned_at_end()) {
    r.status = Status::kInconclusive;
    r.note = "the network is still partitioned at the end of the run";
    return r;
  }
  if (quiet + within_ns_ > end) {
    r.status = Status::kInconclusive;
    r.note = "the run ended at " + format_time(end) + ", before the bound expired at " + format_time(quiet + within_ns_);
    return r;
  }
  // The targets: the highest commit index at the end of the last fault,
  // then each later advance that leaves a full bound before the end.
  std::vector<Step> targets;
  int64_t at_quiet = max_at_reset_;
  for (const Step& s : max_steps_) {
    if (s.t <= quiet) at_quiet = s.index;
  }
  if (at_quiet > 0) targets.push_back({quiet, at_quiet});
  for (const Step& s : max_steps_) {
    if (s.t > quiet && s.t + within_ns_ <= end) targets.push_back(s);
  }
  if (targets.empty()) {
    r.status = Status::kInconclusive;
    r.note = "nothing was committed to catch up to (" + std::to_string(commits_) + " commit events)";
    return r;
  }
  uint32_t followers = 0;
  for (const auto& [node, n] : nodes_) {
    const auto up = faults_.up().find(node);
    if (up == faults_.up().end() || !up->second) continue;
    ++followers;
    // Walk the node's commit steps alongside the targets (both in time
    // order): the first time its commit index reaches each target.
    int64_t have = n.at_reset;
    size_t i = 0;
    for (const Step& want : targets) {
      const int64_t due = want.t + within_ns_;
      int64_t reached_at = -1;
      if (have >= want.index) reached_at = want.t;
      while (reached_at < 0 && i < n.steps.size() && n.steps[i].t <= due) {
        have = n.steps[i].index;
        if (have >= want.index) reached_at = std::max(n.steps[i].t, want.t);
        ++i;
      }
      if (reached_at >= 0) continue;
      // Report when it got there, if ever.
      std::string later = " (never)";
      for (size_t j = i; j < n.steps.size(); ++j) {
        if (n.steps[j].index >= want.index) {
          later = " (only at " + format_time(n.steps[j].t) + ")";
          break;
        }
      }
      r.status = Status::kViolated;
      r.violation = Violation{due, node,
                              node + " had commit index " + std::to_string(have) + " at " + format_time(due) + ", " +
                                  format_time(within_ns_) + " after the leader's commit index reached " +
                                  std::to_string(want.index) + " (at " + format_time(want.t) +
                                  "; the last fault ended at " + format_time(quiet) + ")" + later};
      return r;
    }
  }
  if (followers == 0) {
    r.status = Status::kInconclusive;
    r.note = "no node is up at the end of the run";
    return r;
  }
  r.note = std::to_string(followers) + " live nodes reached each of " + std::to_string(targets.size()) +
           " commit indexes within " + format_time(within_ns_);
  return r;
}

}  // namespace dsim::analysis
