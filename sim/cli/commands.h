// dsim's commands. Each takes the arguments after its name and returns the
// process exit code (exit_codes.h).
#pragma once
#include <string>
#include <vector>

namespace dsim::cli {

int dispatch(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_check(const std::vector<std::string>& args);
int cmd_experiment(const std::vector<std::string>& args);
int cmd_sweep(const std::vector<std::string>& args);
int cmd_merge(const std::vector<std::string>& args);
int cmd_shrink(const std::vector<std::string>& args);
int cmd_compare(const std::vector<std::string>& args);

std::string version_string();

}  // namespace dsim::cli
