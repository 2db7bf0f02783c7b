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

// Load balancing: one row per policy (configurations with an lb report).
std::string lb_table(const std::vector<Configuration>& configs);
std::string lb_csv(const std::vector<Configuration>& configs);
// Load over time: policy, backend, second, requests served.
std::string lb_load_csv(const std::vector<Configuration>& configs);
// Runs an lb scenario once per policy it lists, on one seed.
std::vector<Configuration> run_lb_policies(const scenario::Scenario& s, uint64_t seed);

}  // namespace dsim::cli
