#include "protocols/lb/policy.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "dsim/assert.h"

namespace dsim::lb {

uint64_t hash64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

Policy::Policy(size_t n) : up_(n, true), outstanding_(n, 0) {
  for (uint32_t b = 0; b < n; ++b) eligible_.push_back(b);
}

void Policy::set_eligible(const std::vector<bool>& up) {
  up_ = up;
  eligible_.clear();
  eligible_outstanding_ = 0;
  for (uint32_t b = 0; b < up_.size(); ++b) {
    if (!up_[b]) continue;
    eligible_.push_back(b);
    eligible_outstanding_ += outstanding_[b];
  }
}

void Policy::started(uint32_t b) {
  ++outstanding_[b];
  if (up_[b]) ++eligible_outstanding_;
}

void Policy::finished(uint32_t b) {
  --outstanding_[b];
  if (up_[b]) --eligible_outstanding_;
}

uint32_t RoundRobin::pick(uint64_t, Rng&) {
  const auto n = static_cast<uint32_t>(up_.size());
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t b = next_;
    next_ = (next_ + 1) % n;
    if (up_[b]) return b;
  }
  DSIM_ASSERT_MSG(false, "no eligible backend");
  return 0;
}

uint32_t Random::pick(uint64_t, Rng& rng) {
  DSIM_ASSERT(!eligible_.empty());
  return eligible_[rng.below(eligible_.size())];
}

SmoothWeighted::SmoothWeighted(std::vector<int64_t> weights)
    : Policy(weights.size()), weight_(std::move(weights)), current_(weight_.size(), 0) {}

uint32_t SmoothWeighted::pick(uint64_t, Rng&) {
  int64_t total = 0;
  std::optional<uint32_t> best;  // none while no backend is up
  for (uint32_t b = 0; b < weight_.size(); ++b) {
    if (!up_[b]) continue;
    current_[b] += weight_[b];
    total += weight_[b];
    if (!best || current_[b] > current_[*best]) best = b;
  }
  DSIM_ASSERT(best.has_value());
  current_[*best] -= total;
  return *best;
}

uint32_t LeastOutstanding::pick(uint64_t, Rng& rng) {
  int64_t least = INT64_MAX;
  ties_.clear();
  for (uint32_t b : eligible_) {
    if (outstanding_[b] < least) {
      least = outstanding_[b];
      ties_.clear();
    }
    if (outstanding_[b] == least) ties_.push_back(b);
  }
  DSIM_ASSERT(!ties_.empty());
  return ties_[rng.below(ties_.size())];
}

uint32_t PowerOfTwo::pick(uint64_t, Rng& rng) {
  const std::vector<uint32_t>& ok = eligible_;
  DSIM_ASSERT(!ok.empty());
  if (ok.size() == 1) return ok[0];
  const uint64_t i = rng.below(ok.size());
  uint64_t j = rng.below(ok.size() - 1);
  if (j >= i) ++j;
  const uint32_t a = ok[i], b = ok[j];
  return outstanding_[b] < outstanding_[a] ? b : a;
}

Ring::Ring(size_t n, uint32_t vnodes) {
  points_.reserve(n * vnodes);
  for (uint32_t b = 0; b < n; ++b) {
    for (uint32_t v = 0; v < vnodes; ++v) points_.emplace_back(hash64((uint64_t{b} << 32) | v), b);
  }
  std::sort(points_.begin(), points_.end());
}

template <typename F>
uint32_t Ring::walk(uint64_t key, F&& accept) const {
  DSIM_ASSERT(!points_.empty());
  const uint64_t h = hash64(key ^ 0x5bd1e995ull);
  size_t i = static_cast<size_t>(std::lower_bound(points_.begin(), points_.end(), std::make_pair(h, uint32_t{0})) - points_.begin());
  for (size_t k = 0; k < points_.size(); ++k, ++i) {
    if (i == points_.size()) i = 0;
    if (accept(points_[i].second)) return points_[i].second;
  }
  DSIM_ASSERT_MSG(false, "no backend accepted on the ring");
  return 0;
}

uint32_t ConsistentHash::pick(uint64_t key, Rng&) {
  return ring_.walk(key, [&](uint32_t b) { return static_cast<bool>(up_[b]); });
}

int64_t BoundedLoadHash::capacity() const {
  DSIM_ASSERT(!eligible_.empty());
  return static_cast<int64_t>(
      std::ceil(c_ * static_cast<double>(eligible_outstanding_ + 1) / static_cast<double>(eligible_.size())));
}

uint32_t BoundedLoadHash::pick(uint64_t key, Rng&) {
  const int64_t cap = capacity();
  return ring_.walk(key, [&](uint32_t b) { return up_[b] && outstanding_[b] < cap; });
}

const std::vector<std::string_view>& policy_names() {
  static const std::vector<std::string_view> kAll = {"round_robin",       "random",       "weighted_round_robin",
                                                     "least_outstanding", "power_of_two", "consistent_hash",
                                                     "bounded_load_hash"};
  return kAll;
}

std::unique_ptr<Policy> make_policy(std::string_view name, const std::vector<int64_t>& weights, uint32_t vnodes,
                                    double bound) {
  const size_t n = weights.size();
  if (name == "round_robin") return std::make_unique<RoundRobin>(n);
  if (name == "random") return std::make_unique<Random>(n);
  if (name == "weighted_round_robin") return std::make_unique<SmoothWeighted>(weights);
  if (name == "least_outstanding") return std::make_unique<LeastOutstanding>(n);
  if (name == "power_of_two") return std::make_unique<PowerOfTwo>(n);
  if (name == "consistent_hash") return std::make_unique<ConsistentHash>(n, vnodes);
  if (name == "bounded_load_hash") return std::make_unique<BoundedLoadHash>(n, vnodes, bound);
  return nullptr;
}

}  // namespace dsim::lb
