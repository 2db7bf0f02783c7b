// Follows the fault events of a trace to answer what liveness checkers need:
// when did the last fault end, is the network still partitioned, which
// nodes are up at the end, and when did the trace end.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dsim/trace_event.h"

namespace dsim::analysis {

class FaultWindow {
 public:
  void consume(const trace::Event& e);
  // The kinds consume() reads (for Consumer::kinds()), with "end": the
  // end time is the latest event's, and a run's last event is its "end".
  static std::vector<std::string_view> kinds();

  // Time after which no fault was active (0 when there were none).
  int64_t quiet_since() const { return quiet_since_; }
  bool partitioned_at_end() const { return partitioned_; }
  int64_t end_time() const { return end_; }
  // Nodes seen, with whether each is up at the end (sorted by name).
  const std::map<std::string, bool>& up() const { return up_; }

 private:
  int64_t quiet_since_ = 0;
  int64_t end_ = 0;
  bool partitioned_ = false;
  std::map<std::string, bool> up_;
};

}  // namespace dsim::analysis
