// The clients' table (the CAP table): one row per configuration and per
// side of a partition, as text or CSV. `dsim run` prints it for a
// scenario with clients; `dsim compare` for several scenarios side by side.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario/runner.h"

namespace dsim::cli {

using Configuration = std::pair<std::string, scenario::RunReport>;  // name, its run

std::string client_table(const std::vector<Configuration>& configs);
std::string client_csv(const std::vector<Configuration>& configs);
std::string curve_csv(const std::vector<Configuration>& configs);

// Runs a scenario once per variant of its protocol (the load balancer's
// policies), on one seed.
std::vector<Configuration> run_variants(const scenario::Scenario& s, uint64_t seed);
// The runs' protocol statistics, labelled with the configurations' names.
std::vector<LabelledStats> stats_of(const std::vector<Configuration>& configs);

}  // namespace dsim::cli
