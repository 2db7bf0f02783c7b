// The lab's protocol as dsim sees it (you need not change this file).
#pragma once
#include <dsim/protocol.h>

#include <memory>

namespace paxoslab {

// `reference` is the built-in single-decree Paxos: its checkers, trace
// event schema and report hints judge your node exactly as they judge it.
std::unique_ptr<dsim::Protocol> protocol(const dsim::Protocol& reference);

}  // namespace paxoslab
