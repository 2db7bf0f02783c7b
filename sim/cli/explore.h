// dsim explore: a systematic search of a scenario's orders of events.
#pragma once
#include <string>
#include <vector>

#include "dsim/registry.h"

namespace dsim::cli {

int cmd_explore(const Registry& reg, const std::vector<std::string>& args);

}  // namespace dsim::cli
