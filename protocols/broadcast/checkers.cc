#include "protocols/broadcast/checkers.h"

#include <algorithm>

namespace dsim::analysis {

void NoDuplicateDelivery::consume(const trace::Event& e) {
  if (e.kind != "bdeliver") return;
  ++deliveries_;
  const auto origin = e.get_str("origin");
  const auto seq = e.get_int("seq");
  if (!origin || !seq) return;
  const uint64_t nodes = static_cast<uint64_t>(names_.id(e.node)) << 32 | names_.id(*origin);
  auto [it, inserted] = seen_.try_emplace(Key{nodes, *seq}, e.t);
  if (inserted || first_) return;
  first_ = Violation{e.t, e.node,
                     e.node + " delivered message " + std::string(*origin) + "#" + std::to_string(*seq) +
                         " a second time at " + format_time(e.t) + " (first delivery at " +
                         format_time(it->second) + ")"};
}

void NoDuplicateDelivery::fingerprint(Fingerprint& h) const {
  // Violated for good, or: which (node, origin, seq) were delivered, by
  // name (ids follow the order names were first seen in; the hash set's
  // order is not fed). Delivery times only label a violation.
  h(first_.has_value());
  if (first_) return;
  uint64_t sum = 0;
  for (const auto& [key, t] : seen_) {
    Fingerprint one;
    one(names_.name(static_cast<uint32_t>(key.nodes >> 32)), names_.name(static_cast<uint32_t>(key.nodes)), key.seq);
    sum += one.value();
  }
  h(seen_.size(), sum, deliveries_ > 0);
}

CheckResult NoDuplicateDelivery::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, first_, {}};
  if (first_) {
    r.status = Status::kViolated;
  } else {
    r.note = std::to_string(deliveries_) + " deliveries, none repeated";
  }
  require_evidence(r, deliveries_ > 0, "no message was delivered");
  return r;
}

void AllDelivered::consume(const trace::Event& e) {
  faults_.consume(e);
  if (e.kind == "start" || e.kind == "restart") {
    up_now_[e.node] = true;
  } else if (e.kind == "crash") {
    up_now_[e.node] = false;
    last_crash_[e.node] = e.t;
  } else if (e.kind == "harness_input") {
    const std::string to(e.get_str("to").value_or(""));
    const auto req = e.get_int("req");
    auto up = up_now_.find(to);
    if (req && up != up_now_.end() && up->second) inputs_.push_back({e.t, to, *req});
  } else if (e.kind == "bcast") {
    if (const auto seq = e.get_int("seq")) sent_[{e.node, *seq}].t = e.t;
    if (const auto payload = e.get_int("payload")) bcast_.try_emplace({e.node, *payload}, e.t);
  } else if (e.kind == "bdeliver") {
    const auto origin = e.get_str("origin");
    const auto seq = e.get_int("seq");
    if (!origin || !seq) return;
    auto& at = sent_[{std::string(*origin), *seq}].delivered_at;
    const uint32_t node = names_.id(e.node);
    if (at.size() <= node) at.resize(node + 1, -1);
    if (at[node] < 0) at[node] = e.t;
  }
}

void AllDelivered::fingerprint(Fingerprint& h) const {
  // A liveness verdict is decided at the end, from deadlines: here the
  // times do decide it (trace times, fed as they are).
  h(faults_.quiet_since(), faults_.end_time(), faults_.partitioned_at_end(), faults_.up());
  h(sent_.size());
  for (const auto& [key, s] : sent_) {
    h(key, s.t);
    // delivered_at is indexed by interned id: feed it by node name.
    std::map<std::string_view, int64_t> by_name;
    for (uint32_t id = 0; id < s.delivered_at.size(); ++id) {
      if (s.delivered_at[id] >= 0) by_name.emplace(names_.name(id), s.delivered_at[id]);
    }
    h(by_name.size());
    for (const auto& [name, at] : by_name) h(name, at);
  }
  h(inputs_.size());
  for (const Input& in : inputs_) h(in.t, in.to, in.req);
  h(up_now_, last_crash_, bcast_);
}

CheckResult AllDelivered::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, std::nullopt, {}};
  const int64_t end = faults_.end_time();
  const int64_t quiet = faults_.quiet_since();
  uint64_t checked = 0;
  bool undecided = false;
  std::string undecided_why;
  // 1. Every input the harness gave a node that stayed up is broadcast by it
  // in time: a node that ignores requests broadcasts nothing, and nothing
  // it did not broadcast could be missed below.
  uint64_t inputs_judged = 0;
  for (const Input& in : inputs_) {
    auto crashed = last_crash_.find(in.to);
    if (crashed != last_crash_.end() && crashed->second >= in.t) continue;  // it crashed since: no promise
    const int64_t deadline = std::max(in.t, quiet) + within_ns_;
    if (deadline > end || faults_.partitioned_at_end()) continue;
    ++inputs_judged;
    auto b = bcast_.find({in.to, in.req});
    if (b != bcast_.end() && b->second <= deadline) continue;
    if (!r.violation || deadline < r.violation->t_ns) {
      r.violation = Violation{deadline, in.to,
                              "the harness asked " + in.to + " to broadcast " + std::to_string(in.req) + " at " +
                                  format_time(in.t) + ", and it had not by " + format_time(deadline) +
                                  (b == bcast_.end() ? " (it never did)" : " (only at " + format_time(b->second) + ")")};
    }
  }
  for (const auto& [key, sent] : sent_) {
    const auto& [origin, seq] = key;
    auto origin_up = faults_.up().find(origin);
    if (origin_up == faults_.up().end() || !origin_up->second) continue;  // origin gone: no promise
    const int64_t deadline = std::max(sent.t, quiet) + within_ns_;
    for (const auto& [node, up] : faults_.up()) {
      if (!up) continue;
      ++checked;
      const uint32_t id = names_.id(node);
      const int64_t at = id < sent.delivered_at.size() ? sent.delivered_at[id] : -1;
      if (at >= 0 && at <= deadline) continue;
      if (deadline > end || faults_.partitioned_at_end()) {
        if (!undecided) {
          undecided_why = faults_.partitioned_at_end()
                              ? "the network is still partitioned at the end of the run"
                              : "the run ended at " + format_time(end) + ", before the bound for " + origin + "#" +
                                    std::to_string(seq) + " expired at " + format_time(deadline);
        }
        undecided = true;
        continue;
      }
      // Report the earliest deadline missed: it is the first point at which
      // the property was known to be broken.
      if (!r.violation || deadline < r.violation->t_ns) {
        std::string msg = "message " + origin + "#" + std::to_string(seq) + " (broadcast at " + format_time(sent.t) +
                          ") was not delivered to " + node + " by " + format_time(deadline) + " (" +
                          format_time(within_ns_) + " after " +
                          (quiet > sent.t ? "the last fault ended at " + format_time(quiet) : "it was sent") + ")";
        msg += at < 0 ? "; it never was, and " + node + " was up at the end"
                      : "; it arrived late, at " + format_time(at);
        r.violation = Violation{deadline, node, msg};
      }
    }
  }
  if (r.violation) {
    r.status = Status::kViolated;
  } else if (undecided) {
    r.status = Status::kInconclusive;
    r.note = undecided_why;
  } else {
    r.note = std::to_string(inputs_judged) + " inputs broadcast, " + std::to_string(sent_.size()) + " messages, " +
             std::to_string(checked) + " (message, node) pairs on time";
  }
  require_evidence(r, checked > 0, "no broadcast message was due at a live node before the end of the run (" +
                                       std::to_string(inputs_.size()) + " inputs)");
  return r;
}

}  // namespace dsim::analysis
