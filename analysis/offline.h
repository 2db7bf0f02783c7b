// Runs checkers over a trace file: the offline half of "the same checker
// online and offline". The checks and their bounds come from the trace's
// header, so `dsim check` judges a trace the way the run that wrote it did;
// `only` narrows them to a subset.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsim/checker.h"

namespace dsim::analysis {

struct OfflineResult {
  std::string error;  // non-empty: the trace is invalid (file:line:col)
  std::vector<CheckResult> checks;
  std::vector<std::string> expect_violated;
  std::string scenario;
  std::string seed;
  uint64_t events = 0;
};

// Checkers come from `catalog`, by the names the header lists, for the
// protocol it names. REQUIRES: every name in `only` is in the catalog.
OfflineResult check_trace(const CheckerCatalog& catalog, const std::string& path,
                          const std::optional<std::vector<std::string>>& only);

// For readers that also do something else with each event (the report):
// the checkers a trace's header asks for, fed one event at a time.
class TraceChecks {
 public:
  explicit TraceChecks(const CheckerCatalog& catalog) : catalog_(catalog) {}
  // Reads the header (the meta event). Returns an error message, or empty.
  std::string begin(const std::string& path, const trace::Event& meta,
                    const std::optional<std::vector<std::string>>& only);
  // REQUIRES: events numbered (Event::seq), as the reader does: checkers
  // of one trace share state (trace::SharedState).
  void consume(const trace::Event& e);
  // Fills checks, expect_violated, scenario, seed and events.
  OfflineResult finish();
  // The protocol the header names (after begin()).
  const std::string& protocol() const { return protocol_; }

 private:
  const CheckerCatalog& catalog_;
  std::string protocol_;
  std::vector<std::unique_ptr<Checker>> checkers_;
  trace::SharedState shared_;
  OfflineResult out_;
};

}  // namespace dsim::analysis
