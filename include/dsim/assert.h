// DSIM_ASSERT is always on, in every build that runs simulations
// A failed assertion is a bug in dsim, never a user error: it
// prints the location and aborts; the CLI turns that into exit code 70
// (set_fatal_exit_code) and removes unfinished output files first.
#pragma once

namespace dsim::detail {
[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const char* msg);
}  // namespace dsim::detail

namespace dsim {
// 0 (default): abort(), which keeps a core dump for debugging. Non-zero:
// _Exit(code) after cleanup, for the CLI's documented exit codes.
void set_fatal_exit_code(int code);
// A file to delete if the process dies on an assertion or a signal (an
// unfinished "<trace>.partial"). At most a few are registered at a time.
void register_temp_file(const char* path);
void unregister_temp_file(const char* path);
// Deletes the registered files; async-signal-safe.
void remove_temp_files();
}  // namespace dsim

#define DSIM_ASSERT(cond) \
  do { if (!(cond)) [[unlikely]] ::dsim::detail::assert_fail(#cond, __FILE__, __LINE__, nullptr); } while (0)
#define DSIM_ASSERT_MSG(cond, msg) \
  do { if (!(cond)) [[unlikely]] ::dsim::detail::assert_fail(#cond, __FILE__, __LINE__, (msg)); } while (0)
