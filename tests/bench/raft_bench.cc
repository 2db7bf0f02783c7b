// A 5-node Raft cluster serving 1,000 requests/s for 60 simulated seconds
// (scenarios/perf/raft-5-nodes-1000rps.yaml): simulated seconds per wall
// second with the trace formatted and hashed (as `dsim run` does), and
// with the trace off (as a sweep would run). Checkers run in both.
#include "perf_scenario.h"

namespace {

void BM_RaftCluster(benchmark::State& state) {
  if (!dsim::bench::run_perf_scenario(state, DSIM_SOURCE_DIR "/scenarios/perf/raft-5-nodes-1000rps.yaml")) return;
  state.counters["sim_s_per_wall_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 60.0, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RaftCluster)->ArgName("trace")->Arg(0)->Arg(1)->Unit(benchmark::kSecond)->Iterations(2);

}  // namespace
