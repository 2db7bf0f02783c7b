// The `maelstrom` protocol plug-in: Maelstrom-protocol programs as dsim nodes.
#pragma once
#include <memory>

#include "dsim/protocol.h"

namespace dsim::maelstrom {
std::unique_ptr<Protocol> protocol();
}  // namespace dsim::maelstrom
