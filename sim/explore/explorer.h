// `dsim explore`'s search: every order of deliveries, timers, inputs and
// budgeted faults from a scenario's initial state, breadth-first (shortest
// counterexample) or depth-first, over World states identified by their
// fingerprints; or random walks through them, for violations too deep for
// an exhaustive search.
//
// Each state carries its own copies of the scenario's checkers, fed the
// events of the path that led to it (the same checkers `dsim run` uses, so
// their verdicts mean the same). A safety violation, or a node's own
// failure (Context::fail), ends the search with the path that caused it. At
// a quiescent state (nothing can happen but faults) every checker is also
// asked for its final verdict, which is how a message lost for good shows.
//
// The search order is deterministic: the same scenario and limits explore
// the same states in the same order. Only the wall-time and memory limits
// depend on the machine.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/explore/world.h"
#include "sim/scenario/spec.h"

namespace dsim::explore {

struct Progress {
  uint64_t generated = 0;  // steps applied (states reached, repeats included)
  uint64_t distinct = 0;   // distinct states (the visited set)
  uint32_t depth = 0;      // deepest path so far
  uint64_t queue = 0;      // states waiting (BFS) or on the stack (DFS)
  double seconds = 0;
};

struct ExploreOptions {
  scenario::ExploreSpec spec;      // the scenario's section, after command-line overrides
  double max_seconds = 0;          // 0: no wall-time limit
  uint64_t max_memory = 0;         // bytes the process may hold; 0: no limit
  std::function<void(const Progress&)> progress;  // about twice a second
};

struct ExploreResult {
  enum class Outcome {
    kViolation,  // a check was violated (or a node failed): `path` leads there
    kGoal,       // every goal was met: `path` leads there
    kExhausted,  // no violation in every state up to the depth bound
    kLimit,      // a limit stopped the search first: inconclusive
  };
  Outcome outcome = Outcome::kExhausted;
  std::string limit;        // kLimit: which ("states", "time", "memory")
  bool depth_bounded = false;  // kExhausted: some paths were cut at max_depth
  uint64_t pruned = 0;         // states not expanded because a prune matched
  std::vector<ScheduleStep> path;
  std::vector<std::string> path_notes;  // describe() of each step, as it was taken
  std::vector<std::string> violated;    // check names ("node_failure" for a node's own)
  std::string message;                  // the first violation's message
  bool at_quiescence = false;           // found by a final verdict at a quiescent state
  Progress stats;
  uint32_t depth_reached = 0;
  uint64_t walks = 0;  // strategy random: walks begun
};

// What each step of `s.schedule` does, as the World sees it when the step
// comes ("deliver n1 -> n2 #3 (append_entries)"), for comments in a
// written schedule; "" for a step that cannot happen.
std::vector<std::string> describe_schedule(const scenario::Scenario& s, uint64_t seed);

// Reports problems that stop the search before it starts (a protocol or a
// check that cannot be explored) through *error and returns nullopt.
std::optional<ExploreResult> run_explore(const scenario::Scenario& s, uint64_t seed, const ExploreOptions& opt,
                                         std::string* error);

}  // namespace dsim::explore
