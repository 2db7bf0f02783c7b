#include "sim/cli/terminal.h"

#include "sim/cli/exit_codes.h"
#include "dsim/assert.h"
#include "sim/core/output_file.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace dsim::cli {

bool use_color(ColorMode mode) {
  if (mode == ColorMode::kAlways) return true;
  if (mode == ColorMode::kNever) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && (std::string_view(term) == "dumb" || std::string_view(term) == "unknown")) return false;
  return isatty(STDERR_FILENO) == 1;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") ==
                        std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  return out + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += shell_quote(a);
  }
  return out;
}

int WriteError::exit_code() const { return exit_code_for_write_errno(err); }

WriteError write_output(const std::string& path, const std::string& text) {
  WriteError e;
  e.message = write_whole_file(path, text, &e.err);
  return e;
}

std::string private_temp_path(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/dsim-XXXXXX";
  if (!mkdtemp(dir.data())) return {};
  const std::string path = dir + "/" + name;
  register_temp_file(path.c_str());  // a signal before remove_private_temp still removes it
  return path;
}

void remove_private_temp(const std::string& path) {
  std::remove(path.c_str());
  unregister_temp_file(path.c_str());
  const size_t slash = path.find_last_of('/');
  if (slash != std::string::npos) rmdir(path.substr(0, slash).c_str());
}

}  // namespace dsim::cli
