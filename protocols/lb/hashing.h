// Consistent hashing measured against theory: how evenly keys spread over
// backends as a function of virtual nodes, and what fraction of keys move
// when a backend joins or leaves (theory: 1/(n+1) on a join, 1/n on a
// leave; with v virtual nodes per backend the load's relative standard
// deviation is about 1/sqrt(v)).
#pragma once
#include <cstdint>
#include <vector>

namespace dsim::lb {

struct SpreadPoint {
  uint32_t vnodes;
  double max_over_mean;  // the busiest backend's keys / the mean
  double cov;            // standard deviation / mean of keys per backend
};
std::vector<SpreadPoint> hash_spread(uint32_t backends, uint64_t keys, const std::vector<uint32_t>& vnodes);

struct Remap {
  double joined;  // fraction of keys that moved when backend n joined n backends
  double left;    // fraction that moved when one of n backends left
};
Remap hash_remap(uint32_t backends, uint64_t keys, uint32_t vnodes);

}  // namespace dsim::lb
