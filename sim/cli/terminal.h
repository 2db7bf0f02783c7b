// Human output on stderr: color decisions (NO_COLOR, --color, TTY, TERM)
// and small formatting helpers shared by the commands.
#pragma once
#include <string>
#include <vector>

namespace dsim::cli {

enum class ColorMode { kAuto, kAlways, kNever };

// Auto colors only when stderr is a TTY, TERM is not dumb
// and NO_COLOR is unset or empty; --color=always overrides NO_COLOR.
bool use_color(ColorMode mode);

struct Style {
  bool on = false;
  const char* bold() const { return on ? "\x1b[1m" : ""; }
  const char* red() const { return on ? "\x1b[1;31m" : ""; }
  const char* green() const { return on ? "\x1b[32m" : ""; }
  const char* yellow() const { return on ? "\x1b[33m" : ""; }
  const char* dim() const { return on ? "\x1b[2m" : ""; }
  const char* reset() const { return on ? "\x1b[0m" : ""; }
};

// POSIX shell quoting, for copy-pasteable reproduction lines.
std::string shell_quote(const std::string& s);
std::string shell_join(const std::vector<std::string>& argv);

// A failed write_output: the message names the file and strerror.
struct WriteError {
  std::string message;  // empty: written
  int err = 0;          // errno
  bool empty() const { return message.empty(); }
  const char* c_str() const { return message.c_str(); }
  int exit_code() const;  // 6 for a resource limit, else 74
};

// Writes `text` to `path` through OutputFile (sim/core/output_file.h:
// atomically for a regular file, directly to a device, a FIFO or "-").
WriteError write_output(const std::string& path, const std::string& text);

// A path named `name` in a fresh private directory (mkdtemp under $TMPDIR
// or /tmp), for an intermediate file no one else can plant or read; empty
// if none can be made. remove_private_temp deletes the file and directory.
std::string private_temp_path(const std::string& name);
void remove_private_temp(const std::string& path);

}  // namespace dsim::cli
