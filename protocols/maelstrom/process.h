// A child process spoken to by newline-delimited lines on its stdin and
// stdout (the Maelstrom transport), with its stderr drained into a bounded
// log file so a chatty child can never block on a full pipe.
//
// Contract: reads wait at most a real-time deadline (a child that never
// answers is an error, never a hang); the child dies with us (SIGKILL on
// destruction, PR_SET_PDEATHSIG if dsim itself dies, and kill_all_children()
// on fatal error paths). Wall-clock time is used only for these error
// deadlines and for the best-effort mode's quiescence window, never to decide
// what a deterministic run does.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dsim::maelstrom {

class ChildProcess {
 public:
  enum class Read { kLine, kTimeout, kEof };

  // Starts `argv` (argv[0] looked up in PATH). Returns "" or an error.
  // The log is truncated unless `append` (a restarted node adds to its log).
  std::string start(const std::vector<std::string>& argv, const std::string& stderr_path, int64_t stderr_limit,
                    bool append);
  ~ChildProcess();
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Writes `line` and a newline. False when the child closed its stdin.
  bool write_line(const std::string& line);
  // The next stdout line (without the newline) into *out, waiting at most
  // `timeout_ms` of real time.
  Read read_line(std::string* out, int64_t timeout_ms);
  // Stdout bytes the child wrote that nobody has read yet (no waiting).
  bool has_unread_output();
  // SIGKILL and reap; idempotent.
  void kill();
  // The last stderr bytes (for error messages), and how it exited.
  // Waits briefly for the rest of a dying child's stderr.
  std::string stderr_tail();
  std::string exit_status();
  uint64_t lines_read() const { return lines_; }
  bool running() const { return pid_ > 0; }

 private:
  void drain_stderr();
  bool pump(int64_t timeout_ms);  // one poll round; false on timeout

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1, log_ = -1;
  int64_t log_limit_ = 0, logged_ = 0;
  bool out_eof_ = false;
  int wait_status_ = -1;
  std::string buf_;   // stdout bytes not yet returned
  size_t scan_ = 0;   // buf_ before this has no newline
  std::string tail_;  // last stderr bytes
  uint64_t lines_ = 0;
};

// Kills every live child (fatal error paths).
void kill_all_children();

// A user error caused by a node program: prints "dsim: error: ...", kills
// every child, removes unfinished output files and exits with code 3.
[[noreturn]] void fatal(const std::string& message);

// Monotonic milliseconds, for deadlines only.
int64_t mono_ms();

}  // namespace dsim::maelstrom
