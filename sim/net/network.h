// The fault-injecting network: per-link latency, loss and duplication,
// partitions (symmetric groups, one-way cuts), clogging, an optional
// topology. Implements the kernel's NetworkModel seam.
//
// A message is lost if its link is cut when it is sent or when it arrives
// (a partition that starts while it is in flight catches it). A clog holds
// messages back, never drops them: they arrive when the clog ends.
// Reordering follows from latency jitter; there is no FIFO guarantee.
//
// Randomness: one stream, "network", drawn in a fixed order per send
// (loss, latency, duplicate, duplicate's latency), so the same seed gives
// the same fates.
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
};

class Network final : public NetworkModel {
 public:
  Network(uint32_t node_count, uint64_t seed, LinkSpec defaults);

  void set_link(NodeId from, NodeId to, LinkSpec spec);
  void set_topology(Topology t) { topology_ = std::move(t); }

  // Faults. Partition groups must be disjoint; nodes not named in any group
  // form one more group together.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  void isolate(NodeId n);
  void cut(NodeId from, NodeId to);  // one way: from can no longer reach to
  void heal();                       // removes every partition and cut
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
  std::vector<uint32_t> group_;  // group id per node; equal ids can talk
  std::set<uint64_t> cuts_;
  std::vector<Time> node_clog_;
  std::map<uint64_t, Time> link_clog_;
};

}  // namespace dsim::net
