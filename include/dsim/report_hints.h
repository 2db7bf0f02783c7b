// What the report, the timeline and the exports should read from a
// protocol's trace events (a protocol's Protocol::report_hints()).
#pragma once
#include <string_view>
#include <utility>
#include <vector>

namespace dsim {

// A replicated log as the protocol traces it, for the report's per-node log
// view: each node's entries (index, epoch, value), how far it has committed
// and applied, at the cursor. Every name is a trace event kind or key;
// entry_kind "" means the protocol has no log to show.
struct LogHints {
  std::string_view entry_kind = {};    // puts an entry at `index_field` (replacing one there): "append", "accepted"
  std::string_view index_field = {};   // "index", "slot"
  std::string_view epoch_field = {};   // the entry's term or ballot
  std::string_view value_field = {};   // the command or value
  std::string_view truncate_kind = {};   // removes the entries from `truncate_field` on ("" = never)
  std::string_view truncate_field = {};
  // After a restart, the log holds `recover_length_field` entries (a crash
  // may lose unsynced ones); "" = the log survives restarts whole.
  std::string_view recover_kind = {};
  std::string_view recover_length_field = {};
  // A follower installed a snapshot through `install_index_field`, whose
  // last entry has `install_epoch_field` ("" = the protocol has none). If
  // its own entry there has that epoch it keeps its log; otherwise its log
  // becomes the snapshot's: the entries after the index are gone and the
  // entries up to it are the committed ones, as another node's log has them
  // (the first node, in the trace's order, with that entry at that index),
  // else just the entry at the index, whose command is shown as
  // "(snapshot)". Either way its commit and applied marks reach the index.
  std::string_view install_kind = {};
  std::string_view install_index_field = {};
  std::string_view install_epoch_field = {};
  std::string_view commit_kind = {};   // "commit" (a commit index) or "learned" (one decided slot)
  std::string_view commit_field = {};
  bool commit_is_index = true;    // true: every entry up to the value is committed; false: that one entry
  std::string_view apply_kind = {};    // entries applied in order, up to the value of `apply_field`
  std::string_view apply_field = {};
  std::string_view commit_label = "commit";  // the column's name for people
};

// A value the state table shows per node at the cursor: the latest
// `field` of a `kind` event on that node (e.g. an acceptor's promised
// ballot, from its `promise` and `recover` events).
struct StateHint {
  std::string_view label;
  std::string_view kind;
  std::string_view field;
};

struct ReportHints {
  std::string_view epoch_field = "term";  // a role's epoch in `role` events: term, ballot...
  std::string_view epoch_label = "term";  // its name for people
  std::string_view epoch_short = "T";     // on a role bar: "leader T3", "leader B301"
  // Colours of role bars, by role (CSS colours); roles not listed get the
  // report's defaults (leader, candidate, pre_candidate, follower).
  std::vector<std::pair<std::string_view, std::string_view>> role_colours;
  LogHints log = {};
  std::vector<StateHint> state = {};
};

}  // namespace dsim
