// The `dsim` executable: command dispatch, exit codes, signals.
// Commands live in commands.cc; this file owns the process-level contract
// (formats.md 5): usage errors exit 2, internal errors 70, a fatal signal
// 128 + signo (SIGINT 130) after removing temporary files.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <unistd.h>
#include <vector>

#include "sim/cli/commands.h"
#include "sim/cli/exit_codes.h"
#include "sim/core/assert.h"

namespace {

// Fatal signals remove every registered temporary file (unlink only:
// async-signal-safe) and exit 128 + signo, like a shell reports them.
// SIGPIPE included: `dsim export ... | head` must not leave a .partial.
extern "C" void on_fatal_signal(int signo) {
  dsim::remove_temp_files();
  if (signo == SIGINT) {
    static const char kMsg[] = "\ndsim: interrupted\n";
    (void)!write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
  }
  _exit(128 + signo);
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2, SIGQUIT, SIGXFSZ}) {
    sigaddset(&sa.sa_mask, signo);  // one handler at a time
  }
  for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2, SIGQUIT}) sigaction(signo, &sa, nullptr);
  // A file over RLIMIT_FSIZE: the write fails with EFBIG and is reported
  // as a resource limit (exit 6) instead of killing the process.
  signal(SIGXFSZ, SIG_IGN);
}

}  // namespace

int main(int argc, char** argv) {
  dsim::set_fatal_exit_code(dsim::cli::kExitInternal);
  install_signal_handlers();
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return dsim::cli::dispatch(args);
  } catch (const std::exception& e) {
    dsim::remove_temp_files();
    std::fprintf(stderr, "dsim: internal error: %s\n", e.what());
    return dsim::cli::kExitInternal;
  }
}
