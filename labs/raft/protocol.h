// The lab's protocol as dsim sees it (you need not change this file).
#pragma once
#include <dsim/protocol.h>

#include <memory>

namespace raftlab {

// `reference` is the built-in Raft: its checkers, trace event schema,
// workload and report hints are used as they are, so your node is judged by
// exactly the checks that judge the reference implementation.
std::unique_ptr<dsim::Protocol> protocol(const dsim::Protocol& reference);

}  // namespace raftlab
