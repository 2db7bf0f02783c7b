#include "protocols/lb/hashing.h"

#include <cmath>

#include "protocols/lb/policy.h"

namespace dsim::lb {

std::vector<SpreadPoint> hash_spread(uint32_t backends, uint64_t keys, const std::vector<uint32_t>& vnodes) {
  std::vector<SpreadPoint> out;
  Rng rng(1);  // unused by consistent hashing
  for (uint32_t v : vnodes) {
    ConsistentHash ch(backends, v);
    std::vector<double> load(backends, 0);
    for (uint64_t k = 0; k < keys; ++k) load[ch.pick(k, rng)] += 1;
    double sum = 0, sq = 0, mx = 0;
    for (double l : load) {
      sum += l;
      sq += l * l;
      mx = std::max(mx, l);
    }
    const double mean = sum / backends;
    out.push_back({v, mx / mean, std::sqrt(std::max(0.0, sq / backends - mean * mean)) / mean});
  }
  return out;
}

Remap hash_remap(uint32_t backends, uint64_t keys, uint32_t vnodes) {
  Rng rng(1);
  // One ring of n + 1 backends; the last is out, then in.
  ConsistentHash ch(backends + 1, vnodes);
  std::vector<bool> up(backends + 1, true);
  up[backends] = false;
  ch.set_eligible(up);
  std::vector<uint32_t> before(keys);
  for (uint64_t k = 0; k < keys; ++k) before[k] = ch.pick(k, rng);
  up[backends] = true;
  ch.set_eligible(up);
  uint64_t moved_join = 0;
  for (uint64_t k = 0; k < keys; ++k) moved_join += ch.pick(k, rng) != before[k];
  // Leave: of the n + 1, backend 0 goes.
  std::vector<uint32_t> all(keys);
  for (uint64_t k = 0; k < keys; ++k) all[k] = ch.pick(k, rng);
  up[0] = false;
  ch.set_eligible(up);
  uint64_t moved_leave = 0;
  for (uint64_t k = 0; k < keys; ++k) moved_leave += ch.pick(k, rng) != all[k];
  return {static_cast<double>(moved_join) / static_cast<double>(keys),
          static_cast<double>(moved_leave) / static_cast<double>(keys)};
}

}  // namespace dsim::lb
