// Leadership over a run, from `role` events (any protocol whose nodes
// report a "leader" role) and `crash` events, for `dsim tune`'s leader.*
// metrics:
//   elections    transitions of some node into the leader role
//   first_ms     time of the first such transition
//   downtime_ms  time after the first leader during which no node that is
//                up holds the leader role (a deposed leader that has not
//                heard of its successor still counts as one)
//   gap_max_ms   the longest such leaderless stretch
//   split_votes  epochs (the role event's epoch field: term, ballot...) in
//                which some node stood as "candidate" and no node became
//                leader: the votes were split, or the candidate lost
// Nothing is measured without a role event (has_roles() false), and
// downtime needs a first leader (has_leader()).
#pragma once
#include <cstdint>
#include <set>
#include <string>

#include "dsim/trace_event.h"

namespace dsim::analysis {

class LeaderTimeline final : public trace::Consumer {
 public:
  explicit LeaderTimeline(std::string epoch_field) : epoch_field_(std::move(epoch_field)) {}
  void consume(const trace::Event& e) override;
  // REQUIRES: called once, with the run's end time (>= every event's).
  void finish(int64_t end_ns);

  bool has_roles() const { return has_roles_; }
  bool has_leader() const { return first_ns_ >= 0; }
  uint64_t elections() const { return elections_; }
  int64_t first_ns() const { return first_ns_; }
  int64_t downtime_ns() const { return downtime_ns_; }
  int64_t gap_max_ns() const { return gap_max_ns_; }
  uint64_t split_votes() const;

 private:
  void set_role(int64_t t, const std::string& node, bool leader);

  std::string epoch_field_;
  bool has_roles_ = false;
  std::set<std::string> leaders_;  // nodes that are up and hold the leader role
  uint64_t elections_ = 0;
  int64_t first_ns_ = -1;
  int64_t gap_start_ns_ = -1;  // start of the current leaderless stretch, -1 when led
  int64_t downtime_ns_ = 0, gap_max_ns_ = 0;
  std::set<int64_t> candidate_epochs_;  // epochs in which some node stood
  std::set<int64_t> led_epochs_;
  bool finished_ = false;
};

}  // namespace dsim::analysis
