// Runs checkers over a trace file: the offline half of "the same checker
// online and offline". The checks and their bounds come from the trace's
// header, so `dsim check` judges a trace the way the run that wrote it did;
// `only` narrows them to a subset.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "analysis/checker.h"

namespace dsim::analysis {

struct OfflineResult {
  std::string error;  // non-empty: the trace is invalid (file:line:col)
  std::vector<CheckResult> checks;
  std::vector<std::string> expect_violated;
  std::string scenario;
  std::string seed;
  uint64_t events = 0;
};

// REQUIRES: every name in `only` is a known checker.
OfflineResult check_trace(const std::string& path, const std::optional<std::vector<std::string>>& only);

}  // namespace dsim::analysis
