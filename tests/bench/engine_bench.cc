// Engine benchmarks (Google Benchmark; not part of the test run).
//
//   (a) timers scheduled and fired, with and without cancellation, for 2,
//       1,000 and 100,000 nodes;
//   (b) a message ring: N nodes each forwarding every message it receives to
//       the next node, over links of 1 ms + uniform 0-100 us jitter, with 1
//       and 16 messages in flight per node; and the same ring as a bare
//       hand-written heap loop, the yardstick the engine is measured against;
//   (c) memory: heap bytes per idle node (engine overhead, a node that holds
//       no state of its own) and per in-flight message, split into the
//       message's payload and the engine's share (empty body and a
//       100-byte one), read from the allocator (mallinfo2) around the set-up.
//
// Tracing is off (no sink), as in a sweep. Rates are per wall second on
// one core: items_per_second is delivered messages (ring) or fired timers.
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <memory>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/net/network.h"

using namespace dsim;

namespace {

net::LinkSpec ring_link() {
  net::LinkSpec s;
  s.latency = net::LatencyModel::uniform(milliseconds(1), milliseconds(1) + microseconds(100));
  return s;
}

class RingNode final : public Node {
 public:
  RingNode(uint32_t n, int in_flight, size_t body_bytes = 0) : n_(n), in_flight_(in_flight), body_bytes_(body_bytes) {}
  void on_start(Context& c) override {
    Message m;
    m.body.assign(body_bytes_, 'x');
    for (int i = 0; i < in_flight_; ++i) c.send(next(c), m);
  }
  void on_message(Context& c, NodeId, const Message& m) override { c.send(next(c), m); }
  void on_timer(Context&, TimerId, uint64_t) override {}

 private:
  NodeId next(const Context& c) const { return NodeId{(c.self().value + 1) % n_}; }
  uint32_t n_;
  int in_flight_;
  size_t body_bytes_;
};

void BM_Ring(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  const auto in_flight = static_cast<int>(state.range(1));
  Simulator sim(1);
  net::Network net(n, 1, ring_link());
  sim.set_network(&net);
  for (uint32_t i = 0; i < n; ++i) {
    sim.add_node(std::string("n").append(std::to_string(i)), [n, in_flight](NodeId) { return std::make_unique<RingNode>(n, in_flight); });
  }
  sim.run(Time{0} + milliseconds(20));  // warm up: pools and heaps at steady size
  const uint64_t before = sim.counters().delivered;
  for (auto _ : state) sim.run(sim.now() + milliseconds(5));
  state.SetItemsProcessed(static_cast<int64_t>(sim.counters().delivered - before));
  state.counters["pending"] = static_cast<double>(sim.pending_events());
}
BENCHMARK(BM_Ring)
    ->ArgsProduct({{2, 64, 1024, 10000}, {1, 16}})
    ->ArgNames({"nodes", "in_flight"})
    ->Unit(benchmark::kMillisecond);

// The yardstick: the same ring with no abstractions at all. A binary heap
// of (packed key, destination) and one PRNG.
void BM_BareRing(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  const auto in_flight = static_cast<int>(state.range(1));
  struct Ev {
    unsigned __int128 key;
    uint32_t to;
  };
  std::vector<Ev> heap;
  uint64_t seq = 0;
  Rng rng(1);
  auto push = [&](int64_t t, uint32_t to) {
    Ev e{(static_cast<unsigned __int128>(t) << 64) | seq++, to};
    size_t i = heap.size();
    heap.push_back(e);
    while (i > 0 && heap[(i - 1) / 2].key > e.key) {
      heap[i] = heap[(i - 1) / 2];
      i = (i - 1) / 2;
    }
    heap[i] = e;
  };
  auto pop = [&]() {
    const Ev top = heap.front();
    const Ev last = heap.back();
    heap.pop_back();
    size_t i = 0, len = heap.size();
    while (len > 0) {
      size_t c = 2 * i + 1;
      if (c >= len) break;
      if (c + 1 < len && heap[c + 1].key < heap[c].key) ++c;
      if (last.key <= heap[c].key) break;
      heap[i] = heap[c];
      i = c;
    }
    if (len > 0) heap[i] = last;
    return top;
  };
  const int64_t base = milliseconds(1).ns, jitter = microseconds(100).ns;
  for (uint32_t i = 0; i < n; ++i) {
    for (int k = 0; k < in_flight; ++k) push(base + rng.between(0, jitter), (i + 1) % n);
  }
  uint64_t delivered = 0;
  int64_t now = 0;
  for (auto _ : state) {
    const int64_t until = now + milliseconds(5).ns;
    while (static_cast<int64_t>(heap.front().key >> 64) <= until) {
      const Ev e = pop();
      now = static_cast<int64_t>(e.key >> 64);
      ++delivered;
      push(now + base + rng.between(0, jitter), (e.to + 1) % n);
    }
    now = until;
  }
  state.SetItemsProcessed(static_cast<int64_t>(delivered));
}
BENCHMARK(BM_BareRing)
    ->ArgsProduct({{2, 64, 1024, 10000}, {1, 16}})
    ->ArgNames({"nodes", "in_flight"})
    ->Unit(benchmark::kMillisecond);

// The same bare loop on the engine's own queue (EventHeap: a 4-ary heap of
// 16-byte nodes): BM_Ring against this isolates what the engine's layers
// (network model, slots, node dispatch) cost, with the data structure equal.
void BM_BareQuadRing(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  const auto in_flight = static_cast<int>(state.range(1));
  EventHeap heap;
  uint64_t seq = 0;
  Rng rng(1);
  auto push = [&](int64_t t, uint32_t to) { heap.push(Event{make_key(Time{t}, seq++), EventKind::kDeliver, to, 0}); };
  const int64_t base = milliseconds(1).ns, jitter = microseconds(100).ns;
  for (uint32_t i = 0; i < n; ++i) {
    for (int k = 0; k < in_flight; ++k) push(base + rng.between(0, jitter), (i + 1) % n);
  }
  uint64_t delivered = 0;
  int64_t now = 0;
  for (auto _ : state) {
    const int64_t until = now + milliseconds(5).ns;
    while (key_time(heap.top().key).ns <= until) {
      const Event e = heap.pop();
      now = key_time(e.key).ns;
      ++delivered;
      push(now + base + rng.between(0, jitter), (e.a + 1) % n);
    }
    now = until;
  }
  state.SetItemsProcessed(static_cast<int64_t>(delivered));
}
BENCHMARK(BM_BareQuadRing)
    ->ArgsProduct({{2, 64, 1024, 10000}, {1, 16}})
    ->ArgNames({"nodes", "in_flight"})
    ->Unit(benchmark::kMillisecond);

// Timers: each node re-arms a 1-10 ms timer when it fires. With
// cancellation, every fire also arms a long "election timeout" and cancels
// the previous one, as a Raft follower does on each heartbeat.
class TimerNode final : public Node {
 public:
  explicit TimerNode(bool cancel) : cancel_(cancel) {}
  void on_start(Context& c) override { arm(c); }
  void on_message(Context&, NodeId, const Message&) override {}
  void on_timer(Context& c, TimerId, uint64_t tag) override {
    if (tag == 1) arm(c);
  }

 private:
  void arm(Context& c) {
    c.set_timer(Duration{c.rng().between(milliseconds(1).ns, milliseconds(10).ns)}, 1);
    if (cancel_) {
      c.cancel_timer(election_);
      election_ = c.set_timer(seconds(1), 2);
    }
  }
  bool cancel_;
  TimerId election_;
};

void BM_Timers(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  const bool cancel = state.range(1) != 0;
  Simulator sim(1);
  net::Network net(n, 1, net::LinkSpec{});
  sim.set_network(&net);
  for (uint32_t i = 0; i < n; ++i) {
    sim.add_node(std::string("n").append(std::to_string(i)), [cancel](NodeId) { return std::make_unique<TimerNode>(cancel); });
  }
  sim.run(Time{0} + milliseconds(20));
  const uint64_t before = sim.counters().timers_fired;
  const Duration slice = n >= 100000 ? milliseconds(5) : n >= 1000 ? milliseconds(50) : seconds(5);
  for (auto _ : state) sim.run(sim.now() + slice);
  state.SetItemsProcessed(static_cast<int64_t>(sim.counters().timers_fired - before));
}
BENCHMARK(BM_Timers)
    ->ArgsProduct({{2, 1000, 100000}, {0, 1}})
    ->ArgNames({"nodes", "cancel"})
    ->Unit(benchmark::kMillisecond);

// Heap bytes in use, from glibc's allocator statistics: chunks in the heap
// plus mmapped ones (large allocations; glibc moves its threshold between
// the two as a process runs, so either alone depends on what ran before).
int64_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return static_cast<int64_t>(m.uordblks + m.hblkhd);
}

class IdleNode final : public Node {
 public:
  void on_start(Context&) override {}
  void on_message(Context&, NodeId, const Message&) override {}
  void on_timer(Context&, TimerId, uint64_t) override {}
};

// Bytes per node and per in-flight message, as counters: the set-up is
// measured once per iteration (N = 10,000 nodes; 1 and 16 messages in
// flight per node on the ring, the difference divided by 15 N messages).
//
// A message's payload is what its sender put in it: the type and the six
// integer fields (52 bytes, stored whatever their values) and the body's
// bytes. Everything else per message is the engine's: its slot header
// (sequence, id, sender, destination, body reference), its event-queue
// node, the queues' spare capacity, and for a non-empty body its block's
// length word and rounding in the body arena. Measured for an empty body
// and a 100-byte one.
int64_t ring_bytes(uint32_t n, int in_flight, size_t body_bytes) {
  const int64_t before = heap_in_use();
  Simulator sim(1);
  net::Network net(n, 1, ring_link());
  sim.set_network(&net);
  for (uint32_t i = 0; i < n; ++i) {
    sim.add_node(std::string("n").append(std::to_string(i)),
                 [n, in_flight, body_bytes](NodeId) { return std::make_unique<RingNode>(n, in_flight, body_bytes); });
  }
  sim.run(Time{0} + milliseconds(20));
  return heap_in_use() - before;
}

void BM_Memory(benchmark::State& state) {
  const uint32_t n = 10000;
  constexpr double kPayload = sizeof(Message::type) + sizeof(Message::f);
  constexpr size_t kBody = 100;
  double per_node = 0, per_message = 0, per_message_body = 0;
  for (auto _ : state) {
    const int64_t base = heap_in_use();
    {
      Simulator sim(1);
      net::Network net(n, 1, ring_link());
      sim.set_network(&net);
      for (uint32_t i = 0; i < n; ++i) sim.add_node(std::string("n").append(std::to_string(i)), [](NodeId) { return std::make_unique<IdleNode>(); });
      sim.run(Time{0} + milliseconds(20));
      per_node = static_cast<double>(heap_in_use() - base - static_cast<int64_t>(n * sizeof(IdleNode))) / n;
    }
    per_message = static_cast<double>(ring_bytes(n, 16, 0) - ring_bytes(n, 1, 0)) / (15.0 * n);
    per_message_body = static_cast<double>(ring_bytes(n, 16, kBody) - ring_bytes(n, 1, kBody)) / (15.0 * n);
  }
  state.counters["bytes_per_idle_node"] = per_node;
  state.counters["bytes_per_in_flight_message"] = per_message;
  state.counters["payload_bytes"] = kPayload;
  state.counters["engine_bytes_per_message"] = per_message - kPayload;
  state.counters["engine_bytes_per_message_100B_body"] = per_message_body - kPayload - kBody;
}
BENCHMARK(BM_Memory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();  // one main for engine_bench.cc, raft_bench.cc and lb_bench.cc
