// A readable, filterable event timeline for terminals: `dsim show TRACE`
// and `dsim run -v`. One line per event: time, node, kind, fields.
// Colors (when on) tell nodes apart and make faults and violations stand
// out; NO_COLOR is the caller's decision (sim/cli/terminal.h).
#pragma once
#include <cstdio>
#include <optional>
#include <set>
#include <string>

#include "dsim/trace_event.h"

namespace dsim::analysis {

struct TimelineFilter {
  std::set<std::string> nodes;  // empty: all
  std::set<std::string> kinds;  // empty: all
  std::optional<int64_t> from_ns, to_ns;
  bool network = true;  // send/deliver/drop/duplicate lines
};

class Timeline final : public trace::Consumer {
 public:
  Timeline(std::FILE* out, TimelineFilter filter, bool color) : out_(out), filter_(std::move(filter)), color_(color) {}
  void consume(const trace::Event& e) override;
  uint64_t shown() const { return shown_; }

 private:
  std::FILE* out_;
  TimelineFilter filter_;
  bool color_;
  uint64_t shown_ = 0;
  std::string line_;
};

// "1.234567890s", fixed width, for aligned columns.
std::string fixed_time(int64_t ns);

}  // namespace dsim::analysis
