// What the report, the timeline and the exports should read from a
// protocol's `role` events (a protocol's Protocol::report_hints()).
#pragma once
#include <string_view>

namespace dsim {

struct ReportHints {
  std::string_view epoch_field = "term";  // a role's epoch in `role` events: term, ballot...
  std::string_view epoch_label = "term";  // its name for people
};

}  // namespace dsim
