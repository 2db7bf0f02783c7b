// Turns the kernel's borrowed events into trace::Event and hands each to a
// list of consumers (online checkers) and, optionally, to a writer. One
// Event object is reused, so the steady state allocates only when a string
// outgrows its capacity.
#pragma once
#include <string>
#include <vector>

#include "dsim/event_sink.h"
#include "dsim/trace_event.h"

namespace dsim::trace {

class Fanout final : public EventSink {
 public:
  explicit Fanout(std::vector<std::string> node_names) : names_(std::move(node_names)) {}
  void add(Consumer* c) { consumers_.push_back(c); }
  void also_write_to(EventSink* w) { writer_ = w; }
  void event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) override;

 private:
  std::vector<std::string> names_;
  std::vector<Consumer*> consumers_;
  EventSink* writer_ = nullptr;
  Event scratch_;
};

}  // namespace dsim::trace
