// `dsim report`: one self-contained HTML file (inline JS and CSS, a CSP
// that forbids any fetch, opens from disk) showing a run: a space-time
// diagram with a lane per node, messages as arrows (drops marked where they
// died), Raft roles along the lanes, faults as bands, client requests as
// bars, the checks with a button that jumps to the first violation, and a
// time cursor (click, drag the slider, step event by event) with every
// node's state at that moment. Zoom with the wheel, pan by dragging.
//
// Large traces: at most kMaxMessages messages are embedded (a notice says
// so); drawing is windowed to what is on screen.
#pragma once
#include <string>

namespace dsim::analysis {

inline constexpr size_t kReportMaxMessages = 200'000;

// Reads the trace, runs its checks, and writes the HTML into *html.
// Returns an error message (file:line:col for a bad trace), or empty.
std::string build_report(const std::string& trace_path, std::string* html);

}  // namespace dsim::analysis
