// Helpers shared by the unit tests: a scriptable node and an event sink
// that records what the simulator reports.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/net/network.h"

namespace dsim::testing {

// A path in the temporary directory that no other process uses: ctest runs
// test cases in parallel processes, and several checkouts may run the suite
// on one machine, so a fixed name in /tmp is a race between them.
inline std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("dsim-" + std::to_string(::getpid()) + "-" + name)).string();
}

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

// One node under test (n1) and `peers` scripted nodes (n2, n3, ...) on
// 1 ms links. send(peer, m) makes that peer send m to n1 and returns n1's
// first reply to it, if any arrived within `wait`.
struct PeerHarness {
  Simulator sim{1};
  net::Network net;
  std::vector<std::pair<uint32_t, Message>> replies;  // (peer, reply)
  std::vector<std::pair<uint32_t, Message>> outbox;

  PeerHarness(NodeFactory under_test, uint32_t peers) : net(peers + 1, 1, link()) {
    sim.set_network(&net);
    sim.add_node("n1", std::move(under_test));
    for (uint32_t p = 0; p < peers; ++p) {
      sim.add_node(std::string("n").append(std::to_string(p + 2)), [this](NodeId self) {
        auto n = std::make_unique<ScriptNode>();
        n->message = [this, self](Context& c, NodeId from, const Message& m) {
          if (from != kExternal) {
            replies.emplace_back(self.value, m);
            return;
          }
          for (auto it = outbox.begin(); it != outbox.end();) {
            if (it->first == self.value) {
              c.send(NodeId{0}, it->second);
              it = outbox.erase(it);
            } else {
              ++it;
            }
          }
        };
        return n;
      });
    }
    sim.run(Time{0} + milliseconds(1));
  }
  static net::LinkSpec link() {
    net::LinkSpec s;
    s.latency = net::LatencyModel::constant(milliseconds(1));
    return s;
  }
  std::optional<Message> send(uint32_t peer, const Message& m, Duration wait = milliseconds(5)) {
    replies.clear();
    outbox.emplace_back(peer, m);
    sim.inject(sim.now(), NodeId{peer}, Message{});
    sim.run(sim.now() + wait);
    if (replies.empty()) return std::nullopt;
    return replies.front().second;
  }
};

inline Message message(uint32_t type, int64_t f0 = 0, int64_t f1 = 0, std::string body = {}) {
  Message m;
  m.type = type;
  m.f[0] = f0;
  m.f[1] = f1;
  m.body = std::move(body);
  return m;
}

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
