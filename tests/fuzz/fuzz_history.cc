// Target: the client-history reader (the Jepsen-style JSONL format) and the
// linearizability checker on what it accepts: the zone test, the Wing & Gong
// search with its cache, and the witness it writes. The search budget is
// capped in steps (never wall time, which would make runs irreproducible)
// so that a hard history ends as "inconclusive" instead of a timeout.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "analysis/history.h"
#include "analysis/linearizability.h"
#include "tests/fuzz/input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static dsim::fuzz::InputFile file(".history.jsonl");
  const std::string& path = file.write(data, size);
  (void)dsim::analysis::history::looks_like_history(path);
  std::vector<dsim::analysis::history::Op> ops;
  const std::string err = dsim::analysis::history::read_file(path, &ops);
  if (!err.empty()) {
    if (!ops.empty() || err.compare(0, path.size(), path) != 0) std::abort();
    return 0;
  }
  dsim::analysis::LinBudget budget;
  budget.max_steps = 200'000;
  budget.max_wall_ms = 0;
  budget.max_cache_entries = 1u << 16;
  const dsim::analysis::LinVerdict v = dsim::analysis::check_linearizable(ops, budget);
  if (v.stats.ops != ops.size()) std::abort();
  return 0;
}
