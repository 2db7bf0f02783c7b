#include "sim/net/network.h"

#include <algorithm>

#include "dsim/assert.h"

namespace dsim::net {

Network::Network(uint32_t node_count, uint64_t seed, LinkSpec defaults)
    : n_(node_count),
      rng_(Rng::derive(seed, "network")),
      defaults_(defaults),
      group_(node_count, 0),
      node_clog_(node_count, Time{0}) {
  DSIM_ASSERT(defaults.latency.validate().empty());
}

void Network::set_link(NodeId from, NodeId to, LinkSpec spec) {
  DSIM_ASSERT(from.value < n_ && to.value < n_);
  DSIM_ASSERT(spec.latency.validate().empty());
  links_[pair_key(from, to)] = spec;
}

const LinkSpec& Network::spec(NodeId from, NodeId to) const {
  if (!links_.empty()) {
    if (auto it = links_.find(pair_key(from, to)); it != links_.end()) return it->second;
  }
  return defaults_;
}

void Network::partition(const std::vector<std::vector<NodeId>>& groups) {
  // Group 0 collects every node not named.
  std::fill(group_.begin(), group_.end(), 0);
  std::vector<bool> seen(n_, false);
  uint32_t id = 1;
  for (const auto& g : groups) {
    for (NodeId m : g) {
      DSIM_ASSERT(m.value < n_);
      DSIM_ASSERT_MSG(!seen[m.value], "a node appears in two partition groups");
      seen[m.value] = true;
      group_[m.value] = id;
    }
    ++id;
  }
}

void Network::isolate(NodeId n) { partition({{n}}); }

void Network::cut(NodeId from, NodeId to) {
  DSIM_ASSERT(from.value < n_ && to.value < n_);
  cuts_.insert(pair_key(from, to));
}

void Network::heal() {
  std::fill(group_.begin(), group_.end(), 0);
  cuts_.clear();
}

void Network::clog_node(NodeId n, Time until) {
  DSIM_ASSERT(n.value < n_);
  node_clog_[n.value] = std::max(node_clog_[n.value], until);
}

void Network::clog_link(NodeId from, NodeId to, Time until) {
  Time& t = link_clog_[pair_key(from, to)];
  t = std::max(t, until);
}

bool Network::can_reach(NodeId from, NodeId to) const {
  if (from == to) return true;
  if (group_[from.value] != group_[to.value]) return false;
  return cuts_.empty() || !cuts_.contains(pair_key(from, to));
}

void Network::route(Time now, NodeId from, NodeId to, Route* out) {
  if (!can_reach(from, to)) {
    out->drop_reason = "partition";
    return;
  }
  const LinkSpec& s = spec(from, to);
  if (rng_.chance(s.drop)) {
    out->drop_reason = "loss";
    return;
  }
  const Duration base = topology_ ? topology_->base_latency(from, to) : Duration{0};
  out->copies = 1;
  out->deliver_at[0] = now + base + s.latency.sample(rng_);
  if (rng_.chance(s.duplicate)) {
    out->copies = 2;
    out->deliver_at[1] = now + base + s.latency.sample(rng_);
  }
}

Arrival Network::arrive(Time now, NodeId from, NodeId to) {
  if (!can_reach(from, to)) return Arrival{Arrival::Kind::kDrop, "partition", {}};
  Time until = std::max(node_clog_[from.value], node_clog_[to.value]);
  if (!link_clog_.empty()) {
    if (auto it = link_clog_.find(pair_key(from, to)); it != link_clog_.end()) until = std::max(until, it->second);
  }
  if (until > now) return Arrival{Arrival::Kind::kHold, {}, until};
  return Arrival{};
}

}  // namespace dsim::net
