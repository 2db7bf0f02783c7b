#include "sim/core/input.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <utility>

namespace dsim {

namespace {
std::mutex inputs_mu;
int input_scopes = 0;  // guarded by inputs_mu
std::set<std::pair<unsigned long long, unsigned long long>>& inputs() {
  static std::set<std::pair<unsigned long long, unsigned long long>> s;
  return s;
}
}  // namespace

InputScope::InputScope() {
  std::lock_guard<std::mutex> lock(inputs_mu);
  ++input_scopes;
}

InputScope::~InputScope() {
  std::lock_guard<std::mutex> lock(inputs_mu);
  if (--input_scopes == 0) inputs().clear();
}

bool is_input_file(unsigned long long dev, unsigned long long ino) {
  std::lock_guard<std::mutex> lock(inputs_mu);
  return inputs().count({dev, ino}) != 0;
}

bool is_stdin_path(const std::string& path) { return path == "-" || path == "/dev/stdin"; }

std::string input_problem(const std::string& path) {
  if (is_stdin_path(path)) return "";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";  // the open reports why, with errno
  if (S_ISDIR(st.st_mode)) return "is a directory, not a file";
  if (!S_ISREG(st.st_mode)) {
    // Opening a FIFO blocks until a writer comes, and a device may never
    // end: refuse both rather than hang or fill memory.
    return "is not a regular file (a FIFO, device or socket); to read a stream, pipe it to standard input and "
           "give '-'";
  }
  std::lock_guard<std::mutex> lock(inputs_mu);
  if (input_scopes > 0) inputs().insert({static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino)});
  return "";
}

LineRead read_line(std::istream& in, std::string* out, size_t max) {
  out->clear();
  std::streambuf* sb = in.rdbuf();
  if (!sb || !in.good()) return LineRead::kEnd;
  for (;;) {
    const int c = sb->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(std::ios::eofbit);
      return out->empty() ? LineRead::kEnd : LineRead::kLine;
    }
    if (c == '\n') return LineRead::kLine;
    if (out->size() >= max) return LineRead::kTooLong;
    out->push_back(static_cast<char>(c));
  }
}

bool read_all(std::istream& in, std::string* out, size_t max) {
  out->clear();
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    const auto got = static_cast<size_t>(in.gcount());
    if (out->size() + got > max) return false;
    out->append(buf, got);
  }
  return true;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace dsim
