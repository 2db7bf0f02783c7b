// Turns the kernel's borrowed events into trace::Event and hands each to a
// list of consumers (online checkers) and, optionally, to a writer.
//
// Each consumer gets only the kinds it declares (Consumer::kinds()), so an
// event no consumer reads (most sends, deliveries and timers) is never
// converted at all; one that takes views (Consumer::takes_views) reads the
// emitter's fields as they are, and an Event is built only when some
// consumer of the kind takes Events. The kind of an event is found by a small cache keyed by
// the address of the emitter's kind text (a string literal, as a rule),
// confirmed by comparing the text: one short comparison per event, not one
// per consumer and kind. One Event object is reused, strings assigned into
// its existing buffers (or left alone when they repeat), so the steady
// state does not allocate.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dsim/event_sink.h"
#include "dsim/trace_event.h"

namespace dsim::trace {

class Fanout final : public EventSink {
 public:
  explicit Fanout(std::vector<std::string> node_names) : names_(std::move(node_names)) {}
  // Consumers are called in the order they were added. Each is offered the
  // fan-out's SharedState (Consumer::share) when added; events are numbered
  // (Event::seq) from 1 in the order they are converted.
  void add(Consumer* c);
  void also_write_to(EventSink* w) { writer_ = w; }
  void event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) override;
  // A writer reads everything; else only the kinds some consumer reads.
  bool wants(std::string_view kind) override { return writer_ != nullptr || !route_of(kind).to.empty(); }

 private:
  struct Target {
    Consumer* c;
    bool view;  // takes views (Consumer::takes_views)
  };
  struct Route {
    std::string kind;
    std::vector<Target> to;  // in the order of add()
    bool events = false;     // some target takes Events: one is built
  };
  struct CacheEntry {
    const char* data = nullptr;
    size_t size = 0;
    uint32_t route = 0;
  };
  const Route& route_of(std::string_view kind);
  // route_of's body, inlined into event() (defined and used in fanout.cc only).
  inline const Route& cached_route(std::string_view kind);
  const Route& slow_route_of(std::string_view kind, CacheEntry& slot);
  void convert(Time t, NodeId node, const Route& route, std::span<const Field> fields);

  std::vector<std::string> names_;
  std::string_view name_of(NodeId node) const;
  // Each consumer with the kinds it reads (empty: all).
  std::vector<std::pair<Consumer*, std::vector<std::string>>> consumers_;
  std::vector<Route> routes_;
  std::map<std::string, uint32_t, std::less<>> route_index_;
  static constexpr int kCacheBits = 7;
  std::array<CacheEntry, size_t{1} << kCacheBits> cache_{};
  EventSink* writer_ = nullptr;
  SharedState shared_;
  Event scratch_;
  uint64_t seq_ = 0;  // the last event's number
  // What scratch_ holds now: its node (a NodeId value) and kind (the
  // route's), left as they are while they do not change.
  uint64_t last_node_ = UINT64_MAX;  // none yet (every NodeId value fits 32 bits)
  size_t last_route_ = SIZE_MAX;      // an index in routes_, which only grows until add()
};

}  // namespace dsim::trace
