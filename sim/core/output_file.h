// Every file dsim writes goes through OutputFile ("Outputs
// never clobber"). The rules, in one place so no writer gets them wrong:
//
// - "-", /dev/stdout and /dev/stderr are the process's own fds 1 and 2.
// - Character devices and FIFOs (also behind a symlink: /dev/null, a named
//   pipe) are written directly: no temporary file, no rename, so a device
//   node is never replaced by a regular file.
// - A regular target (or a missing one) gets a temporary file beside it,
//   "<path>.<pid>.<n>.partial", created with O_CREAT|O_EXCL|O_NOFOLLOW (a
//   planted symlink or an existing file at that name is never followed or
//   reused; another name is tried), registered for removal on a signal or an
//   assertion, fsync'd and renamed over the target by commit(). Its
//   writeback to the disk starts every 8 MiB (sync_file_range), so the
//   final fsync of a large file has little left to wait for.
// - A symlink to anything else (a regular file, a directory) is refused:
//   renaming over it would replace the link, writing through it would
//   surprise whoever planted it. Directories, sockets and block devices are
//   refused too.
// - A regular file the same command read as an input (sim/core/input.h) is
//   never replaced: `dsim report t.jsonl -o t.jsonl` is refused, not a lost
//   trace.
// - Appending logs (sweep results) are opened in place with O_NOFOLLOW, so a
//   killed sweep keeps every finished record (and a resumed sweep appends to
//   the results file it read).
//
// Every write, flush, fsync, close and rename is checked; an error names
// the file and strerror(errno), and errno_value() says which limit was hit.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace dsim {

class OutputFile {
 public:
  OutputFile() = default;
  ~OutputFile();  // without commit(): closes and removes the temporary file
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Opens `path` for a whole-file write. Returns an error message, or empty.
  std::string open(const std::string& path);
  // Opens `path` as an appending log, written in place; `truncate` empties a
  // regular file first. With `lock`, a regular file is locked (flock
  // LOCK_EX|LOCK_NB) before anything is truncated, and a second writer is
  // refused. Returns an error message, or empty.
  std::string open_log(const std::string& path, bool truncate, bool lock);

  // Buffered (a block of 32 KiB or more with nothing buffered before it is
  // written at once); false once any write has failed (the error sticks).
  bool write(std::string_view bytes);
  // Writes the buffer out now (a log's records survive a kill).
  bool flush();
  // Flushes, fsyncs, closes and, for a temporary file, renames it into
  // place. Returns an error message naming the file, or empty.
  std::string commit();

  bool is_open() const { return fd_ >= 0; }
  bool direct() const { return direct_; }
  // The errno of the first failure (0 if none).
  int errno_value() const { return errno_; }
  // The error message of the first failure (empty if none).
  const std::string& error() const { return error_; }
  int fd() const { return fd_; }

 private:
  bool fail(const std::string& what, const std::string& file, int err);
  bool write_all(const char* p, size_t n);  // every byte, or fail()
  void discard();

  int fd_ = -1;
  bool own_fd_ = false;  // false for fds 1 and 2
  bool direct_ = false;  // no temporary file
  bool sync_ = false;    // a regular file: fsync before it counts as written
  std::string path_, temp_path_;
  std::string buf_;
  size_t synced_ = 0, unsynced_ = 0;  // bytes written before / since the last writeback hint
  int errno_ = 0;
  std::string error_;
};

// Writes `text` to `path` through an OutputFile. Returns an error message,
// or empty; *err (if given) gets errno_value().
std::string write_whole_file(const std::string& path, std::string_view text, int* err = nullptr);

// The errno of the most recent failed OutputFile in this process (0 if
// none): for callers that only get the error message through layers that
// carry strings (a run's trace error).
int last_output_errno();

}  // namespace dsim
