// A protocol message as the network carries it: a protocol-defined type, six
// fixed integer fields (enough for most consensus headers) and an optional
// byte body for variable data (log entries, values). Messages are copied
// into a pool slot on send; a slot's body keeps its capacity, so steady-state
// traffic of small messages allocates nothing.
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
