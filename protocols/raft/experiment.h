// The election-time experiment (Raft paper, section 9.3 and Figure 16):
// crash the leader at a random point in its heartbeat interval and measure
// how long the cluster is without a leader, over many trials, for several
// election-timeout ranges. Each trial is its own simulation with a seed
// derived from the master seed, the range and the trial number, so any
// trial can be replayed alone.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dsim/protocol.h"
#include "dsim/time.h"

namespace dsim::raft {

struct ElectionExperiment {
  std::vector<std::pair<Duration, Duration>> ranges;  // election timeout [min, max]
  uint32_t trials = 1000;
  uint32_t nodes = 5;
  Duration heartbeat = milliseconds(15);
  Duration latency_min = milliseconds(1);  // one-way network delay, uniform
  Duration latency_max = milliseconds(5);
  uint64_t seed = 1;
};

struct ElectionResult {
  Duration range_min, range_max;
  uint32_t trials = 0;
  uint32_t no_leader = 0;  // trials without a new leader within 10 s
  // Percentiles of downtime (crash -> next leader), nanoseconds.
  int64_t min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};

std::vector<ElectionResult> run_election_experiment(const ElectionExperiment& e);

// One trial's downtime, or -1 when no new leader came within 10 s.
int64_t election_trial(const ElectionExperiment& e, Duration range_min, Duration range_max, uint64_t seed);

// `dsim experiment election [options]`: parses `args`, runs, prints the
// table; writes --csv through io. Returns the exit code.
int election_cli(const std::vector<std::string>& args, const ExperimentIo& io);

}  // namespace dsim::raft
