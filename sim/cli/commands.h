// dsim's commands. Each takes the arguments after its name and returns the
// process exit code (exit_codes.h).
#pragma once
#include <string>
#include <vector>

#include "dsim/registry.h"

namespace dsim::cli {

int dispatch(const Registry& reg, const std::vector<std::string>& args);
int cmd_run(const Registry& reg, const std::vector<std::string>& args);
int cmd_check(const Registry& reg, const std::vector<std::string>& args);
int cmd_experiment(const Registry& reg, const std::vector<std::string>& args);
int cmd_sweep(const Registry& reg, const std::vector<std::string>& args);
int cmd_merge(const Registry& reg, const std::vector<std::string>& args);
int cmd_shrink(const Registry& reg, const std::vector<std::string>& args);
int cmd_compare(const Registry& reg, const std::vector<std::string>& args);
int cmd_tune(const Registry& reg, const std::vector<std::string>& args);

std::string version_string();

}  // namespace dsim::cli
