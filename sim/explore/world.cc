#include "sim/explore/world.h"

#include <algorithm>
#include <utility>

#include "dsim/assert.h"
#include "sim/core/send_fields.h"

namespace dsim::explore {

std::shared_ptr<const WorldConfig> world_config(const scenario::Scenario& s, uint64_t seed, NodeFactory factory) {
  DSIM_ASSERT_MSG(s.def && s.config, "a scenario from the loader has its protocol and config");
  auto c = std::make_shared<WorldConfig>();
  const auto n = static_cast<uint32_t>(s.nodes.size());
  c->names = s.nodes;
  c->cluster_size = s.def->cluster_size(*s.config, n);
  c->factory = factory ? std::move(factory) : s.def->factory(*s.config, n);
  c->message_names = s.def;
  c->seed = seed;
  const WorkloadInputs wl = s.def->workload();
  if (wl.kind != WorkloadInputs::Kind::kNone) {
    c->make_input = wl.make;
    c->keys = s.workload.keys;
    c->inputs = s.workload.count;
    c->inputs_to_leader = wl.kind == WorkloadInputs::Kind::kToLeader && s.workload.to_leader;
  }
  if (s.explore) {
    const scenario::ExploreSpec& e = *s.explore;
    if (e.inputs) c->inputs = *e.inputs;
    c->crashes = e.crashes;
    c->restarts = e.restarts;
    c->drops = e.drops;
    c->duplicates = e.duplicates;
    c->lose_unsynced = e.lose_unsynced;
    c->fifo = e.fifo;
  }
  return c;
}

World::World(std::shared_ptr<const WorldConfig> cfg)
    : cfg_(std::move(cfg)), workload_rng_(Rng::derive(cfg_->seed, "workload")) {
  DSIM_ASSERT(cfg_ && cfg_->factory);
  const size_t n = cfg_->names.size();
  nodes_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    auto s = std::make_shared<NodeState>();
    // The simulator's derivation, so a node draws what it would in a run.
    s->rng = Rng::derive(cfg_->seed, "node/" + cfg_->names[i]);
    s->sent_to.assign(n, 0);
    nodes_[i] = std::move(s);
  }
}

World::NodeState::NodeState(const NodeState& o)
    : storage(o.storage), rng(o.rng), clock(o.clock), timers(o.timers), sent_to(o.sent_to), fp(o.fp), fp_valid(o.fp_valid) {
  if (o.node) {
    node = o.node->clone();
    DSIM_ASSERT_MSG(node != nullptr, "World copied with a node that cannot clone (check explorable())");
  }
}

uint64_t World::NodeState::fingerprint() const {
  if (fp_valid) return fp;
  Fingerprint h;
  h.word(node ? 1 : 0);
  if (node) {
    h.set_time_origin(clock);
    node->fingerprint(h);
    // Pending timers as (due relative to the clock, tag), in due order.
    std::vector<std::pair<int64_t, uint64_t>> t;
    t.reserve(timers.size());
    for (const PendingTimer& p : timers) t.emplace_back((p.due - clock).ns, p.tag);
    std::sort(t.begin(), t.end());
    h.word(t.size());
    for (const auto& [due, tag] : t) h(due, tag);
    h.set_time_origin(Time{0});
  }
  storage.fingerprint(h);
  const uint64_t* r = rng.state();
  h(r[0], r[1], r[2], r[3]);
  fp = h.value();
  fp_valid = true;
  return fp;
}

uint64_t World::message_hash(const InFlight& f) {
  Fingerprint one;
  one(f.from, f.to, f.msg.type, f.msg.f, f.msg.body);
  return one.value();
}

World::World(const World& o)
    : Host(),
      cfg_(o.cfg_),
      nodes_(o.nodes_),
      flight_(o.flight_),
      flight_sum_(o.flight_sum_),
      next_msg_id_(o.next_msg_id_),
      next_timer_id_(o.next_timer_id_),
      inputs_given_(o.inputs_given_),
      workload_rng_(o.workload_rng_),
      crashes_(o.crashes_),
      restarts_(o.restarts_),
      drops_(o.drops_),
      duplicates_(o.duplicates_),
      counters_(o.counters_),
      now_(o.now_),
      sink_(nullptr) {}

World::~World() = default;

bool World::explorable() const {
  for (const auto& s : nodes_) {
    if (s->node && !s->node->clone()) return false;
  }
  return true;
}

// ---- Host ----------------------------------------------------------------------

uint32_t World::cluster_size() const {
  return cfg_->cluster_size ? cfg_->cluster_size : static_cast<uint32_t>(nodes_.size());
}

std::string_view World::node_name(NodeId n) const {
  if (n == kGlobal) return "*";
  if (n == kExternal) return "$ext";
  DSIM_ASSERT(n.value < nodes_.size());
  return cfg_->names[n.value];
}

Time World::local_time(NodeId self) const { return nodes_[self.value]->clock; }

void World::send(NodeId from, NodeId to, const Message& m) {
  DSIM_ASSERT(from.value < nodes_.size() && to.value < nodes_.size());
  NodeState& src = mut(from.value);
  ++counters_.sent;
  const uint64_t id = ++next_msg_id_;
  const uint32_t nth = ++src.sent_to[to.value];
  if (sink_) {
    std::string_view type = cfg_->message_names ? cfg_->message_names->message_name(m.type) : std::string_view{};
    if (type.empty()) type = src.node->message_name(m.type);
    SendFields fields;
    const size_t n = send_fields(cfg_->message_names, id, cfg_->names[to.value], type, m, fields);
    sink_->event(now_, from, "send", std::span<const Field>(fields.data(), n));
  }
  flight_.push_back(InFlight{from, to, nth, id, m, 0});
  flight_.back().hash = message_hash(flight_.back());
  flight_sum_ += flight_.back().hash;
}

TimerId World::set_timer(NodeId self, Duration after, uint64_t tag) {
  DSIM_ASSERT(after.ns >= 0);
  NodeState& s = mut(self.value);
  const uint64_t id = ++next_timer_id_;
  s.timers.push_back(PendingTimer{id, s.clock + after, tag});
  return TimerId{id};
}

bool World::cancel_timer(NodeId self, TimerId id) {
  const auto& pending = at(self.value).timers;
  for (size_t i = 0; i < pending.size(); ++i) {
    if (pending[i].id == id.value) {
      auto& timers = mut(self.value).timers;
      timers.erase(timers.begin() + static_cast<std::ptrdiff_t>(i));
      return true;
    }
  }
  return false;
}

Rng& World::rng(NodeId self) { return mut(self.value).rng; }
Storage& World::storage(NodeId self) { return mut(self.value).storage; }

void World::emit(NodeId self, std::string_view kind, std::span<const Field> fields) {
  if (sink_) sink_->event(now_, self, kind, fields);
}

// ---- Steps ---------------------------------------------------------------------

StepResult World::call(NodeId n, const std::function<void(Node&, Context&)>& f) {
  Context ctx(this, n);
  try {
    f(*mut(n.value).node, ctx);
  } catch (const NodeFailure& e) {
    emit(e.node(), "node_failure", std::initializer_list<Field>{{"reason", std::string_view(e.what())}});
    return StepResult{StepResult::Kind::kNodeFailure, e.what(), e.node()};
  }
  return {};
}

StepResult World::start() {
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    NodeState& s = mut(i);
    s.node = cfg_->factory(NodeId{i});
    DSIM_ASSERT(s.node != nullptr);
    emit(NodeId{i}, "start", std::span<const Field>{});
    StepResult r = call(NodeId{i}, [](Node& node, Context& ctx) { node.on_start(ctx); });
    if (!r.ok()) return r;
  }
  return {};
}

int World::find_flight(const ScheduleStep& s) const {
  for (size_t i = 0; i < flight_.size(); ++i) {
    const InFlight& f = flight_[i];
    if (f.from == s.node && f.to == s.to && f.nth == s.nth) return static_cast<int>(i);
  }
  return -1;
}

namespace {

// A node's timers that may fire now: those due first (ties: each tag once).
template <class Timers, class F>
void each_due_first(const Timers& timers, F&& f) {
  if (timers.empty()) return;
  Time first = timers[0].due;
  for (const auto& t : timers) first = std::min(first, t.due);
  for (size_t i = 0; i < timers.size(); ++i) {
    if (timers[i].due != first) continue;
    bool seen = false;
    for (size_t j = 0; j < i; ++j) seen = seen || (timers[j].due == first && timers[j].tag == timers[i].tag);
    if (!seen) f(timers[i]);
  }
}

}  // namespace

void World::enabled(std::vector<ScheduleStep>* out) const {
  out->clear();
  using K = ScheduleStep::Kind;
  const size_t n = nodes_.size();
  std::vector<bool> link_seen(cfg_->fifo ? n * n : 0);
  for (const InFlight& f : flight_) {
    if (cfg_->fifo) {
      // Only the oldest message on each link.
      const size_t link = f.from.value * n + f.to.value;
      if (link_seen[link]) continue;
      link_seen[link] = true;
    }
    if (at(f.to.value).node) out->push_back(ScheduleStep{K::kDeliver, f.from, f.to, f.nth, 0, false, 0});
  }
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    if (!at(i).node) continue;
    each_due_first(at(i).timers, [&](const PendingTimer& t) {
      out->push_back(ScheduleStep{K::kTimer, NodeId{i}, NodeId{}, 0, t.tag, false, 0});
    });
  }
  if (inputs_given_ < cfg_->inputs && cfg_->make_input) {
    for (uint32_t i = 0; i < nodes_.size(); ++i) {
      const Node* node = at(i).node.get();
      if (!node || (cfg_->inputs_to_leader && node->role() != "leader")) continue;
      out->push_back(ScheduleStep{K::kInput, NodeId{i}, NodeId{}, 0, 0, false, 0});
    }
  }
  if (drops_ < cfg_->drops) {
    for (const InFlight& f : flight_) out->push_back(ScheduleStep{K::kDrop, f.from, f.to, f.nth, 0, false, 0});
  }
  if (duplicates_ < cfg_->duplicates) {
    for (const InFlight& f : flight_) out->push_back(ScheduleStep{K::kDuplicate, f.from, f.to, f.nth, 0, false, 0});
  }
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    if (at(i).node && crashes_ < cfg_->crashes) {
      out->push_back(ScheduleStep{K::kCrash, NodeId{i}, NodeId{}, 0, 0, cfg_->lose_unsynced, 0});
    }
    if (!at(i).node && restarts_ < cfg_->restarts) {
      out->push_back(ScheduleStep{K::kRestart, NodeId{i}, NodeId{}, 0, 0, false, 0});
    }
  }
}

bool World::quiescent(const std::vector<ScheduleStep>& steps) {
  using K = ScheduleStep::Kind;
  for (const ScheduleStep& st : steps) {
    if (st.kind == K::kDeliver || st.kind == K::kTimer || st.kind == K::kInput) return false;
  }
  return true;
}

bool World::quiescent() const {
  std::vector<ScheduleStep> steps;
  enabled(&steps);
  return quiescent(steps);
}

StepResult World::apply(const ScheduleStep& step) {
  using K = ScheduleStep::Kind;
  auto refuse = [](std::string why) { return StepResult{StepResult::Kind::kNotEnabled, std::move(why), NodeId{}}; };
  const uint32_t n = static_cast<uint32_t>(nodes_.size());
  if (step.node.value >= n || ((step.kind == K::kDeliver || step.kind == K::kDrop || step.kind == K::kDuplicate) &&
                               step.to.value >= n)) {
    return refuse("names a node outside the cluster");
  }
  const NodeState& s = at(step.node.value);
  const std::string& who = cfg_->names[step.node.value];
  switch (step.kind) {
    case K::kDeliver:
    case K::kDrop:
    case K::kDuplicate: {
      const int at = find_flight(step);
      const std::string what = "message " + who + " -> " + cfg_->names[step.to.value] + " #" + std::to_string(step.nth);
      if (at < 0) return refuse("no " + what + " in flight");
      InFlight f = flight_[static_cast<size_t>(at)];
      if (step.kind == K::kDuplicate) {
        ++duplicates_;
        ++counters_.duplicated;
        flight_.insert(flight_.begin() + at + 1, f);
        flight_sum_ += f.hash;
        emit(f.from, "duplicate", {{"msg", static_cast<int64_t>(f.id)}});
        return {};
      }
      if (step.kind == K::kDeliver && !this->at(f.to.value).node) {
        return refuse(what + " is addressed to " + cfg_->names[f.to.value] + ", which is down");
      }
      flight_.erase(flight_.begin() + at);
      flight_sum_ -= f.hash;
      if (step.kind == K::kDrop) {
        ++drops_;
        ++counters_.dropped;
        emit(f.to, "drop", {{"msg", static_cast<int64_t>(f.id)}, {"reason", std::string_view("schedule")}});
        return {};
      }
      ++counters_.delivered;
      emit(f.to, "deliver", {{"msg", static_cast<int64_t>(f.id)}, {"from", std::string_view(cfg_->names[f.from.value])}});
      return call(f.to, [&f](Node& node, Context& ctx) { node.on_message(ctx, f.from, f.msg); });
    }
    case K::kTimer: {
      if (!s.node) return refuse(who + " is down");
      int pick = -1;
      each_due_first(s.timers, [&](const PendingTimer& t) {
        if (pick < 0 && t.tag == step.tag) pick = static_cast<int>(&t - s.timers.data());
      });
      if (pick < 0) {
        bool any = false;
        for (const PendingTimer& t : s.timers) any = any || t.tag == step.tag;
        return refuse(any ? who + "'s timer with tag " + std::to_string(step.tag) + " is not due first"
                          : who + " has no pending timer with tag " + std::to_string(step.tag));
      }
      const PendingTimer t = s.timers[static_cast<size_t>(pick)];
      NodeState& m = mut(step.node.value);
      m.timers.erase(m.timers.begin() + pick);
      m.clock = std::max(m.clock, t.due);
      ++counters_.timers_fired;
      emit(step.node, "timer", {{"tag", static_cast<int64_t>(t.tag)}});
      return call(step.node, [&t](Node& node, Context& ctx) { node.on_timer(ctx, TimerId{t.id}, t.tag); });
    }
    case K::kCrash: {
      if (!s.node) return refuse(who + " is already down");
      ++crashes_;
      emit(step.node, "crash",
           {{"lose_unsynced", step.lose_unsynced}, {"unsynced_writes", static_cast<int64_t>(s.storage.unsynced())}});
      NodeState& m = mut(step.node.value);
      m.node.reset();
      m.timers.clear();
      m.storage.on_crash(step.lose_unsynced);
      return {};
    }
    case K::kRestart: {
      if (s.node) return refuse(who + " is up");
      ++restarts_;
      NodeState& m = mut(step.node.value);
      m.node = cfg_->factory(step.node);
      DSIM_ASSERT(m.node != nullptr);
      emit(step.node, "restart", std::span<const Field>{});
      return call(step.node, [](Node& node, Context& ctx) { node.on_recover(ctx); });
    }
    case K::kInput: {
      if (!s.node) return refuse(who + " is down");
      if (!cfg_->make_input || inputs_given_ >= cfg_->inputs) {
        return refuse("no workload input is left (" + std::to_string(cfg_->inputs) + " in all)");
      }
      if (cfg_->inputs_to_leader && s.node->role() != "leader") return refuse(who + " is not a leader");
      const Message m = cfg_->make_input(inputs_given_++, cfg_->keys, workload_rng_);
      // The harness's own record of what it asked, as in a timed run:
      // liveness checkers judge these, not what nodes say they accepted.
      emit(kGlobal, "harness_input", {{"to", std::string_view(who)}, {"req", m.f[0]}});
      const uint64_t id = ++next_msg_id_;
      ++counters_.delivered;
      if (sink_) {
        std::string_view type = cfg_->message_names ? cfg_->message_names->message_name(m.type) : std::string_view{};
        if (type.empty()) type = s.node->message_name(m.type);
        emit(step.node, "input", {{"msg", static_cast<int64_t>(id)}, {"type", type}});
      }
      return call(step.node, [&m](Node& node, Context& ctx) { node.on_message(ctx, kExternal, m); });
    }
  }
  return refuse("unknown step");
}

// ---- Identity ------------------------------------------------------------------

void World::fingerprint(Fingerprint& h) const {
  for (const auto& s : nodes_) h.word(s->fingerprint());
  // The network is a multiset: any message may arrive next, so the order
  // of sending does not matter (with fifo links it does, per link).
  h(flight_.size(), flight_sum_);
  if (cfg_->fifo) {
    for (const InFlight& f : flight_) h.word(f.hash);
  }
  const uint64_t* w = workload_rng_.state();
  h(inputs_given_, w[0], w[1], w[2], w[3], crashes_, restarts_, drops_, duplicates_);
}

std::string World::describe(const ScheduleStep& step) const {
  using K = ScheduleStep::Kind;
  auto name = [&](NodeId n) { return n.value < cfg_->names.size() ? cfg_->names[n.value] : std::string("?"); };
  switch (step.kind) {
    case K::kDeliver:
    case K::kDrop:
    case K::kDuplicate: {
      std::string s = step.kind == K::kDeliver ? "deliver " : step.kind == K::kDrop ? "drop " : "duplicate ";
      s += name(step.node) + " -> " + name(step.to) + " #" + std::to_string(step.nth);
      const int at = find_flight(step);
      if (at >= 0) {
        const InFlight& f = flight_[static_cast<size_t>(at)];
        std::string_view type = cfg_->message_names ? cfg_->message_names->message_name(f.msg.type) : std::string_view{};
        if (type.empty() && this->at(f.from.value).node) type = this->at(f.from.value).node->message_name(f.msg.type);
        if (!type.empty()) s += " (" + std::string(type) + ")";
      }
      return s;
    }
    case K::kTimer:
      return "timer " + name(step.node) + " tag " + std::to_string(step.tag);
    case K::kCrash:
      return "crash " + name(step.node) + (step.lose_unsynced ? " (losing unsynced writes)" : "");
    case K::kRestart:
      return "restart " + name(step.node);
    case K::kInput:
      return "input " + std::to_string(inputs_given_ + 1) + " to " + name(step.node);
  }
  return "?";
}

}  // namespace dsim::explore
