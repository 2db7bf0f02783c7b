// Command-line parsing shared by the commands: options plus positional
// arguments, --help, and usage errors with exit code 2.
#pragma once
#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

namespace dsim::cli {

// Parses `args` (after the command name) against `opts` plus positional
// arguments named `positional`: exactly one, or with `many` at least one.
// On --help or an error returns nullopt and sets *exit_code (0 or 2).
std::optional<boost::program_options::variables_map> parse_command(const std::vector<std::string>& args,
                                                                   const boost::program_options::options_description& opts,
                                                                   const char* positional, const std::string& command,
                                                                   int* exit_code, bool many = false);

}  // namespace dsim::cli
