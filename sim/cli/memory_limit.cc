#include "sim/cli/memory_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace dsim::cli {
namespace {

uint64_t g_limit = 0;

std::string size_text(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (u < 4 && bytes >= 1024 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++u;
  }
  return std::to_string(bytes) + kUnits[u];
}

}  // namespace

std::optional<uint64_t> parse_size(const std::string& text) {
  if (text == "none" || text == "0") return 0;
  size_t i = 0;
  uint64_t v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  const std::string unit = text.substr(i);
  int shift = 0;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "K" || unit == "KiB") shift = 10;
  else if (unit == "M" || unit == "MiB") shift = 20;
  else if (unit == "G" || unit == "GiB") shift = 30;
  else if (unit == "T" || unit == "TiB") shift = 40;
  else return std::nullopt;
  if (shift > 0 && v > (UINT64_MAX >> shift)) return std::nullopt;
  v <<= shift;
  // Below a few MiB the dynamic loader and the first allocations fail
  // before dsim can say anything useful.
  if (v < (uint64_t{16} << 20)) return std::nullopt;
  return v;
}

std::string apply_memory_limit(std::vector<std::string>* args) {
  uint64_t limit = kDefaultMaxMemory;
  for (size_t i = 0; i < args->size();) {
    std::string& a = (*args)[i];
    std::optional<std::string> value;
    size_t take = 0;
    if (a == "--") break;  // what follows is positional
    if (a == "--max-memory") {
      if (i + 1 >= args->size()) return "--max-memory needs a size, e.g. 8GiB";
      value = (*args)[i + 1];
      take = 2;
    } else if (a.rfind("--max-memory=", 0) == 0) {
      value = a.substr(13);
      take = 1;
    }
    if (!value) {
      ++i;
      continue;
    }
    const auto v = parse_size(*value);
    if (!v) return "invalid --max-memory '" + *value + "' (expected a size of at least 16MiB such as 512MiB or 8GiB, or none)";
    limit = *v;
    args->erase(args->begin() + static_cast<std::ptrdiff_t>(i), args->begin() + static_cast<std::ptrdiff_t>(i + take));
  }
  g_limit = limit;
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer maps terabytes of shadow memory: any limit kills it.
  return "";
#else
  if (limit == 0) return "";
  // RLIMIT_DATA (Linux 4.7+) counts the heap and private writable mappings,
  // not address space merely reserved, so thread stacks and malloc arenas
  // of a many-job sweep do not eat the budget before any work is done.
  rlimit rl{};
  if (getrlimit(RLIMIT_DATA, &rl) != 0) return "";
  if (rl.rlim_max != RLIM_INFINITY && limit > rl.rlim_max) limit = rl.rlim_max;
  rl.rlim_cur = limit;
  if (setrlimit(RLIMIT_DATA, &rl) != 0) return std::string("cannot set --max-memory: ") + std::strerror(errno);
  return "";
#endif
}

std::string memory_limit_text() { return g_limit == 0 ? "none" : size_text(g_limit); }
uint64_t memory_limit_bytes() { return g_limit; }

}  // namespace dsim::cli
