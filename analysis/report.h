// `dsim report`: one self-contained HTML file (inline JS and CSS, a CSP
// that forbids any fetch, opens from disk) showing a run: a space-time
// diagram with a lane per node, messages as arrows (drops marked where they
// died), Raft roles along the lanes, faults as bands, client requests as
// bars, the checks with a button that jumps to the first violation, and a
// time cursor (click, drag the slider, step event by event) with every
// node's state at that moment. Zoom with the wheel, pan by dragging.
//
// Large traces: events and messages are stored as delta-encoded columns (a
// run of ~1M events is ~30 MB); at most kReportMaxEvents events and
// kReportMaxMessages messages are embedded (a notice says so). Drawing is
// windowed to what is on screen, and when more than 20k arrows would be
// visible an evenly spaced sample is drawn, with a notice.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "dsim/checker.h"
#include "dsim/report_hints.h"

namespace dsim::analysis {

inline constexpr size_t kReportMaxMessages = 2'000'000;
inline constexpr size_t kReportMaxEvents = 2'000'000;

// Reads the trace, runs its checks, and writes the HTML into *html.
// Returns an error message (file:line:col for a bad trace), or empty.
// `hints` gives the report hints of the protocol the trace header names.
std::string build_report(const CheckerCatalog& catalog, const std::function<ReportHints(std::string_view)>& hints,
                         const std::string& trace_path, std::string* html);

}  // namespace dsim::analysis
