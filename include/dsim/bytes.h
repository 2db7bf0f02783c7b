// Reading text a machine word at a time: an unaligned load, and the
// comparison of two short texts of one length as two overlapping loads
// (4..16 bytes without a loop; every load stays inside both texts). Used on
// the per-event paths (trace kinds and keys, command hashes, JSON escaping)
// where a call to memcmp or a byte loop showed in profiles.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace dsim {

template <class W>
[[gnu::always_inline]] inline W load_word(const char* p) {
  W w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Whether the `n` bytes at `a` and at `b` are equal.
[[gnu::always_inline]] inline bool same_bytes(const char* a, const char* b, size_t n) {
  if (n > 16) return std::memcmp(a, b, n) == 0;
  if (n >= 8) {
    return load_word<uint64_t>(a) == load_word<uint64_t>(b) &&
           load_word<uint64_t>(a + n - 8) == load_word<uint64_t>(b + n - 8);
  }
  if (n >= 4) {
    return load_word<uint32_t>(a) == load_word<uint32_t>(b) &&
           load_word<uint32_t>(a + n - 4) == load_word<uint32_t>(b + n - 4);
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace dsim
