// Reading the files users hand us without trusting them: a FIFO with no
// writer must not hang a run, /dev/zero must not eat all memory, and a
// line of a trace must not be as long as the disk. Every reader of user
// input (scenarios, traces, histories, results files) goes through here.
#pragma once
#include <cstddef>
#include <istream>
#include <stdexcept>
#include <string>

namespace dsim {

// A scenario is a page of YAML; 16 MiB is far beyond any real one.
inline constexpr size_t kMaxScenarioBytes = size_t{16} << 20;
// Traces and histories are read a line at a time, so only a line is capped.
inline constexpr size_t kMaxLineBytes = size_t{16} << 20;

// A resource limit was reached (an input too large, memory exhausted): not
// a bug in dsim and not a malformed input, so the CLI gives it its own exit
// code (6) and names the limit. The message says what and where.
class ResourceLimit : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Whether `path` names standard input ("-" or /dev/stdin).
bool is_stdin_path(const std::string& path);

// Why `path` cannot be read as an input file, or "" when it can (or when it
// does not exist: opening it then reports errno). Directories and
// non-regular files (FIFOs, devices, sockets) are refused, except standard
// input, which is how a pipe is meant to be given. A regular file that
// passes is remembered as an input of the current command (see InputScope).
std::string input_problem(const std::string& path);

// While one is alive (dsim::main holds one around a command), the regular
// files read as inputs (passed input_problem) are remembered, and
// OutputFile refuses to replace one: `dsim report t.jsonl -o t.jsonl`
// cannot destroy its own trace. Outside a scope (a program using the
// library, tests that rewrite a file they read) nothing is remembered.
class InputScope {
 public:
  InputScope();
  ~InputScope();
  InputScope(const InputScope&) = delete;
  InputScope& operator=(const InputScope&) = delete;
};

// Whether the regular file with this device and inode is an input of the
// command in progress.
bool is_input_file(unsigned long long dev, unsigned long long ino);

enum class LineRead { kLine, kEnd, kTooLong };

// std::getline with a cap: stops and returns kTooLong once a line exceeds
// `max` bytes, without reading the rest of it into memory. The newline is
// not stored.
LineRead read_line(std::istream& in, std::string* out, size_t max = kMaxLineBytes);

// Reads all of `in`, or returns false as soon as it exceeds `max` bytes.
bool read_all(std::istream& in, std::string* out, size_t max);

// "strerror(errno)" for the last failed call, for messages.
std::string errno_text();

}  // namespace dsim
