// The lease lock as a dsim protocol (its YAML section, nodes, checkers).
#pragma once
#include <memory>
#include <vector>

#include "dsim/protocol.h"

namespace dsim::lock {

std::unique_ptr<Protocol> protocol();

}  // namespace dsim::lock

namespace dsim::lock {
// mutual_exclusion (and lock_liveness): also judged on the recipe lock of
// the coordination service.
std::vector<analysis::CheckerInfo> lock_checkers(bool with_liveness);
// The trace events of a lock client and the fenced resource (also coord's
// lock recipe).
std::vector<trace::EventSchema> lock_client_events();
}  // namespace dsim::lock
