// Human output on stderr: color decisions (NO_COLOR, --color, TTY, TERM)
// and small formatting helpers shared by the commands.
#pragma once
#include <string>
#include <vector>

namespace dsim::cli {

enum class ColorMode { kAuto, kAlways, kNever };

// formats.md 5.4: auto colors only when stderr is a TTY, TERM is not dumb
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

// Writes `text` to `path` atomically (temp file + rename), or to stdout for
// "-". Returns an error message, or empty.
std::string write_output(const std::string& path, const std::string& text);

}  // namespace dsim::cli
