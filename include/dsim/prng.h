// The one source of randomness in a simulation.
//
// Generator: xoshiro256** (Blackman & Vigna), seeded through splitmix64.
// Distributions are our own code, never <random>'s, whose output differs
// between standard libraries. Each consumer (a node, the network, the fault
// injector, the workload) owns a stream derived from the master seed and a
// stable name, so adding one consumer never shifts what another one draws.
//
// Probabilities are integer ratios. Floating point appears only
// inside the continuous distributions, and their callers convert to integer
// nanoseconds at once.
#pragma once
#include <cstdint>
#include <string_view>

#include "dsim/assert.h"

namespace dsim {

// splitmix64 finaliser: a bijective 64-bit mixer.
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// FNV-1a over the bytes of a name: stable across platforms and runs.
constexpr uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

// A probability as num/den with 0 <= num <= den, den > 0.
struct Ratio {
  uint64_t num = 0;
  uint64_t den = 1;
  constexpr bool is_zero() const { return num == 0; }
  constexpr auto operator<=>(const Ratio&) const = default;
};

class Rng {
 public:
  // A stream for `name` under `master_seed`. Same inputs, same stream, always.
  static Rng derive(uint64_t master_seed, std::string_view name);
  explicit Rng(uint64_t seed);
  Rng() : Rng(0) {}

  // The draws every message and timer makes are defined here, inline: a
  // call per draw was a measurable share of a run.
  uint64_t next() {
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
  // Uniform in [0, n), n > 0, without modulo bias (Lemire 2019).
  uint64_t below(uint64_t n) {
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
  // Uniform in [lo, hi], lo <= hi.
  int64_t between(int64_t lo, int64_t hi) {
    DSIM_ASSERT(lo <= hi);
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    if (span == UINT64_MAX) return static_cast<int64_t>(next());
    return static_cast<int64_t>(static_cast<uint64_t>(lo) + below(span + 1));
  }
  bool chance(Ratio p) {
    DSIM_ASSERT(p.den > 0);
    DSIM_ASSERT(p.num <= p.den);
    if (p.num == 0) return false;  // draw nothing: a zero probability never perturbs the stream
    if (p.num == p.den) return true;
    return below(p.den) < p.num;
  }
  // Uniform double in [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double normal(double mean, double stddev);
  double exponential(double mean);
  double lognormal(double mu, double sigma);

  // The stream's position: two streams with equal state draw the same
  // numbers from here on (`dsim explore` fingerprints it).
  const uint64_t* state() const { return s_; }

 private:
  static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace dsim
