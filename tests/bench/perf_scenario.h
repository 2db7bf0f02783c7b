// A whole scenario of scenarios/perf/ as a benchmark: loaded once, run
// with its checkers, the trace formatted and hashed or not (state.range(0)),
// events per second reported. Returns false (the benchmark skipped) when
// the file does not load.
#pragma once
#include <benchmark/benchmark.h>

#include <string>

#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"

namespace dsim::bench {

inline bool run_perf_scenario(benchmark::State& state, const std::string& path) {
  scenario::Diagnostics diag;
  static const Registry reg = builtin();
  const auto s = scenario::load_scenario_file(reg, path, diag);
  if (!s) {
    state.SkipWithError(("cannot load " + path).c_str());
    return false;
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
  return true;
}

}  // namespace dsim::bench
