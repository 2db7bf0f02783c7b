// dsim's exit codes (the table in README.md and `dsim --help`). Stable: scripts and CI depend on them.
#pragma once
#include <cerrno>

namespace dsim::cli {

inline constexpr int kExitOk = 0;            // outcome as expected
inline constexpr int kExitViolation = 1;     // a check violated, or an expected violation did not happen
inline constexpr int kExitUsage = 2;         // bad command line
inline constexpr int kExitInvalidInput = 3;  // invalid scenario or trace file
inline constexpr int kExitNothingRan = 4;    // nothing to run or check
inline constexpr int kExitInconclusive = 5;  // a check could not decide (too little evidence; budget ran out)
inline constexpr int kExitResourceLimit = 6; // a resource limit was reached: memory budget, input size, disk full
inline constexpr int kExitIo = 74;           // I/O error reading/writing a file (EX_IOERR)
inline constexpr int kExitInternal = 70;     // a bug in dsim (EX_SOFTWARE)
inline constexpr int kExitInterrupted = 130; // SIGINT

// A failed output write: running out of a resource is not a bug in dsim
// and not a usage error, so it has its own code.
inline int exit_code_for_write_errno(int err) {
  return err == ENOSPC || err == EDQUOT || err == EFBIG ? kExitResourceLimit : kExitIo;
}

}  // namespace dsim::cli
