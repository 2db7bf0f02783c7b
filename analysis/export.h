// Trace exports for other people's viewers:
// - Perfetto / Chrome Trace Event JSON (§1): a process per node with a
//   "role" track (role periods, crashes) and an "events" track (a short
//   slice per send and receive, joined by flow arrows; drops and protocol
//   events as instants), counters for Raft term and commit index, and a
//   "faults" process with partitions and clogs as slices.
// - ShiViz (§2): one line per logged event with a vector clock (clocks
//   start at 1, tick once per logged event, merge on receive).
// Both read a trace file and write deterministic bytes.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "dsim/report_hints.h"

namespace dsim::analysis {

// Return an error message (file:line:col for a bad trace), or empty.
// `hints` gives the report hints of the trace's protocol (its roles' epoch
// field: term, ballot); without them, `term`.
std::string export_perfetto(const std::string& trace_path, std::string* out,
                            const std::function<ReportHints(std::string_view)>& hints = {});
std::string export_shiviz(const std::string& trace_path, std::string* out);

}  // namespace dsim::analysis
