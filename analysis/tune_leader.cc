#include "analysis/tune_leader.h"

#include <algorithm>

#include "dsim/assert.h"

namespace dsim::analysis {

void LeaderTimeline::set_role(int64_t t, const std::string& node, bool leader) {
  const bool led_before = !leaders_.empty();
  if (leader) {
    leaders_.insert(node);
  } else {
    leaders_.erase(node);
  }
  const bool led_now = !leaders_.empty();
  if (led_before && !led_now) {
    gap_start_ns_ = t;
  } else if (!led_before && led_now && gap_start_ns_ >= 0) {
    const int64_t gap = t - gap_start_ns_;
    downtime_ns_ += gap;
    gap_max_ns_ = std::max(gap_max_ns_, gap);
    gap_start_ns_ = -1;
  }
}

void LeaderTimeline::consume(const trace::Event& e) {
  DSIM_ASSERT(!finished_);
  if (e.kind == "role") {
    has_roles_ = true;
    const std::string_view role = e.get_str("role").value_or("");
    const std::optional<int64_t> epoch = e.get_int(epoch_field_);
    if (role == "leader") {
      if (leaders_.count(e.node) == 0) {
        ++elections_;
        if (first_ns_ < 0) first_ns_ = e.t;
      }
      if (epoch) led_epochs_.insert(*epoch);
    } else if (role == "candidate" && epoch) {
      candidate_epochs_.insert(*epoch);
    }
    set_role(e.t, e.node, role == "leader");
  } else if (e.kind == "crash") {
    set_role(e.t, e.node, false);
  }
}

void LeaderTimeline::finish(int64_t end_ns) {
  DSIM_ASSERT(!finished_);
  finished_ = true;
  if (gap_start_ns_ >= 0) {
    DSIM_ASSERT(end_ns >= gap_start_ns_);
    const int64_t gap = end_ns - gap_start_ns_;
    downtime_ns_ += gap;
    gap_max_ns_ = std::max(gap_max_ns_, gap);
    gap_start_ns_ = -1;
  }
}

uint64_t LeaderTimeline::split_votes() const {
  uint64_t n = 0;
  for (const int64_t epoch : candidate_epochs_) n += led_epochs_.count(epoch) == 0 ? 1 : 0;
  return n;
}

}  // namespace dsim::analysis
