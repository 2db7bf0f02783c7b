// The Dynamo-style store as a dsim protocol (its YAML section and nodes).
#pragma once
#include <memory>

#include "dsim/protocol.h"

namespace dsim::dynamo {

std::unique_ptr<Protocol> protocol();

}  // namespace dsim::dynamo
