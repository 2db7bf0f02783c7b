// Shrinking: from a failing run (scenario + seed) to the smallest scenario
// that still fails the same check with the same seed.
//
// 1. The faults the random nemesis actually injected become a scripted
//    schedule, and the nemesis goes (it draws from a stream of its own, so
//    the replay is the same run).
// 2. Delta debugging (ddmin) removes faults while the failure persists;
//    for a scenario with a `schedule:`, then its steps (a step that can no
//    longer happen makes the candidate invalid, never a failure).
// 3. Each remaining fault's duration is halved while it still fails.
// 4. Nodes no fault names are dropped, one at a time from the end.
// 5. The workload is cut (fewer requests/broadcasts), and the run is cut
//    short toward the moment of the violation.
// Every candidate is judged by running it: nothing is assumed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "dsim/registry.h"
#include "sim/scenario/spec.h"

namespace dsim::scenario {

struct ShrinkResult {
  Scenario scenario;  // standalone: no nemesis, scripted faults only
  std::string check;  // the check it fails
  std::string message;  // its violation message in the shrunk run
  size_t faults_before = 0, faults_after = 0;
  size_t steps_before = 0, steps_after = 0;  // of a scripted schedule
  uint64_t events_before = 0, events_after = 0;
  Duration time_before{0}, time_after{0};
  uint64_t requests_before = 0, requests_after = 0;
  size_t nodes_before = 0, nodes_after = 0;
  int runs = 0;  // simulations spent shrinking
};

// `check` empty: the first check the run violates. Error (empty optional,
// *error set) when the seed does not violate it, the scripted replay of
// the nemesis does not reproduce the failure, or a step of the scenario's
// own schedule cannot happen (*error is then RunReport::schedule_error).
// Every candidate is written as YAML and loaded back with `reg` before it is
// run, so the result is always a scenario `dsim run` accepts.
// `bad_input` (optional) is set when the error is the scenario's fault (a
// schedule step that cannot happen) rather than "nothing to shrink".
std::optional<ShrinkResult> shrink(const Registry& reg, const Scenario& s, uint64_t seed, const std::string& check,
                                   std::string* error, bool* bad_input = nullptr);

}  // namespace dsim::scenario
