// YAML scenario file -> validated Scenario (docs/scenarios.md is the
// reference; schema/dsim-scenario.schema.json the editor schema).
//
// Every error found is reported (up to Diagnostics::kMaxErrors) with its
// file:line:col; nothing is returned unless the whole file is valid.
#pragma once
#include <optional>
#include <string>

#include "dsim/diagnostics.h"
#include "dsim/registry.h"
#include "sim/scenario/spec.h"

namespace dsim::scenario {

// The protocol and its section come from `reg`, which must outlive the
// Scenario (the scenario points at its Protocol).
std::optional<Scenario> load_scenario_text(const Registry& reg, const std::string& text, const std::string& path,
                                           Diagnostics& diag);
// The scenario's identity (Scenario::id) for a path as typed: lexically
// normal, relative to the working directory when under it, else absolute.
std::string scenario_identity(const std::string& path);
// Reads the file; an unreadable file is a diagnostic without a location.
std::optional<Scenario> load_scenario_file(const Registry& reg, const std::string& path, Diagnostics& diag);

}  // namespace dsim::scenario
