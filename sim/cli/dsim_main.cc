// dsim::main: command dispatch, exit codes, signals, for the protocols of a
// registry. Commands live in commands.cc; this file owns the process-level
// contract: usage errors exit 2, internal errors 70, SIGINT 130.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <unistd.h>
#include <vector>

#include "dsim/dsim.h"
#include "sim/cli/commands.h"
#include "sim/cli/exit_codes.h"
#include "dsim/assert.h"

namespace {

extern "C" void on_sigint(int) {
  dsim::remove_temp_files();
  static const char kMsg[] = "\ndsim: interrupted\n";
  (void)!write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
  _exit(dsim::cli::kExitInterrupted);
}

}  // namespace

namespace dsim {

int main(const Registry& registry, int argc, char** argv) {
  dsim::set_fatal_exit_code(dsim::cli::kExitInternal);
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return dsim::cli::dispatch(registry, args);
  } catch (const std::exception& e) {
    dsim::remove_temp_files();
    std::fprintf(stderr, "dsim: internal error: %s\n", e.what());
    return dsim::cli::kExitInternal;
  }
}

}  // namespace dsim
