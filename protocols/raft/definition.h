// Raft as a dsim protocol: its YAML section, nodes, checkers and the
// election experiment. The Raft checkers and the client-request workload
// also serve the protocols built on Raft's log (coord) or with the same
// client interface (multipaxos).
#pragma once
#include <memory>
#include <vector>

#include "dsim/protocol.h"

namespace dsim::raft {

std::unique_ptr<Protocol> protocol();

// Requests k = 1, 2, ... of type `type`, each writing "k<i>=<k>", sent to
// the leader (`workload.requests`).
WorkloadInputs client_requests(uint32_t type);
// The four safety checkers (and raft_liveness).
std::vector<analysis::CheckerInfo> raft_checkers(bool with_liveness);
std::unique_ptr<analysis::Checker> make_raft_checker(const analysis::CheckSpec& spec);
// The trace events of a Raft node (also in the traces of protocols built on
// it, coord).
std::vector<trace::EventSchema> raft_events();

}  // namespace dsim::raft
