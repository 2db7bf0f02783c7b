// The sweep engine behind `dsim sweep`, for commands that run many seeds
// of scenarios they build themselves (`dsim tune` runs the points of a
// parameter grid). The caller parses sweep_options() into a variables_map
// and hands over validated scenarios; the engine brings the worker threads,
// the progress line, the results file with --resume, --shard, --junit and
// the exit codes of `dsim sweep`.
#pragma once
#include <boost/program_options.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dsim/registry.h"
#include "sim/cli/results.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/spec.h"

namespace dsim::cli {

// The options `dsim sweep` takes (seeds, jobs, shard, results, resume...).
boost::program_options::options_description sweep_options(const std::string& caption);

struct SweepSource {
  const char* command = "sweep";  // in messages ("dsim: error: ...", the summary line)
  std::vector<scenario::Scenario> specs;
  // One per spec: the identity --resume checks records against (a
  // scenario's is the SHA-256 of its file).
  std::vector<std::string> content_hash;
  // The reproduction line of one run; empty function: `dsim run PATH --seed N`.
  std::function<std::string(size_t spec, uint64_t seed)> repro;
  // Runs one seed of a spec on a worker thread, in place of
  // scenario::run_scenario, and may add rec->metrics. Empty: run_scenario.
  std::function<scenario::RunReport(size_t spec, const scenario::RunOptions&, RunRecord* rec)> run;
  // Every record of this sweep, resumed ones included, one at a time.
  std::function<void(size_t spec, const RunRecord&)> on_record;
  // Runs are judged (expected or not): per-run "unexpected:" lines, the
  // per-scenario check summary, the counts in the closing line. False for
  // commands that measure: only progress and the closing line.
  bool judge = true;
};

// REQUIRES: vm was parsed from sweep_options(). src == nullptr: the
// scenarios are the files in vm["scenario"], as `dsim sweep` loads them.
int run_sweep(const Registry& reg, const boost::program_options::variables_map& vm, SweepSource* src);

}  // namespace dsim::cli
