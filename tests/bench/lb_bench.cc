// scenarios/perf/lb-1000x100k.yaml: 1,000 backends behind one proxy,
// 100,000 open-loop clients, 3 simulated seconds (about 1.85 million
// events). Wall time per run with the trace formatted and hashed (as `dsim
// run` does by default) and with it off (as a sweep runs), so the protocol
// and engine's share can be told from the trace's.
#include "perf_scenario.h"

namespace {

void BM_LbScale(benchmark::State& state) {
  if (!dsim::bench::run_perf_scenario(state, DSIM_SOURCE_DIR "/scenarios/perf/lb-1000x100k.yaml")) return;
}
BENCHMARK(BM_LbScale)->ArgName("trace")->Arg(0)->Arg(1)->Unit(benchmark::kSecond)->Iterations(2);

}  // namespace
