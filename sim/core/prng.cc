#include "dsim/prng.h"

#include <cmath>

#include "dsim/assert.h"

namespace dsim {

Rng Rng::derive(uint64_t master_seed, std::string_view name) {
  // Mixing the name hash before combining keeps streams for names that differ
  // in one byte far apart.
  return Rng(mix64(master_seed) ^ mix64(fnv1a64(name) + 0x9E3779B97F4A7C15ull));
}

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& word : s_) {
    x += 0x9E3779B97F4A7C15ull;
    word = mix64(x);
  }
  // splitmix64 output is never all-zero for four consecutive draws, but the
  // all-zero state would lock xoshiro forever, so state it.
  DSIM_ASSERT((s_[0] | s_[1] | s_[2] | s_[3]) != 0);
}

double Rng::normal(double mean, double stddev) {
  // Box-Muller, one value per call (the second is discarded so the stream
  // position does not depend on call history).
  const double u1 = 1.0 - unit();  // (0, 1]
  const double u2 = unit();
  const double r = std::sqrt(-2.0 * std::log(u1));
  return mean + stddev * r * std::cos(2.0 * M_PI * u2);
}

double Rng::exponential(double mean) { return -mean * std::log(1.0 - unit()); }

double Rng::lognormal(double mu, double sigma) { return std::exp(normal(mu, sigma)); }

}  // namespace dsim
