// `dsim report`: one self-contained HTML file (inline JS and CSS, a CSP
// that forbids any fetch, opens from disk) showing a run: a space-time
// diagram with a lane per node, messages as arrows coloured by type with a
// legend (drops marked where they died; hover an arrow for the message's
// contents, click to keep them), roles along the lanes, faults as bands,
// client requests as bars, the checks with a button that jumps to the first
// violation, the scenario's description as narration, and a time cursor
// (click, drag the slider, step event by event or to the next/previous
// event of a chosen kind) with every node's state at that moment: its role,
// the state columns its protocol's hints name, and, for a protocol with a
// log (ReportHints::log), its log entries with what is committed and
// applied. Zoom with the wheel, pan by dragging.
//
// The log view costs nothing per cursor move beyond what it shows: each
// entry version is stored once with the times it appeared and was replaced
// or truncated, and the commit, applied and length indices as step
// functions, so the page finds a node's log at any time by binary search.
//
// Large traces: events and messages are stored as delta-encoded columns (a
// run of ~1M events, with its messages' contents and log view, is ~50 MB);
// at most kReportMaxEvents events and kReportMaxMessages messages are
// embedded (a notice says so). The page parses the data once into typed
// arrays and removes its element from the DOM; drawing is windowed to what
// is on screen, and when more than 20k arrows would be visible an evenly
// spaced sample is drawn, with a notice. Building reads the trace with the
// reader's fast path and does no string comparison per event (each kind's
// meaning is worked out once), so a million-line trace builds in about a
// second of CPU.
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
// `description` (the scenario's) is the page's narration; when empty, the
// trace header's `description`, if it has one.
std::string build_report(const CheckerCatalog& catalog, const std::function<ReportHints(std::string_view)>& hints,
                         const std::string& trace_path, std::string* html, const std::string& description = {});

}  // namespace dsim::analysis
