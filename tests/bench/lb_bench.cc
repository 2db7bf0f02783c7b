// scenarios/perf/lb-1000x100k.yaml: 1,000 backends behind one proxy,
// 100,000 open-loop clients, 3 simulated seconds (about 1.85 million
// events). Wall time per run with the trace formatted and hashed (as `dsim
// run` does by default) and with it off (as a sweep runs), so the protocol
// and engine's share can be told from the trace's.
#include <benchmark/benchmark.h>

#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"

using namespace dsim;

namespace {

void BM_LbScale(benchmark::State& state) {
  scenario::Diagnostics diag;
  static const Registry reg = builtin();
  const auto s = scenario::load_scenario_file(reg, DSIM_SOURCE_DIR "/scenarios/perf/lb-1000x100k.yaml", diag);
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
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LbScale)->ArgName("trace")->Arg(0)->Arg(1)->Unit(benchmark::kSecond)->Iterations(2);

}  // namespace
