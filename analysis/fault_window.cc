#include "dsim/fault_window.h"

#include <algorithm>

namespace dsim::analysis {

std::vector<std::string_view> FaultWindow::kinds() {
  return {"start", "crash", "restart", "partition", "isolate", "cut", "disconnect", "heal",
          "pause", "clog", "clock_jump", "clock_drift", "network", "end"};
}

void FaultWindow::consume(const trace::Event& e) {
  end_ = std::max(end_, e.t);
  const std::string& k = e.kind;
  if (k == "start") {
    up_[e.node] = true;
    return;
  }
  // The kinds below are faults (docs/trace-schema.md); one with a duration
  // stays active until t + for_ns.
  int64_t active_until = e.t;
  if (k == "crash") {
    up_[e.node] = false;
  } else if (k == "restart") {
    up_[e.node] = true;
  } else if (k == "partition" || k == "isolate" || k == "cut" || k == "disconnect") {
    partitioned_ = true;
  } else if (k == "heal") {
    partitioned_ = false;
  } else if (k == "pause" || k == "clog") {
    active_until = e.t + e.get_int("for_ns").value_or(0);
  } else if (k != "clock_jump" && k != "clock_drift" && k != "network") {
    return;  // not a fault
  }
  quiet_since_ = std::max(quiet_since_, active_until);
}

}  // namespace dsim::analysis
