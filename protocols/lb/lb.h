// Load balancing: backends with a service time, a concurrency limit and a
// queue; a server-side balancer (a proxy with health checks and retries)
// or client-side balancing (each client picks, with a view kept by its own
// timeouts); open-loop clients. The policy is one of protocols/lb/policy.h.
//
// Nodes, in order: `backends` backends, then (server-side) one proxy, then
// the clients.
//
// Trace events: backend served {client}; rejected {}; slow {factor};
// proxy/client health {backend, up}; client lb_done {latency_ns, ok,
// retries, backend}.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "protocols/lb/policy.h"
#include "dsim/node.h"

namespace dsim::lb {

struct Slowdown {
  uint32_t backend = 0;
  Duration at{0}, for_{0};
  int64_t factor = 10;
};

struct Config {
  uint32_t backends = 4;
  uint32_t clients = 20;
  std::vector<int64_t> weights;  // per backend; empty: all 1
  Duration service = milliseconds(10);  // mean service time at weight 1 (exponential); weight w: service / w
  uint32_t concurrency = 4;
  uint32_t queue = 64;  // waiting requests beyond the concurrency; more are rejected
  std::string policy = "round_robin";
  uint32_t vnodes = 100;
  double bound = 1.25;  // bounded_load_hash's c
  bool client_side = false;
  double rate = 20;  // requests per second per client (open loop)
  uint32_t keys = 0;  // 0: every request its own key; else keys 0..keys-1 (for hashing)
  Duration timeout = milliseconds(500);
  uint32_t retries = 1;
  Duration health_interval = milliseconds(100);
  uint32_t health_failures = 3;  // missed pings (server-side) before a backend is out
  Duration eject = milliseconds(500);  // client-side: a backend that timed out is avoided this long
  std::vector<Slowdown> slowdowns;
  Duration start = milliseconds(10);

  int64_t weight(uint32_t b) const { return weights.empty() ? 1 : weights[b]; }
  std::vector<int64_t> all_weights() const;
};

enum MessageType : uint32_t {
  kRequest = 1,   // f0 request id, f1 key, f2 origin client + 1 (set by the proxy)
  kResponse = 2,  // f0 request id, f1 ok
  kPing = 3,
  kPong = 4,
};

// Every node of a run shares one Config.
std::unique_ptr<Node> make_node(const std::shared_ptr<const Config>& cfg, NodeId id);

// The trace name of one of this protocol's message types, "" for another's.
std::string_view message_type_name(uint32_t type);


}  // namespace dsim::lb
