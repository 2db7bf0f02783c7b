// The engine promises no allocation per event in steady state. This binary
// replaces the global operator new with a counting one (kept out of the main
// unit-test binary so ASan's own new/delete checks stay on there), warms a
// simulation up, then requires that running it further allocates nothing.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "sim/core/simulator.h"
#include "sim/net/network.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace dsim;

namespace {

// Forwards every message around a ring and keeps a heartbeat timer that it
// cancels and re-arms, the two hot paths of every protocol.
class Busy final : public Node {
 public:
  explicit Busy(uint32_t n, bool bodies = false) : n_(n), bodies_(bodies) {}
  void on_start(Context& c) override {
    for (uint32_t i = 0; i < 4; ++i) {
      Message m;
      // Bodies of a few sizes, small and large (BodyArena::kMaxSmall is
      // 2044), each message keeping its own as it goes round.
      static constexpr size_t kSizes[] = {0, 1, 17, 100, 700, 2044, 3000};
      if (bodies_) m.body.assign(kSizes[(c.self().value * 4 + i) % std::size(kSizes)], 'b');
      c.send(next(c), m);
    }
    arm(c);
  }
  void on_message(Context& c, NodeId, const Message& m) override {
    c.send(next(c), m);
    c.cancel_timer(timeout_);
    timeout_ = c.set_timer(milliseconds(50), 2);
  }
  void on_timer(Context& c, TimerId, uint64_t tag) override {
    if (tag == 1) arm(c);
  }

 private:
  void arm(Context& c) { c.set_timer(Duration{c.rng().between(milliseconds(1).ns, milliseconds(3).ns)}, 1); }
  NodeId next(const Context& c) const { return NodeId{(c.self().value + 1) % n_}; }
  uint32_t n_;
  bool bodies_;
  TimerId timeout_;
};

}  // namespace

TEST_CASE("engine: steady state allocates nothing per event (messages and timers)") {
  for (const bool bodies : {false, true}) {
    CAPTURE(bodies);
    static constexpr uint32_t kNodes = 64;
    Simulator sim(3);
    net::LinkSpec link;
    link.latency = net::LatencyModel::uniform(milliseconds(1), milliseconds(2));
    // Loss and duplication move the number of messages in flight, so the
    // bodies' pools would meet new peaks; with bodies, every message lives on.
    if (!bodies) {
      link.drop = Ratio{1, 100};
      link.duplicate = Ratio{1, 100};
    }
    net::Network net(kNodes, 3, link);
    sim.set_network(&net);
    for (uint32_t i = 0; i < kNodes; ++i) {
      sim.add_node(std::string("n").append(std::to_string(i)), [bodies](NodeId) { return std::make_unique<Busy>(kNodes, bodies); });
    }
    sim.run(Time{0} + seconds(1));  // warm-up: pools and heaps reach their working size
    const uint64_t events_before = sim.counters().events;
    const uint64_t allocs_before = g_allocations.load();
    sim.run(Time{0} + seconds(3));
    const uint64_t events = sim.counters().events - events_before;
    const uint64_t allocs = g_allocations.load() - allocs_before;
    CHECK(events > 100'000);
    CHECK(allocs == 0);
  }
}
