// What `dsim tune` measures on one run (docs/tuning.md, "Metrics"): each
// check's outcome, the clients' table, leadership from role events, the
// engine's message counters and the protocol's own statistics (its
// stats_csv columns). Names are stable: results files, CSV and plots use
// them.
#pragma once
#include <map>
#include <string>

#include "sim/scenario/runner.h"
#include "sim/scenario/spec.h"

namespace dsim::cli {

// Runs one seed of `s` and measures it. Deterministic: the metrics are a
// function of the scenario and the seed.
scenario::RunReport run_measured(const scenario::Scenario& s, const scenario::RunOptions& opt,
                                 std::map<std::string, double>* metrics);
// One line on what a metric means (every name run_measured gives).
std::string metric_doc(const std::string& name);
// A name some run may give whatever the scenario (net.*, leader.*,
// clients.*), whether or not this one did.
bool is_known_metric(const std::string& name);
// A check outcome metric (check.NAME.held|violated|inconclusive): 0 or 1
// per run, summed over seeds.
bool is_count_metric(const std::string& name);

}  // namespace dsim::cli
