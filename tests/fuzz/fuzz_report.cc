// Target: `dsim report`'s data builder — one pass over a trace that feeds the
// checkers and builds the delta-encoded columns, roles, faults, client bars
// and message rows embedded in the HTML. A bad trace must come back as an
// error naming file:line:col; a good one must give a page.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "analysis/report.h"
#include "dsim/registry.h"
#include "tests/fuzz/input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static dsim::fuzz::InputFile file(".jsonl");
  const std::string& path = file.write(data, size);
  std::string html;
  static const dsim::Registry registry = dsim::builtin();
  static const auto hints = [](std::string_view protocol) {
    const dsim::Protocol* p = registry.find(protocol);
    return p ? p->report_hints() : dsim::ReportHints{};
  };
  const std::string err = dsim::analysis::build_report(registry, hints, path, &html);
  if (err.empty() ? html.empty() : err.compare(0, path.size(), path) != 0) std::abort();
  return 0;
}
