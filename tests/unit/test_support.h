// Helpers shared by the unit tests: a scriptable node and an event sink
// that records what the simulator reports.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/simulator.h"

namespace dsim::testing {

// A node whose callbacks are lambdas, so a test states the behaviour it
// needs inline.
struct ScriptNode : Node {
  std::function<void(Context&)> start = [](Context&) {};
  std::function<void(Context&)> recover = [](Context&) {};
  std::function<void(Context&, NodeId, const Message&)> message = [](Context&, NodeId, const Message&) {};
  std::function<void(Context&, TimerId, uint64_t)> timer = [](Context&, TimerId, uint64_t) {};
  void on_start(Context& c) override { start(c); }
  void on_recover(Context& c) override { recover(c); }
  void on_message(Context& c, NodeId f, const Message& m) override { message(c, f, m); }
  void on_timer(Context& c, TimerId id, uint64_t tag) override { timer(c, id, tag); }
};

struct Recorded {
  int64_t t;
  uint32_t node;
  std::string kind;
};

struct RecordingSink : EventSink {
  std::vector<Recorded> events;
  void event(Time t, NodeId node, std::string_view kind, std::span<const Field>) override {
    events.push_back({t.ns, node.value, std::string(kind)});
  }
  size_t count(std::string_view kind) const {
    size_t n = 0;
    for (const auto& e : events) n += e.kind == kind ? 1 : 0;
    return n;
  }
};

}  // namespace dsim::testing
