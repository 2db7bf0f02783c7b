// The node runtime: timers, crashes, restarts, pauses and clocks behave as
// the node API promises (dsim/node.h, sim/core/simulator.h).
#include <doctest/doctest.h>

#include "sim/core/simulator.h"
#include "sim/net/network.h"
#include "test_support.h"

using namespace dsim;
using dsim::testing::RecordingSink;
using dsim::testing::ScriptNode;

namespace {
net::LinkSpec constant_link(Duration d) {
  net::LinkSpec s;
  s.latency = net::LatencyModel::constant(d);
  return s;
}
}  // namespace

TEST_CASE("simulator: a cancelled timer never fires - the other does on time") {
  Simulator sim(1);
  net::Network net(1, 1, constant_link(milliseconds(1)));
  sim.set_network(&net);
  std::vector<std::pair<uint64_t, int64_t>> fired;
  sim.add_node("a", [&](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->start = [](Context& c) {
      c.set_timer(milliseconds(10), 1);
      const TimerId doomed = c.set_timer(milliseconds(5), 2);
      CHECK(c.cancel_timer(doomed));
      CHECK_FALSE(c.cancel_timer(doomed));  // second cancel: already gone
    };
    n->timer = [&](Context& c, TimerId, uint64_t tag) { fired.push_back({tag, c.now().ns}); };
    return n;
  });
  sim.run(Time{0} + seconds(1));
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].first == 1);
  CHECK(fired[0].second == milliseconds(10).ns);
}

TEST_CASE("simulator: messages arriving at the same instant are delivered in send order") {
  Simulator sim(1);
  net::Network net(2, 1, constant_link(milliseconds(1)));
  sim.set_network(&net);
  std::vector<int64_t> got;
  sim.add_node("a", [](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->start = [](Context& c) {
      for (int i = 0; i < 50; ++i) {
        Message m;
        m.f[0] = i;
        c.send(NodeId{1}, m);
      }
    };
    return n;
  });
  sim.add_node("b", [&](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->message = [&](Context&, NodeId, const Message& m) { got.push_back(m.f[0]); };
    return n;
  });
  sim.run(Time{0} + seconds(1));
  REQUIRE(got.size() == 50);
  for (int i = 0; i < 50; ++i) CHECK(got[i] == i);
}

TEST_CASE("simulator: a crash loses volatile state and keeps durable state") {
  for (const bool lose_unsynced : {false, true}) {
    CAPTURE(lose_unsynced);
    Simulator sim(1);
    net::Network net(1, 1, constant_link(milliseconds(1)));
    sim.set_network(&net);
    int objects_built = 0;
    std::optional<std::string> synced_after, unsynced_after;
    int volatile_after = -1;
    sim.add_node("a", [&](NodeId) {
      ++objects_built;
      auto n = std::make_unique<ScriptNode>();
      auto counter = std::make_shared<int>(0);
      n->start = [counter](Context& c) {
        *counter = 42;
        c.storage().put("synced", "yes");
        c.storage().sync();
        c.storage().put("unsynced", "maybe");
      };
      n->recover = [&, counter](Context& c) {
        volatile_after = *counter;
        synced_after = c.storage().get("synced");
        unsynced_after = c.storage().get("unsynced");
      };
      return n;
    });
    sim.run(Time{0} + milliseconds(1));
    sim.crash(NodeId{0}, lose_unsynced);
    CHECK_FALSE(sim.is_up(NodeId{0}));
    sim.restart(NodeId{0});
    CHECK(objects_built == 2);
    CHECK(volatile_after == 0);  // a fresh object: the 42 is gone
    CHECK(synced_after == std::optional<std::string>("yes"));
    if (lose_unsynced) {
      CHECK_FALSE(unsynced_after.has_value());
    } else {
      CHECK(unsynced_after == std::optional<std::string>("maybe"));
    }
  }
}

TEST_CASE("simulator: a crashed node's timers die with it and messages to it are dropped") {
  Simulator sim(1);
  net::Network net(2, 1, constant_link(milliseconds(1)));
  sim.set_network(&net);
  RecordingSink sink;
  sim.set_sink(&sink);
  int b_timers = 0, b_messages = 0;
  sim.add_node("a", [](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->start = [](Context& c) { c.set_timer(milliseconds(20), 1); };
    n->timer = [](Context& c, TimerId, uint64_t) { c.send(NodeId{1}, Message{}); };
    return n;
  });
  sim.add_node("b", [&](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->start = [](Context& c) { c.set_timer(milliseconds(30), 1); };
    n->timer = [&](Context&, TimerId, uint64_t) { ++b_timers; };
    n->message = [&](Context&, NodeId, const Message&) { ++b_messages; };
    return n;
  });
  sim.run(Time{0} + milliseconds(10));
  sim.crash(NodeId{1}, false);
  sim.run(Time{0} + seconds(1));
  CHECK(b_timers == 0);
  CHECK(b_messages == 0);
  CHECK(sim.counters().dropped == 1);
  CHECK(sink.count("drop") == 1);
}

TEST_CASE("simulator: a pause delays messages and timers but never drops them") {
  Simulator sim(1);
  net::Network net(2, 1, constant_link(milliseconds(1)));
  sim.set_network(&net);
  std::vector<int64_t> arrivals;
  int64_t timer_at = -1;
  sim.add_node("sender", [](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->start = [](Context& c) { c.set_timer(milliseconds(10), 1); };
    n->timer = [](Context& c, TimerId, uint64_t) {
      c.send(NodeId{1}, Message{});
      if (c.now() < Time{0} + milliseconds(200)) c.set_timer(milliseconds(10), 1);
    };
    return n;
  });
  sim.add_node("paused", [&](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->start = [](Context& c) { c.set_timer(milliseconds(60), 9); };
    n->message = [&](Context& c, NodeId, const Message&) { arrivals.push_back(c.now().ns); };
    n->timer = [&](Context& c, TimerId, uint64_t) { timer_at = c.now().ns; };
    return n;
  });
  sim.run(Time{0} + milliseconds(50));
  sim.pause(NodeId{1}, milliseconds(100));  // paused over [50ms, 150ms)
  sim.run(Time{0} + seconds(1));
  CHECK(arrivals.size() == 20);  // every message sent at 10, 20, ..., 200ms arrives
  CHECK(sim.counters().dropped == 0);
  CHECK(timer_at == milliseconds(150).ns);  // its 60ms timer waited for the resume
  int at_resume = 0;
  for (int64_t t : arrivals) {
    CHECK((t < milliseconds(50).ns || t >= milliseconds(150).ns));
    at_resume += t == milliseconds(150).ns ? 1 : 0;
  }
  CHECK(at_resume == 10);  // those that arrived at 51..141ms, handed over at resume
}

TEST_CASE("simulator: clock drift scales timers and now() - a jump moves now() only") {
  Simulator sim(1);
  net::Network net(1, 1, constant_link(milliseconds(1)));
  sim.set_network(&net);
  std::vector<std::pair<int64_t, int64_t>> fired;  // (global, local)
  sim.add_node("fast", [&](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->start = [](Context& c) { c.set_timer(milliseconds(100), 1); };
    n->timer = [&](Context& c, TimerId, uint64_t tag) {
      fired.push_back({sim.now().ns, c.now().ns});
      if (tag == 1) c.set_timer(milliseconds(100), 2);
    };
    return n;
  }, NodeClock(milliseconds(5), 100'000));  // starts 5ms ahead, runs 10% fast
  sim.run(Time{0} + milliseconds(95));
  CHECK(sim.local_time(NodeId{0}).ns == milliseconds(5).ns + milliseconds(95).ns + milliseconds(95).ns / 10);
  sim.clock_jump(NodeId{0}, milliseconds(-50));
  sim.run(Time{0} + seconds(1));
  REQUIRE(fired.size() == 2);
  // 100ms local at 1.1x = 90909091ns global (rounded up: never early).
  CHECK(fired[0].first == 90'909'091);
  CHECK(fired[0].second >= milliseconds(105).ns);
  // The jump at 95ms did not move the second timer, armed at 90.9ms.
  CHECK(fired[1].first == 90'909'091 * 2);
  CHECK(fired[1].second == fired[1].first + fired[1].first / 10 + milliseconds(5).ns - milliseconds(50).ns);
}

TEST_CASE("simulator: the same seed replays the same run - inputs bypass the network") {
  auto run = [](uint64_t seed) {
    Simulator sim(seed);
    net::LinkSpec link;
    link.latency = net::LatencyModel::uniform(milliseconds(1), milliseconds(9));
    link.drop = Ratio{1, 10};
    net::Network net(3, seed, link);
    sim.set_network(&net);
    RecordingSink sink;
    sim.set_sink(&sink);
    for (int i = 0; i < 3; ++i) {
      sim.add_node(std::string("n").append(std::to_string(i)), [](NodeId self) {
        auto n = std::make_unique<ScriptNode>();
        n->message = [self](Context& c, NodeId, const Message& m) {
          if (m.f[0] < 200) {
            Message next = m;
            ++next.f[0];
            c.send(NodeId{(self.value + 1 + static_cast<uint32_t>(c.rng().below(2))) % 3}, next);
          }
        };
        return n;
      });
    }
    for (int k = 0; k < 5; ++k) sim.inject(Time{0} + milliseconds(k), NodeId{0}, Message{});
    sim.run(Time{0} + seconds(10));
    std::vector<std::tuple<int64_t, uint32_t, std::string>> out;
    for (const auto& e : sink.events) out.emplace_back(e.t, e.node, e.kind);
    return out;
  };
  const auto a = run(5), b = run(5), c = run(6);
  CHECK(a.size() > 100);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("simulator: a message that arrived during a pause is not re-judged by the network at resume") {
  Simulator sim(1);
  net::Network net(2, 1, constant_link(milliseconds(1)));
  sim.set_network(&net);
  int got = 0;
  sim.add_node("a", [](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->start = [](Context& c) { c.send(NodeId{1}, Message{}); };
    return n;
  });
  sim.add_node("b", [&](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->message = [&](Context&, NodeId, const Message&) { ++got; };
    return n;
  });
  sim.pause(NodeId{1}, milliseconds(100));  // the message arrives at 1ms and waits
  sim.run(Time{0} + milliseconds(50));
  net.isolate(NodeId{1});  // a partition after arrival cannot take it back
  sim.run(Time{0} + seconds(1));
  CHECK(got == 1);
  CHECK(sim.counters().dropped == 0);
}

TEST_CASE("simulator: a timer that expired during a pause can still be cancelled before it is handed over") {
  // Regression: found by the raft-churn sweep (seed 211). The node's timer
  // expired while it was paused; at resume a message that had arrived
  // earlier was handled first, and cancelling the parked timer corrupted
  // the timer heap.
  Simulator sim(1);
  net::Network net(2, 1, constant_link(milliseconds(1)));
  sim.set_network(&net);
  int fired = 0, messages = 0;
  sim.add_node("a", [](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->start = [](Context& c) { c.send(NodeId{1}, Message{}); };  // arrives at 1ms, during the pause
    return n;
  });
  sim.add_node("b", [&](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    auto timer = std::make_shared<TimerId>();
    n->start = [timer](Context& c) {
      *timer = c.set_timer(milliseconds(5), 1);  // expires at 5ms, during the pause
      c.set_timer(milliseconds(7), 2);           // a second one, left alone
    };
    n->message = [&, timer](Context& c, NodeId, const Message&) {
      ++messages;
      CHECK(c.cancel_timer(*timer));
    };
    n->timer = [&](Context&, TimerId, uint64_t tag) {
      CHECK(tag == 2);
      ++fired;
    };
    return n;
  });
  sim.pause(NodeId{1}, milliseconds(10));
  sim.run(Time{0} + seconds(1));
  CHECK(messages == 1);
  CHECK(fired == 1);  // the cancelled one never fired; the other did
}

TEST_CASE("simulator: Context::fail stops the run at that node and time, and the trace says so") {
  Simulator sim(1);
  net::Network net(2, 1, constant_link(milliseconds(1)));
  sim.set_network(&net);
  RecordingSink sink;
  sim.set_sink(&sink);
  int timers_after = 0;
  for (const char* name : {"a", "b"}) {
    const bool fails = std::string(name) == "b";
    sim.add_node(name, [&, fails](NodeId) {
      auto n = std::make_unique<ScriptNode>();
      n->start = [](Context& c) { c.set_timer(milliseconds(5), 1); };
      n->timer = [&, fails](Context& c, TimerId, uint64_t) {
        if (fails && c.now().ns >= milliseconds(15).ns) c.fail("two votes in one term");
        if (c.now().ns > milliseconds(15).ns) ++timers_after;
        c.set_timer(milliseconds(5), 1);
      };
      return n;
    });
  }
  const RunResult r = sim.run(Time{0} + seconds(1));
  REQUIRE(r.failed_node.has_value());
  CHECK(r.failed_node->value == 1);
  CHECK(r.failure == "two votes in one term");
  CHECK(r.end.ns == milliseconds(15).ns);  // stopped there, not at the horizon
  CHECK(timers_after == 0);                // nothing ran after the failure
  REQUIRE(!sink.events.empty());
  CHECK(sink.events.back().kind == "node_failure");
  CHECK(sink.events.back().node == 1);
}

// A message in flight is stored compactly (fields inline, a body out of
// line only when it has one) and rebuilt for delivery: every path a
// message can take hands the node exactly what was sent, and a body never
// leaks from one message into the next.
TEST_CASE("simulator: type, fields and body arrive as sent - direct, held by a clog, held by a pause, duplicated, injected") {
  Simulator sim(1);
  net::LinkSpec link = constant_link(milliseconds(1));
  link.duplicate = Ratio{1, 2};
  net::Network net(2, 1, link);
  sim.set_network(&net);
  struct Got {
    uint32_t type;
    std::array<int64_t, 6> f;
    std::string body;
  };
  std::vector<Got> got;
  auto make = [](uint32_t i) {
    Message m;
    m.type = 100 + i;
    for (int k = 0; k < 6; ++k) m.f[k] = static_cast<int64_t>(i) * 10 + k - 3;
    // Empty, short and longer than any small-string buffer, in turn.
    if (i % 3 == 1) m.body = "b" + std::to_string(i);
    if (i % 3 == 2) m.body = std::string(40 + i, static_cast<char>('a' + i % 26));
    return m;
  };
  sim.add_node("sender", [&](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->start = [](Context& c) { c.set_timer(milliseconds(1), 0); };
    n->timer = [&](Context& c, TimerId, uint64_t i) {
      c.send(NodeId{1}, make(static_cast<uint32_t>(i)));
      if (i < 59) c.set_timer(milliseconds(5), i + 1);
    };
    return n;
  });
  sim.add_node("receiver", [&](NodeId) {
    auto n = std::make_unique<ScriptNode>();
    n->message = [&](Context&, NodeId, const Message& m) { got.push_back({m.type, m.f, m.body}); };
    return n;
  });
  sim.inject(Time{0} + milliseconds(2), NodeId{1}, make(1000));
  sim.run(Time{0} + milliseconds(60));
  net.clog_node(NodeId{1}, Time{0} + milliseconds(120));  // arrivals in [60, 120) wait for the clog
  sim.run(Time{0} + milliseconds(150));
  sim.pause(NodeId{1}, milliseconds(60));  // and those in [150, 210) for the resume
  sim.run(Time{0} + seconds(1));
  REQUIRE(got.size() == sim.counters().delivered);
  CHECK(sim.counters().duplicated > 0);
  CHECK(got.size() == 61 + sim.counters().duplicated);
  std::vector<bool> seen(1001, false);
  for (const Got& g : got) {
    const uint32_t i = g.type - 100;
    REQUIRE(i <= 1000);
    seen[i] = true;
    const Message want = make(i);
    CHECK(g.f == want.f);
    CHECK(g.body == want.body);
  }
  for (uint32_t i = 0; i < 60; ++i) CHECK(seen[i]);
  CHECK(seen[1000]);
}

// schedule_action_in_order / inject_in_order keep their events in an array
// beside the heaps; the run must be the same bit for bit as with
// schedule_action / inject: every callback at the same time, in the same
// order, ties included (all times here are whole milliseconds, so actions,
// inputs, deliveries and timers tie all the time). The schedule has runs
// in order, steps back in time (which go to the heap), more than the
// stream's compaction threshold of appends made while it never drains,
// and actions and inputs appended from inside the run.
namespace {
struct OrderWorld final : ActionHandler {
  Simulator sim{3};
  net::Network net{3, 3, constant_link(milliseconds(1))};
  bool ordered;
  Rng rng{11};
  std::vector<std::string> log;
  explicit OrderWorld(bool use_stream) : ordered(use_stream) {
    sim.set_network(&net);
    sim.set_action_handler(this);
    for (uint32_t i = 0; i < 3; ++i) {
      sim.add_node(std::string("n").append(std::to_string(i)), [this](NodeId self) {
        auto n = std::make_unique<ScriptNode>();
        n->start = [](Context& c) { c.set_timer(milliseconds(2), 0); };
        n->message = [this, self](Context& c, NodeId from, const Message& m) {
          log.push_back(std::to_string(sim.now().ns) + " msg " + std::to_string(self.value) + "<" +
                        std::to_string(from.value) + " " + std::to_string(m.f[0]));
          if (m.f[0] % 3 == 0) c.send(NodeId{(self.value + 1) % 3}, Message{0, {m.f[0] + 1}, {}});
        };
        n->timer = [this, self](Context& c, TimerId, uint64_t tag) {
          log.push_back(std::to_string(sim.now().ns) + " timer " + std::to_string(self.value) + " " + std::to_string(tag));
          if (tag < 400) c.set_timer(milliseconds(1 + static_cast<int64_t>(tag % 3)), tag + 1);
          c.send(NodeId{(self.value + 2) % 3}, Message{0, {static_cast<int64_t>(tag) * 3}, {}});
        };
        return n;
      });
    }
  }
  void action(Time at, uint64_t id) { ordered ? sim.schedule_action_in_order(at, id) : sim.schedule_action(at, id); }
  void input(Time at, NodeId to, int64_t v) {
    const Message m{1, {v}, std::string(static_cast<size_t>(v % 5), 'b')};
    ordered ? sim.inject_in_order(at, to, m) : sim.inject(at, to, m);
  }
  void on_action(uint64_t id) override {
    log.push_back(std::to_string(sim.now().ns) + " action " + std::to_string(id));
    // Some actions append more, in order and (now and then) not.
    if (id % 7 == 0) action(sim.now() + milliseconds(static_cast<int64_t>(rng.below(4))), id + 100000);
    if (id % 11 == 0) input(sim.now() + milliseconds(static_cast<int64_t>(rng.below(3))), NodeId{1}, static_cast<int64_t>(id));
  }
  std::vector<std::string> run() {
    Time t{0};
    for (uint64_t k = 0; k < 6000; ++k) {
      // Mostly forward (0-1 ms steps, many ties); one in 50 steps back.
      if (rng.below(50) == 0) {
        action(t - Duration{std::min<int64_t>(t.ns, milliseconds(5).ns)}, k);
      } else {
        t = t + milliseconds(static_cast<int64_t>(rng.below(2)));
        action(t, k);
      }
      if (k % 4 == 0) input(t, NodeId{static_cast<uint32_t>(k % 3)}, static_cast<int64_t>(k));
    }
    // A far-off action at the end keeps the stream from draining while the
    // run appends more (the compaction path).
    action(Time{0} + seconds(100), 999999);
    for (int step = 1; step <= 40; ++step) {
      sim.run(Time{0} + milliseconds(100 * step));
      for (uint64_t k = 0; k < 200; ++k) action(sim.now() + milliseconds(static_cast<int64_t>(k / 2)), 200000 + k);
    }
    sim.run(Time{0} + seconds(101));
    return log;
  }
};
}  // namespace

TEST_CASE("simulator: the ordered stream runs exactly as the heap would, ties included") {
  OrderWorld heap(false), stream(true);
  const auto a = heap.run();
  const auto b = stream.run();
  CHECK(a.size() > 20000);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      FAIL_CHECK("first difference at " << i << ": heap '" << a[i] << "' stream '" << b[i] << "'");
      break;
    }
  }
  CHECK(heap.sim.counters().events == stream.sim.counters().events);
}

TEST_CASE("node clock: local() and to_global() give the 128-bit results, fast paths or not") {
  // The formulas of sim/core/clock.h, all in 128 bits.
  const auto local_ref = [](int64_t anchor_local, int64_t anchor_global, int64_t ppm, int64_t global) {
    const __int128 elapsed = global - anchor_global;
    return anchor_local + static_cast<int64_t>(elapsed + elapsed * ppm / 1'000'000);
  };
  const auto to_global_ref = [](int64_t ppm, int64_t span) {
    if (ppm == 0 || span <= 0) return span;
    const __int128 num = static_cast<__int128>(span) * 1'000'000;
    const __int128 den = 1'000'000 + ppm;
    return static_cast<int64_t>((num + den - 1) / den);
  };
  Rng rng(9);
  const int64_t ppms[] = {0, 1, -1, 7, -7, 999'999 / 2, -500'000, 500'000, 123'457};
  // Spans from nanoseconds to centuries, so 64-bit products overflow too.
  const auto any_span = [&] { return static_cast<int64_t>(rng.below(uint64_t{1} << rng.below(63))); };
  for (int i = 0; i < 20000; ++i) {
    const int64_t ppm = ppms[rng.below(std::size(ppms))];
    const int64_t offset = static_cast<int64_t>(rng.below(1'000'000'000)) - 500'000'000;
    NodeClock c(Duration{offset}, 0);
    c.set_drift(Time{0}, ppm);  // anchored at 0 with `offset` local
    const int64_t g = any_span();
    CHECK(c.local(Time{g}).ns == local_ref(offset, 0, ppm, g));
    const int64_t span = any_span();
    CHECK(c.to_global(Duration{span}).ns == to_global_ref(ppm, span));
    // Re-anchored later (a jump), then read after it.
    const int64_t at = g / 2;
    c.jump(Time{at}, Duration{17});
    const int64_t anchor_local = local_ref(offset, 0, ppm, at) + 17;
    CHECK(c.local(Time{g}).ns == local_ref(anchor_local, at, ppm, g));
  }
}
