// The fault-injecting network: per-link latency, loss and duplication,
// partitions (symmetric groups, one-way cuts), clogging, an optional
// topology. Implements the kernel's NetworkModel seam.
//
// A message is lost if its link is cut when it is sent or when it arrives
// (a partition that starts while it is in flight catches it). A clog holds
// messages back, never drops them: they arrive when the clog ends.
// Reordering follows from latency jitter (there is no FIFO guarantee) and,
// when `reorder` is on, from an extra delay some messages get, so later
// ones overtake them.
//
// A disconnected node (disconnect/reconnect) can reach no one and no one
// can reach it, whatever the partition; disconnections compose: each one
// holds a token and the node is back only when all its tokens are gone.
//
// Randomness: one stream, "network", drawn in a fixed order per send
// (loss, latency, reorder, duplicate, the duplicate's latency and reorder),
// so the same seed gives the same fates. A probability of 0 draws nothing,
// so a scenario without reorder draws exactly what it did before.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "sim/core/network_model.h"
#include "dsim/prng.h"
#include "sim/net/latency.h"
#include "sim/net/topology.h"

namespace dsim::net {

struct LinkSpec {
  LatencyModel latency = LatencyModel::constant(milliseconds(1));
  Ratio drop{0, 1};
  Ratio duplicate{0, 1};
  Ratio reorder{0, 1};                                       // chance a message is held back ...
  LatencyModel reorder_delay = LatencyModel::constant(Duration{0});  // ... by this much more
};

class Network final : public NetworkModel {
 public:
  Network(uint32_t node_count, uint64_t seed, LinkSpec defaults);

  void set_link(NodeId from, NodeId to, LinkSpec spec);
  void set_topology(Topology t) { topology_ = std::move(t); }
  // The spec of every link without an override of its own (set_link); a
  // mid-run change applies to messages sent from then on.
  void set_defaults(LinkSpec spec);
  const LinkSpec& defaults() const { return defaults_; }
  // Nodes from `first` on are clients: a message to or from one takes this
  // latency instead of its link's (loss, duplication and reorder still
  // follow the link). Unset: clients' links are like any other.
  void set_client_latency(uint32_t first, LatencyModel latency);

  // Faults. Partition groups must be disjoint; nodes not named in any group
  // form one more group together.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  void isolate(NodeId n);
  void cut(NodeId from, NodeId to);  // one way: from can no longer reach to
  bool uncut(NodeId from, NodeId to);  // false: there was no such cut
  void clear_partition();            // every node in one group again (cuts stay)
  void heal();                       // removes every partition and cut (disconnections stay)
  // Cumulative single-node faults: `token` names the fault that cut `n` off.
  void disconnect(NodeId n, uint64_t token);
  bool reconnect(NodeId n, uint64_t token);  // undoes that one fault; false: already undone
  void reconnect(NodeId n);                  // undoes every disconnection of n
  bool disconnected(NodeId n) const { return !disconnected_[n.value].empty(); }
  // No partition, cut or disconnection: every node can reach every other.
  bool whole() const;
  void clog_node(NodeId n, Time until);
  void clog_link(NodeId from, NodeId to, Time until);

  bool can_reach(NodeId from, NodeId to) const;

  void route(Time now, NodeId from, NodeId to, Route* out) override;
  Arrival arrive(Time now, NodeId from, NodeId to) override;

 private:
  static uint64_t pair_key(NodeId a, NodeId b) { return (static_cast<uint64_t>(a.value) << 32) | b.value; }
  const LinkSpec& spec(NodeId from, NodeId to) const;

  uint32_t n_;
  Rng rng_;
  LinkSpec defaults_;
  std::map<uint64_t, LinkSpec> links_;
  std::optional<Topology> topology_;
  uint32_t first_client_ = UINT32_MAX;
  LatencyModel client_latency_;
  std::vector<uint32_t> group_;  // group id per node; equal ids can talk
  // The common case answered without touching per-node arrays (a cache
  // miss each in a 100,000-node run): no group but 0, no clog still on.
  bool partitioned_ = false;  // some node is outside group 0
  Time clogged_until_{0};     // the latest end of any clog set so far
  std::set<uint64_t> cuts_;
  std::vector<std::vector<uint64_t>> disconnected_;  // per node: the tokens cutting it off
  uint32_t disconnected_count_ = 0;                  // nodes with at least one token
  std::vector<Time> node_clog_;
  std::map<uint64_t, Time> link_clog_;
};

}  // namespace dsim::net
