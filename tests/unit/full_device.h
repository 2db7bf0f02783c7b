// A device where every write fails with ENOSPC, for tests of how outputs
// report a full disk.
#pragma once
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <optional>
#include <string>

namespace dsim::testing {

// As root, a private copy of /dev/full made in `dir` (code under test must
// never be able to replace the machine's own); without root /dev/full
// itself, which such a process cannot replace. nullopt when root cannot
// make a device node (a container without CAP_MKNOD): skip the test.
inline std::optional<std::string> full_device(const std::string& dir) {
  std::string full = dir + "/full";
  if (::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) == 0) return full;
  if (::geteuid() == 0) return std::nullopt;
  return std::string("/dev/full");
}

}  // namespace dsim::testing
