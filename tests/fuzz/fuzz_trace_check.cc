// Target: what `dsim check trace.jsonl` runs — the strict JSONL trace
// reader, the meta header, and the offline checkers fed every event. All
// known checkers run (with the header's bounds where it names them), not
// only those the header lists, so each checker sees hostile event streams.
// A bad trace must come back as an error naming file:line:col.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "dsim/checker.h"
#include "dsim/registry.h"
#include "analysis/offline.h"
#include "tests/fuzz/input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static dsim::fuzz::InputFile file(".jsonl");
  static const dsim::Registry registry = dsim::builtin();
  static const std::vector<std::string> all = [] {
    std::vector<std::string> names;
    for (const auto& l : registry.all_checkers()) names.emplace_back(l.info.name);
    return names;
  }();
  const std::string& path = file.write(data, size);
  const dsim::analysis::OfflineResult r = dsim::analysis::check_trace(registry, path, all);
  if (!r.error.empty() && r.error.compare(0, path.size(), path) != 0) std::abort();  // errors name the file
  return 0;
}
