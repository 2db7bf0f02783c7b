#include "sim/net/network.h"

#include <algorithm>

#include "dsim/assert.h"

namespace dsim::net {

Network::Network(uint32_t node_count, uint64_t seed, LinkSpec defaults)
    : n_(node_count),
      rng_(Rng::derive(seed, "network")),
      defaults_(defaults),
      group_(node_count, 0),
      disconnected_(node_count),
      node_clog_(node_count, Time{0}) {
  DSIM_ASSERT(defaults.latency.validate().empty());
}

void Network::set_defaults(LinkSpec spec) {
  DSIM_ASSERT(spec.latency.validate().empty());
  DSIM_ASSERT(spec.reorder_delay.validate().empty());
  defaults_ = std::move(spec);
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
  partitioned_ = false;
  std::vector<bool> seen(n_, false);
  uint32_t id = 1;
  for (const auto& g : groups) {
    for (NodeId m : g) {
      DSIM_ASSERT(m.value < n_);
      DSIM_ASSERT_MSG(!seen[m.value], "a node appears in two partition groups");
      seen[m.value] = true;
      group_[m.value] = id;
      partitioned_ = true;
    }
    ++id;
  }
}

void Network::isolate(NodeId n) { partition({{n}}); }

void Network::cut(NodeId from, NodeId to) {
  DSIM_ASSERT(from.value < n_ && to.value < n_);
  cuts_.insert(pair_key(from, to));
}

void Network::set_client_latency(uint32_t first, LatencyModel latency) {
  DSIM_ASSERT(latency.validate().empty());
  first_client_ = first;
  client_latency_ = std::move(latency);
}

bool Network::uncut(NodeId from, NodeId to) { return cuts_.erase(pair_key(from, to)) > 0; }

void Network::clear_partition() {
  std::fill(group_.begin(), group_.end(), 0);
  partitioned_ = false;
}

void Network::heal() {
  clear_partition();
  cuts_.clear();
}

void Network::disconnect(NodeId n, uint64_t token) {
  DSIM_ASSERT(n.value < n_);
  auto& tokens = disconnected_[n.value];
  if (tokens.empty()) ++disconnected_count_;
  tokens.push_back(token);
}

bool Network::reconnect(NodeId n, uint64_t token) {
  DSIM_ASSERT(n.value < n_);
  auto& tokens = disconnected_[n.value];
  const auto it = std::find(tokens.begin(), tokens.end(), token);
  if (it == tokens.end()) return false;  // already reconnected by hand
  tokens.erase(it);
  if (tokens.empty()) --disconnected_count_;
  return true;
}

void Network::reconnect(NodeId n) {
  DSIM_ASSERT(n.value < n_);
  if (disconnected_[n.value].empty()) return;
  disconnected_[n.value].clear();
  --disconnected_count_;
}

bool Network::whole() const {
  if (disconnected_count_ > 0 || !cuts_.empty()) return false;
  return !partitioned_;
}

void Network::clog_node(NodeId n, Time until) {
  DSIM_ASSERT(n.value < n_);
  node_clog_[n.value] = std::max(node_clog_[n.value], until);
  clogged_until_ = std::max(clogged_until_, until);
}

void Network::clog_link(NodeId from, NodeId to, Time until) {
  Time& t = link_clog_[pair_key(from, to)];
  t = std::max(t, until);
  clogged_until_ = std::max(clogged_until_, until);
}

bool Network::can_reach(NodeId from, NodeId to) const {
  if (from == to) return true;
  if (partitioned_ && group_[from.value] != group_[to.value]) return false;
  if (disconnected_count_ > 0 && (disconnected(from) || disconnected(to))) return false;
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
  const LatencyModel& latency =
      from.value >= first_client_ || to.value >= first_client_ ? client_latency_ : s.latency;
  out->copies = 1;
  out->deliver_at[0] = now + base + latency.sample(rng_);
  if (rng_.chance(s.reorder)) out->deliver_at[0] = out->deliver_at[0] + s.reorder_delay.sample(rng_);
  if (rng_.chance(s.duplicate)) {
    out->copies = 2;
    out->deliver_at[1] = now + base + latency.sample(rng_);
    if (rng_.chance(s.reorder)) out->deliver_at[1] = out->deliver_at[1] + s.reorder_delay.sample(rng_);
  }
}

Arrival Network::arrive(Time now, NodeId from, NodeId to) {
  if (!can_reach(from, to)) return Arrival{Arrival::Kind::kDrop, "partition", {}};
  if (now >= clogged_until_) return Arrival{};  // no clog holds anything any more
  Time until = std::max(node_clog_[from.value], node_clog_[to.value]);
  if (!link_clog_.empty()) {
    if (auto it = link_clog_.find(pair_key(from, to)); it != link_clog_.end()) until = std::max(until, it->second);
  }
  if (until > now) return Arrival{Arrival::Kind::kHold, {}, until};
  return Arrival{};
}

}  // namespace dsim::net
