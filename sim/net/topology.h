// Zones (racks, datacenters, regions) joined by links with latencies.
//
// Node-to-node base latency is the shortest path between their zones
// (Dijkstra on Boost.Graph), or the zone's internal latency when both sit in
// the same zone. "Three regions 40 ms apart" is three zones and three links.
// All paths are computed once, when the topology is built.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "dsim/ids.h"
#include "dsim/time.h"

namespace dsim::net {

struct ZoneLink {
  uint32_t a = 0;
  uint32_t b = 0;
  Duration latency{0};
};

class Topology {
 public:
  // zone_of[node] = zone index; intra[zone] = latency inside that zone.
  // Returns an error message when some pair of zones is not connected.
  static std::optional<std::string> build(uint32_t zone_count, std::vector<uint32_t> zone_of,
                                          std::vector<Duration> intra, const std::vector<ZoneLink>& links,
                                          Topology* out);

  Duration base_latency(NodeId from, NodeId to) const {
    const uint32_t za = zone_of_[from.value];
    const uint32_t zb = zone_of_[to.value];
    if (za == zb) return intra_[za];
    return Duration{dist_[za * zone_count_ + zb]};
  }
  uint32_t zone_of(NodeId n) const { return zone_of_[n.value]; }

 private:
  uint32_t zone_count_ = 0;
  std::vector<uint32_t> zone_of_;
  std::vector<Duration> intra_;
  std::vector<int64_t> dist_;  // zone_count x zone_count, ns
};

}  // namespace dsim::net
