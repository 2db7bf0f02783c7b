// OutputFile (sim/core/output_file.h) and printable() (sim/core/printable.h):
// the rules every writer and every terminal print rely on.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <optional>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_files.h"
#include "sim/core/output_file.h"
#include "sim/core/printable.h"

namespace dsim {
namespace {

std::string temp_dir() { return testing::temp_dir("output"); }
using testing::slurp;

TEST_CASE("output: a regular file is replaced atomically, keeping no temporary file") {
  const std::string dir = temp_dir();
  const std::string path = dir + "/out.txt";
  std::ofstream(path) << "old";
  {
    OutputFile f;
    REQUIRE(f.open(path).empty());
    CHECK(f.write("new"));
    CHECK(slurp(path) == "old");  // nothing visible before commit
  }  // destroyed without commit: the old file stays, the temporary goes
  CHECK(slurp(path) == "old");
  CHECK(write_whole_file(path, "new").empty());
  CHECK(slurp(path) == "new");
  CHECK(std::distance(std::filesystem::directory_iterator(dir), {}) == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("output: planted temporary names are never followed") {
  const std::string dir = temp_dir();
  const std::string path = dir + "/out.txt", victim = dir + "/victim";
  std::ofstream(victim) << "precious";
  // Every name the next 100 attempts could pick, and the old fixed name.
  std::filesystem::create_symlink(victim, path + ".partial");
  for (int n = 0; n < 100; ++n) {
    std::filesystem::create_symlink(victim, path + "." + std::to_string(getpid()) + "." + std::to_string(n) + ".partial");
  }
  const std::string err = write_whole_file(path, "data");
  CHECK(slurp(victim) == "precious");
  if (err.empty()) CHECK(slurp(path) == "data");  // a later counter value was free
  std::filesystem::remove_all(dir);
}

TEST_CASE("output: a symlink target is refused, a FIFO written directly") {
  const std::string dir = temp_dir();
  const std::string victim = dir + "/victim", link = dir + "/link";
  std::ofstream(victim) << "precious";
  std::filesystem::create_symlink(victim, link);
  int err = 0;
  const std::string msg = write_whole_file(link, "data", &err);
  CHECK(msg.find("symlink " + link) != std::string::npos);
  CHECK(std::filesystem::is_symlink(link));
  CHECK(slurp(victim) == "precious");
  CHECK(write_whole_file(dir, "data", &err).find("Is a directory") != std::string::npos);
  CHECK(err == EISDIR);
  std::filesystem::remove_all(dir);
}

TEST_CASE("output: a full device reports ENOSPC naming the file") {
  const std::string dir = temp_dir();
  const std::optional<std::string> device = testing::full_device(dir);
  if (!device) {
    MESSAGE("skipped: root without mknod");
    std::filesystem::remove_all(dir);
    return;
  }
  const std::string full = *device;
  int err = 0;
  const std::string msg = write_whole_file(full, "data", &err);
  CHECK(err == ENOSPC);
  CHECK(msg == "cannot write " + full + ": No space left on device");
  CHECK(last_output_errno() == ENOSPC);
  std::filesystem::remove_all(dir);
}

TEST_CASE("printable: control characters escaped, UTF-8 kept") {
  using namespace std::string_literals;
  CHECK(printable("plain, caf\xc3\xa9") == "plain, caf\xc3\xa9");
  CHECK(printable("a\x1b[2Jb") == "a\\x1b[2Jb");
  CHECK(printable("a\0b"s) == "a\\0b");
  CHECK(printable("a\nb") == "a\\x0ab");
  CHECK(printable("a\nb", true) == "a\nb");
  CHECK(printable("tab\tx\x7f") == "tab\tx\\x7f");
  CHECK(printable("csi\xc2\x9b" "31m") == "csi\\u009b31m");
  CHECK(printable("bad\xff\xc3") == "bad\\xff\\xc3");
}

}  // namespace
}  // namespace dsim
