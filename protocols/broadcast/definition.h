// Reliable broadcast as a dsim protocol (its YAML section, nodes, checkers).
#pragma once
#include <memory>

#include "dsim/protocol.h"

namespace dsim::broadcast {

std::unique_ptr<Protocol> protocol();

}  // namespace dsim::broadcast
