// The readers under test take a path (they stream from a file), so each
// fuzz input is written to one scratch file per process, in /dev/shm when
// there is one so that no disk is touched. The file is rewritten for every
// input and removed at exit.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace dsim::fuzz {

class InputFile {
 public:
  explicit InputFile(const char* suffix) {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    path_ = std::string(dir) + "/dsim-fuzz-" + std::to_string(getpid()) + suffix;
  }
  ~InputFile() { unlink(path_.c_str()); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Replaces the file's contents with the input; aborts if it cannot, since
  // a fuzzer that silently tests an empty file finds nothing.
  const std::string& write(const uint8_t* data, size_t size) {
    const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      std::perror(path_.c_str());
      std::abort();
    }
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd, data + done, size - done);
      if (n <= 0) {
        std::perror(path_.c_str());
        std::abort();
      }
      done += static_cast<size_t>(n);
    }
    close(fd);
    return path_;
  }

 private:
  std::string path_;
};

}  // namespace dsim::fuzz
