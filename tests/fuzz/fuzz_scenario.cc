// Target: the scenario loader (YAML text -> validated Scenario), the path
// every `dsim run/sweep/explore` input takes. Invalid input must come back
// as diagnostics with a location; rendering them (source line + caret) is
// part of what a user sees, so it is exercised too. yaml-cpp's own
// exceptions are the loader's business: one that escapes is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "dsim/registry.h"
#include "sim/scenario/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const dsim::Registry registry = dsim::builtin();
  const std::string text(reinterpret_cast<const char*>(data), size);
  dsim::scenario::Diagnostics diag("fuzz.yaml", text);
  const auto scenario = dsim::scenario::load_scenario_text(registry, text, "fuzz.yaml", diag);
  // The loader's contract: a scenario exactly when there is no error.
  if (scenario.has_value() != diag.ok()) std::abort();
  if (!diag.ok()) {
    const std::string shown = diag.render(false) + diag.render_github();
    if (shown.empty()) std::abort();
  }
  return 0;
}
