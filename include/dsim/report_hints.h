// What the report, the timeline and the exports should read from a
// protocol's `role` events (a protocol's Protocol::report_hints()).
#pragma once
#include <string_view>
#include <utility>
#include <vector>

namespace dsim {

struct ReportHints {
  std::string_view epoch_field = "term";  // a role's epoch in `role` events: term, ballot...
  std::string_view epoch_label = "term";  // its name for people
  std::string_view epoch_short = "T";     // on a role bar: "leader T3", "leader B301"
  // Colours of role bars, by role (CSS colours); roles not listed get the
  // report's defaults (leader, candidate, pre_candidate, follower).
  std::vector<std::pair<std::string_view, std::string_view>> role_colours;
};

}  // namespace dsim
