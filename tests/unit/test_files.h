// Files for the tests of outputs: a private temporary directory, a file's
// bytes, and a device where every write fails with ENOSPC.
#pragma once
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace dsim::testing {

// A new directory of its own under the temporary directory, named
// dsim-<tag>-XXXXXX; the test removes it.
inline std::string temp_dir(const std::string& tag) {
  std::string dir = std::filesystem::temp_directory_path().string() + "/dsim-" + tag + "-XXXXXX";
  REQUIRE(::mkdtemp(dir.data()) != nullptr);
  return dir;
}

// The whole file's bytes ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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
