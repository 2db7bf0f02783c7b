// The discrete-event kernel: virtual time, the event queues, the node
// runtime and the fault primitives (crash, restart, pause, clocks).
//
// Determinism contract: given the same seed, nodes, network model, actions
// and inputs, run() produces the same sequence of callbacks and sink events.
// Single-threaded; no wall clock; the only randomness is Rng streams derived
// from the seed. Parallelism belongs above this class (one Simulator per
// thread or process).
//
// Hot path (deliver, timer): no allocation in steady state, one virtual call
// into the network and one into the node.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/body_arena.h"
#include "sim/core/clock.h"
#include "sim/core/event_queue.h"
#include "dsim/event_sink.h"
#include "sim/core/network_model.h"
#include "dsim/node.h"
#include "sim/core/slot_pool.h"

namespace dsim {


// Scenario-level actions (faults, workload steps) scheduled by id. The
// kernel does not know what they mean.
class ActionHandler {
 public:
  virtual ~ActionHandler() = default;
  virtual void on_action(uint64_t id) = 0;
};

struct SimCounters {
  uint64_t events = 0;
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t dropped = 0;
  uint64_t duplicated = 0;
  uint64_t timers_fired = 0;
};

struct RunResult {
  Time end;
  bool budget_exhausted = false;  // stopped by max_events, not by time
  bool stopped = false;           // stopped by stop()
  // A node's code called Context::fail: the run stopped there (a
  // `node_failure` event says so in the trace).
  std::optional<NodeId> failed_node;
  std::string failure;
};

// The simulator is the Host every node's Context reaches (final, so its own
// calls to these stay direct).
class Simulator final : public Host {
 public:
  explicit Simulator(uint64_t seed);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Set-up, before run().
  NodeId add_node(std::string name, NodeFactory factory, NodeClock clock = {});
  void set_network(NetworkModel* net) { net_ = net; }
  void set_sink(EventSink* sink) {
    sink_ = sink;
    ask_sink();
  }
  // The protocol's message-type names for traces; without them (or for a
  // type they do not name) the sending node names its messages.
  void set_message_names(const MessageNames* names) { names_ = names; }
  void set_action_handler(ActionHandler* h) { actions_ = h; }
  // What a durable write costs node `n`: each sync() that writes something
  // keeps the node busy this long (its messages and timers wait, as in a
  // pause), and a message it sends after the sync in the same callback
  // leaves only when the write is done. 0 (the default) costs nothing.
  void set_write_latency(NodeId n, Duration d) {
    DSIM_ASSERT(d.ns >= 0);
    rec(n).write_latency = d;
  }

  // Runs until virtual time `until` (inclusive) or `max_events` events.
  // Calls on_start on every node first if the run has not started yet.
  RunResult run(Time until, uint64_t max_events = UINT64_MAX);
  // Ends run() after the event being handled (from a sink or a callback):
  // how online checkers stop at the first violation and experiments stop
  // at the moment they measure. run() may be called again to go on.
  void stop() { stop_requested_ = true; }

  void schedule_action(Time at, uint64_t id);
  // An input from outside the cluster (a client request, a workload step),
  // delivered to on_message with from == kExternal at `at`, bypassing the
  // network.
  void inject(Time at, NodeId to, const Message& m);
  // The same two, for long schedules known up front in time order (a
  // workload's requests): appended to an ordered stream that the run loop
  // merges with the queues by (time, sequence), so 60,000 pending requests
  // are an array read front to back, not a heap eight levels deep that
  // every delivery and timer must sift through. The sequence is taken now,
  // as by schedule_action/inject, so the order of events is the same bit
  // for bit; a time earlier than the stream's last goes to the heap.
  void schedule_action_in_order(Time at, uint64_t id);
  void inject_in_order(Time at, NodeId to, const Message& m);

  // Fault primitives. Each emits a trace event.
  void crash(NodeId n, bool lose_unsynced);
  void restart(NodeId n);
  void pause(NodeId n, Duration d);
  void clock_jump(NodeId n, Duration by);
  void clock_drift(NodeId n, int64_t ppm);
  // A global trace event (faults applied by the scenario layer, notes).
  void emit_global(std::string_view kind, std::initializer_list<Field> fields);

  Time now() const { return now_; }
  uint64_t seed() const { return seed_; }
  uint32_t node_count() const { return static_cast<uint32_t>(nodes_.size()); }
  // The protocol's group: the first `n` nodes (servers); nodes added after
  // them (clients) are outside it. Default: every node.
  void set_cluster_size(uint32_t n) { cluster_size_ = n; }
  uint32_t cluster_size() const override { return cluster_size_ ? cluster_size_ : node_count(); }
  const std::string& name(NodeId n) const;
  bool is_up(NodeId n) const { return rec(n).up; }
  bool is_paused(NodeId n) const { return rec(n).paused && !rec(n).busy; }
  std::string_view role(NodeId n) const;
  const Node* node(NodeId n) const { return rec(n).node.get(); }
  const Storage& storage(NodeId n) const { return cold(n).storage; }
  Time local_time(NodeId n) const override { return rec(n).clock.local(now_); }
  const SimCounters& counters() const { return counters_; }
  size_t pending_events() const { return events_.size() + timers_.size() + (ordered_.size() - ordered_head_); }
  bool tracing() const override { return sink_ != nullptr; }
  std::string_view node_name(NodeId n) const override { return name(n); }
  Rng& rng(NodeId n) override { return rec(n).rng; }
  Storage& storage(NodeId n) override { return cold(n).storage; }

 private:
  // A node's state is split by how often it is read. NodeRec holds what
  // every callback touches (the object, its context, up/paused, its clock
  // and random stream) in two 64-byte lines of their own, so a run of
  // 100,000 nodes misses on one record, not on one spread over five lines
  // beside the name, the factory and the storage (NodeCold).
  struct alignas(64) NodeRec {
    std::unique_ptr<Node> node;
    Context ctx;
    bool up = true;
    bool paused = false;
    bool busy = false;  // paused by its own storage writes, not by a fault
    Duration write_latency{0};
    NodeClock clock;
    Rng rng;
  };
  static_assert(sizeof(NodeRec) <= 128, "a node's hot record fits two cache lines");
  struct NodeCold {
    uint64_t syncs_at_start = 0;  // storage.writing_syncs() when the callback began
    uint64_t pause_epoch = 0;
    std::vector<Event> deferred;  // arrivals and timers held while paused
    std::string name;
    NodeFactory factory;
    Storage storage;
  };

  // A message in flight, and its delivery event: the event queue holds a
  // 16-byte heap node naming this slot (EventHeap::push_ref), nothing more.
  // The message is kept as its fields, with the body out of line in
  // bodies_ only when it has one: an empty body costs 4 bytes here, not a
  // 32-byte std::string, and a body costs its bytes plus a 4-byte length
  // and rounding (BodyArena). 80 bytes; the message's own part (type and
  // six fields) is 52 of them.
  struct InFlight {
    uint64_t seq_arrived;  // the delivery's sequence << 1 | arrived (held by a pause, past the network)
    uint64_t id;
    NodeId from;
    NodeId to;
    uint32_t type;
    uint32_t body;  // 0: empty, else its handle in bodies_
    std::array<int64_t, 6> f;
  };
  static_assert(sizeof(InFlight) == 80);

  std::string_view message_name(const NodeRec& r, uint32_t type) const;
  NodeRec& rec(NodeId n) {
    DSIM_ASSERT(n.value < nodes_.size());
    return nodes_[n.value];
  }
  const NodeRec& rec(NodeId n) const {
    DSIM_ASSERT(n.value < nodes_.size());
    return nodes_[n.value];
  }
  NodeCold& cold(NodeId n) {
    DSIM_ASSERT(n.value < cold_.size());
    return cold_[n.value];
  }
  const NodeCold& cold(NodeId n) const {
    DSIM_ASSERT(n.value < cold_.size());
    return cold_[n.value];
  }

  void prefetch_node(NodeId n) const {
    const NodeRec& r = nodes_[n.value];
    __builtin_prefetch(&r);
    __builtin_prefetch(reinterpret_cast<const char*>(&r) + 64);
  }
  void prefetch_object(NodeId n) const {
    if (const Node* node = nodes_[n.value].node.get()) __builtin_prefetch(node);
  }
  void start_all();
  void run_loop(Time until, uint64_t max_events, RunResult& result);
  void dispatch(const Event& e);
  void deliver(const Event& e);
  void fire_timer(uint32_t slot);
  void resume(NodeId n, uint64_t epoch);
  void send(NodeId from, NodeId to, const Message& m) override;
  TimerId set_timer(NodeId n, Duration after, uint64_t tag) override;
  bool cancel_timer(NodeId n, TimerId id) override;
  // A slot holding a copy of `m` (its body, if any, in a body slot).
  uint32_t store_message(NodeId from, NodeId to, uint64_t id, const Message& m);
  // Frees a message's slot and its body slot.
  void free_message(uint32_t s);
  // Queues slot s's delivery at `at` (a new sequence, as every push).
  void push_delivery(Time at, uint32_t s) {
    const uint64_t seq = next_seq_++;
    pool_[s].seq_arrived = (seq << 1) | (pool_[s].seq_arrived & 1);
    events_.push_ref(at, seq, s);
  }
  void push(Time at, EventKind kind, uint32_t a, uint64_t b) {
    events_.push(Event{make_key(at, next_seq_++), kind, a, b});
  }
  void emit(NodeId n, std::string_view kind, std::span<const Field> fields) override {
    if (sink_) sink_->event(now_, n, kind, fields);
  }
  void emit(NodeId n, std::string_view kind, std::initializer_list<Field> fields) {
    if (sink_) sink_->event(now_, n, kind, std::span<const Field>(fields.begin(), fields.size()));
  }
  void drop(NodeId n, uint64_t msg_id, std::string_view reason);
  // Around every node callback: the storage-write cost (set_write_latency).
  void begin_callback(NodeId n, const NodeRec& r) {
    if (r.write_latency.ns != 0) cold(n).syncs_at_start = cold(n).storage.writing_syncs();
  }
  void end_callback(NodeId n, NodeRec& r) {
    if (r.write_latency.ns != 0) charge_writes(n, r);
  }
  void charge_writes(NodeId n, NodeRec& r);

  uint64_t seed_;
  Time now_{0};
  uint64_t next_seq_ = 0;
  uint64_t next_msg_id_ = 0;
  bool started_ = false;
  bool stop_requested_ = false;
  std::vector<NodeRec> nodes_;
  std::vector<NodeCold> cold_;  // by node id, as nodes_
  uint32_t cluster_size_ = 0;  // 0: every node
  EventHeap events_;
  TimerHeap timers_;
  // The ordered stream (schedule_action_in_order): events sorted by key,
  // consumed from ordered_head_; emptied when drained, compacted when the
  // consumed prefix is most of it.
  std::vector<Event> ordered_;
  size_t ordered_head_ = 0;
  bool ordered_accepts(Time at);
  SlotPool<InFlight> pool_;  // messages in flight; stable addresses
  BodyArena bodies_;        // their non-empty bodies
  Message delivering_;  // the message being delivered, rebuilt from its slot
  NetworkModel* net_ = nullptr;
  EventSink* sink_ = nullptr;
  // What the sink reads of the busiest kinds (EventSink::wants), asked by
  // ask_sink() when it is set and when a run starts.
  void ask_sink();
  bool emit_send_ = false;
  bool emit_deliver_ = false;
  bool emit_input_ = false;
  bool emit_timer_ = false;
  const MessageNames* names_ = nullptr;
  ActionHandler* actions_ = nullptr;
  SimCounters counters_;
};

}  // namespace dsim
