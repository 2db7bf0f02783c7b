// The sans-IO node API.
//
// A protocol node is a state machine driven by four callbacks. It reaches the
// world only through Context: its own clock, send, timers, its random
// stream, durable storage and trace events. It never sees the scheduler, the
// network or YAML, so the same node runs under random simulation, scripted
// schedules or a unit test that calls the callbacks by hand.
//
// Lifecycle: on_start at time 0. A crash destroys the object (volatile state
// is gone); a restart builds a fresh one with the factory and calls
// on_recover, which rebuilds state from storage().
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "dsim/event_sink.h"
#include "dsim/fingerprint.h"
#include "dsim/message_fields.h"
#include "dsim/ids.h"
#include "dsim/message.h"
#include "dsim/prng.h"
#include "dsim/storage.h"
#include "dsim/time.h"

namespace dsim {

// What a node's context reaches: the simulator in a run, or a test's fake
// host (dsim/fake_host.h) that records what the node sent and which timers
// it set, so a node can be driven one callback at a time with no simulator.
class Host {
 public:
  virtual ~Host() = default;
  virtual uint32_t cluster_size() const = 0;
  virtual std::string_view node_name(NodeId n) const = 0;
  virtual Time local_time(NodeId self) const = 0;
  virtual void send(NodeId from, NodeId to, const Message& m) = 0;
  virtual TimerId set_timer(NodeId self, Duration after, uint64_t tag) = 0;
  virtual bool cancel_timer(NodeId self, TimerId id) = 0;
  virtual Rng& rng(NodeId self) = 0;
  virtual Storage& storage(NodeId self) = 0;
  virtual bool tracing() const = 0;
  virtual void emit(NodeId self, std::string_view kind, std::span<const Field> fields) = 0;
};

// Thrown by Context::fail: the node's own code found that it broke a rule
// (a lab's helper caught a double vote, an invariant of the protocol does
// not hold). The simulator stops the run there and reports it as a failure
// of that node, with its name, time and reason: a verdict on the code under
// test, not an error in dsim.
class NodeFailure : public std::runtime_error {
 public:
  NodeFailure(NodeId node, std::string reason) : std::runtime_error(reason), node_(node) {}
  NodeId node() const { return node_; }

 private:
  NodeId node_;
};

class Context {
 public:
  Context(Host* host, NodeId self) : host_(host), self_(self) {}

  NodeId self() const { return self_; }
  // The servers (node ids 0..cluster_size()-1); clients come after them.
  uint32_t cluster_size() const { return host_->cluster_size(); }
  // The configured name of a node (for trace events; protocols address
  // nodes by NodeId).
  std::string_view node_name(NodeId n) const { return host_->node_name(n); }
  // This node's clock: offset, drift and jumps applied.
  Time now() const { return host_->local_time(self_); }
  void send(NodeId to, const Message& m) { host_->send(self_, to, m); }
  // Fires after `after` has elapsed on this node's clock. `tag` comes back in
  // on_timer, so a node tells its timers apart without a lookup.
  TimerId set_timer(Duration after, uint64_t tag) { return host_->set_timer(self_, after, tag); }
  // False when the timer already fired or was cancelled: never an error.
  bool cancel_timer(TimerId id) { return host_->cancel_timer(self_, id); }
  Rng& rng() { return host_->rng(self_); }
  Storage& storage() { return host_->storage(self_); }
  // A protocol trace event; `kind` should be a stable snake_case name.
  void emit(std::string_view kind, std::initializer_list<Field> fields) {
    host_->emit(self_, kind, std::span<const Field>(fields.begin(), fields.size()));
  }
  void emit_span(std::string_view kind, std::span<const Field> fields) { host_->emit(self_, kind, fields); }
  bool tracing() const { return host_->tracing(); }
  // Stops the run: this node broke a rule its code checks (see NodeFailure).
  // `dsim run` reports the node, the time and `reason`, and exits 1.
  [[noreturn]] void fail(std::string reason) const { throw NodeFailure(self_, std::move(reason)); }

 private:
  Host* host_;
  NodeId self_;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual void on_start(Context& ctx) = 0;
  virtual void on_message(Context& ctx, NodeId from, const Message& m) = 0;
  virtual void on_timer(Context& ctx, TimerId id, uint64_t tag) = 0;
  // After a restart: volatile state is fresh, storage() holds what survived.
  virtual void on_recover(Context& ctx) { on_start(ctx); }
  // The role a protocol exposes to fault targeting (`crash: leader`), or "".
  virtual std::string_view role() const { return {}; }
  // A stable name for a message type, used in traces.
  virtual std::string_view message_name(uint32_t type) const;

  // ---- Exploration (`dsim explore`, docs/explore.md). A node that can be
  // explored copies itself, volatile state and timer handles included (the
  // copy continues exactly where the original is), and feeds its
  // fingerprint every member that decides what it does next: not
  // statistics, not TimerId values (hash whether a timer is armed). The
  // defaults say "not explorable": explore refuses such a protocol.
  virtual std::unique_ptr<Node> clone() const { return nullptr; }
  virtual void fingerprint(Fingerprint& /*h*/) const {}
};

// Node::clone for a node class that is copyable: `class MyNode : public
// Cloneable<MyNode>`, and a fingerprint() of its own.
template <class Derived, class Base = Node>
class Cloneable : public Base {
 public:
  using Base::Base;
  std::unique_ptr<Node> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

// Builds the node with a given id (called at start and at every restart).
using NodeFactory = std::function<std::unique_ptr<Node>(NodeId)>;

// Names message types in traces: a protocol's one table, so a message is
// named the same whichever node sends it.
class MessageNames {
 public:
  virtual ~MessageNames() = default;
  // "" when the type is not the table's (the sending node is asked then).
  virtual std::string_view message_name(uint32_t type) const = 0;
  // What the type's fields f[0..5] mean, traced on `send`; nullptr (the
  // default) traces the type's name only.
  virtual const MessageLayout* message_layout(uint32_t /*type*/) const { return nullptr; }
};

}  // namespace dsim
