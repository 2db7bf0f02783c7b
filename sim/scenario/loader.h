// YAML scenario file -> validated Scenario (docs/scenarios.md is the
// reference; schema/dsim-scenario.schema.json the editor schema).
//
// Every error found is reported (up to Diagnostics::kMaxErrors) with its
// file:line:col; nothing is returned unless the whole file is valid.
#pragma once
#include <optional>
#include <string>

#include "sim/scenario/diagnostics.h"
#include "sim/scenario/spec.h"

namespace dsim::scenario {

std::optional<Scenario> load_scenario_text(const std::string& text, const std::string& path, Diagnostics& diag);
// Reads the file; an unreadable file is a diagnostic without a location.
std::optional<Scenario> load_scenario_file(const std::string& path, Diagnostics& diag);

// Roles a protocol exposes to fault targets (`crash: leader`).
const std::vector<std::string_view>& protocol_roles(std::string_view protocol);
const std::vector<std::string_view>& known_protocols();

}  // namespace dsim::scenario
