// The editor schema of scenario files (JSON Schema, draft 7), assembled from
// the generic parts and every registered protocol's section, checks and
// workload keys: schema/dsim-scenario.schema.json is this output (a test
// compares them), so a new protocol brings its part of it.
#pragma once
#include <string>

#include "dsim/registry.h"

namespace dsim::scenario {

std::string scenario_json_schema(const Registry& reg);

}  // namespace dsim::scenario
