// Integers that a node wrote to its own storage or wire format and reads
// back. A malformed one is a bug in the protocol's encoding, not user
// input, so it is an assertion, not an error.
#pragma once
#include <charconv>
#include <cstdint>
#include <string_view>

#include "dsim/assert.h"

namespace dsim {

// Parses a decimal integer that must make up all of `s`.
inline int64_t parse_stored_int(std::string_view s) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  DSIM_ASSERT_MSG(ec == std::errc() && p == s.data() + s.size(), "corrupt integer in a node's own encoding");
  return v;
}

// Parses a decimal integer at the front of `s` that ends at `stop`, and
// consumes both.
inline int64_t take_stored_int(std::string_view& s, char stop) {
  const size_t end = s.find(stop);
  DSIM_ASSERT_MSG(end != std::string_view::npos, "corrupt encoding: missing separator");
  const int64_t v = parse_stored_int(s.substr(0, end));
  s.remove_prefix(end + 1);
  return v;
}

}  // namespace dsim
