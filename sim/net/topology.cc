#include "sim/net/topology.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <limits>

#include "dsim/assert.h"

namespace dsim::net {

std::optional<std::string> Topology::build(uint32_t zone_count, std::vector<uint32_t> zone_of,
                                           std::vector<Duration> intra, const std::vector<ZoneLink>& links,
                                           Topology* out) {
  DSIM_ASSERT(intra.size() == zone_count);
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property,
                                      boost::property<boost::edge_weight_t, int64_t>>;
  Graph g(zone_count);
  for (const ZoneLink& l : links) {
    DSIM_ASSERT(l.a < zone_count && l.b < zone_count);
    DSIM_ASSERT(l.latency.ns >= 0);
    boost::add_edge(l.a, l.b, l.latency.ns, g);
  }
  constexpr int64_t kInf = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> dist(static_cast<size_t>(zone_count) * zone_count, kInf);
  for (uint32_t src = 0; src < zone_count; ++src) {
    std::vector<int64_t> d(zone_count, kInf);
    boost::dijkstra_shortest_paths(
        g, src,
        boost::distance_map(boost::make_iterator_property_map(d.begin(), boost::get(boost::vertex_index, g)))
            .distance_inf(kInf));
    for (uint32_t dst = 0; dst < zone_count; ++dst) {
      if (d[dst] == kInf) return "zones " + std::to_string(src) + " and " + std::to_string(dst) + " are not connected";
      dist[static_cast<size_t>(src) * zone_count + dst] = d[dst];
    }
  }
  out->zone_count_ = zone_count;
  out->zone_of_ = std::move(zone_of);
  out->intra_ = std::move(intra);
  out->dist_ = std::move(dist);
  return std::nullopt;
}

}  // namespace dsim::net
