#include "protocols/maelstrom/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include "dsim/assert.h"

namespace dsim::maelstrom {
namespace {

std::mutex g_children_mu;
std::set<pid_t>& children() {
  static std::set<pid_t> s;
  return s;
}

void track(pid_t p, bool add) {
  std::lock_guard<std::mutex> lock(g_children_mu);
  if (add) {
    static bool registered = false;
    if (!registered) {
      registered = true;
      std::atexit(kill_all_children);
    }
    children().insert(p);
  } else {
    children().erase(p);
  }
}

constexpr size_t kTailMax = 2048;
constexpr size_t kLineMax = 16u << 20;  // one Maelstrom message; larger is malformed output

}  // namespace

int64_t mono_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

void kill_all_children() {
  std::lock_guard<std::mutex> lock(g_children_mu);
  for (pid_t p : children()) {
    ::kill(p, SIGKILL);
    int st = 0;
    waitpid(p, &st, 0);
  }
  children().clear();
}

void fatal(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "dsim: error: %s\n", message.c_str());
  std::fflush(stderr);
  kill_all_children();
  remove_temp_files();
  _exit(3);
}

std::string ChildProcess::start(const std::vector<std::string>& argv, const std::string& stderr_path,
                                int64_t stderr_limit, bool append) {
  DSIM_ASSERT(pid_ < 0);
  DSIM_ASSERT(!argv.empty());
  int pin[2], pout[2], perr[2];
  if (pipe2(pin, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  if (pipe2(pout, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  if (pipe2(perr, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  if (!stderr_path.empty()) {
    log_ = open(stderr_path.c_str(), O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (log_ < 0) return "cannot open " + stderr_path + ": " + std::strerror(errno);
  }
  log_limit_ = stderr_limit;
  struct stat st {};
  if (log_ >= 0 && fstat(log_, &st) == 0) logged_ = st.st_size;
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls (dsim may run simulations on several threads).
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Python randomizes string hashing per process, and with it the iteration
  // order of sets and dicts of strings: fix it unless the user chose one.
  static char kHashSeed[] = "PYTHONHASHSEED=0";
  std::vector<char*> env;
  bool has_seed = false;
  for (char** e = environ; *e; ++e) {
    has_seed = has_seed || std::strncmp(*e, "PYTHONHASHSEED=", 15) == 0;
    env.push_back(*e);
  }
  if (!has_seed) env.push_back(kHashSeed);
  env.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t p = fork();
  if (p < 0) return std::string("fork: ") + std::strerror(errno);
  if (p == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(pin[0], 0);
    dup2(pout[1], 1);
    dup2(perr[1], 2);
    // dsim's handlers are not the child's business.
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvpe(args[0], args.data(), env.data());
    const char* e = std::strerror(errno);
    (void)!write(2, "cannot execute ", 15);
    (void)!write(2, args[0], std::strlen(args[0]));
    (void)!write(2, ": ", 2);
    (void)!write(2, e, std::strlen(e));
    (void)!write(2, "\n", 1);
    _exit(127);
  }
  pid_ = p;
  track(p, true);
  close(pin[0]);
  close(pout[1]);
  close(perr[1]);
  in_ = pin[1];
  out_ = pout[0];
  err_ = perr[0];
  fcntl(in_, F_SETFL, O_NONBLOCK);
  fcntl(out_, F_SETFL, O_NONBLOCK);
  fcntl(err_, F_SETFL, O_NONBLOCK);
  return {};
}

ChildProcess::~ChildProcess() {
  kill();
  if (log_ >= 0) close(log_);
}

void ChildProcess::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &wait_status_, 0);
    track(pid_, false);
    pid_ = -1;
  }
  for (int* fd : {&in_, &out_, &err_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

std::string ChildProcess::stderr_tail() {
  const int64_t deadline = mono_ms() + 200;
  while (err_ >= 0 && mono_ms() < deadline) {
    pollfd p{err_, POLLIN, 0};
    if (poll(&p, 1, 50) > 0) drain_stderr();
  }
  return tail_;
}

std::string ChildProcess::exit_status() {
  if (pid_ > 0) {
    // Give an exiting child a moment to be reaped, so the message can say
    // how it ended.
    for (int i = 0; i < 50; ++i) {
      const pid_t r = waitpid(pid_, &wait_status_, WNOHANG);
      if (r == pid_) {
        track(pid_, false);
        pid_ = -1;
        break;
      }
      usleep(2000);
    }
  }
  if (pid_ > 0) return "still running";
  if (wait_status_ < 0) return "killed by dsim";
  if (WIFEXITED(wait_status_)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) return std::string("killed by signal ") + strsignal(WTERMSIG(wait_status_));
  return "ended";
}

void ChildProcess::drain_stderr() {
  char b[4096];
  for (;;) {
    const ssize_t n = read(err_, b, sizeof b);
    if (n <= 0) {
      if (n == 0) {
        close(err_);
        err_ = -1;
      }
      return;
    }
    tail_.append(b, static_cast<size_t>(n));
    if (tail_.size() > kTailMax) tail_.erase(0, tail_.size() - kTailMax);
    if (log_ >= 0 && logged_ < log_limit_) {
      const int64_t room = log_limit_ - logged_;
      const size_t k = static_cast<size_t>(n < room ? n : room);
      if (write(log_, b, k) == static_cast<ssize_t>(k)) logged_ += static_cast<int64_t>(k);
      if (logged_ >= log_limit_) {
        static const char kNote[] = "\n[dsim: stderr truncated at the log limit]\n";
        (void)!write(log_, kNote, sizeof kNote - 1);
      }
    }
  }
}

bool ChildProcess::pump(int64_t timeout_ms) {
  pollfd fds[2];
  int n = 0;
  if (out_ >= 0 && !out_eof_) fds[n++] = {out_, POLLIN, 0};
  if (err_ >= 0) fds[n++] = {err_, POLLIN, 0};
  if (n == 0) return true;
  const int r = poll(fds, static_cast<nfds_t>(n), static_cast<int>(timeout_ms < 0 ? 0 : timeout_ms));
  if (r == 0) return false;
  if (r < 0) return errno == EINTR;
  for (int i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    if (fds[i].fd == err_) {
      drain_stderr();
      continue;
    }
    char b[65536];
    for (;;) {
      const ssize_t k = read(out_, b, sizeof b);
      if (k > 0) {
        buf_.append(b, static_cast<size_t>(k));
        continue;
      }
      if (k == 0) out_eof_ = true;
      break;
    }
  }
  return true;
}

ChildProcess::Read ChildProcess::read_line(std::string* out, int64_t timeout_ms) {
  const int64_t deadline = mono_ms() + timeout_ms;
  for (;;) {
    const size_t nl = buf_.find('\n', scan_);
    if (nl != std::string::npos) {
      out->assign(buf_, 0, nl);
      buf_.erase(0, nl + 1);
      scan_ = 0;
      ++lines_;
      return Read::kLine;
    }
    scan_ = buf_.size();
    if (buf_.size() > kLineMax) {
      out->assign(buf_, 0, 200);
      buf_.clear();
      scan_ = 0;
      ++lines_;
      return Read::kLine;  // the caller reports it as not JSON
    }
    if (out_eof_ || out_ < 0) {
      if (err_ >= 0) pump(50);  // the last words on stderr, for the message
      return Read::kEof;
    }
    const int64_t left = deadline - mono_ms();
    if (left <= 0) return Read::kTimeout;
    pump(left);
  }
}

bool ChildProcess::has_unread_output() {
  if (!buf_.empty()) return true;
  if (out_ < 0 || out_eof_) return false;
  pollfd p{out_, POLLIN, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

bool ChildProcess::write_line(const std::string& line) {
  if (in_ < 0) return false;
  // A child that died would raise SIGPIPE, which dsim treats as fatal: keep
  // it blocked for the write and consume it, so EPIPE reaches us instead.
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  std::string data = line;
  data.push_back('\n');
  size_t off = 0;
  bool ok = true;
  const int64_t deadline = mono_ms() + 60'000;
  while (off < data.size()) {
    const ssize_t k = write(in_, data.data() + off, data.size() - off);
    if (k > 0) {
      off += static_cast<size_t>(k);
      continue;
    }
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && errno == EAGAIN) {
      if (mono_ms() > deadline) { ok = false; break; }
      pump(10);  // the child may be blocked writing to us: keep reading
      continue;
    }
    ok = false;
    break;
  }
  if (!ok) {
    const timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return ok;
}

}  // namespace dsim::maelstrom
