// Writes a validated Scenario back as YAML that the loader reads to an
// equal Scenario (`dsim shrink` writes its result this way). Durations are
// written exactly (ns, us or ms, whichever divides), probabilities as the
// exact decimals they were parsed from.
#pragma once
#include <string>

#include "dsim/yaml_reader.h"
#include "sim/scenario/spec.h"

namespace dsim::scenario {

// A latency model and a probability as the loader reads them.
std::string latency_text(const net::LatencyModel& m);
std::string ratio_text(Ratio r);

std::string scenario_to_yaml(const Scenario& s, const std::string& header_comment = "");

}  // namespace dsim::scenario
