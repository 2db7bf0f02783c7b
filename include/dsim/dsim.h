// dsim as a library: the whole command line (`run`, `sweep`, `check`,
// `shrink`, `report`, ...) for the protocols of a registry.
//
// Stability: everything under include/dsim/ is the public API. Within one
// major version (DSIM_VERSION_MAJOR) source compatibility is kept for the
// node API (node.h, message.h, storage.h, prng.h, time.h, ids.h), trace events
// and checkers (trace_event.h, checker.h), and the protocol definition and
// registry (protocol.h, registry.h, dsim.h). yaml_reader.h and
// diagnostics.h may gain functions in a minor version.
#pragma once
#include "dsim/registry.h"
#include "dsim/version.h"

namespace dsim {

// Runs the dsim command line with `registry`'s protocols; returns the exit
// code (documented in `dsim --help`).
int main(const Registry& registry, int argc, char** argv);

}  // namespace dsim
