#include "analysis/leader_liveness.h"

#include <algorithm>

namespace dsim::analysis {

void LeaderLiveness::consume(const trace::Event& e) {
  faults_.consume(e);
  if (e.kind == "role") {
    roles_.push_back({e.t, e.node, std::string(e.get_str("role").value_or(""))});
  } else if (e.kind == "crash") {
    roles_.push_back({e.t, e.node, "down"});
  } else if (e.kind == "client_request") {
    if (auto req = e.get_int("req")) accepted_.try_emplace(*req, e.t);
  } else if (const trace::Value* ok = e.kind == "client_response" ? e.find("ok") : nullptr;
             ok && std::holds_alternative<bool>(*ok) && std::get<bool>(*ok)) {
    if (auto req = e.get_int("req")) answered_.try_emplace(*req, e.t);
  }
}

CheckResult LeaderLiveness::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, std::nullopt, {}};
  const int64_t end = faults_.end_time();
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
  // 2. Every request a leader accepted after the deadline is answered in time.
  uint64_t checked = 0;
  for (const auto& [req, t] : accepted_) {
    if (t < deadline || t + within_ns_ > end) continue;
    ++checked;
    auto a = answered_.find(req);
    if (a != answered_.end() && a->second <= t + within_ns_) continue;
    r.status = Status::kViolated;
    r.violation = Violation{t + within_ns_, "*",
                            "request " + std::to_string(req) + ", accepted by a leader at " + format_time(t) +
                                ", was not committed by " + format_time(t + within_ns_) +
                                (a == answered_.end() ? " (never)" : " (only at " + format_time(a->second) + ")")};
    return r;
  }
  r.note = "a leader by " + format_time(deadline) + "; " + std::to_string(checked) + " later requests committed in time";
  return r;
}

}  // namespace dsim::analysis
