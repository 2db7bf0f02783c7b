// --max-memory: the process's memory budget (exit code 6).
// A run that exceeds it gets std::bad_alloc, which the CLI reports as the
// limit it is ("out of memory: --max-memory 8GiB reached"), not as a crash
// of the machine or an internal error.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dsim::cli {

inline constexpr uint64_t kDefaultMaxMemory = uint64_t{8} << 30;

// "8GiB", "512MiB", "64KiB", "2G", "100M", a byte count, or "0"/"none"
// (no limit, 0 returned). nullopt when not a size.
std::optional<uint64_t> parse_size(const std::string& text);

// Removes `--max-memory SIZE` / `--max-memory=SIZE` from `args` (it is a
// global option, accepted anywhere) and applies it, or the default.
// Returns an error message for a bad value, else "".
std::string apply_memory_limit(std::vector<std::string>* args);

// The budget in force, as text for messages ("8GiB", "none").
std::string memory_limit_text();
// The budget in bytes (0: none).
uint64_t memory_limit_bytes();

}  // namespace dsim::cli
