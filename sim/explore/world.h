// The explored model: a cluster as a value.
//
// A World holds everything that decides what can happen next: every node
// (up or down), its storage, its random stream and its clock; the messages
// in flight; each node's pending timers; what is left of the fault budgets.
// It is a Host, so the protocol's unchanged node code runs in it. Nothing
// happens by itself: a step (deliver a message, drop or duplicate one, fire
// a timer, crash or restart a node, give a node the next workload input)
// is applied from outside, by `dsim explore` choosing among enabled()
// steps, or by `dsim run` replaying a `schedule:`.
//
// Time (docs/explore.md): the network is asynchronous, so any message in
// flight may be delivered next, in any order. Each node has its own clock,
// which only its timers move: a timer set `after` at local time L is due at
// L + after, a node's timers fire in due order (ties: any of them), and
// firing one sets the node's clock to its due time. ctx.now() is that
// clock. So timeouts keep their order on one node, and nothing bounds how
// long a message takes relative to them: the model in which safety must
// hold. Events carry the trace time set by set_time().
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsim/checker.h"
#include "dsim/fingerprint.h"
#include "dsim/node.h"
#include "dsim/prng.h"
#include "dsim/storage.h"
#include "sim/core/simulator.h"
#include "sim/scenario/spec.h"

namespace dsim::explore {

using scenario::ScheduleStep;

struct WorldConfig {
  std::vector<std::string> names;  // the servers, NodeId{i} is names[i]
  uint32_t cluster_size = 0;       // 0: every node
  NodeFactory factory;
  const MessageNames* message_names = nullptr;
  uint64_t seed = 0;
  // Workload inputs: the k-th (from 0) is make_input(k, keys, rng) on the
  // "workload" stream; at most `inputs` of them.
  std::function<Message(uint32_t k, uint32_t keys, Rng& rng)> make_input;
  uint32_t keys = 10;
  uint32_t inputs = 0;
  bool inputs_to_leader = false;   // `input` steps go only to a node whose role() is "leader"
  // Each link delivers in the order it was sent (a connection), rather
  // than in any order: fewer interleavings, for protocols whose bugs need
  // no reordering on one link.
  bool fifo = false;
  uint32_t crashes = 0, restarts = 0, drops = 0, duplicates = 0;  // budgets (0: none)
  bool lose_unsynced = false;
};

// The World of a scenario: its servers, the protocol's factory (or
// `factory`), message names, workload inputs and, when it has an
// `explore:` section, its budgets. `dsim explore` and the replay of a
// `schedule:` by `dsim run` both build theirs here, so they agree.
std::shared_ptr<const WorldConfig> world_config(const scenario::Scenario& s, uint64_t seed, NodeFactory factory = {});

struct StepResult {
  enum class Kind { kOk, kNotEnabled, kNodeFailure };
  Kind kind = Kind::kOk;
  std::string text;  // why not enabled, or the node's failure reason
  NodeId node;       // kNodeFailure: who
  bool ok() const { return kind == Kind::kOk; }
};

class World final : public Host {
 public:
  explicit World(std::shared_ptr<const WorldConfig> cfg);
  // A deep copy: nodes through Node::clone (REQUIRES: explorable()).
  World(const World& other);
  World& operator=(const World&) = delete;
  ~World() override;

  // Whether every node can be copied (Node::clone gives non-null).
  bool explorable() const;

  // Where events go (a trace, checkers); nullptr: nowhere. Not copied.
  void set_sink(EventSink* sink) { sink_ = sink; }
  // The trace time of the events that follow.
  void set_time(Time t) { now_ = t; }
  Time time() const { return now_; }

  // on_start on every node (each emits `start`). Once, before any step.
  StepResult start();
  // Every step that may come next, in a fixed order.
  void enabled(std::vector<ScheduleStep>* out) const;
  // Nothing can happen but faults: no delivery, timer or input is enabled
  // (a run that ends here is judged as if time went on and nothing came).
  bool quiescent() const;
  static bool quiescent(const std::vector<ScheduleStep>& enabled_steps);
  // Applies `step`; kNotEnabled (and no change) when it cannot happen now.
  StepResult apply(const ScheduleStep& step);

  // Nodes, network, timers, budgets: equal fingerprints, same futures.
  void fingerprint(Fingerprint& h) const;

  const SimCounters& counters() const { return counters_; }
  uint32_t node_count() const { return static_cast<uint32_t>(nodes_.size()); }
  bool is_up(NodeId n) const { return nodes_[n.value]->node != nullptr; }
  const Node* node(NodeId n) const { return nodes_[n.value]->node.get(); }
  size_t in_flight() const { return flight_.size(); }
  // A one-line description of a step for people ("deliver n1 -> n2 #3
  // (append_entries)").
  std::string describe(const ScheduleStep& step) const;

  // ---- Host
  uint32_t cluster_size() const override;
  std::string_view node_name(NodeId n) const override;
  Time local_time(NodeId self) const override;
  void send(NodeId from, NodeId to, const Message& m) override;
  TimerId set_timer(NodeId self, Duration after, uint64_t tag) override;
  bool cancel_timer(NodeId self, TimerId id) override;
  Rng& rng(NodeId self) override;
  Storage& storage(NodeId self) override;
  bool tracing() const override { return sink_ != nullptr; }
  void emit(NodeId self, std::string_view kind, std::span<const Field> fields) override;

 private:
  struct PendingTimer {
    uint64_t id;
    Time due;  // on the node's clock
    uint64_t tag;
  };
  // Shared between a world and its copies until one of them changes it
  // (copy on write): a step touches one node, so a copy costs one node's
  // clone, not the cluster's. Its fingerprint is kept until it changes.
  struct NodeState {
    std::unique_ptr<Node> node;  // null while down
    Storage storage;
    Rng rng;
    Time clock{0};
    std::vector<PendingTimer> timers;
    std::vector<uint32_t> sent_to;  // messages sent to each node so far (for nth)
    mutable uint64_t fp = 0;
    mutable bool fp_valid = false;

    NodeState() = default;
    NodeState(const NodeState& o);
    NodeState& operator=(const NodeState&) = delete;
    uint64_t fingerprint() const;
  };
  struct InFlight {
    NodeId from, to;
    uint32_t nth;
    uint64_t id;  // the trace's msg id
    Message msg;
    uint64_t hash = 0;  // message_hash, computed once
  };

  const NodeState& at(uint32_t i) const { return *nodes_[i]; }
  NodeState& mut(uint32_t i) {
    std::shared_ptr<NodeState>& p = nodes_[i];
    if (p.use_count() > 1) p = std::make_shared<NodeState>(*p);
    p->fp_valid = false;
    return *p;
  }
  static uint64_t message_hash(const InFlight& f);
  StepResult call(NodeId n, const std::function<void(Node&, Context&)>& f);
  void emit(NodeId n, std::string_view kind, std::initializer_list<Field> fields) {
    emit(n, kind, std::span<const Field>(fields.begin(), fields.size()));
  }
  int find_flight(const ScheduleStep& s) const;

  std::shared_ptr<const WorldConfig> cfg_;
  std::vector<std::shared_ptr<NodeState>> nodes_;
  std::vector<InFlight> flight_;  // in send order
  uint64_t flight_sum_ = 0;       // sum of message_hash over flight_: the network as a multiset
  uint64_t next_msg_id_ = 0;
  uint64_t next_timer_id_ = 0;
  uint32_t inputs_given_ = 0;
  Rng workload_rng_;
  uint32_t crashes_ = 0, restarts_ = 0, drops_ = 0, duplicates_ = 0;  // used
  SimCounters counters_;
  Time now_{0};
  EventSink* sink_ = nullptr;
};

}  // namespace dsim::explore
