#include "sim/core/output_file.h"

#include "sim/core/input.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dsim/assert.h"

namespace dsim {
namespace {

constexpr size_t kBufferBytes = 1 << 20;
constexpr size_t kDirectBytes = 1 << 15;
constexpr size_t kWritebackBytes = size_t{8} << 20;
std::atomic<int> g_last_errno{0};
// Unique temporary names within the process; the pid makes them unique
// between processes.
std::atomic<unsigned> g_temp_counter{0};

bool is_direct(mode_t m) { return S_ISCHR(m) || S_ISFIFO(m); }

std::string errtext(int err) { return std::strerror(err); }

}  // namespace

int last_output_errno() { return g_last_errno.load(); }

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() {
  if (fd_ >= 0 && own_fd_) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    unregister_temp_file(temp_path_.c_str());
    temp_path_.clear();
  }
}

bool OutputFile::fail(const std::string& what, const std::string& file, int err) {
  if (errno_ == 0) {
    errno_ = err;
    error_ = what + " " + file + ": " + errtext(err);
    g_last_errno = err;
  }
  return false;
}

// Opens a device or FIFO for a direct write, or says why not. `follow`:
// the name was a symlink (to a device), so O_NOFOLLOW cannot be used; the
// fstat afterwards checks what was actually opened.
static int open_direct(const std::string& path, bool follow, int extra_flags) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC | extra_flags | (follow ? 0 : O_NOFOLLOW));
  if (fd < 0) return -1;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !is_direct(st.st_mode)) {
    ::close(fd);
    errno = EEXIST;  // replaced between the lstat and the open
    return -1;
  }
  return fd;
}

std::string OutputFile::open(const std::string& path) {
  DSIM_ASSERT(fd_ < 0);
  path_ = path;
  buf_.reserve(kBufferBytes);
  if (path == "-" || path == "/dev/stdout" || path == "/dev/stderr") {
    fd_ = path == "/dev/stderr" ? STDERR_FILENO : STDOUT_FILENO;
    // Text printed through stdio before must come first on the same fd.
    std::fflush(fd_ == STDOUT_FILENO ? stdout : stderr);
    own_fd_ = false;
    direct_ = true;
    return {};
  }
  struct stat st {};
  mode_t keep_mode = 0644;
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      struct stat target {};
      if (::stat(path.c_str(), &target) != 0 || !is_direct(target.st_mode)) {
        fail("refusing to replace the symlink", path, ELOOP);
        error_ = "refusing to replace the symlink " + path + " (name its target instead)";
        return error_;
      }
      fd_ = open_direct(path, /*follow=*/true, 0);
    } else if (is_direct(st.st_mode)) {
      fd_ = open_direct(path, /*follow=*/false, 0);
    } else if (S_ISDIR(st.st_mode)) {
      fail("cannot write", path, EISDIR);
      return error_;
    } else if (!S_ISREG(st.st_mode)) {
      fail("refusing to replace the special file", path, EINVAL);
      return error_;
    } else if (is_input_file(static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino))) {
      // Renaming over it would destroy what this command is reading.
      fail("refusing to replace", path, EINVAL);
      error_ = "refusing to replace " + path + ": it is an input of this command (write the output elsewhere)";
      return error_;
    } else {
      keep_mode = st.st_mode & 0777;
    }
    if (is_direct(st.st_mode) || S_ISLNK(st.st_mode)) {
      if (fd_ < 0) {
        fail("cannot write", path, errno);
        return error_;
      }
      own_fd_ = true;
      direct_ = true;
      return {};
    }
  } else if (errno != ENOENT) {
    fail("cannot write", path, errno);
    return error_;
  }
  // A regular file: a fresh temporary beside it. O_EXCL|O_NOFOLLOW never
  // opens what is already there (a planted symlink, a stale file).
  const std::string stem = path + "." + std::to_string(::getpid()) + ".";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string temp = stem + std::to_string(g_temp_counter.fetch_add(1)) + ".partial";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      fail("cannot write", path, errno);  // the user named `path`, not the temporary
      return error_;
    }
    register_temp_file(temp.c_str());
    fd_ = fd;
    own_fd_ = true;
    direct_ = false;
    temp_path_ = std::move(temp);
    sync_ = true;
    if (keep_mode != 0644) (void)::fchmod(fd_, keep_mode);  // replacing a file keeps its permissions
    return {};
  }
  fail("cannot create a temporary file for", path, EEXIST);
  return error_;
}

std::string OutputFile::open_log(const std::string& path, bool truncate, bool lock) {
  DSIM_ASSERT(fd_ < 0);
  path_ = path;
  struct stat st {};
  const bool exists = ::lstat(path.c_str(), &st) == 0;
  if (path == "-" || path == "/dev/stdout" || path == "/dev/stderr" || (exists && (is_direct(st.st_mode) || S_ISLNK(st.st_mode)))) {
    return open(path);  // the same rules: devices direct, other symlinks refused
  }
  if (exists && !S_ISREG(st.st_mode)) {
    fail("cannot write", path, S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
    return error_;
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    fail("cannot write", path, errno);
    return error_;
  }
  own_fd_ = true;
  direct_ = true;
  sync_ = true;
  // Lock before truncating: a second sweep must not empty the first one's file.
  if (lock && ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK) {
      fail("cannot lock", path, err);
      error_ = path + " is locked by another dsim process writing to it; wait for it or use another file";
    } else {
      fail("cannot lock", path, err);
    }
    return error_;
  }
  if (truncate && ::ftruncate(fd_, 0) != 0) {
    fail("cannot truncate", path, errno);
    return error_;
  }
  return {};
}

bool OutputFile::write(std::string_view bytes) {
  if (errno_ != 0 || fd_ < 0) return false;
  // A large block with nothing buffered before it goes straight out: copying
  // it into the buffer first would only cost a pass over the bytes (a trace
  // writer hands over 64 KiB chunks).
  if (buf_.empty() && bytes.size() >= kDirectBytes) return write_all(bytes.data(), bytes.size());
  buf_.append(bytes);
  if (buf_.size() >= kBufferBytes) return flush();
  return true;
}

bool OutputFile::write_all(const char* p, size_t left) {
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write", path_, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
    unsynced_ += static_cast<size_t>(n);
  }
  if (sync_ && !temp_path_.empty() && unsynced_ >= kWritebackBytes) {
    // Start writing the last few MiB to the disk now, without waiting, so
    // commit()'s fsync does not find a whole trace still in memory (the
    // disk works while the run goes on). Only a hint: an I/O error it runs
    // into is reported by the fsync, which is checked.
    (void)::sync_file_range(fd_, static_cast<off_t>(synced_), static_cast<off_t>(unsynced_), SYNC_FILE_RANGE_WRITE);
    synced_ += unsynced_;
    unsynced_ = 0;
  }
  return true;
}

bool OutputFile::flush() {
  if (errno_ != 0 || fd_ < 0) return false;
  const bool ok = write_all(buf_.data(), buf_.size());
  buf_.clear();
  return ok;
}

std::string OutputFile::commit() {
  if (fd_ < 0 && errno_ == 0) fail("cannot write", path_, EBADF);
  flush();
  const std::string& name = path_;
  if (errno_ == 0 && sync_ && ::fsync(fd_) != 0) fail("cannot sync", name, errno);
  if (fd_ >= 0 && own_fd_) {
    if (::close(fd_) != 0 && errno_ == 0) fail("cannot close", name, errno);
  }
  fd_ = -1;
  if (errno_ == 0 && !temp_path_.empty()) {
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
      fail("cannot rename " + temp_path_ + " to", path_, errno);
    } else {
      unregister_temp_file(temp_path_.c_str());
      temp_path_.clear();
    }
  }
  if (errno_ != 0) discard();
  return error_;
}

std::string write_whole_file(const std::string& path, std::string_view text, int* err) {
  OutputFile f;
  std::string e = f.open(path);
  if (e.empty()) {
    f.write(text);
    e = f.commit();
  }
  if (err) *err = f.errno_value();
  return e;
}

}  // namespace dsim
