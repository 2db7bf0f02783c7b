// The ZooKeeper-style coordination service as a dsim protocol.
#pragma once
#include <memory>

#include "dsim/protocol.h"

namespace dsim::coord {

std::unique_ptr<Protocol> protocol();

}  // namespace dsim::coord
