// Writes a validated Scenario back as YAML that the loader reads to an
// equal Scenario (`dsim shrink` writes its result this way). Durations are
// written exactly (ns, us or ms, whichever divides), probabilities as the
// exact decimals they were parsed from.
#pragma once
#include <string>
#include <vector>

#include "dsim/yaml_reader.h"
#include "sim/scenario/spec.h"

namespace dsim::scenario {

// A latency model and a probability as the loader reads them.
std::string latency_text(const net::LatencyModel& m);
std::string ratio_text(Ratio r);

// `step_notes`: a comment for each step of `s.schedule` (same index; an
// empty one, or none past the end, writes no comment), e.g. what `dsim
// explore` knows of the message a step delivers. Newlines become spaces.
std::string scenario_to_yaml(const Scenario& s, const std::string& header_comment = "",
                             const std::vector<std::string>& step_notes = {});

// One schedule step in the flow style `schedule:` lists it:
// `{deliver: {from: n1, to: n2, nth: 3}}`. `names`: every node's name.
std::string schedule_step_text(const ScheduleStep& st, const std::vector<std::string>& names);

}  // namespace dsim::scenario
