#include "sim/explore/explorer.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <utility>

#include "analysis/generic_checkers.h"
#include "dsim/assert.h"
#include "sim/trace/fanout.h"

namespace dsim::explore {
namespace {

using Clock = std::chrono::steady_clock;
using CheckerPtr = std::unique_ptr<analysis::Checker>;
// How long after its last step a run that has nothing left to happen is
// judged (see World::quiescent).
constexpr Duration kQuietHour{3'600'000'000'000};

// Fingerprints seen, with the shallowest depth each was reached at (depth-
// first search re-expands a state reached again by a shorter path, which
// has more steps left). Open addressing; key 0 stands for 1.
class Visited {
 public:
  Visited() { resize(1u << 16); }
  size_t size() const { return size_; }
  // True when `fp` is new, or was seen only deeper than `depth` (then its
  // depth is lowered).
  bool insert(uint64_t fp, uint32_t depth) {
    if (fp == 0) fp = 1;
    if ((size_ + 1) * 4 > keys_.size() * 3) resize(keys_.size() * 2);
    size_t i = slot(fp);
    if (keys_[i] == fp) {
      if (depths_[i] <= depth) return false;
      depths_[i] = depth;
      return true;
    }
    keys_[i] = fp;
    depths_[i] = depth;
    ++size_;
    return true;
  }
  size_t bytes() const { return keys_.size() * (sizeof(uint64_t) + sizeof(uint32_t)); }

 private:
  size_t slot(uint64_t fp) const {
    size_t i = static_cast<size_t>(fp * 0x9E3779B97F4A7C15ull >> 17) & (keys_.size() - 1);
    while (keys_[i] != 0 && keys_[i] != fp) i = (i + 1) & (keys_.size() - 1);
    return i;
  }
  void resize(size_t n) {
    std::vector<uint64_t> keys = std::move(keys_);
    std::vector<uint32_t> depths = std::move(depths_);
    keys_.assign(n, 0);
    depths_.assign(n, 0);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == 0) continue;
      const size_t j = slot(keys[i]);
      keys_[j] = keys[i];
      depths_[j] = depths[i];
    }
  }
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> depths_;
  size_t size_ = 0;
};

// A state of the search: the world, its checkers, its goal and prune counts.
struct Box {
  std::unique_ptr<World> w;
  std::vector<CheckerPtr> checks;
  std::vector<uint32_t> goal_n, prune_n;
  uint32_t trail = 0;
  uint32_t depth = 0;

  Box copy() const {
    Box b;
    b.w = std::make_unique<World>(*w);
    b.checks.reserve(checks.size());
    for (const auto& c : checks) b.checks.push_back(c->clone());
    b.goal_n = goal_n;
    b.prune_n = prune_n;
    b.depth = depth;
    return b;
  }
};

bool matches(const scenario::EventPattern& p, const trace::Event& e) {
  if (e.kind != p.kind) return false;
  for (const auto& [key, want] : p.where) {
    const trace::Value* v = e.find(key);
    if (!v) return false;
    if (const auto* i = std::get_if<int64_t>(v)) {
      if (std::to_string(*i) != want) return false;
    } else if (const auto* s = std::get_if<std::string>(v)) {
      if (*s != want) return false;
    } else if ((std::get<bool>(*v) ? "true" : "false") != want) {
      return false;
    }
  }
  return true;
}

// Hands the events of one step to the state being advanced.
class Router final : public trace::Consumer {
 public:
  explicit Router(const scenario::ExploreSpec& spec) : spec_(spec) {}
  void target(Box* b) { box_ = b; }
  void consume(const trace::Event& e) override {
    for (auto& c : box_->checks) c->consume(e);
    for (size_t i = 0; i < spec_.goals.size(); ++i) {
      // Counts stop one past what any goal or prune asks: higher counts
      // behave the same, and must not make states differ.
      if (box_->goal_n[i] < spec_.goals[i].second && matches(spec_.goals[i].first, e)) ++box_->goal_n[i];
    }
    for (size_t i = 0; i < spec_.prunes.size(); ++i) {
      if (box_->prune_n[i] <= spec_.prunes[i].second && matches(spec_.prunes[i].first, e)) ++box_->prune_n[i];
    }
  }

 private:
  const scenario::ExploreSpec& spec_;
  Box* box_ = nullptr;
};

struct TrailEntry {
  uint32_t parent;
  ScheduleStep step;
};

class Search {
 public:
  Search(const scenario::Scenario& s, uint64_t seed, const ExploreOptions& opt)
      : s_(s), seed_(seed), opt_(opt), spec_(opt.spec), cfg_(world_config(s, seed)), fanout_(s.nodes), router_(spec_) {
    fanout_.add(&router_);
  }

  std::optional<ExploreResult> run(std::string* error) {
    t0_ = Clock::now();
    for (uint32_t i = 0; i < s_.nodes.size(); ++i) {
      if (!cfg_->factory(NodeId{i})->clone()) {
        *error = s_.path + ": protocol '" + s_.protocol +
                 "' cannot be explored: its nodes do not copy themselves (Node::clone) and so cannot be "
                 "states of a search (docs/explore.md says what a protocol provides)";
        return std::nullopt;
      }
    }
    Box root;
    root.w = std::make_unique<World>(cfg_);
    for (const auto& c : s_.checks) {
      CheckerPtr checker = analysis::make_generic_checker(c);
      if (!checker) checker = s_.def->make_checker(c);
      CheckerPtr copy = checker->clone();
      if (!copy) {
        *error = s_.path + (c.line ? ":" + std::to_string(c.line) : "") + ": check '" + c.name +
                 "' cannot run under dsim explore (its checker cannot be copied with each state); list only "
                 "explorable checks under `checks:` (docs/explore.md)";
        return std::nullopt;
      }
      initial_checks_.push_back(std::move(copy));
      root.checks.push_back(std::move(checker));
    }
    root.goal_n.assign(spec_.goals.size(), 0);
    root.prune_n.assign(spec_.prunes.size(), 0);
    trail_.push_back(TrailEntry{0, {}});
    const StepResult started = advance(root, nullptr);
    if (!root.w->explorable()) {
      *error = "protocol '" + s_.protocol + "' cannot be explored: a node it started does not copy itself (Node::clone)";
      return std::nullopt;
    }
    if (violation(root, started)) {
      result_.outcome = ExploreResult::Outcome::kViolation;
      return finish(0);
    }
    if (goal(root)) {
      result_.outcome = ExploreResult::Outcome::kGoal;
      return finish(0);
    }
    visited_.insert(state_fp(root), 0);
    result_.stats.distinct = 1;
    switch (spec_.strategy) {
      case scenario::ExploreSpec::Strategy::kBfs: return bfs(std::move(root));
      case scenario::ExploreSpec::Strategy::kDfs: return dfs(std::move(root));
      case scenario::ExploreSpec::Strategy::kRandom: return walks(root);
    }
    return finish(0);
  }

 private:
  // Applies `step` (nullptr: start) to b, feeding b's checkers.
  StepResult advance(Box& b, const ScheduleStep* step) {
    router_.target(&b);
    b.w->set_sink(&fanout_);
    StepResult r;
    if (step) {
      ++b.depth;
      b.w->set_time(Time{0} + Duration{static_cast<int64_t>(b.depth) * 1'000'000});
      r = b.w->apply(*step);
      ++result_.stats.generated;
    } else {
      b.w->set_time(Time{0});
      r = b.w->start();
    }
    b.w->set_sink(nullptr);
    DSIM_ASSERT_MSG(r.kind != StepResult::Kind::kNotEnabled, "the search applies only enabled steps");
    return r;
  }

  uint64_t state_fp(const Box& b) const {
    Fingerprint h;
    b.w->fingerprint(h);
    for (const auto& c : b.checks) c->fingerprint(h);
    h(b.goal_n, b.prune_n);
    return h.value();
  }

  // Records a violation in b (after its last step), if there is one.
  bool violation(Box& b, const StepResult& r) {
    if (r.kind == StepResult::Kind::kNodeFailure) {
      result_.violated = {"node_failure"};
      result_.message = s_.nodes[r.node.value] + ": " + r.text;
      return true;
    }
    bool any = false;
    for (auto& c : b.checks) {
      if (!c->violated()) continue;
      const analysis::CheckResult cr = c->finish();
      if (!any && cr.violation) result_.message = cr.violation->message;
      result_.violated.emplace_back(c->name());
      any = true;
    }
    return any;
  }

  // At a state where only faults could happen, the checkers' final verdicts.
  bool final_verdicts(const Box& b, const std::vector<ScheduleStep>& steps) {
    if (!World::quiescent(steps)) return false;
    // Nothing will ever happen again: the run ends an hour later, so a
    // liveness bound that has not expired yet expires (a value lost for
    // good is lost), and the checkers judge the whole run.
    const trace::Event end = end_event(*b.w, b.depth,
                                       Time{0} + Duration{static_cast<int64_t>(b.depth + 1) * 1'000'000} + kQuietHour);
    bool any = false;
    for (const auto& c : b.checks) {
      CheckerPtr copy = c->clone();
      copy->consume(end);
      const analysis::CheckResult cr = copy->finish();
      if (cr.status != analysis::Status::kViolated) continue;
      if (!any && cr.violation) result_.message = cr.violation->message;
      result_.violated.emplace_back(c->name());
      any = true;
    }
    return any;
  }

  bool goal(const Box& b) const {
    if (spec_.goals.empty()) return false;
    for (size_t i = 0; i < spec_.goals.size(); ++i) {
      if (b.goal_n[i] < spec_.goals[i].second) return false;
    }
    return true;
  }
  bool pruned(const Box& b) const {
    for (size_t i = 0; i < spec_.prunes.size(); ++i) {
      if (b.prune_n[i] > spec_.prunes[i].second) return true;
    }
    return false;
  }

  // A limit other than depth, checked every few hundred steps.
  bool limit_hit() {
    // Past the limit: the search met one state more than it may hold (a
    // space of exactly max_states states is exhausted, not cut short).
    if (visited_.size() > spec_.max_states) {
      result_.limit = "states";
      return true;
    }
    if ((result_.stats.generated & 255) != 0) return false;
    const double secs = std::chrono::duration<double>(Clock::now() - t0_).count();
    // --max-time overrides the scenario's explore.max_time.
    const double max_time = opt_.max_seconds > 0 ? opt_.max_seconds
                            : spec_.max_time     ? static_cast<double>(spec_.max_time->ns) / 1e9
                                                 : 0;
    if (max_time > 0 && secs >= max_time) {
      result_.limit = "time";
      return true;
    }
    if (opt_.max_memory > 0 && (result_.stats.generated & 4095) == 0) {
      const struct mallinfo2 mi = mallinfo2();
      // Stop at 90% of the budget, before an allocation fails.
      if (mi.uordblks + mi.hblkhd > opt_.max_memory / 10 * 9) {
        result_.limit = "memory";
        return true;
      }
    }
    if (opt_.progress && secs >= next_progress_) {
      next_progress_ = secs + 0.5;
      Progress p = result_.stats;
      p.seconds = secs;
      p.distinct = visited_.size();
      p.depth = result_.depth_reached;
      p.queue = queued_;
      opt_.progress(p);
    }
    return false;
  }

  // Tries `step` from `parent`: nullopt when the child is a repeat or
  // pruned, else the child (result_ set and `stop_` raised when it ends
  // the search).
  std::optional<Box> child(const Box& parent, const ScheduleStep& step) {
    Box b = parent.copy();
    const StepResult r = advance(b, &step);
    result_.depth_reached = std::max(result_.depth_reached, b.depth);
    const bool bad = violation(b, r);
    if (!bad && !visited_.insert(state_fp(b), b.depth)) return std::nullopt;
    trail_.push_back(TrailEntry{parent.trail, step});
    b.trail = static_cast<uint32_t>(trail_.size() - 1);
    if (bad) {
      stop_ = true;
      end_ = b.trail;
      result_.outcome = ExploreResult::Outcome::kViolation;
      return std::nullopt;
    }
    if (goal(b)) {
      stop_ = true;
      end_ = b.trail;
      result_.outcome = ExploreResult::Outcome::kGoal;
      return std::nullopt;
    }
    if (pruned(b)) {
      ++result_.pruned;
      return std::nullopt;
    }
    return b;
  }

  // Before expanding b: its final verdicts if it is quiescent, the depth
  // bound. False when b is not to be expanded.
  bool expandable(const Box& b, std::vector<ScheduleStep>* steps) {
    b.w->enabled(steps);
    if (final_verdicts(b, *steps)) {
      stop_ = true;
      end_ = b.trail;
      result_.outcome = ExploreResult::Outcome::kViolation;
      return false;
    }
    if (b.depth >= spec_.max_depth) {
      if (!steps->empty()) result_.depth_bounded = true;
      return false;
    }
    return true;
  }

  std::optional<ExploreResult> bfs(Box root) {
    std::deque<Box> queue;
    queue.push_back(std::move(root));
    std::vector<ScheduleStep> steps;
    while (!queue.empty() && !stop_) {
      Box b = std::move(queue.front());
      queue.pop_front();
      queued_ = queue.size();
      if (!expandable(b, &steps)) continue;
      for (const ScheduleStep& st : steps) {
        if (limit_hit()) return limited();
        std::optional<Box> c = child(b, st);
        if (stop_) break;
        if (c) queue.push_back(std::move(*c));
      }
    }
    return finish(end_);
  }

  std::optional<ExploreResult> dfs(Box root) {
    struct Frame {
      Box box;
      std::vector<ScheduleStep> steps;
      size_t next = 0;
    };
    std::vector<Frame> stack;
    stack.push_back(Frame{std::move(root), {}, 0});
    if (!expandable(stack.back().box, &stack.back().steps)) stack.pop_back();
    while (!stack.empty() && !stop_) {
      queued_ = stack.size();
      Frame& f = stack.back();
      if (f.next == f.steps.size()) {
        stack.pop_back();
        continue;
      }
      if (limit_hit()) return limited();
      const ScheduleStep st = f.steps[f.next++];
      std::optional<Box> c = child(f.box, st);
      if (stop_ || !c) continue;
      Frame next{std::move(*c), {}, 0};
      if (expandable(next.box, &next.steps)) stack.push_back(std::move(next));
    }
    return finish(end_);
  }

  // Random walks from the initial state, each step drawn uniformly from
  // the enabled ones (on a stream of the seed), to the depth bound or a
  // quiescent state. A walk advances one state in place: no copy per
  // step. It finds deep violations that the exhaustive searches cannot
  // reach in time, and never proves their absence: it ends at a limit, or
  // once kSaturated walks in a row found no state not seen before.
  std::optional<ExploreResult> walks(const Box& root) {
    constexpr uint64_t kSaturated = 1000;
    Rng rng = Rng::derive(seed_, "explore/random");
    std::vector<ScheduleStep> steps, path;
    uint64_t stale = 0;
    while (true) {
      Box b = root.copy();
      b.trail = 0;
      path.clear();
      bool fresh = false;
      ++result_.walks;
      while (true) {
        b.w->enabled(&steps);
        if (final_verdicts(b, steps)) return walk_found(path);
        if (b.depth >= spec_.max_depth || steps.empty() || pruned(b)) break;
        if (limit_hit()) return limited();
        const ScheduleStep st = steps[rng.below(steps.size())];
        path.push_back(st);
        const StepResult r = advance(b, &st);
        result_.depth_reached = std::max(result_.depth_reached, b.depth);
        if (violation(b, r)) return walk_found(path);
        fresh = visited_.insert(state_fp(b), b.depth) || fresh;
        if (goal(b)) {
          result_.outcome = ExploreResult::Outcome::kGoal;
          return walk_found(path);
        }
      }
      stale = fresh ? 0 : stale + 1;
      if (stale >= kSaturated) {
        result_.limit = "saturation";
        return limited();
      }
    }
  }

  ExploreResult walk_found(const std::vector<ScheduleStep>& path) {
    if (result_.outcome != ExploreResult::Outcome::kGoal) result_.outcome = ExploreResult::Outcome::kViolation;
    uint32_t parent = 0;
    for (const ScheduleStep& st : path) {
      trail_.push_back(TrailEntry{parent, st});
      parent = static_cast<uint32_t>(trail_.size() - 1);
    }
    return finish(parent);
  }

  ExploreResult limited() {
    result_.outcome = ExploreResult::Outcome::kLimit;
    return finish(0);
  }

  // The result. The path to trail entry `end` is replayed from the start,
  // to describe each step as it was taken and to give the verdicts `dsim
  // run` will give its schedule: every checker's, at the end the replay
  // has (right after the last step; an hour later when nothing is left to
  // happen; at a node's failure, there). So what the search reports and
  // what the written counterexample shows are the same by construction.
  ExploreResult finish(uint32_t end) {
    result_.stats.distinct = visited_.size();
    result_.stats.depth = result_.depth_reached;
    result_.stats.seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
    if (result_.outcome != ExploreResult::Outcome::kViolation && result_.outcome != ExploreResult::Outcome::kGoal) {
      return result_;
    }
    std::vector<ScheduleStep> path;
    for (uint32_t i = end; i != 0; i = trail_[i].parent) path.push_back(trail_[i].step);
    std::reverse(path.begin(), path.end());
    Box b;
    b.w = std::make_unique<World>(cfg_);
    for (const auto& c : initial_checks_) b.checks.push_back(c->clone());
    b.goal_n.assign(spec_.goals.size(), 0);
    b.prune_n.assign(spec_.prunes.size(), 0);
    StepResult r = advance(b, nullptr);
    for (size_t i = 0; i < path.size() && r.ok(); ++i) {
      result_.path_notes.push_back(b.w->describe(path[i]));
      r = advance(b, &path[i]);
      DSIM_ASSERT_MSG(r.kind != StepResult::Kind::kNotEnabled, "a found path replays");
    }
    result_.path = std::move(path);
    std::vector<std::string> violated;
    std::string message;
    Time end_at = Time{0} + Duration{static_cast<int64_t>(b.depth) * 1'000'000};
    if (r.kind == StepResult::Kind::kNodeFailure) {
      violated.push_back("node_failure");
      message = s_.nodes[r.node.value] + ": " + r.text;
      result_.at_quiescence = false;
    } else {
      result_.at_quiescence = b.w->quiescent();
      end_at = end_at + Duration{1'000'000} + (result_.at_quiescence ? kQuietHour : Duration{0});
    }
    trace::Event e = end_event(*b.w, b.depth, end_at);
    for (auto& c : b.checks) {
      c->consume(e);
      const analysis::CheckResult cr = c->finish();
      if (cr.status != analysis::Status::kViolated) continue;
      if (message.empty() && cr.violation) message = cr.violation->message;
      violated.emplace_back(c->name());
    }
    DSIM_ASSERT_MSG(result_.outcome == ExploreResult::Outcome::kGoal || !violated.empty(),
                    "a violation found by the search shows in the replay's verdicts");
    result_.violated = std::move(violated);
    result_.message = std::move(message);
    return result_;
  }

  // The run's `end` event, as the replay of a schedule emits it.
  static trace::Event end_event(const World& w, uint32_t steps, Time at) {
    trace::Event end;
    end.t = at.ns;
    end.node = "*";
    end.kind = "end";
    const SimCounters& n = w.counters();
    end.fields = {{"events", static_cast<int64_t>(steps)},
                  {"sent", static_cast<int64_t>(n.sent)},
                  {"delivered", static_cast<int64_t>(n.delivered)},
                  {"dropped", static_cast<int64_t>(n.dropped)},
                  {"duplicated", static_cast<int64_t>(n.duplicated)},
                  {"budget_exhausted", false}};
    return end;
  }

  const scenario::Scenario& s_;
  uint64_t seed_;
  std::vector<CheckerPtr> initial_checks_;  // as they were before the start, for finish()
  const ExploreOptions& opt_;
  const scenario::ExploreSpec& spec_;
  std::shared_ptr<const WorldConfig> cfg_;
  trace::Fanout fanout_;
  Router router_;
  Visited visited_;
  std::vector<TrailEntry> trail_;
  ExploreResult result_;
  Clock::time_point t0_;
  double next_progress_ = 0.5;
  uint64_t queued_ = 0;
  bool stop_ = false;
  uint32_t end_ = 0;
};

}  // namespace

std::vector<std::string> describe_schedule(const scenario::Scenario& s, uint64_t seed) {
  World w(world_config(s, seed));
  std::vector<std::string> notes;
  if (!w.start().ok()) return notes;
  for (const ScheduleStep& st : s.schedule) {
    notes.push_back(w.describe(st));
    if (!w.apply(st).ok()) break;
  }
  return notes;
}

std::optional<ExploreResult> run_explore(const scenario::Scenario& s, uint64_t seed, const ExploreOptions& opt,
                                         std::string* error) {
  if (!s.faults.empty() || s.nemesis) {
    *error = s.path + ": dsim explore makes its own faults within the `explore:` budgets (crashes, restarts, drops, "
             "duplicates); remove `" + std::string(s.faults.empty() ? "nemesis" : "faults") + ":` (docs/explore.md)";
    return std::nullopt;
  }
  if (s.clients.count > 0) {
    *error = s.path + ": dsim explore does not run key-value clients (`clients:`); use the workload's inputs";
    return std::nullopt;
  }
  Search search(s, seed, opt);
  return search.run(error);
}

}  // namespace dsim::explore
