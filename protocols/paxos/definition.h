// Single-decree Paxos and Multi-Paxos as dsim protocols.
#pragma once
#include <memory>

#include "dsim/protocol.h"

namespace dsim::paxos {
std::unique_ptr<Protocol> protocol();
}  // namespace dsim::paxos

namespace dsim::multipaxos {
std::unique_ptr<Protocol> protocol();
}  // namespace dsim::multipaxos
