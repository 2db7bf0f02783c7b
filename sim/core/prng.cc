#include "dsim/prng.h"

#include <cmath>

#include "dsim/assert.h"

namespace dsim {
namespace {
constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

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

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t Rng::below(uint64_t n) {
  DSIM_ASSERT(n > 0);
  unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t Rng::between(int64_t lo, int64_t hi) {
  DSIM_ASSERT(lo <= hi);
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(next());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + below(span + 1));
}

bool Rng::chance(Ratio p) {
  DSIM_ASSERT(p.den > 0);
  DSIM_ASSERT(p.num <= p.den);
  if (p.num == 0) return false;  // draw nothing: a zero probability never perturbs the stream
  if (p.num == p.den) return true;
  return below(p.den) < p.num;
}

double Rng::unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

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
