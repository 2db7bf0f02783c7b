// A scenario after validation: every field typed, every name resolved to a
// NodeId, every duration in integer nanoseconds. Nothing here can be
// invalid; the loader refuses to build one that would be.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <memory>

#include "dsim/checker.h"
#include "dsim/protocol.h"
#include "sim/core/clock.h"
#include "dsim/ids.h"
#include "dsim/prng.h"
#include "dsim/time.h"
#include "sim/net/network.h"
#include "sim/net/topology.h"

namespace dsim::scenario {

inline constexpr int kScenarioVersion = 1;

struct ClockSpec {
  Duration offset{0};
  int64_t drift_ppm = 0;
};

struct LinkOverride {
  NodeId from;
  NodeId to;
  net::LinkSpec spec;
};

struct TopologySpec {
  std::vector<std::string> zone_names;
  std::vector<uint32_t> zone_of;  // per node
  std::vector<Duration> intra;    // per zone
  std::vector<net::ZoneLink> links;
};

// Who a fault hits, resolved when the fault fires:
//   kOne:    a fixed node (`n1`), or the node holding a role (`leader`). For
//            a role, the holder with the highest epoch (the term or ballot
//            of its latest `role` event; the protocol's report hints name
//            the field), lowest id on a tie: a stale leader of an old term
//            is never picked while a newer one exists.
//   kRandom: one holder of the role, drawn from the "faults" stream.
//   kAll:    every holder of the role.
//   kOthers: every server except the node `node`/`role` names (kOne rule).
struct Target {
  enum class Pick { kOne, kRandom, kAll, kOthers };
  std::optional<NodeId> node;
  std::string role;
  Pick pick = Pick::kOne;

  bool names(NodeId n) const { return node && *node == n; }
  bool single() const { return pick == Pick::kOne || pick == Pick::kRandom; }
};

// A mid-run change of the network's default link parameters; what is not
// set keeps its value.
struct NetworkChange {
  std::optional<net::LatencyModel> latency;
  std::optional<Ratio> drop;
  std::optional<Ratio> duplicate;
  std::optional<Ratio> reorder;
  std::optional<net::LatencyModel> reorder_delay;
};

struct FaultSpec {
  enum class Type {
    kCrash, kRestart, kPause, kPartition, kIsolate, kCut, kHeal, kClog, kClockJump, kClockDrift,
    kDisconnect, kReconnect, kNetwork
  };
  Type type = Type::kCrash;
  Time at;
  int line = 0;
  Target target;                              // crash, restart, pause, isolate, clog (node), clock, (dis|re)connect
  std::optional<Duration> for_;               // pause, clog; partition/isolate/cut/disconnect/network: undo after
  std::optional<Duration> restart_after;      // crash
  bool lose_unsynced = false;                 // crash
  std::vector<std::vector<NodeId>> groups;    // partition of fixed nodes
  // partition with role expressions (then `groups` is empty): resolved
  // when the fault fires, group by group.
  std::vector<std::vector<Target>> group_targets;
  NetworkChange network;                      // network
  NodeId from, to;                            // cut, clog of a link
  bool link = false;                          // clog of a link rather than a node
  Duration jump{0};                           // clock jump
  int64_t drift_ppm = 0;                      // clock drift
};

struct NemesisSpec {
  enum class Kind { kCrash, kPause, kPartition, kIsolate, kClog, kDisconnect };
  std::vector<Kind> kinds;
  Duration interval_min{0}, interval_max{0};
  Duration duration_min{0}, duration_max{0};
  uint32_t max_down = 1;
  Time from{0};
  Time until{0};
  bool lose_unsynced = false;
};

// The protocol's inputs (WorkloadInputs says how they are made and sent).
struct WorkloadSpec {
  uint32_t count = 0;        // inputs (the protocol names the key: `requests`, ...)
  bool to_leader = true;     // kToLeader: to the current leader when there is one
  uint32_t keys = 10;        // commands write k0..k(keys-1)
  std::vector<NodeId> from;  // empty: any node, drawn from the workload stream
  Time start{0};
  Duration interval_min{0}, interval_max{0};
  // Delay of each input from the harness to its node (drawn from the
  // "client_latency" stream); unset: delivered at once.
  std::optional<net::LatencyModel> client_latency;
};

// Time a durable write costs: a node's sync() that writes something keeps
// it busy for write_latency (messages it sends after the sync, in the same
// handler, leave only when the write is done). 0: free (the default).
struct StorageSpec {
  Duration write_latency{0};
  std::vector<std::pair<NodeId, Duration>> per_node;  // overrides, servers only

  Duration of(NodeId n) const {
    for (const auto& [id, d] : per_node) {
      if (id == n) return d;
    }
    return write_latency;
  }
  bool any() const { return write_latency.ns > 0 || !per_node.empty(); }
};

// Key-value client nodes (sim/clients): c1..cK, node ids after the servers, each
// attached to one server; in a partition a client stays with its server.
struct ClientsSpec {
  uint32_t count = 0;
  std::vector<NodeId> at;  // round robin over these servers; empty: over all servers
  uint32_t keys = 3;
  double zipf = 0;  // 0: uniform
  uint32_t read_pct = 50, write_pct = 50, cas_pct = 0;
  Duration think_min = milliseconds(5), think_max = milliseconds(20);
  Duration timeout = milliseconds(500);
  Time start{0};
  std::optional<Time> stop;
  std::optional<Time> stop_writes;  // only reads from then on
  uint32_t rate = 0;                // open loop: operations per second per client; 0: closed loop
  uint32_t retries = 0;             // retries of an operation that failed
  // Latency of a client's link to its server, both ways (loss and the rest
  // follow the network); unset: the network's latency.
  std::optional<net::LatencyModel> latency;

  NodeId server_of(uint32_t client, uint32_t servers) const {
    return at.empty() ? NodeId{client % servers} : at[client % at.size()];
  }
};

// One step of a scripted schedule (`schedule:`, docs/explore.md): the run
// does exactly these, one per millisecond of virtual time, and nothing
// else happens (no network timing, no timers of their own). `dsim explore`
// writes its counterexamples this way, and `dsim run` replays them.
struct ScheduleStep {
  enum class Kind { kDeliver, kDrop, kDuplicate, kTimer, kCrash, kRestart, kInput };
  Kind kind = Kind::kDeliver;
  // deliver, drop, duplicate: the message `from` sent to `to` as its
  // nth send to that node (from 1). timer, crash, restart, input: the node.
  NodeId node;
  NodeId to;
  uint32_t nth = 0;
  uint64_t tag = 0;            // timer: the tag of the timer that fires
  bool lose_unsynced = false;  // crash
  int line = 0;                // in the scenario, for errors (0: not from a file)
  auto operator<=>(const ScheduleStep&) const = default;
};

// A count of trace events that match: `{kind: role, where: {role: leader}}`.
struct EventPattern {
  std::string kind;
  std::vector<std::pair<std::string, std::string>> where;  // field -> value as text (ints in decimal)
  int line = 0;
};

// `explore:` (docs/explore.md): what `dsim explore` may do and how far it
// searches. The budgets bound the faults on any one path.
struct ExploreSpec {
  enum class Strategy { kBfs, kDfs, kRandom };
  Strategy strategy = Strategy::kBfs;
  uint32_t max_depth = 30;           // steps on one path
  uint64_t max_states = 5'000'000;   // distinct states
  std::optional<Duration> max_time;  // wall time (the command line may set it too)
  uint32_t crashes = 0;              // crash budget (each crashed node may restart)
  uint32_t restarts = 0;             // restart budget
  bool lose_unsynced = false;        // crashes lose unsynced writes
  std::optional<uint32_t> inputs;    // workload inputs available (unset: the workload's count)
  uint32_t drops = 0;                // message-loss budget
  uint32_t duplicates = 0;           // message-duplication budget
  bool fifo = false;                 // each link delivers in send order (fewer interleavings)

  // A state that matches every goal ends its path as "goal reached"
  // (reported, not a violation); a state that matches any prune is not
  // expanded. Each: at least `count` events matching the pattern so far
  // (goals), more than `count` (prunes).
  std::vector<std::pair<EventPattern, uint32_t>> goals;
  std::vector<std::pair<EventPattern, uint32_t>> prunes;
  int line = 0;
};

struct Scenario {
  std::string path;  // as the user typed it (messages, reproduction lines)
  // The scenario's identity in traces and results: `path` lexically
  // normalized, relative to the working directory when the file is under
  // it, else absolute; so `x.yaml`, `./x.yaml` and /abs/x.yaml name the
  // same scenario (same trace header, same hash, same --resume key).
  std::string id;
  std::string name;
  std::string description;
  std::string protocol;  // its name
  const Protocol* def = nullptr;  // from the registry the scenario was loaded with
  std::shared_ptr<const ProtocolConfig> config;  // the protocol's section, immutable
  std::optional<uint64_t> seed;
  Duration duration{0};
  uint64_t max_events = 100'000'000;
  std::vector<std::string> nodes;
  std::vector<ClockSpec> clocks;  // per node
  ClientsSpec clients;
  std::vector<std::string> client_names;  // c1..cK: node ids nodes.size() + i

  // Servers, then clients: every node of the run.
  std::vector<std::string> all_names() const {
    std::vector<std::string> all = nodes;
    all.insert(all.end(), client_names.begin(), client_names.end());
    return all;
  }
  net::LinkSpec network;
  std::vector<LinkOverride> links;
  std::optional<TopologySpec> topology;
  WorkloadSpec workload;
  StorageSpec storage;
  std::vector<FaultSpec> faults;
  std::optional<NemesisSpec> nemesis;
  std::vector<analysis::CheckSpec> checks;
  std::vector<std::string> expect_violated;  // empty: every check must hold
  // expect.seeds: `all` (every seed shows exactly expect_violated) or
  // `some` (a sweep: some seed violates each expected check, and no seed
  // violates a check not expected).
  bool expect_some_seeds = false;
  // A scripted schedule: non-empty means the run replays exactly these
  // steps (no network, nemesis or timed faults).
  std::vector<ScheduleStep> schedule;
  std::optional<ExploreSpec> explore;
};

}  // namespace dsim::scenario
