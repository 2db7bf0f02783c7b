// A protocol message as the network carries it: a protocol-defined type, six
// fixed integer fields (enough for most consensus headers) and an optional
// byte body for variable data (log entries, values). Messages are copied
// on send into the simulator's compact in-flight form (type and fields
// inline, the body out of line only when non-empty, in an arena of
// recycled blocks: its bytes plus a 4-byte length and rounding to 8), so
// steady-state traffic allocates nothing and an empty body costs a message
// in flight 4 bytes, not 32.
#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace dsim {

struct Message {
  uint32_t type = 0;
  std::array<int64_t, 6> f{};
  std::string body;
};

}  // namespace dsim
