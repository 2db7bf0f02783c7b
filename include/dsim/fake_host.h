// A Host for unit tests: drive one node callback by callback, with no
// simulator, and see exactly what it sent, which timers it set or
// cancelled, and what it traced. Time moves only when the test says so.
//
//   dsim::FakeHost host(3);                 // a cluster of 3, this node is n1
//   auto node = my::make_node(cfg);
//   node->on_start(host.context());
//   const auto* t = host.pending(kElectionTag);  // the election timer
//   host.advance(t->after);
//   node->on_timer(host.context(), t->id, t->tag);
//   CHECK(host.sent.size() == 2);           // vote requests to n2 and n3
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "dsim/node.h"
#include "dsim/storage.h"

namespace dsim {

class FakeHost final : public Host {
 public:
  struct Sent {
    NodeId to;
    Message message;
  };
  struct Timer {
    TimerId id;
    Duration after;
    uint64_t tag;
    bool cancelled = false;
  };
  struct Emitted {
    std::string kind;
    std::vector<std::pair<std::string, FieldValue>> fields;  // string values point into `strings`
  };

  // A cluster of `nodes` named n1..nN; the node under test is `self`.
  explicit FakeHost(uint32_t nodes, NodeId self = NodeId{0}, uint64_t seed = 1)
      : self_(self), rng_(Rng::derive(seed, "fake-host")), ctx_(this, self) {
    for (uint32_t i = 1; i <= nodes; ++i) names_.push_back("n" + std::to_string(i));
  }

  Context& context() { return ctx_; }
  void advance(Duration d) { now_ = now_ + d; }
  void set_time(Time t) { now_ = t; }
  // Forget what was sent and traced, so the next step starts clean. Timers
  // are state, not events: they stay (cancelled ones marked).
  void clear() {
    sent.clear();
    emitted.clear();
  }
  // The newest timer with `tag` that is still pending, or nullptr.
  const struct Timer* pending(uint64_t tag) const {
    for (auto it = timers.rbegin(); it != timers.rend(); ++it) {
      if (it->tag == tag && !it->cancelled) return &*it;
    }
    return nullptr;
  }

  std::vector<Sent> sent;
  std::vector<Timer> timers;
  std::vector<Emitted> emitted;

  // Host
  uint32_t cluster_size() const override { return static_cast<uint32_t>(names_.size()); }
  std::string_view node_name(NodeId n) const override { return names_.at(n.value); }
  Time local_time(NodeId) const override { return now_; }
  void send(NodeId, NodeId to, const Message& m) override { sent.push_back({to, m}); }
  TimerId set_timer(NodeId, Duration after, uint64_t tag) override {
    const TimerId id{++next_timer_};
    timers.push_back({id, after, tag});
    return id;
  }
  bool cancel_timer(NodeId, TimerId id) override {
    for (auto& t : timers) {
      if (t.id == id && !t.cancelled) {
        t.cancelled = true;
        return true;
      }
    }
    return false;
  }
  Rng& rng(NodeId) override { return rng_; }
  Storage& storage(NodeId) override { return storage_; }
  bool tracing() const override { return true; }
  void emit(NodeId, std::string_view kind, std::span<const Field> fields) override {
    Emitted e{std::string(kind), {}};
    for (const Field& f : fields) {
      if (const auto* s = std::get_if<std::string_view>(&f.value)) {
        strings_.emplace_back(*s);
        e.fields.emplace_back(std::string(f.key), std::string_view(strings_.back()));
      } else {
        e.fields.emplace_back(std::string(f.key), f.value);
      }
    }
    emitted.push_back(std::move(e));
  }

 private:
  NodeId self_;
  std::vector<std::string> names_;
  Time now_{0};
  uint64_t next_timer_ = 0;
  Rng rng_;
  Storage storage_;
  std::deque<std::string> strings_;  // traced strings; a deque never moves its elements
  Context ctx_;
};

}  // namespace dsim
