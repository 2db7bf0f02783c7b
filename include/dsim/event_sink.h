// Where the simulator reports what happened. The trace writer and the online
// checkers implement this (sim/trace); sim/core knows only the interface.
//
// Fields are borrowed views valid for the duration of the call; a sink that
// keeps them must copy. Field order is the order the emitter gave, and it is
// what the trace writes: no map, no hash order.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

#include "dsim/ids.h"
#include "dsim/time.h"

namespace dsim {

// Events that belong to no node (faults, the run's end) carry this id.
inline constexpr NodeId kGlobal{0xFFFF'FFFEu};

using FieldValue = std::variant<int64_t, std::string_view, bool>;

struct Field {
  std::string_view key;
  FieldValue value;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) = 0;
  // Whether event() does anything with events of `kind`. The simulator asks
  // for its busiest kinds (send, deliver, input, timer) when the sink is set
  // and when a run starts, and does not even build the events nobody reads;
  // the answer must not change while a run goes on. Default: yes.
  virtual bool wants(std::string_view /*kind*/) { return true; }
};

}  // namespace dsim
