// Wires a validated Scenario into a simulation and runs it: the simulator,
// the network, the protocol's nodes, scripted faults, the random nemesis,
// the workload, online checkers and the trace. This is the one place that
// knows all of them (docs/architecture.md).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsim/checker.h"
#include "analysis/client_stats.h"
#include "sim/core/simulator.h"
#include "sim/scenario/spec.h"
#include "dsim/trace_event.h"

namespace dsim::scenario {

struct RunOptions {
  uint64_t seed = 0;
  std::optional<Duration> until;  // overrides the scenario's duration
  std::string trace_path;         // empty: no file
  bool fingerprint = true;        // format the trace to hash it even without a file
  // Builds the nodes instead of the scenario's protocol. For tests and for
  // embedding dsim: everything else (network, faults, checks) stays.
  NodeFactory node_factory;
  // Extra consumers of the live event stream (e.g. `dsim run -v`'s timeline).
  std::vector<trace::Consumer*> observers;
};

// RunReport::nemesis_faults keeps at most this many faults (a nemesis with
// a 1ns interval would otherwise fill memory); a full list was cut short.
inline constexpr size_t kMaxRecordedNemesisFaults = 100'000;

struct RunReport {
  uint64_t seed = 0;
  Time end;
  bool budget_exhausted = false;
  // A node's code called Context::fail: "n3 at 1.234s: <reason>". The run
  // stopped there; it is never as expected.
  std::string node_failure;
  // A step of the scenario's `schedule:` could not happen ("<file>:<line>:
  // schedule step <k> (<step>): <why>"): the scenario is invalid input, so
  // the run has no verdicts and wrote no trace file (`dsim run` exits 3).
  std::string schedule_error;
  SimCounters counters;
  std::vector<analysis::CheckResult> checks;
  std::vector<std::string> violated;      // names, in check order
  std::vector<std::string> inconclusive;  // names, in check order
  // The violated checks are exactly the expected ones.
  bool violations_as_expected = false;
  // ... and no check was inconclusive: only then did the run show what it
  // was meant to (an inconclusive check is not a pass).
  bool as_expected = false;
  std::string trace_sha256;  // empty when fingerprint was off
  uint64_t trace_lines = 0;
  std::string trace_error;   // non-empty: the trace file could not be written
  std::vector<FaultSpec> nemesis_faults;  // what the nemesis injected, as scripted faults (at most the cap below)
  std::optional<analysis::ClientReport> clients;  // when the scenario has clients
  std::shared_ptr<const RunStats> stats;          // the protocol's statistics, if it keeps any
};

RunReport run_scenario(const Scenario& s, const RunOptions& opt);

// The trace header's members (JSON text without braces): everything an
// offline `dsim check` needs to judge the trace the way the run did.
std::string trace_header(const Scenario& s, uint64_t seed);

}  // namespace dsim::scenario
