#include "sim/scenario/runner.h"

#include <algorithm>
#include <climits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis/generic_checkers.h"
#include "dsim/kv.h"
#include "sim/explore/world.h"
#include "sim/net/network.h"
#include "sim/scenario/writer.h"
#include "sim/trace/fanout.h"
#include "sim/trace/writer.h"

namespace dsim::scenario {
namespace {

using Json = nlohmann::ordered_json;

// Reads `role` events, to know each node's epoch (term, ballot: the
// protocol's report hints name the field), so "the leader" is the one of
// the highest epoch, not a stale one. A consumer of that kind alone, so the
// other events never reach it.
class RoleWatch final : public trace::Consumer {
 public:
  RoleWatch(const std::vector<std::string>& names, std::string_view epoch_field)
      : names_(names), field_(epoch_field), epoch_(names.size(), kUnknown) {}
  std::vector<std::string_view> kinds() const override { return {"role"}; }
  void consume(const trace::Event& e) override {
    // Role changes are rare: a linear search for the node is enough.
    const auto it = std::find(names_.begin(), names_.end(), e.node);
    if (it == names_.end()) return;
    if (const auto v = e.get_int(field_)) epoch_[static_cast<size_t>(it - names_.begin())] = *v;
  }
  static constexpr int64_t kUnknown = INT64_MIN;
  int64_t epoch(NodeId n) const { return epoch_[n.value]; }

 private:
  const std::vector<std::string>& names_;
  std::string field_;
  std::vector<int64_t> epoch_;
};

struct Action {
  enum class Kind { kFault, kUndo, kRestart, kNemesis, kNemesisRestore, kRequest, kInput } kind;
  uint32_t index = 0;  // fault index, undo index, or nemesis fault kind
  NodeId node;
  int64_t req = 0;  // kInput: the input's request id (its f[0]); nemesis disconnect: its token
};

class ScenarioRun final : public ActionHandler {
 public:
  ScenarioRun(const Scenario& s, Simulator& sim, net::Network& net, const RoleWatch& roles)
      : s_(s),
        sim_(sim),
        net_(net),
        roles_(roles),
        nemesis_rng_(Rng::derive(sim.seed(), "nemesis")),
        workload_rng_(Rng::derive(sim.seed(), "workload")),
        fault_rng_(Rng::derive(sim.seed(), "faults")),
        client_latency_rng_(Rng::derive(sim.seed(), "client_latency")),
        inputs_(s.def->workload()) {}

  void schedule_all() {
    for (uint32_t i = 0; i < s_.faults.size(); ++i) schedule(s_.faults[i].at, {Action::Kind::kFault, i, {}});
    if (s_.nemesis) schedule(s_.nemesis->from + next_interval(), {Action::Kind::kNemesis, 0, {}});
    schedule_workload();
  }

  void on_action(uint64_t id) override {
    DSIM_ASSERT(id < actions_.size());
    const Action a = actions_[id];
    free_.push_back(static_cast<uint32_t>(id));  // each action fires once: its slot is free again
    switch (a.kind) {
      case Action::Kind::kFault: apply(s_.faults[a.index]); return;
      case Action::Kind::kUndo: undo(a.index); return;
      case Action::Kind::kRestart: sim_.restart(a.node); return;
      case Action::Kind::kNemesis: nemesis_tick(); return;
      case Action::Kind::kNemesisRestore: nemesis_restore(a); return;
      case Action::Kind::kRequest: client_request(a.index); return;
      case Action::Kind::kInput: record_input(a.node, a.req); return;
    }
  }

 private:
  // Slots are recycled, so memory follows what is pending, not how many
  // actions a long run (a nemesis ticking every nanosecond) ever scheduled.
  void schedule(Time at, Action a) { sim_.schedule_action(at, action_slot(a)); }
  // The workload's actions come in time order: the simulator's ordered
  // stream keeps them (the same order as schedule(), without a deep heap).
  void schedule_in_order(Time at, Action a) { sim_.schedule_action_in_order(at, action_slot(a)); }
  uint64_t action_slot(Action a) {
    uint64_t id = actions_.size();
    if (free_.empty()) {
      actions_.push_back(a);
    } else {
      id = free_.back();
      free_.pop_back();
      actions_[id] = a;
    }
    return id;
  }

  void schedule_workload() {
    const WorkloadSpec& w = s_.workload;
    if (w.count == 0) return;
    using K = WorkloadInputs::Kind;
    if (inputs_.kind == K::kToLeader) {
      // Requests are actions, so the target (the leader) is chosen when
      // each is sent, the way a client that follows redirects would.
      Time t = w.start;
      for (uint32_t k = 0; k < w.count && t <= Time{0} + s_.duration; ++k) {
        schedule_in_order(t, {Action::Kind::kRequest, k, {}});
        t = t + Duration{workload_rng_.between(w.interval_min.ns, w.interval_max.ns)};
      }
      return;
    }
    if (inputs_.kind != K::kPerNode) return;
    Rng& rng = workload_rng_;
    Time t = w.start;
    for (uint32_t k = 0; k < w.count; ++k) {
      if (t > Time{0} + s_.duration) break;
      NodeId to = w.from.empty() ? NodeId{static_cast<uint32_t>(rng.below(sim_.cluster_size()))}
                                 : w.from[k % w.from.size()];
      const Message m = inputs_.make(k, w.keys, rng);
      // The harness records each input when it is due (an action scheduled
      // just before the delivery, so it comes first at that time).
      schedule_in_order(t, {Action::Kind::kInput, k, to, m.f[0]});
      sim_.inject_in_order(t + input_delay(), to, m);
      t = t + Duration{rng.between(w.interval_min.ns, w.interval_max.ns)};
    }
  }

  void record_input(NodeId to, int64_t req) {
    sim_.emit_global("harness_input", {{"to", std::string_view(sim_.name(to))}, {"req", req}});
  }

  // Every workload input goes through here: the harness's own record of what
  // it asked (liveness checkers judge these, not what nodes say they accepted).
  void send_input(NodeId to, const Message& m) {
    record_input(to, m.f[0]);
    sim_.inject(sim_.now() + input_delay(), to, m);
  }

  // From the harness to a node (workload.client_latency); its own stream, so
  // turning it on changes no other draw.
  Duration input_delay() {
    const auto& lat = s_.workload.client_latency;
    return lat ? lat->sample(client_latency_rng_) : Duration{0};
  }

  void client_request(uint32_t k) {
    const WorkloadSpec& w = s_.workload;
    std::optional<NodeId> to;
    if (w.to_leader) {
      // The lowest-numbered node that believes it leads, stale or not: a
      // client does not know which leader is current, and the planted-bug
      // scenarios pin seeds on this routing. (Fault targets use holder().)
      for (uint32_t i = 0; i < sim_.node_count() && !to; ++i) {
        if (sim_.role(NodeId{i}) == "leader") to = NodeId{i};
      }
    }
    if (!to) to = NodeId{static_cast<uint32_t>(workload_rng_.below(sim_.cluster_size()))};
    send_input(*to, inputs_.make(k, w.keys, workload_rng_));
  }

  // The node holding `role` with the highest epoch (lowest id on a tie), or
  // none. A node that never said its epoch counts as the oldest.
  std::optional<NodeId> holder(std::string_view role) const {
    std::optional<NodeId> best;
    for (uint32_t i = 0; i < sim_.node_count(); ++i) {
      const NodeId n{i};
      if (sim_.role(n) != role) continue;
      if (!best || roles_.epoch(n) > roles_.epoch(*best)) best = n;
    }
    return best;
  }

  void skip(std::string_view fault, const std::string& reason) {
    sim_.emit_global("fault_skipped", {{"fault", fault}, {"reason", std::string_view(reason)}});
  }

  // Every node `t` names now (see Target); `taken` are nodes a random pick
  // must avoid (placed in another partition group already). Empty, with a
  // fault_skipped event, when it names no one.
  std::vector<NodeId> resolve_all(const Target& t, std::string_view fault, const std::vector<bool>* taken = nullptr) {
    using P = Target::Pick;
    std::vector<NodeId> out;
    if (t.pick == P::kOne || t.pick == P::kOthers) {
      std::optional<NodeId> one = t.node ? t.node : holder(t.role);
      if (!one) {
        skip(fault, "no node has role " + t.role);
        return out;
      }
      if (t.pick == P::kOne) return {*one};
      for (uint32_t i = 0; i < sim_.cluster_size(); ++i) {
        if (NodeId{i} != *one) out.push_back(NodeId{i});
      }
      if (out.empty()) skip(fault, "no node but " + sim_.name(*one));
      return out;
    }
    for (uint32_t i = 0; i < sim_.node_count(); ++i) {
      if (sim_.role(NodeId{i}) != t.role) continue;
      if (taken && (*taken)[i]) continue;
      out.push_back(NodeId{i});
    }
    if (out.empty()) {
      skip(fault, "no node has role " + t.role);
      return out;
    }
    if (t.pick == P::kRandom) return {out[fault_rng_.below(out.size())]};
    return out;
  }

  std::optional<NodeId> resolve(const Target& t, std::string_view fault) {
    std::vector<NodeId> all = resolve_all(t, fault);
    if (all.empty()) return std::nullopt;
    DSIM_ASSERT_MSG(all.size() == 1, "the loader allows only single-node targets here");
    return all[0];
  }

  std::string names_text(const std::vector<NodeId>& nodes) const {
    std::string out;
    for (NodeId n : nodes) out += (out.empty() ? "" : ",") + sim_.name(n);
    return out;
  }

  std::string disconnected_text() const {
    std::vector<NodeId> cut;
    for (uint32_t i = 0; i < sim_.node_count(); ++i) {
      if (net_.disconnected(NodeId{i})) cut.push_back(NodeId{i});
    }
    return names_text(cut);
  }

  // A partition from role expressions: group by group, each random pick
  // avoiding nodes already placed. Empty (with fault_skipped) if a group
  // names no one or a node lands in two groups.
  std::vector<std::vector<NodeId>> resolve_groups(const FaultSpec& f) {
    if (f.group_targets.empty()) return f.groups;
    std::vector<bool> taken(sim_.node_count(), false);
    std::vector<std::vector<NodeId>> groups;
    for (const auto& g : f.group_targets) {
      std::vector<NodeId> members;
      for (const Target& t : g) {
        const std::vector<NodeId> got = resolve_all(t, "partition", &taken);
        if (got.empty()) return {};
        for (NodeId n : got) {
          if (taken[n.value]) {
            skip("partition", "node " + sim_.name(n) + " falls in two groups");
            return {};
          }
          taken[n.value] = true;
          members.push_back(n);
        }
      }
      std::sort(members.begin(), members.end());
      groups.push_back(std::move(members));
    }
    return groups;
  }

  std::string groups_text(const std::vector<std::vector<NodeId>>& groups) {
    std::string out;
    std::vector<bool> named(sim_.node_count(), false);
    for (const auto& g : groups) {
      if (!out.empty()) out += '|';
      for (size_t i = 0; i < g.size(); ++i) {
        out += (i ? "," : "") + sim_.name(g[i]);
        named[g[i].value] = true;
      }
    }
    std::string rest;
    for (uint32_t i = 0; i < sim_.node_count(); ++i) {
      if (!named[i]) rest += (rest.empty() ? "" : ",") + sim_.name(NodeId{i});
    }
    if (!rest.empty()) out += "|" + rest;
    return out;
  }

  void partition(const std::vector<std::vector<NodeId>>& listed, std::string_view kind) {
    // A client the fault does not name stays on its server's side.
    std::vector<std::vector<NodeId>> groups = listed;
    const auto servers = static_cast<uint32_t>(s_.nodes.size());
    std::vector<bool> named(sim_.node_count(), false);
    for (const auto& g : listed) {
      for (NodeId n : g) named[n.value] = true;
    }
    for (uint32_t c = 0; c < s_.clients.count; ++c) {
      const NodeId client{servers + c};
      if (named[client.value]) continue;
      const NodeId server = s_.clients.server_of(c, servers);
      for (auto& g : groups) {
        if (std::find(g.begin(), g.end(), server) != g.end()) g.push_back(client);
      }
    }
    net_.partition(groups);
    current_partition_ = ++partition_count_;
    const std::string text = groups_text(groups);
    sim_.emit_global(kind, {{"groups", std::string_view(text)}});
  }

  void heal() {
    net_.heal();
    for (uint32_t i = 0; i < sim_.node_count(); ++i) net_.reconnect(NodeId{i});
    current_partition_ = 0;
    sim_.emit_global("heal", {});
  }

  // After a timed fault ends: `heal` when nothing splits the network any
  // more (what checkers and the report read as "whole again"), else
  // `restore` naming the fault that ended.
  void after_undo(std::string_view fault) {
    if (net_.whole()) {
      sim_.emit_global("heal", {});
    } else {
      sim_.emit_global("restore", {{"fault", fault}});
    }
  }

  // What a timed fault undoes when its `for:` is over: only itself.
  struct Undo {
    FaultSpec::Type type = FaultSpec::Type::kPartition;
    uint64_t partition = 0;      // partition/isolate: its number
    NodeId from, to;             // cut
    uint64_t token = 0;          // disconnect
    std::vector<NodeId> nodes;   // disconnect
    net::LinkSpec previous;      // network
    std::string changes;         // network: what it restores
  };

  static Undo undo_of(FaultSpec::Type type, uint64_t partition = 0) {
    Undo u;
    u.type = type;
    u.partition = partition;
    return u;
  }

  void schedule_undo(Duration after, Undo u) {
    undos_.push_back(std::move(u));
    schedule(sim_.now() + after, {Action::Kind::kUndo, static_cast<uint32_t>(undos_.size() - 1), {}});
  }

  void undo(uint32_t index) {
    DSIM_ASSERT(index < undos_.size());
    const Undo& u = undos_[index];
    using T = FaultSpec::Type;
    switch (u.type) {
      case T::kPartition:
      case T::kIsolate:
        // A later partition (or heal) replaced this one: nothing to undo.
        if (current_partition_ != u.partition) return;
        net_.clear_partition();
        current_partition_ = 0;
        after_undo(u.type == T::kIsolate ? "isolate" : "partition");
        return;
      case T::kCut:
        if (!net_.uncut(u.from, u.to)) return;  // healed meanwhile
        after_undo("cut");
        return;
      case T::kDisconnect: {
        std::vector<NodeId> back;
        for (NodeId n : u.nodes) {
          if (net_.reconnect(n, u.token)) back.push_back(n);
        }
        if (back.empty()) return;
        emit_connectivity("reconnect", back);
        return;
      }
      case T::kNetwork:
        net_.set_defaults(u.previous);
        sim_.emit_global("network", {{"changes", std::string_view(u.changes)}});
        return;
      default:
        DSIM_ASSERT_MSG(false, "no undo for this fault type");
    }
  }

  void emit_connectivity(std::string_view kind, const std::vector<NodeId>& nodes) {
    const std::string text = names_text(nodes), now_cut = disconnected_text();
    sim_.emit_global(kind, {{"nodes", std::string_view(text)}, {"disconnected", std::string_view(now_cut)}});
    if (kind == "reconnect" && net_.whole()) sim_.emit_global("heal", {});
  }

  static std::string link_changes(const NetworkChange& c) {
    std::string out;
    auto add = [&](const std::string& part) { out += (out.empty() ? "" : " ") + part; };
    if (c.latency) add("latency=" + latency_text(*c.latency));
    if (c.drop) add("drop=" + ratio_text(*c.drop));
    if (c.duplicate) add("duplicate=" + ratio_text(*c.duplicate));
    if (c.reorder) add("reorder=" + ratio_text(*c.reorder));
    if (c.reorder_delay) add("reorder_delay=" + latency_text(*c.reorder_delay));
    return out;
  }

  static std::string spec_text(const net::LinkSpec& l) {
    return "latency=" + latency_text(l.latency) + " drop=" + ratio_text(l.drop) + " duplicate=" + ratio_text(l.duplicate) +
           " reorder=" + ratio_text(l.reorder) + " reorder_delay=" + latency_text(l.reorder_delay);
  }

  void change_network(const FaultSpec& f) {
    const net::LinkSpec before = net_.defaults();
    net::LinkSpec next = before;
    const NetworkChange& c = f.network;
    if (c.latency) next.latency = *c.latency;
    if (c.drop) next.drop = *c.drop;
    if (c.duplicate) next.duplicate = *c.duplicate;
    if (c.reorder) next.reorder = *c.reorder;
    if (c.reorder_delay) next.reorder_delay = *c.reorder_delay;
    net_.set_defaults(next);
    const std::string text = link_changes(c);
    sim_.emit_global("network", {{"changes", std::string_view(text)}});
    if (f.for_) {
      Undo u = undo_of(FaultSpec::Type::kNetwork);
      u.previous = before;
      u.changes = spec_text(before);
      schedule_undo(*f.for_, std::move(u));
    }
  }

  void apply(const FaultSpec& f) {
    using T = FaultSpec::Type;
    switch (f.type) {
      case T::kCrash:
        for (NodeId n : resolve_all(f.target, "crash")) {
          sim_.crash(n, f.lose_unsynced);
          if (f.restart_after) schedule(sim_.now() + *f.restart_after, {Action::Kind::kRestart, 0, n});
        }
        return;
      case T::kRestart:
        for (NodeId n : resolve_all(f.target, "restart")) sim_.restart(n);
        return;
      case T::kPause:
        for (NodeId n : resolve_all(f.target, "pause")) sim_.pause(n, *f.for_);
        return;
      case T::kPartition: {
        const auto groups = resolve_groups(f);
        if (groups.empty()) return;
        partition(groups, "partition");
        if (f.for_) schedule_undo(*f.for_, undo_of(T::kPartition, current_partition_));
        return;
      }
      case T::kIsolate:
        if (auto n = resolve(f.target, "isolate")) {
          partition({{*n}}, "isolate");
          if (f.for_) schedule_undo(*f.for_, undo_of(T::kIsolate, current_partition_));
        }
        return;
      case T::kCut:
        net_.cut(f.from, f.to);
        sim_.emit_global("cut", {{"from", std::string_view(sim_.name(f.from))}, {"to", std::string_view(sim_.name(f.to))}});
        if (f.for_) {
          Undo u = undo_of(T::kCut);
          u.from = f.from;
          u.to = f.to;
          schedule_undo(*f.for_, std::move(u));
        }
        return;
      case T::kHeal:
        heal();
        return;
      case T::kClog:
        if (f.link) {
          net_.clog_link(f.from, f.to, sim_.now() + *f.for_);
          sim_.emit_global("clog", {{"from", std::string_view(sim_.name(f.from))},
                                    {"to", std::string_view(sim_.name(f.to))},
                                    {"for_ns", f.for_->ns}});
          return;
        }
        for (NodeId n : resolve_all(f.target, "clog")) {
          net_.clog_node(n, sim_.now() + *f.for_);
          sim_.emit_global("clog", {{"target", std::string_view(sim_.name(n))}, {"for_ns", f.for_->ns}});
        }
        return;
      case T::kClockJump:
        for (NodeId n : resolve_all(f.target, "clock")) sim_.clock_jump(n, f.jump);
        return;
      case T::kClockDrift:
        for (NodeId n : resolve_all(f.target, "clock")) sim_.clock_drift(n, f.drift_ppm);
        return;
      case T::kDisconnect: {
        const std::vector<NodeId> nodes = resolve_all(f.target, "disconnect");
        if (nodes.empty()) return;
        const uint64_t token = ++disconnect_tokens_;
        for (NodeId n : nodes) net_.disconnect(n, token);
        emit_connectivity("disconnect", nodes);
        if (f.for_) {
          Undo u = undo_of(T::kDisconnect);
          u.token = token;
          u.nodes = nodes;
          schedule_undo(*f.for_, std::move(u));
        }
        return;
      }
      case T::kReconnect: {
        const std::vector<NodeId> nodes = resolve_all(f.target, "reconnect");
        std::vector<NodeId> back;
        for (NodeId n : nodes) {
          if (!net_.disconnected(n)) continue;
          net_.reconnect(n);
          back.push_back(n);
        }
        if (!nodes.empty() && back.empty()) {
          skip("reconnect", names_text(nodes) + " not disconnected");
          return;
        }
        if (!back.empty()) emit_connectivity("reconnect", back);
        return;
      }
      case T::kNetwork:
        change_network(f);
        return;
    }
  }

  // ---- Random nemesis: faults within a budget, all over by
  // `until`, so the run ends with a quiet phase for liveness checks.

  Duration next_interval() {
    const NemesisSpec& m = *s_.nemesis;
    return Duration{nemesis_rng_.between(m.interval_min.ns, m.interval_max.ns)};
  }

  std::optional<NodeId> pick_live_node() {  // a server: the nemesis leaves clients alone
    std::vector<NodeId> live;
    for (uint32_t i = 0; i < sim_.cluster_size(); ++i) {
      const NodeId n{i};
      if (sim_.is_up(n) && !sim_.is_paused(n) && !net_.disconnected(n)) live.push_back(n);
    }
    if (live.empty()) return std::nullopt;
    return live[nemesis_rng_.below(live.size())];
  }

  void nemesis_tick() {
    const NemesisSpec& m = *s_.nemesis;
    const Time now = sim_.now();
    if (now >= m.until) return;
    using K = NemesisSpec::Kind;
    const K kind = m.kinds[nemesis_rng_.below(m.kinds.size())];
    const Duration want{nemesis_rng_.between(m.duration_min.ns, m.duration_max.ns)};
    const Duration dur = std::min(want, m.until - now);
    const bool budget = down_.size() < m.max_down;
    if (dur.ns > 0) {
      switch (kind) {
        case K::kCrash:
        case K::kPause:
          if (!budget) break;
          if (auto n = pick_live_node()) {
            down_.insert(n->value);
            FaultSpec f;
            f.at = now;
            f.target.node = *n;
            if (kind == K::kCrash) {
              sim_.crash(*n, m.lose_unsynced);
              f.type = FaultSpec::Type::kCrash;
              f.restart_after = dur;
              f.lose_unsynced = m.lose_unsynced;
            } else {
              sim_.pause(*n, dur);
              f.type = FaultSpec::Type::kPause;
              f.for_ = dur;
            }
            record(f);
            schedule(now + dur, {Action::Kind::kNemesisRestore, static_cast<uint32_t>(kind), *n});
          }
          break;
        case K::kDisconnect:
          // Within the budget: a node no one can reach is down to the others.
          if (!budget) break;
          if (auto n = pick_live_node()) {
            down_.insert(n->value);
            const uint64_t token = ++disconnect_tokens_;
            net_.disconnect(*n, token);
            emit_connectivity("disconnect", {*n});
            FaultSpec f;
            f.type = FaultSpec::Type::kDisconnect;
            f.at = now;
            f.target.node = *n;
            f.for_ = dur;
            record(f);
            schedule(now + dur, {Action::Kind::kNemesisRestore, static_cast<uint32_t>(kind), *n, static_cast<int64_t>(token)});
          }
          break;
        case K::kPartition:
        case K::kIsolate: {
          if (partitioned_ || sim_.cluster_size() < 2) break;
          std::vector<NodeId> order;
          for (uint32_t i = 0; i < sim_.cluster_size(); ++i) order.push_back(NodeId{i});
          for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[nemesis_rng_.below(i + 1)]);
          const size_t cut = kind == K::kIsolate ? 1 : 1 + nemesis_rng_.below(order.size() - 1);
          std::vector<NodeId> side(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(cut));
          std::sort(side.begin(), side.end());
          partition({side}, kind == K::kIsolate ? "isolate" : "partition");
          nemesis_partition_ = current_partition_;
          FaultSpec f;
          f.at = now;
          f.for_ = dur;
          if (kind == K::kIsolate) {
            f.type = FaultSpec::Type::kIsolate;
            f.target.node = side[0];
          } else {
            f.type = FaultSpec::Type::kPartition;
            f.groups = {side};
          }
          record(f);
          partitioned_ = true;
          schedule(now + dur, {Action::Kind::kNemesisRestore, static_cast<uint32_t>(kind), {}});
          break;
        }
        case K::kClog:
          if (auto n = pick_live_node()) {
            net_.clog_node(*n, now + dur);
            FaultSpec f;
            f.type = FaultSpec::Type::kClog;
            f.at = now;
            f.target.node = *n;
            f.for_ = dur;
            record(f);
            sim_.emit_global("clog", {{"target", std::string_view(sim_.name(*n))}, {"for_ns", dur.ns}});
          }
          break;
      }
    }
    const Time next = now + next_interval();
    if (next < m.until) schedule(next, {Action::Kind::kNemesis, 0, {}});
  }

  // Kept for shrinking, so capped: past the cap the run goes on, and the
  // shrinker, seeing a full list, says it cannot replay the nemesis.
  void record(const FaultSpec& f) {
    if (injected_.size() < kMaxRecordedNemesisFaults) injected_.push_back(f);
  }

  void nemesis_restore(const Action& a) {
    using K = NemesisSpec::Kind;
    switch (static_cast<K>(a.index)) {
      case K::kCrash:
        sim_.restart(a.node);
        down_.erase(a.node.value);
        return;
      case K::kPause:
        down_.erase(a.node.value);  // the simulator resumes it by itself
        return;
      case K::kPartition:
      case K::kIsolate:
        partitioned_ = false;
        if (current_partition_ != nemesis_partition_) return;  // a scripted fault replaced it
        net_.clear_partition();
        current_partition_ = 0;
        after_undo(static_cast<K>(a.index) == K::kIsolate ? "isolate" : "partition");
        return;
      case K::kClog:
        return;
      case K::kDisconnect:
        down_.erase(a.node.value);
        if (net_.reconnect(a.node, static_cast<uint64_t>(a.req))) emit_connectivity("reconnect", {a.node});
        return;
    }
  }

  const Scenario& s_;
  Simulator& sim_;
  net::Network& net_;
  const RoleWatch& roles_;
  Rng nemesis_rng_;
  Rng workload_rng_;
  Rng fault_rng_;           // random fault targets ({random: follower})
  Rng client_latency_rng_;  // workload.client_latency
  WorkloadInputs inputs_;
  std::vector<Action> actions_;
  std::vector<uint32_t> free_;  // free slots of actions_
  std::set<uint32_t> down_;
  bool partitioned_ = false;
  uint64_t partition_count_ = 0;    // partitions so far (each one's number)
  uint64_t current_partition_ = 0;  // the one in force, 0: none
  uint64_t nemesis_partition_ = 0;  // the nemesis's latest
  uint64_t disconnect_tokens_ = 0;
  std::vector<Undo> undos_;
  std::vector<FaultSpec> injected_;

 public:
  // The nemesis's faults as scripted faults: the same run without the
  // nemesis and with these in `faults:` replays it (the nemesis draws from
  // a stream of its own, so nothing else changes).
  const std::vector<FaultSpec>& injected() const { return injected_; }
};

// ---- Replay of a scripted `schedule:` (docs/explore.md)
//
// The steps run on an explore::World, the model `dsim explore` searches,
// so a counterexample it writes replays here step for step: step k (from
// 1) at k ms, and nothing else happens (no network timing, no timers of
// their own). The events go to the same sink as a timed run's, so the
// trace, its hash, the checkers and the report work unchanged. A step
// that is not enabled is an error in the scenario: *error says which and
// why, and the run stops there.
RunResult replay_schedule(const Scenario& s, const RunOptions& opt, const NodeFactory& factory, EventSink* sink,
                          SimCounters* counters, std::string* error) {
  // The explorer builds its World the same way, so both agree on the model.
  explore::World world(explore::world_config(s, opt.seed, factory));
  world.set_sink(sink);
  world.set_time(Time{0});
  const Time end = Time{0} + opt.until.value_or(s.duration);
  RunResult rr;
  rr.end = end;
  uint64_t applied = 0;
  auto node_failed = [&](const explore::StepResult& r) {
    rr.failed_node = r.node;
    rr.failure = r.text;
    rr.end = world.time();
  };
  if (const explore::StepResult r = world.start(); r.kind == explore::StepResult::Kind::kNodeFailure) {
    node_failed(r);
  } else {
    for (size_t k = 0; k < s.schedule.size(); ++k) {
      const Time at = Time{0} + milliseconds(static_cast<int64_t>(k + 1));
      if (at > end) break;  // --until cut the run short
      if (k >= s.max_events) {
        rr.budget_exhausted = true;
        rr.end = world.time();
        break;
      }
      world.set_time(at);
      const ScheduleStep& step = s.schedule[k];
      const explore::StepResult r = world.apply(step);
      if (r.kind == explore::StepResult::Kind::kNotEnabled) {
        *error = s.path + (step.line > 0 ? ":" + std::to_string(step.line) : std::string()) + ": schedule step " +
                 std::to_string(k + 1) + " (" + schedule_step_text(step, s.nodes) + "): " + r.text;
        return rr;
      }
      ++applied;
      if (r.kind == explore::StepResult::Kind::kNodeFailure) {
        node_failed(r);
        break;
      }
    }
  }
  // A run that ends with something still able to happen (a message in
  // flight, a timer, an input) ends right after its last step: its
  // liveness bounds cannot have expired, since the schedule simply stops
  // there. Only a quiescent world, where nothing can ever happen again, is
  // judged at `duration` (dsim explore writes an hour after the last step).
  if (!rr.failed_node && !rr.budget_exhausted && !world.quiescent()) {
    rr.end = std::min(rr.end, Time{0} + milliseconds(static_cast<int64_t>(applied + 1)));
  }
  world.set_time(rr.end);
  // One event per step applied (the World counts messages, not events).
  SimCounters c = world.counters();
  c.events = applied;
  const Field end_fields[] = {{"events", static_cast<int64_t>(c.events)},
                              {"sent", static_cast<int64_t>(c.sent)},
                              {"delivered", static_cast<int64_t>(c.delivered)},
                              {"dropped", static_cast<int64_t>(c.dropped)},
                              {"duplicated", static_cast<int64_t>(c.duplicated)},
                              {"budget_exhausted", rr.budget_exhausted}};
  sink->event(rr.end, kGlobal, "end", end_fields);
  *counters = c;
  return rr;
}

}  // namespace

std::string trace_header(const Scenario& s, uint64_t seed) {
  // No dsim version here: the trace of a behaviour-preserving release must
  // hash the same (the golden test pins these bytes).
  Json j;
  // The canonical identity, not the path as typed: `x.yaml`, `./x.yaml`
  // and the absolute path give the same bytes, hence the same hash.
  j["scenario"] = s.id.empty() ? s.path : s.id;
  j["name"] = s.name;
  j["protocol"] = s.protocol;
  j["seed"] = std::to_string(seed);
  j["nodes"] = s.all_names();
  Json checks = Json::array();
  for (const auto& c : s.checks) {
    Json cj;
    cj["name"] = c.name;
    if (c.within_ns > 0) cj["within_ns"] = c.within_ns;
    checks.push_back(cj);
  }
  j["checks"] = checks;
  j["expect_violated"] = s.expect_violated;
  // Only when false, so every reproducible trace keeps its bytes.
  if (s.def && s.config && !s.def->reproducible(*s.config)) j["reproducible"] = false;
  std::string text = j.dump();
  DSIM_ASSERT(text.size() >= 2);
  return text.substr(1, text.size() - 2);
}

RunReport run_scenario(const Scenario& s, const RunOptions& opt) {
  RunReport report;
  report.seed = opt.seed;
  const auto n = static_cast<uint32_t>(s.nodes.size());
  const std::vector<std::string> names = s.all_names();
  Simulator sim(opt.seed);
  net::Network net(static_cast<uint32_t>(names.size()), opt.seed, s.network);
  for (const LinkOverride& l : s.links) net.set_link(l.from, l.to, l.spec);
  if (s.clients.latency) net.set_client_latency(n, *s.clients.latency);
  if (s.topology) {
    // A client sits in its server's zone.
    std::vector<uint32_t> zone_of = s.topology->zone_of;
    for (uint32_t c = 0; c < s.clients.count; ++c) zone_of.push_back(zone_of[s.clients.server_of(c, n).value]);
    net::Topology topo;
    const auto err = net::Topology::build(static_cast<uint32_t>(s.topology->zone_names.size()), zone_of,
                                          s.topology->intra, s.topology->links, &topo);
    DSIM_ASSERT_MSG(!err, "the loader validated the topology");
    net.set_topology(std::move(topo));
  }
  DSIM_ASSERT_MSG(s.def && s.config, "a scenario from the loader has its protocol and config");
  const NodeFactory factory = opt.node_factory ? opt.node_factory : s.def->factory(*s.config, n);
  for (uint32_t i = 0; i < n; ++i) {
    sim.add_node(s.nodes[i], factory, NodeClock(s.clocks[i].offset, s.clocks[i].drift_ppm));
  }
  // The protocol's group: the first nodes (the protocol says how many).
  sim.set_cluster_size(s.def->cluster_size(*s.config, n));
  sim.set_message_names(s.def);
  for (uint32_t c = 0; c < s.clients.count; ++c) {
    kv::ClientConfig cc;
    cc.index = c;
    cc.clients = s.clients.count;
    cc.server = s.clients.server_of(c, n);
    cc.keys = s.clients.keys;
    cc.zipf = s.clients.zipf;
    cc.read_pct = s.clients.read_pct;
    cc.write_pct = s.clients.write_pct;
    cc.cas_pct = s.clients.cas_pct;
    cc.think_min = s.clients.think_min;
    cc.think_max = s.clients.think_max;
    cc.timeout = s.clients.timeout;
    cc.start = s.clients.start - Time{0};
    if (s.clients.stop) cc.stop = *s.clients.stop - Time{0};
    if (s.clients.stop_writes) cc.stop_writes = *s.clients.stop_writes - Time{0};
    cc.rate = s.clients.rate;
    cc.retries = s.clients.retries;
    sim.add_node(s.client_names[c], [cc](NodeId) { return kv::make_client(cc); });
  }
  sim.set_network(&net);

  std::vector<std::unique_ptr<analysis::Checker>> checkers;
  trace::Fanout fanout(names);
  RoleWatch role_watch(names, s.def->report_hints().epoch_field);
  fanout.add(&role_watch);
  for (const auto& c : s.checks) {
    auto checker = analysis::make_generic_checker(c);
    checkers.push_back(checker ? std::move(checker) : s.def->make_checker(c));
    fanout.add(checkers.back().get());
  }
  for (trace::Consumer* c : opt.observers) fanout.add(c);
  std::unique_ptr<RunStats> stats = s.def->stats(*s.config, s.nodes);
  if (stats) fanout.add(stats.get());
  std::optional<analysis::ClientStats> client_stats;
  if (s.clients.count > 0) {
    client_stats.emplace(std::set<std::string>(s.client_names.begin(), s.client_names.end()));
    fanout.add(&*client_stats);
  }
  std::unique_ptr<trace::JsonlWriter> writer;
  if (opt.fingerprint || !opt.trace_path.empty()) {
    writer = std::make_unique<trace::JsonlWriter>(names, trace_header(s, opt.seed));
    if (!opt.trace_path.empty()) {
      report.trace_error = writer->open(opt.trace_path);
      if (!report.trace_error.empty()) return report;
    }
    fanout.also_write_to(writer.get());
  }
  sim.set_sink(&fanout);
  for (uint32_t i = 0; i < n; ++i) {
    if (const Duration w = s.storage.of(NodeId{i}); w.ns > 0) sim.set_write_latency(NodeId{i}, w);
  }

  ScenarioRun run(s, sim, net, role_watch);
  const Duration until = opt.until.value_or(s.duration);
  RunResult rr;
  SimCounters c;
  if (s.schedule.empty()) {
    sim.set_action_handler(&run);
    run.schedule_all();
    rr = sim.run(Time{0} + until, s.max_events);
    c = sim.counters();
    sim.emit_global("end", {{"events", static_cast<int64_t>(c.events)},
                            {"sent", static_cast<int64_t>(c.sent)},
                            {"delivered", static_cast<int64_t>(c.delivered)},
                            {"dropped", static_cast<int64_t>(c.dropped)},
                            {"duplicated", static_cast<int64_t>(c.duplicated)},
                            {"budget_exhausted", rr.budget_exhausted}});
  } else {
    // A scripted schedule replaces the event loop (replay_schedule).
    rr = replay_schedule(s, opt, factory, &fanout, &c, &report.schedule_error);
    // Bad input, not a run: no verdicts, and the trace file is not kept.
    if (!report.schedule_error.empty()) return report;
  }
  report.nemesis_faults = run.injected();
  if (client_stats) report.clients = client_stats->finish();
  if (stats) {
    stats->finish();
    report.stats = std::move(stats);
  }
  report.end = rr.end;
  report.budget_exhausted = rr.budget_exhausted;
  report.counters = c;
  for (auto& ch : checkers) {
    report.checks.push_back(ch->finish());
    if (report.checks.back().status == analysis::Status::kViolated) report.violated.push_back(report.checks.back().name);
    if (report.checks.back().status == analysis::Status::kInconclusive) {
      report.inconclusive.push_back(report.checks.back().name);
    }
  }
  std::vector<std::string> got = report.violated, want = s.expect_violated;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  // A check that could not decide proves nothing: the run is not as expected
  // (docs/scenarios.md, "Verdicts and evidence").
  report.violations_as_expected = got == want;
  report.as_expected = report.violations_as_expected && report.inconclusive.empty();
  if (rr.failed_node) {
    // The code under test stopped itself: whatever the checks saw so far,
    // this run did not show what it was meant to.
    report.node_failure = names[rr.failed_node->value] + " at " + analysis::format_time(rr.end.ns) + ": " + rr.failure;
    report.violations_as_expected = false;
    report.as_expected = false;
  }
  if (writer) {
    report.trace_error = writer->finish();
    report.trace_sha256 = writer->sha256_hex();
    report.trace_lines = writer->lines();
  }
  return report;
}

}  // namespace dsim::scenario
