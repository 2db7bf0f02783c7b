#include "analysis/leader_liveness.h"

#include <algorithm>

namespace dsim::analysis {

std::vector<std::string_view> LeaderLiveness::kinds() const {
  std::vector<std::string_view> k = FaultWindow::kinds();
  for (std::string_view own : {"role", "crash", "invoke", "ok", "fail", "info", "harness_input", "client_request",
                               "client_response"}) {
    k.push_back(own);
  }
  return k;
}

template <class E>
bool LeaderLiveness::per_request(const E& e) {
  using trace::is;
  if (is(e.kind, "harness_input")) {
    if (auto id = input_req_.get_int(e)) {
      Req& r = req(*id);
      if (r.submitted != kNever) return true;
      r.submitted = e.t;
      ++submitted_count_;
      const std::string_view to = to_.get_str(e).value_or("?");
      // Few distinct names (the cluster's nodes): a linear search.
      auto it = std::find(to_names_.begin(), to_names_.end(), to);
      if (it == to_names_.end()) it = to_names_.insert(to_names_.end(), std::string(to));
      r.to = static_cast<uint32_t>(it - to_names_.begin());
    }
    return true;
  }
  if (is(e.kind, "client_request")) {
    if (auto id = accepted_req_.get_int(e)) {
      Req& r = req(*id);
      if (r.accepted == kNever) r.accepted = e.t;
    }
    return true;
  }
  if (is(e.kind, "client_response")) {
    const auto* ok = ok_.find(e);
    if (ok && std::holds_alternative<bool>(*ok) && std::get<bool>(*ok)) {
      if (auto id = answered_req_.get_int(e)) {
        Req& r = req(*id);
        if (r.answered == kNever) r.answered = e.t;
      }
    }
    return true;
  }
  return false;
}

void LeaderLiveness::consume_view(const trace::EventView& v) {
  latest_ = std::max(latest_, v.t);
  if (!per_request(v)) consume(v.to_event(scratch_));
}

void LeaderLiveness::consume(const trace::Event& e) {
  using trace::is;
  // The hot kinds first (one per request each), told apart without a
  // string search; then the faults. The run's end is its latest event of
  // any kind read here (the fault window keeps it for the others).
  latest_ = std::max(latest_, e.t);
  if (per_request(e)) return;
  faults_.consume(e);
  if (is(e.kind, "role")) {
    roles_.push_back({e.t, e.node, std::string(role_.get_str(e).value_or(""))});
  } else if (is(e.kind, "crash")) {
    roles_.push_back({e.t, e.node, "down"});
  } else if (e.kind == "invoke") {
    open_[e.node] = ops_.size();
    ops_.push_back({e.t, -1, e.node, ""});
  } else if (e.kind == "ok" || e.kind == "fail" || e.kind == "info") {
    auto it = open_.find(e.node);
    if (it == open_.end()) return;
    ClientOp& op = ops_[it->second];
    op.outcome = e.kind;
    if (e.kind != "info") op.done = e.t;
    open_.erase(it);
  }
}

LeaderLiveness::Req& LeaderLiveness::req(int64_t id) {
  // Dense while the ids stay below a bound that grows with what was seen,
  // so a stray huge id cannot make the vector huge.
  const int64_t bound = std::max<int64_t>(int64_t{1} << 16, 4 * static_cast<int64_t>(dense_.size()));
  if (id >= 0 && id < bound && !sparse_.count(id)) {
    const auto i = static_cast<size_t>(id);
    if (i >= dense_.size()) {
      dense_.resize(i + 1);
      dense_seen_.resize(i + 1, false);
    }
    dense_seen_[i] = true;
    return dense_[i];
  }
  return sparse_[id];
}

CheckResult LeaderLiveness::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, std::nullopt, {}};
  const int64_t end = std::max(faults_.end_time(), latest_);
  const int64_t deadline = faults_.quiet_since() + within_ns_;
  if (faults_.partitioned_at_end()) {
    r.status = Status::kInconclusive;
    r.note = "the network is still partitioned at the end of the run";
    return r;
  }
  if (deadline > end) {
    r.status = Status::kInconclusive;
    r.note = "the run ended at " + format_time(end) + ", before the bound expired at " + format_time(deadline);
    return r;
  }
  // 1. Someone leads at the deadline.
  std::map<std::string, std::string> role_at;
  for (const RoleChange& c : roles_) {
    if (c.t > deadline) break;
    role_at[c.node] = c.role;
  }
  const bool led = std::any_of(role_at.begin(), role_at.end(), [](const auto& kv) { return kv.second == "leader"; });
  if (!led) {
    r.status = Status::kViolated;
    r.violation = Violation{deadline, "*",
                            "no leader at " + format_time(deadline) + ", " + format_time(within_ns_) +
                                " after the last fault ended (" + format_time(faults_.quiet_since()) + ")"};
    return r;
  }
  // 2. Every request the harness submitted after the deadline is answered
  // in time, accepted by a leader or not; and so is every request a leader
  // accepted after it (a trace may not record the harness's inputs).
  // Walked in id order, dense and sparse ids merged (an id is in one of them).
  std::vector<std::pair<int64_t, const Req*>> all;
  all.reserve(dense_.size() + sparse_.size());
  auto sp = sparse_.begin();
  for (size_t i = 0; i <= dense_.size(); ++i) {
    for (; sp != sparse_.end() && (i == dense_.size() || sp->first < static_cast<int64_t>(i)); ++sp) {
      all.emplace_back(sp->first, &sp->second);
    }
    if (i < dense_.size() && dense_seen_[i]) all.emplace_back(static_cast<int64_t>(i), &dense_[i]);
  }
  uint64_t checked = 0;
  std::optional<Violation> first;
  for (const auto& [id, r] : all) {
    int64_t t = 0;
    std::string_view to;
    if (r->submitted != kNever) {
      if (r->submitted < deadline || r->submitted + within_ns_ > end) continue;
      t = r->submitted;
      to = to_names_[r->to];
      ++checked;
    } else if (r->accepted != kNever) {
      if (r->accepted < deadline || r->accepted + within_ns_ > end) continue;
      t = r->accepted;
    } else {
      continue;
    }
    if (r->answered != kNever && r->answered <= t + within_ns_) continue;
    if (first && first->t_ns <= t + within_ns_) continue;
    const bool took = r->accepted != kNever;
    const std::string how = to.empty() ? ", accepted by a leader at " + format_time(t)
                                       : ", submitted to " + std::string(to) + " at " + format_time(t) +
                                             (took ? "" : " (no leader accepted it)");
    first = Violation{t + within_ns_, "*",
                      "request " + std::to_string(id) + how + ", was not committed by " + format_time(t + within_ns_) +
                          (r->answered == kNever ? " (never)" : " (only at " + format_time(r->answered) + ")")};
  }
  // 3. Every client operation invoked after the deadline gets a definite
  // reply within the bound.
  uint64_t client_ops = 0;
  for (const ClientOp& op : ops_) {
    if (op.invoked < deadline || op.invoked + within_ns_ > end) continue;
    ++client_ops;
    if (op.done >= 0 && op.done <= op.invoked + within_ns_) continue;
    if (first && first->t_ns <= op.invoked + within_ns_) continue;
    first = Violation{op.invoked + within_ns_, op.client,
                      op.client + "'s operation invoked at " + format_time(op.invoked) + " got no reply by " +
                          format_time(op.invoked + within_ns_) +
                          (op.outcome == "info"     ? " (it timed out)"
                           : op.outcome.empty()     ? " (never)"
                                                    : " (only at " + format_time(op.done) + ")")};
  }
  if (first) {
    r.status = Status::kViolated;
    r.violation = first;
    return r;
  }
  if (checked == 0 && client_ops == 0) {
    r.status = Status::kInconclusive;
    r.note = "no request was submitted between " + format_time(deadline) + " (" + format_time(within_ns_) +
             " after the last fault) and " + format_time(end - within_ns_) + " (a bound before the end): " +
             std::to_string(submitted_count_) + " requests and " + std::to_string(ops_.size()) +
             " client operations in all";
    return r;
  }
  r.note = "a leader by " + format_time(deadline) + "; " + std::to_string(checked) +
           " requests submitted later committed in time" +
           (client_ops ? ", " + std::to_string(client_ops) + " client operations answered in time" : "");
  return r;
}

}  // namespace dsim::analysis
