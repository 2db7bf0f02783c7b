#include "sim/scenario/shrink.h"

#include <algorithm>

#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/writer.h"

namespace dsim::scenario {
namespace {

struct Judge {
  const Registry& reg;
  uint64_t seed;
  std::string check;
  int runs = 0;

  // A candidate counts only as the file shrink would write: written out and
  // loaded back, so the protocol's own validation (node layout, references
  // to nodes) decides whether it is a scenario at all.
  std::optional<Scenario> reload(const Scenario& c) const {
    Diagnostics diag;
    return load_scenario_text(reg, scenario_to_yaml(c), c.path, diag);
  }

  // The violation of `check`, if this candidate's run has one.
  std::optional<analysis::CheckResult> failure(const Scenario& c, RunReport* report = nullptr) {
    const auto loaded = reload(c);
    if (!loaded) return std::nullopt;
    ++runs;
    RunOptions opt;
    opt.seed = seed;
    opt.fingerprint = false;
    RunReport r = run_scenario(*loaded, opt);
    std::optional<analysis::CheckResult> out;
    for (const auto& res : r.checks) {
      if (res.name == check && res.status == analysis::Status::kViolated) out = res;
    }
    if (report) *report = std::move(r);
    return out;
  }
  bool fails(const Scenario& c) { return failure(c).has_value(); }
};

uint64_t ops(const Scenario& s) { return s.workload.count; }

}  // namespace

std::optional<ShrinkResult> shrink(const Registry& reg, const Scenario& original, uint64_t seed, const std::string& wanted,
                                   std::string* error, bool* bad_input) {
  ShrinkResult res;
  RunOptions opt;
  opt.seed = seed;
  opt.fingerprint = false;
  const RunReport first = run_scenario(original, opt);
  if (!first.schedule_error.empty()) {
    *error = first.schedule_error;
    if (bad_input) *bad_input = true;
    return std::nullopt;
  }
  std::string check = wanted;
  for (const auto& c : first.checks) {
    if (check.empty() && c.status == analysis::Status::kViolated) check = c.name;
  }
  const auto violated = std::find_if(first.checks.begin(), first.checks.end(), [&](const auto& c) {
    return c.name == check && c.status == analysis::Status::kViolated;
  });
  if (check.empty() || violated == first.checks.end()) {
    *error = "seed " + std::to_string(seed) + " does not violate " + (check.empty() ? "any check" : check) +
             ": nothing to shrink";
    return std::nullopt;
  }
  if (first.nemesis_faults.size() >= kMaxRecordedNemesisFaults) {
    *error = "the nemesis injected more than " + std::to_string(kMaxRecordedNemesisFaults) +
             " faults, more than dsim records for replay; shorten nemesis.until or lengthen nemesis.interval to shrink";
    return std::nullopt;
  }
  res.check = check;
  res.events_before = first.counters.events;
  res.time_before = first.end - Time{0};
  res.faults_before = original.faults.size() + first.nemesis_faults.size();
  res.requests_before = ops(original);

  Judge judge{reg, seed, check};
  // 1. The nemesis, replayed as a script.
  Scenario cur = original;
  cur.nemesis.reset();
  cur.faults.insert(cur.faults.end(), first.nemesis_faults.begin(), first.nemesis_faults.end());
  std::stable_sort(cur.faults.begin(), cur.faults.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  cur.checks.erase(std::remove_if(cur.checks.begin(), cur.checks.end(), [&](const auto& c) { return c.name != check; }),
                   cur.checks.end());
  cur.expect_violated.erase(std::remove_if(cur.expect_violated.begin(), cur.expect_violated.end(),
                                           [&](const auto& c) { return c != check; }),
                            cur.expect_violated.end());
  if (!judge.fails(cur)) {
    *error = "the nemesis's faults replayed as a script do not reproduce the violation of " + check;
    return std::nullopt;
  }

  // 2. ddmin over the faults: drop chunks, then single faults.
  for (size_t chunk = std::max<size_t>(1, cur.faults.size() / 2); chunk >= 1; chunk /= 2) {
    for (size_t start = 0; start < cur.faults.size();) {
      Scenario cand = cur;
      const size_t end = std::min(cand.faults.size(), start + chunk);
      cand.faults.erase(cand.faults.begin() + static_cast<std::ptrdiff_t>(start),
                        cand.faults.begin() + static_cast<std::ptrdiff_t>(end));
      if (judge.fails(cand)) {
        cur = std::move(cand);  // keep the removal; the next chunk now sits at `start`
      } else {
        start = end;
      }
    }
    if (chunk == 1) break;
  }

  // 2b. ddmin over a scripted schedule's steps, the same way. A candidate
  //     with a step that can no longer happen has no verdict, so it never
  //     counts as failing: every step of the result stays applicable.
  res.steps_before = cur.schedule.size();
  for (size_t chunk = std::max<size_t>(1, cur.schedule.size() / 2); chunk >= 1 && !cur.schedule.empty(); chunk /= 2) {
    for (size_t start = 0; start < cur.schedule.size();) {
      Scenario cand = cur;
      const size_t end = std::min(cand.schedule.size(), start + chunk);
      cand.schedule.erase(cand.schedule.begin() + static_cast<std::ptrdiff_t>(start),
                          cand.schedule.begin() + static_cast<std::ptrdiff_t>(end));
      if (!cand.schedule.empty() && judge.fails(cand)) {
        cur = std::move(cand);
      } else {
        start = end;
      }
    }
    if (chunk == 1) break;
  }

  // 3. Shorter faults.
  for (size_t i = 0; i < cur.faults.size(); ++i) {
    for (int halvings = 0; halvings < 12; ++halvings) {
      Scenario cand = cur;
      FaultSpec& f = cand.faults[i];
      bool changed = false;
      for (auto* d : {&f.for_, &f.restart_after}) {
        if (*d && d->value().ns > 1'000'000) {
          **d = Duration{d->value().ns / 2};
          changed = true;
        }
      }
      if (!changed || !judge.fails(cand)) break;
      cur = std::move(cand);
    }
  }

  // 4. Fewer nodes: drop the last node while no fault, link or zone names
  //    it (nodes keep their names, so every other stream stays the same).
  while (cur.nodes.size() > 1 && cur.links.empty() && !cur.topology) {
    const NodeId last{static_cast<uint32_t>(cur.nodes.size() - 1)};
    bool named = std::any_of(cur.workload.from.begin(), cur.workload.from.end(), [&](NodeId n) { return n == last; });
    for (const auto& f : cur.faults) {
      named = named || (f.target.node && *f.target.node == last) || f.from == last || f.to == last;
      for (const auto& g : f.groups) named = named || std::find(g.begin(), g.end(), last) != g.end();
      for (const auto& g : f.group_targets) {
        for (const Target& t : g) named = named || t.names(last);
      }
    }
    for (const auto& [id, d] : cur.storage.per_node) named = named || id == last;
    for (const ScheduleStep& st : cur.schedule) named = named || st.node == last || st.to == last;
    if (named) break;
    Scenario cand = cur;
    cand.nodes.pop_back();
    cand.clocks.pop_back();
    if (!judge.fails(cand)) break;
    cur = std::move(cand);
  }

  // 5. Less workload, then a shorter run. Both keep only a prefix, so the
  //    violation's history is unchanged up to where it is cut.
  for (int i = 0; i < 20 && ops(cur) > 1; ++i) {
    Scenario cand = cur;
    cand.workload.count /= 2;
    if (!judge.fails(cand)) break;
    cur = std::move(cand);
  }
  RunReport rep;
  auto fail = judge.failure(cur, &rep);
  if (fail && fail->violation) {
    // Safety violations need nothing after them; liveness ones need their
    // bound, which the violation time already includes.
    const Duration needed{fail->violation->t_ns + 1'000'000};
    Duration lo = std::min(needed, cur.duration), hi = cur.duration;
    while (hi.ns - lo.ns > 1'000'000) {  // binary search for the shortest failing duration
      Scenario cand = cur;
      const Duration mid{lo.ns + (hi.ns - lo.ns) / 2};
      cand.duration = mid;
      bool ok = true;
      for (const auto& f : cand.faults) ok = ok && f.at <= Time{0} + mid;
      if (ok && judge.fails(cand)) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    Scenario cand = cur;
    cand.duration = hi;
    bool ok = true;
    for (const auto& f : cand.faults) ok = ok && f.at <= Time{0} + hi;
    if (ok && judge.fails(cand)) cur = std::move(cand);
  }

  auto last = judge.failure(cur, &rep);
  if (!last) {
    *error = "internal: the shrunk scenario stopped failing";
    return std::nullopt;
  }
  res.message = last->violation ? last->violation->message : "";
  res.events_after = rep.counters.events;
  res.time_after = rep.end - Time{0};
  res.faults_after = cur.faults.size();
  res.steps_after = cur.schedule.size();
  res.requests_after = ops(cur);
  res.nodes_before = original.nodes.size();
  res.nodes_after = cur.nodes.size();
  cur.seed = seed;
  res.scenario = std::move(cur);
  res.runs = judge.runs + 1;
  return res;
}

}  // namespace dsim::scenario
