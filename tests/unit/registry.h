// The built-in protocols, once per test binary.
#pragma once
#include "dsim/registry.h"

namespace dsim::testing {

inline const Registry& registry() {
  static const Registry r = builtin();
  return r;
}

}  // namespace dsim::testing
