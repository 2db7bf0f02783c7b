// A 5-node Raft cluster serving 1,000 requests/s for 60 simulated seconds
// (scenarios/perf/raft-5-nodes-1000rps.yaml): simulated seconds per wall
// second with the trace formatted and hashed (as `dsim run` does), and
// with the trace off (as a sweep would run). Checkers run in both.
#include <benchmark/benchmark.h>

#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"

using namespace dsim;

namespace {

void BM_RaftCluster(benchmark::State& state) {
  scenario::Diagnostics diag;
  static const Registry reg = builtin();
  const auto s = scenario::load_scenario_file(reg, DSIM_SOURCE_DIR "/scenarios/perf/raft-5-nodes-1000rps.yaml", diag);
  if (!s) {
    state.SkipWithError("cannot load the perf scenario");
    return;
  }
  scenario::RunOptions opt;
  opt.seed = 1;
  opt.fingerprint = state.range(0) != 0;
  uint64_t events = 0;
  for (auto _ : state) {
    const auto r = scenario::run_scenario(*s, opt);
    events += r.counters.events;
    benchmark::DoNotOptimize(r.counters.events);
  }
  state.counters["sim_s_per_wall_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 60.0, benchmark::Counter::kIsRate);
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RaftCluster)->ArgName("trace")->Arg(0)->Arg(1)->Unit(benchmark::kSecond)->Iterations(2);

}  // namespace
