#include "dsim/assert.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace dsim {
namespace {
int g_fatal_exit_code = 0;
constexpr int kMaxTemp = 64;
constexpr size_t kPathMax = 4096;
char g_temp[kMaxTemp][kPathMax];  // fixed storage: usable from a signal handler
std::mutex g_temp_mu;            // writers only; the signal handler just reads
}  // namespace

void set_fatal_exit_code(int code) { g_fatal_exit_code = code; }

void register_temp_file(const char* path) {
  std::lock_guard<std::mutex> lock(g_temp_mu);
  for (auto& slot : g_temp) {
    if (slot[0] == '\0' && std::strlen(path) < kPathMax) {
      std::strcpy(slot, path);
      return;
    }
  }
}

void unregister_temp_file(const char* path) {
  std::lock_guard<std::mutex> lock(g_temp_mu);
  for (auto& slot : g_temp) {
    if (std::strcmp(slot, path) == 0) slot[0] = '\0';
  }
}

void remove_temp_files() {
  for (auto& slot : g_temp) {
    if (slot[0] != '\0') unlink(slot);
  }
}

namespace detail {

void assert_fail(const char* expr, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "dsim: internal error: assertion failed: %s at %s:%d%s%s\n", expr, file, line,
               msg ? ": " : "", msg ? msg : "");
  std::fprintf(stderr, "dsim: this is a bug in dsim; please report it with the command that reproduces it\n");
  std::fflush(stderr);
  remove_temp_files();
  if (g_fatal_exit_code != 0) std::_Exit(g_fatal_exit_code);
  std::abort();
}

}  // namespace detail
}  // namespace dsim
