// The Kafka-style replicated log as a dsim protocol (its YAML section,
// nodes, checkers, statistics).
#pragma once
#include <memory>

#include "dsim/protocol.h"

namespace dsim::kafka {

std::unique_ptr<Protocol> protocol();

}  // namespace dsim::kafka
