// dsim::main: command dispatch, exit codes, signals, for the protocols of a
// registry. Commands live in commands.cc; this file owns the process-level
// contract: usage errors exit 2, resource limits 6, internal errors 70, a
// fatal signal 128 + signo (SIGINT 130) after removing temporary files.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <cstdlib>
#include <iostream>
#include <malloc.h>
#include <new>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "dsim/dsim.h"
#include "sim/cli/commands.h"
#include "sim/cli/exit_codes.h"
#include "sim/cli/memory_limit.h"
#include "dsim/assert.h"
#include "sim/core/input.h"
#include "sim/core/program.h"

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

// Machine output on stdout (--json -, export, show) is only delivered once
// flushed: a full disk or a closed pipe must not pass as success. ENOSPC
// is a limit reached (6); any other failure an I/O error (74).
int check_stdout(int code) {
  std::cout.flush();
  const bool failed = !std::cout || std::fflush(stdout) != 0 || std::ferror(stdout);
  if (!failed) return code;
  // A write that failed earlier (write_output flushes at once) left only
  // errno behind; trust it when it is an error a write gives.
  const int err = errno == ENOSPC || errno == EDQUOT || errno == EIO || errno == EPIPE || errno == EFBIG ? errno : 0;
  std::fprintf(stderr, "dsim: error: cannot write standard output%s%s\n", err ? ": " : "", err ? std::strerror(err) : "");
  return err == ENOSPC || err == EDQUOT ? dsim::cli::kExitResourceLimit : dsim::cli::kExitIo;
}

// A sweep runs thousands of simulations one after another on each thread;
// each grows to tens of MB and frees it all at the end. By default glibc
// returns that memory to the kernel after every run and faults it in again
// for the next (a tenth of a sweep's time went to page faults). Freed
// memory is kept for reuse up to 256 MiB, and blocks under 32 MiB come
// from the heap, not from mmap. The budget (--max-memory) is unaffected:
// memory is kept, not added. Settings a user gives glibc (GLIBC_TUNABLES,
// MALLOC_*_) win.
void tune_allocator(uint64_t budget) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if ((tunables && std::strstr(tunables, "malloc")) || std::getenv("MALLOC_TRIM_THRESHOLD_") ||
      std::getenv("MALLOC_MMAP_THRESHOLD_")) {
    return;
  }
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  // The first 64 MiB of the heap in huge pages where the kernel offers them
  // on request (transparent_hugepage = madvise): a Raft run touches 35 MB
  // of small objects, and 4 KiB pages cost it 5,600 page faults and TLB
  // misses (6% of its time). The heap is grown once, marked, and kept (the
  // trim threshold above); pages not touched cost no memory, but the heap's
  // size counts against --max-memory (RLIMIT_DATA): at most an eighth of
  // the budget is used this way, and none under 32 MiB.
  const uint64_t pad = budget == 0 ? uint64_t{64} << 20 : std::min<uint64_t>(uint64_t{64} << 20, budget / 8);
  if (pad < (uint64_t{4} << 20)) return;
  mallopt(M_TOP_PAD, static_cast<int>(pad));
  char* const before = static_cast<char*>(sbrk(0));
  void* const grow = std::malloc(1 << 20);
  char* const after = static_cast<char*>(sbrk(0));
  mallopt(M_TOP_PAD, 128 << 10);  // glibc's default again
  if (grow && before != reinterpret_cast<char*>(-1) && after > before) {
    constexpr uintptr_t kHuge = 2 << 20;
    const uintptr_t from = (reinterpret_cast<uintptr_t>(before) + kHuge - 1) & ~(kHuge - 1);
    const uintptr_t to = reinterpret_cast<uintptr_t>(after) & ~(kHuge - 1);
    if (to > from) (void)madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);  // advice only
  }
  std::free(grow);
}

}  // namespace

namespace dsim {

int main(const Registry& registry, int argc, char** argv) {
  dsim::set_fatal_exit_code(dsim::cli::kExitInternal);
  install_signal_handlers();
  if (argc > 0 && argv[0]) dsim::set_program_name(argv[0]);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (const std::string err = dsim::cli::apply_memory_limit(&args); !err.empty()) {
    std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
    return dsim::cli::kExitUsage;
  }
  tune_allocator(dsim::cli::memory_limit_bytes());
  try {
    const dsim::InputScope inputs;  // an output never replaces one of this command's inputs
    return check_stdout(dsim::cli::dispatch(registry, args));
  } catch (const dsim::ResourceLimit& e) {
    dsim::remove_temp_files();
    std::fprintf(stderr, "dsim: error: resource limit: %s\n", e.what());
    return dsim::cli::kExitResourceLimit;
  } catch (const std::bad_alloc&) {
    // Running out of memory is a limit reached, not a bug.
    dsim::remove_temp_files();
    std::fprintf(stderr, "dsim: error: out of memory (the memory budget is --max-memory %s)\n",
                 dsim::cli::memory_limit_text().c_str());
    return dsim::cli::kExitResourceLimit;
  } catch (const std::exception& e) {
    dsim::remove_temp_files();
    std::fprintf(stderr, "dsim: internal error: %s\n", e.what());
    return dsim::cli::kExitInternal;
  }
}

}  // namespace dsim
