// The two-phase commit protocol as dsim sees it: its YAML section, nodes,
// roles, planted bug, checkers and workload (a dsim::Protocol).
#pragma once
#include <dsim/protocol.h>

#include <memory>

namespace tpc {

std::unique_ptr<dsim::Protocol> protocol();

}  // namespace tpc
