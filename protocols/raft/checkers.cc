#include "protocols/raft/checkers.h"

#include <algorithm>
#include <cstring>

#include "dsim/bytes.h"
#include "dsim/prng.h"

namespace dsim::analysis {

using trace::is;

namespace {

// A command's hash, as both checkers of commands use it: words, not bytes
// (FNV-1a's one multiply per byte, in a chain, was a third of RaftLogs::apply
// on a Raft run). Short texts are read as two overlapping halves (the usual
// way to load 1..16 bytes without a loop), so every byte counts and, with
// the length mixed in, two texts of one length load differently. Only
// equality of hashes is ever used (within one process: in verdicts and in
// fingerprints), never a value.
uint64_t cmd_hash(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = mix64(0xCBF29CE484222325ull + n);
  if (n >= 8) {
    while (n > 8) {
      h = mix64(h ^ load_word<uint64_t>(p));
      p += 8;
      n -= 8;
    }
    return mix64(h ^ load_word<uint64_t>(p + n - 8));  // the last 8 bytes (may overlap the previous word)
  }
  uint64_t w = 0;
  if (n >= 4) {
    w = load_word<uint32_t>(p) | (uint64_t{load_word<uint32_t>(p + n - 4)} << 32);
  } else if (n > 0) {
    w = static_cast<unsigned char>(p[0]) | (uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) |
        (uint64_t{static_cast<unsigned char>(p[n - 1])} << 16);
  }
  return mix64(h ^ w);
}

std::string entry_name(int64_t index, int64_t term) {
  return "entry " + std::to_string(index) + " (term " + std::to_string(term) + ")";
}

}  // namespace

RaftKind raft_kind(std::string_view k) {
  switch (k.size()) {
    case 4:
      return is(k, "role") ? RaftKind::kRole : RaftKind::kOther;
    case 5:
      if (is(k, "apply")) return RaftKind::kApply;
      if (is(k, "start")) return RaftKind::kStart;
      if (is(k, "crash")) return RaftKind::kCrash;
      return RaftKind::kOther;
    case 6:
      if (is(k, "append")) return RaftKind::kAppend;
      if (is(k, "commit")) return RaftKind::kCommit;
      return RaftKind::kOther;
    case 7:
      if (is(k, "recover")) return RaftKind::kRecover;
      if (is(k, "restart")) return RaftKind::kRestart;
      return RaftKind::kOther;
    case 8:
      if (is(k, "truncate")) return RaftKind::kTruncate;
      if (is(k, "snapshot")) return RaftKind::kSnapshot;
      return RaftKind::kOther;
    case 16:
      return is(k, "install_snapshot") ? RaftKind::kInstallSnapshot : RaftKind::kOther;
    default:
      return RaftKind::kOther;
  }
}

template <class E>
bool RaftLogs::apply(const E& e, RaftKind k, uint32_t node) {
  switch (k) {
    case RaftKind::kAppend: {
      const auto index = index_.get_int(e);
      const auto term = term_.get_int(e);
      const auto cmd = cmd_.get_str(e).value_or("");
      if (!index || !term || *index < 1) return false;
      auto& log = mut(node);
      // An append always lands right after the last entry (the node truncates
      // first); a trace that skips ahead is treated as a hole-free resize.
      log.resize(static_cast<size_t>(*index - 1), Slot{0, 0});
      const uint64_t before = log.empty() ? 0 : log.back().prefix;
      const uint64_t h = mix64(before ^ mix64(static_cast<uint64_t>(*term) + 0x9E37) ^ cmd_hash(cmd));
      log.push_back(Slot{*term, h});
      return true;
    }
    case RaftKind::kTruncate: {
      const auto from = from_.get_int(e);
      if (!from || *from < 1) return false;
      auto& log = mut(node);
      if (static_cast<size_t>(*from - 1) < log.size()) log.resize(static_cast<size_t>(*from - 1));
      return true;
    }
    case RaftKind::kRecover: {
      // log_len is the logical last index: a snapshot's entries count.
      const auto len = log_len_.get_int(e);
      auto& log = mut(node);
      if (len && *len >= 0 && static_cast<size_t>(*len) < log.size()) log.resize(static_cast<size_t>(*len));
      return true;
    }
    case RaftKind::kInstallSnapshot: {
      const auto index = index_.get_int(e);
      const auto term = term_.get_int(e);
      if (!index || !term || *index < 1) return false;
      const auto n = static_cast<size_t>(*index);
      auto& log = mut(node);
      // Its own entry at index has the snapshot's term: it keeps its log.
      if (log.size() >= n && log[n - 1].term == *term) return true;
      // Else the log is replaced; the old one stays readable (log_before)
      // until the next event.
      replaced_.swap(log);
      replaced_node_ = node;
      const NodeIds& ids = ids_;
      // Else its log becomes the snapshot's, the prefix through index as
      // a node holding (index, term) has it (the first by name, so the
      // choice does not depend on the order nodes were met in).
      const std::vector<Slot>* from = nullptr;
      const std::string* from_name = nullptr;
      for (uint32_t id = 0; id < logs_.size(); ++id) {
        const auto& other = logs_[id];
        if (id == node || other.size() < n || other[n - 1].term != *term) continue;
        if (!from || ids.name(id) < *from_name) {
          from = &other;
          from_name = &ids.name(id);
        }
      }
      if (from) {
        log.assign(from->begin(), from->begin() + static_cast<std::ptrdiff_t>(n));
      } else {
        // No node holds it: a prefix only this snapshot can have.
        log.assign(n - 1, Slot{0, 0});
        log.push_back(Slot{*term, mix64(mix64(static_cast<uint64_t>(*term) + 0x5A17) ^ static_cast<uint64_t>(*index))});
      }
      return true;
    }
    default:
      return false;
  }
}

void RaftLogs::fingerprint(Fingerprint& h) const {
  const NodeIds& ids = ids_;
  uint64_t n = 0;
  for (const uint32_t id : ids.by_name()) {
    const auto& log = this->log(id);
    if (log.empty()) continue;
    ++n;
    h(ids.name(id), log.size());
    for (const Slot& s : log) h(s.term, s.prefix);
  }
  h(n);
}

// Each checker's fingerprint: once violated, the verdict cannot change, so
// that is all it holds; otherwise what later events are judged against.
// Times, the nodes named in messages and counts kept for notes are left out.
// Nodes are walked by name, whatever order their ids were given in.

// ---- election_safety -----------------------------------------------------------

void ElectionSafety::fingerprint(Fingerprint& h) const {
  h(first_.has_value());
  if (first_) return;
  h(leaders_.size());
  for (const auto& [term, l] : leaders_) h(term, ids_.name(l.node));
}

void ElectionSafety::consume(const trace::Event& e) {
  if (!is(e.kind, "role")) return;
  const auto role = role_.get_str(e);
  if (!role || !is(*role, "leader")) return;
  const auto term = term_.get_int(e);
  if (!term) return;
  const uint32_t id = ids_.id(e);
  auto [it, fresh] = leaders_.try_emplace(*term, Leader{id, e.t});
  if (fresh || it->second.node == id || first_) return;
  const std::string& other = ids_.name(it->second.node);
  first_ = Violation{e.t, std::string(e.node),
                     "two leaders in term " + std::to_string(*term) + ": " + other + " became leader at " +
                         format_time(it->second.t) + ", and " + std::string(e.node) + " at " + format_time(e.t)};
}

CheckResult ElectionSafety::finish() {
  CheckResult r{std::string(name()), kind(), first_ ? Status::kViolated : Status::kHeld, first_, {}};
  if (!first_) r.note = std::to_string(leaders_.size()) + " terms with a leader, one leader each";
  require_evidence(r, !leaders_.empty(), "no node became leader");
  return r;
}

// ---- log_matching ----------------------------------------------------------------

LogMatching::Seen& LogMatching::seen(int64_t index, int64_t term, bool* fresh) {
  const auto i = static_cast<size_t>(index - 1);
  if (i >= first_term_.size()) first_term_.resize(i + 1);
  Seen& s = first_term_[i];
  *fresh = false;
  if (s.term == term) return s;
  if (s.term == kNone) {
    s.term = term;
    *fresh = true;
    ++pairs_;
    return s;
  }
  auto [it, added] = more_.try_emplace({index, term}, Seen{term, 0, 0});
  if (added) {
    *fresh = true;
    ++pairs_;
  }
  return it->second;
}

template <class E>
void LogMatching::consume_any(const E& e) {
  const RaftKind k = raft_kind(e.kind);
  if (k == RaftKind::kOther) return;
  RaftLogs& logs = *logs_;
  const uint32_t id = logs.node(e);
  // Applied even once violated: another checker may read the same logs.
  if (!logs.consume(e, k, id) || k != RaftKind::kAppend || first_) return;
  const NodeIds& ids = logs.ids();
  const auto& log = logs.log(id);
  const int64_t index = static_cast<int64_t>(log.size());
  const RaftLogs::Slot& s = log.back();
  bool fresh = false;
  Seen& first = seen(index, s.term, &fresh);
  if (fresh) {
    first.prefix = s.prefix;
    first.node = id;
    return;
  }
  if (first.prefix == s.prefix) return;
  // Name the first index where the two logs differ, if the other node still
  // holds the entry.
  const std::string& other_name = ids.name(first.node);
  std::string detail;
  const auto& other = logs.log(first.node);
  if (static_cast<int64_t>(other.size()) >= index && other[static_cast<size_t>(index - 1)].prefix == first.prefix) {
    for (size_t j = 0; j < static_cast<size_t>(index); ++j) {
      if (other[j].prefix != log[j].prefix) {
        detail = "; they first differ at index " + std::to_string(j + 1) + ": term " + std::to_string(log[j].term) +
                 " on " + std::string(e.node) + ", term " + std::to_string(other[j].term) + " on " + other_name;
        break;
      }
    }
  }
  first_ = Violation{e.t, std::string(e.node),
                     std::string(e.node) + " and " + other_name + " both hold " + entry_name(index, s.term) +
                         ", but the logs before it are not identical" + detail};
}

CheckResult LogMatching::finish() {
  CheckResult r{std::string(name()), kind(), first_ ? Status::kViolated : Status::kHeld, first_, {}};
  if (!first_) r.note = std::to_string(pairs_) + " (index, term) pairs, each with one prefix";
  require_evidence(r, pairs_ > 0, "no entry was appended to any log");
  return r;
}

void LogMatching::fingerprint(Fingerprint& h) const {
  h(first_.has_value());
  if (first_) return;
  logs_->fingerprint(h);
  // Every (index, term) pair in that order, whichever term came first.
  h(pairs_);
  auto more = more_.begin();
  std::vector<std::pair<int64_t, uint64_t>> at;
  for (size_t i = 0; i < first_term_.size(); ++i) {
    const auto index = static_cast<int64_t>(i + 1);
    at.clear();
    if (first_term_[i].term != kNone) at.emplace_back(first_term_[i].term, first_term_[i].prefix);
    for (; more != more_.end() && more->first.first == index; ++more) at.emplace_back(more->first.second, more->second.prefix);
    std::sort(at.begin(), at.end());
    for (const auto& [term, prefix] : at) h(std::pair{index, term}, prefix);
  }
}

// ---- leader_completeness ---------------------------------------------------------

void LeaderCompleteness::fingerprint(Fingerprint& h) const {
  h(first_.has_value());
  if (first_) return;
  logs_->fingerprint(h);
  const NodeIds& ids = logs_->ids();
  // Each node's term by name (0 for a node seen without a role event).
  const auto order = ids.by_name();
  h(order.size());
  for (const uint32_t id : order) h(ids.name(id), id < term_of_.size() ? term_of_[id] : 0);
  h(best_term_, committed_in_.size());
  for (const auto& [term, c] : committed_in_) h(term, c.index, c.slot.term, c.slot.prefix);
}

// An installed snapshot through `index` must carry the committed entry
// there: the committer's log (while it still holds what it committed, or
// any log that does) tells that entry's term. Judged on the logs as they
// were before the install.
template <class E>
void LeaderCompleteness::check_install(const E& e, uint32_t node) {
  const RaftLogs& logs = *logs_;
  const NodeIds& ids = logs.ids();
  const auto index = index_.get_int(e);
  const auto term = term_.get_int(e);
  if (!index || !term || *index < 1) return;
  const auto best = committed_in_.find(best_term_);
  if (best == committed_in_.end() || best->second.index < *index) return;
  const Committed& c = best->second;
  const auto at = static_cast<size_t>(c.index - 1);
  auto holds = [&](uint32_t id) {
    const auto& log = logs.log_before(id);
    return log.size() > at && log[at].prefix == c.slot.prefix;
  };
  uint32_t from = c.by;
  if (!holds(from)) {
    from = UINT32_MAX;
    for (uint32_t id = 0; id < logs.nodes() && from == UINT32_MAX; ++id) {
      if (holds(id)) from = id;
    }
    if (from == UINT32_MAX) return;
  }
  const int64_t committed = logs.log_before(from)[static_cast<size_t>(*index - 1)].term;
  if (committed == *term) return;
  first_ = Violation{e.t, std::string(e.node),
                     ids.name(node) + " installed a snapshot through index " + std::to_string(*index) + " (term " +
                         std::to_string(*term) + "), but " + entry_name(*index, committed) + " is committed (" +
                         ids.name(c.by) + " committed through index " + std::to_string(c.index) + " at " +
                         format_time(c.at) + ")"};
}

template <class E>
void LeaderCompleteness::consume_any(const E& e) {
  const RaftKind k = raft_kind(e.kind);
  if (k == RaftKind::kOther) return;
  RaftLogs& logs = *logs_;
  const uint32_t id = logs.node(e);
  if (id >= term_of_.size()) term_of_.resize(id + 1, 0);
  logs.consume(e, k, id);
  if (k == RaftKind::kInstallSnapshot && !first_) check_install(e, id);
  if (k == RaftKind::kCommit) {
    const auto index = index_.get_int(e);
    const auto& log = logs.log(id);
    if (!index || static_cast<int64_t>(log.size()) < *index) return;  // commits what it never appended
    Committed& c = committed_in_[term_of_[id]];
    if (*index <= c.index) return;
    c = Committed{*index, log[static_cast<size_t>(*index - 1)], id, e.t};
    const auto best = committed_in_.find(best_term_);
    if (best == committed_in_.end() || c.index > best->second.index) best_term_ = term_of_[id];
    return;
  }
  if (k != RaftKind::kRole) return;
  const int64_t term = term_.get_int(e).value_or(0);
  term_of_[id] = term;
  const auto role = role_.get_str(e);
  if (!role || !is(*role, "leader") || first_) return;
  // Raft 5.4: an entry committed in a term is in the log of the leader of
  // every higher term. Leaders of older terms (a candidate that counted
  // delayed votes) owe nothing to later commits.
  // The usual leader is of a newer term than every commit: then the
  // highest commit of all is the one it needs (kept as it happens, so an
  // election costs O(log terms), not a walk over every earlier term).
  const Committed* need = nullptr;
  if (!committed_in_.empty() && committed_in_.rbegin()->first < term) {
    need = &committed_in_.at(best_term_);
  } else {
    for (auto it = committed_in_.begin(); it != committed_in_.end() && it->first < term; ++it) {
      if (!need || it->second.index > need->index) need = &it->second;
    }
  }
  if (!need) return;
  const NodeIds& ids = logs.ids();
  const auto& log = logs.log(id);
  const auto at = static_cast<size_t>(need->index - 1);
  if (log.size() > at && log[at].prefix == need->slot.prefix) return;
  std::string has = log.size() <= at ? "its log ends at index " + std::to_string(log.size())
                                     : "its log has term " + std::to_string(log[at].term) + " at index " +
                                           std::to_string(need->index) +
                                           (log[at].term == need->slot.term ? " (or differs before it)" : "");
  first_ = Violation{e.t, std::string(e.node),
                     std::string(e.node) + " became leader of term " + std::to_string(term) + " without " +
                         entry_name(need->index, need->slot.term) + ", committed by " + ids.name(need->by) + " at " +
                         format_time(need->at) + "; " + has};
}

CheckResult LeaderCompleteness::finish() {
  CheckResult r{std::string(name()), kind(), first_ ? Status::kViolated : Status::kHeld, first_, {}};
  int64_t highest = 0;
  for (const auto& [term, c] : committed_in_) highest = std::max(highest, c.index);
  if (!first_) r.note = "every leader held the entries committed in earlier terms (" + std::to_string(highest) + " committed)";
  require_evidence(r, highest > 0, "no entry was committed");
  return r;
}

// ---- state_machine_safety ---------------------------------------------------------

namespace {

uint64_t entry_hash(int64_t term, std::string_view cmd) {
  return mix64(cmd_hash(cmd) ^ mix64(static_cast<uint64_t>(term) + 0x9E37));
}
uint64_t chain(uint64_t prefix, uint64_t entry) { return mix64(prefix ^ entry) + 1; }

std::string show(std::string_view c) { return c.empty() ? std::string("the no-op") : "'" + std::string(c) + "'"; }

}  // namespace

template <class E>
StateMachineSafety::NodeState& StateMachineSafety::node(const E& e, uint32_t* id) {
  const uint32_t v = ids_.id(e);
  if (v >= nodes_.size()) {
    nodes_.resize(v + 1);
    low_ok_ = false;  // a new live node, which applied nothing yet
  }
  if (id) *id = v;
  return nodes_[v];
}

void StateMachineSafety::Window::grow_to(size_t n) {
  DSIM_ASSERT(n >= size_);
  if (n > ring_.size()) {
    size_t cap = ring_.empty() ? 64 : ring_.size();
    while (cap < n) cap *= 2;
    std::vector<Slot> bigger(cap);
    for (size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    ring_ = std::move(bigger);
    head_ = 0;
  }
  size_ = n;  // the slots past the old size are unknown (pop_front cleared them)
}

void StateMachineSafety::advance_watermark() {
  if (!saw_start_) return;
  int64_t w = INT64_MAX;
  for (const NodeState& n : nodes_) {
    if (n.up) w = std::min(w, n.max_applied);
  }
  low_ = w;
  low_ok_ = true;
  advance_to(w);
}

void StateMachineSafety::advance_to(int64_t w) {
  while (w != INT64_MAX && base_ < w && !window_.empty()) {
    const Slot& s = window_.front();
    base_prefix_ok_ = base_prefix_ok_ && s.known;
    base_prefix_ = chain(base_prefix_, s.hash);
    window_.pop_front();
    ++base_;
  }
}

void StateMachineSafety::applied_through(NodeState& n, int64_t index) {
  if (index > n.max_applied) {
    const int64_t before = n.max_applied;
    n.max_applied = index;
    // A node that was not the lowest (or is down) leaves the lowest where
    // it was: no walk over the nodes, only the window may move up to it.
    if (low_ok_ && saw_start_ && (!n.up || before > low_)) {
      advance_to(low_);
    } else {
      advance_watermark();
    }
  }
}

template <class E>
void StateMachineSafety::consume_any(const E& e) {
  const RaftKind k = raft_kind(e.kind);
  switch (k) {
    case RaftKind::kStart:
    case RaftKind::kRestart:
    case RaftKind::kCrash: {
      if (k == RaftKind::kStart) saw_start_ = true;
      NodeState& n = node(e, nullptr);
      n.up = k != RaftKind::kCrash;
      n.applied = 0;  // a node applies its log again from the start
      n.prefix = 0;
      n.prefix_ok = true;
      advance_watermark();
      return;
    }
    case RaftKind::kRecover: {
      // Restored from a snapshot through s: applies resume at s + 1.
      const auto s = snapshot_.get_int(e);
      if (!s || *s < 1) return;
      NodeState& n = node(e, nullptr);
      n.applied = *s;
      n.prefix_ok = n.snap_ok && n.snap_index == *s;
      n.prefix = n.prefix_ok ? n.snap_prefix : 0;
      applied_through(n, *s);
      return;
    }
    case RaftKind::kSnapshot: {
      const auto index = index_.get_int(e);
      if (!index) return;
      NodeState& n = node(e, nullptr);
      n.snap_index = *index;
      n.snap_ok = n.prefix_ok && n.applied == *index;
      n.snap_prefix = n.prefix;
      return;
    }
    case RaftKind::kInstallSnapshot: {
      const auto index = index_.get_int(e);
      const auto term = term_.get_int(e);
      if (!index || !term || *index < 1) return;
      uint32_t id = 0;
      NodeState& n = node(e, &id);
      if (*index > base_ && !first_) {
        const auto off = static_cast<size_t>(*index - base_ - 1);
        if (off < window_.size() && window_[off].known && window_[off].term != *term) {
          const Slot& s = window_[off];
          first_ = Violation{e.t, std::string(e.node),
                             ids_.name(s.node) + " applied " + show(s.cmd) + " (term " + std::to_string(s.term) +
                                 ") at index " + std::to_string(*index) + ", but " + std::string(e.node) +
                                 " installed a snapshot through it with term " + std::to_string(*term)};
        }
      }
      // Its state machine is now the committed prefix through index; its
      // hash is known only at the watermark.
      if (*index > n.applied) {
        n.applied = *index;
        n.prefix_ok = *index == base_ && base_prefix_ok_;
        n.prefix = n.prefix_ok ? base_prefix_ : 0;
      }
      n.snap_index = *index;
      n.snap_ok = n.prefix_ok && n.applied == *index;
      n.snap_prefix = n.prefix;
      applied_through(n, *index);
      return;
    }
    case RaftKind::kApply:
      break;
    default:
      return;
  }
  const auto index = index_.get_int(e);
  if (!index || *index < 1) return;
  ++applies_;
  const std::string_view cmd = cmd_.get_str(e).value_or("");
  const int64_t term = term_.get_int(e).value_or(0);
  const uint64_t h = entry_hash(term, cmd);
  uint32_t id = 0;
  NodeState& n = node(e, &id);
  n.prefix_ok = n.prefix_ok && *index == n.applied + 1;
  n.prefix = chain(n.prefix, h);
  n.applied = *index;
  if (*index > base_) {
    const auto off = static_cast<size_t>(*index - base_ - 1);
    if (off >= window_.size()) window_.grow_to(off + 1);
    Slot& s = window_[off];
    if (!s.known) {
      s.known = true;
      s.term = term;
      s.hash = h;
      s.node = id;
      s.cmd.assign(cmd);
    } else if ((s.hash != h || s.term != term) && !first_) {
      first_ = Violation{e.t, std::string(e.node),
                         ids_.name(s.node) + " applied " + show(s.cmd) + " (term " + std::to_string(s.term) +
                             ") at index " + std::to_string(*index) + ", but " + std::string(e.node) + " applied " + show(cmd) +
                             " (term " + std::to_string(term) + ") there"};
    }
  } else if (*index == base_ && n.prefix_ok && base_prefix_ok_ && n.prefix != base_prefix_ && !first_) {
    first_ = Violation{e.t, std::string(e.node),
                       std::string(e.node) + " applied indexes 1.." + std::to_string(base_) +
                           " again after a restart, and they differ from what every live node had applied there "
                           "(entries applied everywhere are remembered as one prefix hash)"};
  }
  applied_through(n, *index);
}

void StateMachineSafety::fingerprint(Fingerprint& h) const {
  h(first_.has_value());
  if (first_) return;
  // Nodes by name (ids follow the order they were first seen in).
  const auto order = ids_.by_name();
  h(order.size());
  for (const uint32_t id : order) {
    const NodeState& n = nodes_[id];
    h(ids_.name(id), n.up, n.applied, n.prefix, n.prefix_ok, n.max_applied);
    h(n.snap_index, n.snap_prefix, n.snap_ok);
  }
  h(saw_start_, base_, base_prefix_, base_prefix_ok_, applies_ > 0, window_.size());
  // A slot's hash covers its term and command; who applied it first only
  // names them in a message.
  for (size_t i = 0; i < window_.size(); ++i) h(window_[i].known, window_[i].term, window_[i].hash);
}

CheckResult StateMachineSafety::finish() {
  CheckResult r{std::string(name()), kind(), first_ ? Status::kViolated : Status::kHeld, first_, {}};
  if (!first_) {
    r.note = std::to_string(applies_) + " applies agree on " + std::to_string(base_ + static_cast<int64_t>(window_.size())) +
             " indexes";
  }
  require_evidence(r, applies_ > 0, "no entry was applied");
  return r;
}

// Every event is read from a file as an Event, and live as a view (or an
// Event, for a consumer that takes no views).
template bool RaftLogs::apply(const trace::Event&, RaftKind, uint32_t);
template bool RaftLogs::apply(const trace::EventView&, RaftKind, uint32_t);
template void LogMatching::consume_any(const trace::Event&);
template void LogMatching::consume_any(const trace::EventView&);
template void LeaderCompleteness::consume_any(const trace::Event&);
template void LeaderCompleteness::consume_any(const trace::EventView&);
template void StateMachineSafety::consume_any(const trace::Event&);
template void StateMachineSafety::consume_any(const trace::EventView&);

}  // namespace dsim::analysis
