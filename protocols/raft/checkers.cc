#include "protocols/raft/checkers.h"

#include <algorithm>

#include "dsim/prng.h"

namespace dsim::analysis {
namespace {

std::string entry_name(int64_t index, int64_t term) {
  return "entry " + std::to_string(index) + " (term " + std::to_string(term) + ")";
}

}  // namespace

bool RaftLogs::consume(const trace::Event& e) {
  if (e.kind == "append") {
    const auto index = e.get_int("index");
    const auto term = e.get_int("term");
    const auto cmd = e.get_str("cmd").value_or("");
    if (!index || !term || *index < 1) return false;
    auto& log = logs_[e.node];
    // An append always lands right after the last entry (the node truncates
    // first); a trace that skips ahead is treated as a hole-free resize.
    log.resize(static_cast<size_t>(*index - 1), Slot{0, 0});
    const uint64_t before = log.empty() ? 0 : log.back().prefix;
    const uint64_t h = mix64(before ^ mix64(static_cast<uint64_t>(*term) + 0x9E37) ^ fnv1a64(cmd));
    log.push_back(Slot{*term, h});
    return true;
  }
  if (e.kind == "truncate") {
    const auto from = e.get_int("from");
    if (!from || *from < 1) return false;
    auto& log = logs_[e.node];
    if (static_cast<size_t>(*from - 1) < log.size()) log.resize(static_cast<size_t>(*from - 1));
    return true;
  }
  if (e.kind == "recover") {
    const auto len = e.get_int("log_len");
    auto& log = logs_[e.node];
    if (len && *len >= 0 && static_cast<size_t>(*len) < log.size()) log.resize(static_cast<size_t>(*len));
    return true;
  }
  return false;
}

void RaftLogs::fingerprint(Fingerprint& h) const {
  uint64_t n = 0;
  for (const auto& [node, log] : logs_) {
    if (log.empty()) continue;
    ++n;
    h(node, log.size());
    for (const Slot& s : log) h(s.term, s.prefix);
  }
  h(n);
}

// Each checker's fingerprint: once violated, the verdict cannot change, so
// that is all it holds; otherwise what later events are judged against.
// Times, the nodes named in messages and counts kept for notes are left out.

// ---- election_safety -----------------------------------------------------------

void ElectionSafety::fingerprint(Fingerprint& h) const {
  h(first_.has_value());
  if (first_) return;
  h(leaders_.size());
  for (const auto& [term, l] : leaders_) h(term, l.node);
}

void ElectionSafety::consume(const trace::Event& e) {
  if (e.kind != "role" || e.get_str("role") != std::optional<std::string_view>("leader")) return;
  const auto term = e.get_int("term");
  if (!term) return;
  auto [it, fresh] = leaders_.try_emplace(*term, Leader{e.node, e.t});
  if (fresh || it->second.node == e.node || first_) return;
  first_ = Violation{e.t, e.node,
                     "two leaders in term " + std::to_string(*term) + ": " + it->second.node + " became leader at " +
                         format_time(it->second.t) + ", and " + e.node + " at " + format_time(e.t)};
}

CheckResult ElectionSafety::finish() {
  CheckResult r{std::string(name()), kind(), first_ ? Status::kViolated : Status::kHeld, first_, {}};
  if (!first_) r.note = std::to_string(leaders_.size()) + " terms with a leader, one leader each";
  require_evidence(r, !leaders_.empty(), "no node became leader");
  return r;
}

// ---- log_matching ----------------------------------------------------------------

void LogMatching::consume(const trace::Event& e) {
  if (!logs_.consume(e) || e.kind != "append" || first_) return;
  const auto& log = logs_.log(e.node);
  const int64_t index = static_cast<int64_t>(log.size());
  const RaftLogs::Slot& s = log.back();
  auto [it, fresh] = first_seen_.try_emplace({index, s.term}, Seen{s.prefix, e.node, e.t});
  if (fresh || it->second.prefix == s.prefix) return;
  // Name the first index where the two logs differ, if the other node still
  // holds the entry.
  std::string detail;
  const auto& other = logs_.log(it->second.node);
  if (static_cast<int64_t>(other.size()) >= index && other[static_cast<size_t>(index - 1)].prefix == it->second.prefix) {
    for (size_t j = 0; j < static_cast<size_t>(index); ++j) {
      if (other[j].prefix != log[j].prefix) {
        detail = "; they first differ at index " + std::to_string(j + 1) + ": term " + std::to_string(log[j].term) +
                 " on " + e.node + ", term " + std::to_string(other[j].term) + " on " + it->second.node;
        break;
      }
    }
  }
  first_ = Violation{e.t, e.node,
                     e.node + " and " + it->second.node + " both hold " + entry_name(index, s.term) +
                         ", but the logs before it are not identical" + detail};
}

CheckResult LogMatching::finish() {
  CheckResult r{std::string(name()), kind(), first_ ? Status::kViolated : Status::kHeld, first_, {}};
  if (!first_) r.note = std::to_string(first_seen_.size()) + " (index, term) pairs, each with one prefix";
  require_evidence(r, !first_seen_.empty(), "no entry was appended to any log");
  return r;
}

void LogMatching::fingerprint(Fingerprint& h) const {
  h(first_.has_value());
  if (first_) return;
  logs_.fingerprint(h);
  h(first_seen_.size());
  for (const auto& [key, seen] : first_seen_) h(key, seen.prefix);
}

// ---- leader_completeness ---------------------------------------------------------

void LeaderCompleteness::fingerprint(Fingerprint& h) const {
  h(first_.has_value());
  if (first_) return;
  logs_.fingerprint(h);
  h(term_of_, best_term_, committed_in_.size());
  for (const auto& [term, c] : committed_in_) h(term, c.index, c.slot.term, c.slot.prefix);
}

void LeaderCompleteness::consume(const trace::Event& e) {
  logs_.consume(e);
  if (e.kind == "commit") {
    const auto index = e.get_int("index");
    const auto& log = logs_.log(e.node);
    if (!index || static_cast<int64_t>(log.size()) < *index) return;  // commits what it never appended
    Committed& c = committed_in_[term_of_[e.node]];
    if (*index <= c.index) return;
    c = Committed{*index, log[static_cast<size_t>(*index - 1)], e.node, e.t};
    const auto best = committed_in_.find(best_term_);
    if (best == committed_in_.end() || c.index > best->second.index) best_term_ = term_of_[e.node];
    return;
  }
  if (e.kind != "role") return;
  const int64_t term = e.get_int("term").value_or(0);
  term_of_[e.node] = term;
  if (e.get_str("role") != std::optional<std::string_view>("leader") || first_) return;
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
  const auto& log = logs_.log(e.node);
  const auto at = static_cast<size_t>(need->index - 1);
  if (log.size() > at && log[at].prefix == need->slot.prefix) return;
  std::string has = log.size() <= at ? "its log ends at index " + std::to_string(log.size())
                                     : "its log has term " + std::to_string(log[at].term) + " at index " +
                                           std::to_string(need->index) +
                                           (log[at].term == need->slot.term ? " (or differs before it)" : "");
  first_ = Violation{e.t, e.node,
                     e.node + " became leader of term " + std::to_string(term) + " without " +
                         entry_name(need->index, need->slot.term) + ", committed by " + need->by + " at " +
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
  return mix64(fnv1a64(cmd) ^ mix64(static_cast<uint64_t>(term) + 0x9E37));
}
uint64_t chain(uint64_t prefix, uint64_t entry) { return mix64(prefix ^ entry) + 1; }

}  // namespace

StateMachineSafety::NodeState& StateMachineSafety::node(const std::string& name, uint32_t* id) {
  auto [it, fresh] = ids_.try_emplace(name, static_cast<uint32_t>(names_.size()));
  if (fresh) {
    names_.push_back(name);
    nodes_.emplace_back();
  }
  if (id) *id = it->second;
  return nodes_[it->second];
}

void StateMachineSafety::advance_watermark() {
  if (!saw_start_) return;
  int64_t w = INT64_MAX;
  for (const NodeState& n : nodes_) {
    if (n.up) w = std::min(w, n.max_applied);
  }
  while (w != INT64_MAX && base_ < w && !window_.empty()) {
    const Slot& s = window_.front();
    base_prefix_ok_ = base_prefix_ok_ && s.known;
    base_prefix_ = chain(base_prefix_, s.hash);
    window_.pop_front();
    ++base_;
  }
}

void StateMachineSafety::consume(const trace::Event& e) {
  if (e.kind == "start" || e.kind == "restart" || e.kind == "crash") {
    if (e.kind == "start") saw_start_ = true;
    NodeState& n = node(e.node, nullptr);
    n.up = e.kind != "crash";
    n.applied = 0;  // a node applies its log again from the start
    n.prefix = 0;
    n.prefix_ok = true;
    advance_watermark();
    return;
  }
  if (e.kind != "apply") return;
  const auto index = e.get_int("index");
  if (!index || *index < 1) return;
  ++applies_;
  const std::string_view cmd = e.get_str("cmd").value_or("");
  const int64_t term = e.get_int("term").value_or(0);
  const uint64_t h = entry_hash(term, cmd);
  uint32_t id = 0;
  NodeState& n = node(e.node, &id);
  n.prefix_ok = n.prefix_ok && *index == n.applied + 1;
  n.prefix = chain(n.prefix, h);
  n.applied = *index;
  auto show = [](std::string_view c) { return c.empty() ? std::string("the no-op") : "'" + std::string(c) + "'"; };
  if (*index > base_) {
    const auto off = static_cast<size_t>(*index - base_ - 1);
    if (off >= window_.size()) window_.resize(off + 1);
    Slot& s = window_[off];
    if (!s.known) {
      s = Slot{true, term, h, id, std::string(cmd)};
    } else if ((s.hash != h || s.term != term) && !first_) {
      first_ = Violation{e.t, e.node,
                         names_[s.node] + " applied " + show(s.cmd) + " (term " + std::to_string(s.term) + ") at index " +
                             std::to_string(*index) + ", but " + e.node + " applied " + show(cmd) + " (term " +
                             std::to_string(term) + ") there"};
    }
  } else if (*index == base_ && n.prefix_ok && base_prefix_ok_ && n.prefix != base_prefix_ && !first_) {
    first_ = Violation{e.t, e.node,
                       e.node + " applied indexes 1.." + std::to_string(base_) +
                           " again after a restart, and they differ from what every live node had applied there "
                           "(entries applied everywhere are remembered as one prefix hash)"};
  }
  if (*index > n.max_applied) {
    n.max_applied = *index;
    advance_watermark();
  }
}

void StateMachineSafety::fingerprint(Fingerprint& h) const {
  h(first_.has_value());
  if (first_) return;
  // Nodes by name (ids follow the order they were first seen in).
  h(ids_.size());
  for (const auto& [name, id] : ids_) {
    const NodeState& n = nodes_[id];
    h(name, n.up, n.applied, n.prefix, n.prefix_ok, n.max_applied);
  }
  h(saw_start_, base_, base_prefix_, base_prefix_ok_, applies_ > 0, window_.size());
  // A slot's hash covers its term and command; who applied it first only
  // names them in a message.
  for (const Slot& s : window_) h(s.known, s.term, s.hash);
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

}  // namespace dsim::analysis
