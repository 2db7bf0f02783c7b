// Tagged integer ids. A NodeId cannot be mixed up with a count or an index of
// another kind without an explicit .value.
#pragma once
#include <cstdint>

namespace dsim {

struct NodeId {
  uint32_t value = 0;
  constexpr auto operator<=>(const NodeId&) const = default;
};

// Inputs from outside the cluster (workload, clients) arrive as messages whose
// sender is this id. It is never a valid index into the node table.
inline constexpr NodeId kExternal{0xFFFF'FFFFu};

// A timer handle: slot index in the low 32 bits, slot generation in the high
// 32 bits, so a stale handle (timer fired or cancelled, slot reused) is
// recognised and ignored.
struct TimerId {
  uint64_t value = 0;
  constexpr auto operator<=>(const TimerId&) const = default;
  constexpr bool valid() const { return value != 0; }
};

}  // namespace dsim
