// Load balancing as a dsim protocol: backends, a proxy or client-side balancing, its policies as variants.
#pragma once
#include <memory>

#include "dsim/protocol.h"
#include "protocols/lb/stats.h"

namespace dsim::lb {

std::unique_ptr<Protocol> protocol();

// The statistics of an lb run (its RunReport::stats), or nullptr.
const analysis::LbReport* report_of(const RunStats* stats);

}  // namespace dsim::lb
