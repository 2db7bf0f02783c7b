// Load-balancing policies, each a small class behind one interface:
// round robin, random, smooth weighted round robin (nginx's), least
// outstanding requests, power of two random choices, consistent hashing on
// a ring with virtual nodes, and consistent hashing with bounded loads
// (Mirrokni, Thorup, Zadimoghaddam 2018). A policy picks among the
// backends currently eligible (set_eligible); the caller reports each
// request's start and finish so stateful policies can count.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dsim/prng.h"

namespace dsim::lb {

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string_view name() const = 0;
  // Which backends may be picked (health); all at first.
  void set_eligible(const std::vector<bool>& up);
  // REQUIRES: some backend is eligible.
  virtual uint32_t pick(uint64_t key, Rng& rng) = 0;
  void started(uint32_t b);
  void finished(uint32_t b);
  int64_t outstanding(uint32_t b) const { return outstanding_[b]; }
  bool any_eligible() const { return !eligible_.empty(); }

 protected:
  explicit Policy(size_t n);
  // Kept up to date so that a pick does not scan or allocate: the picks
  // run once per request, with up to thousands of backends.
  std::vector<bool> up_;
  std::vector<uint32_t> eligible_;  // the up backends, in order
  std::vector<int64_t> outstanding_;
  int64_t eligible_outstanding_ = 0;  // summed over the eligible backends
};

class RoundRobin final : public Policy {
 public:
  explicit RoundRobin(size_t n) : Policy(n) {}
  std::string_view name() const override { return "round_robin"; }
  uint32_t pick(uint64_t key, Rng& rng) override;

 private:
  uint32_t next_ = 0;
};

class Random final : public Policy {
 public:
  explicit Random(size_t n) : Policy(n) {}
  std::string_view name() const override { return "random"; }
  uint32_t pick(uint64_t key, Rng& rng) override;
};

// nginx's smooth weighted round robin: each pick adds every weight to its
// backend's current value, takes the largest, and subtracts the total from
// it, so a heavy backend's turns are spread out (5,1,1: a a b a c a a).
class SmoothWeighted final : public Policy {
 public:
  explicit SmoothWeighted(std::vector<int64_t> weights);
  std::string_view name() const override { return "weighted_round_robin"; }
  uint32_t pick(uint64_t key, Rng& rng) override;

 private:
  std::vector<int64_t> weight_, current_;
};

class LeastOutstanding final : public Policy {
 public:
  explicit LeastOutstanding(size_t n) : Policy(n) {}
  std::string_view name() const override { return "least_outstanding"; }
  uint32_t pick(uint64_t key, Rng& rng) override;  // ties: random

 private:
  std::vector<uint32_t> ties_;  // scratch
};

class PowerOfTwo final : public Policy {
 public:
  explicit PowerOfTwo(size_t n) : Policy(n) {}
  std::string_view name() const override { return "power_of_two"; }
  uint32_t pick(uint64_t key, Rng& rng) override;
};

// A hash ring: `vnodes` points per backend; a key belongs to the first
// point clockwise from its hash.
class Ring {
 public:
  Ring(size_t n, uint32_t vnodes);
  // The ring positions, in order from the key's position.
  template <typename F>  // F(uint32_t backend) -> bool: stop when true
  uint32_t walk(uint64_t key, F&& accept) const;
  size_t size() const { return points_.size(); }

 private:
  std::vector<std::pair<uint64_t, uint32_t>> points_;
};

class ConsistentHash final : public Policy {
 public:
  ConsistentHash(size_t n, uint32_t vnodes) : Policy(n), ring_(n, vnodes) {}
  std::string_view name() const override { return "consistent_hash"; }
  uint32_t pick(uint64_t key, Rng& rng) override;

 private:
  Ring ring_;
};

// Consistent hashing with bounded loads: no backend takes more than
// ceil(c * (outstanding + 1) / eligible) requests at once; a full backend
// passes the key on clockwise.
class BoundedLoadHash final : public Policy {
 public:
  BoundedLoadHash(size_t n, uint32_t vnodes, double c) : Policy(n), ring_(n, vnodes), c_(c) {}
  std::string_view name() const override { return "bounded_load_hash"; }
  uint32_t pick(uint64_t key, Rng& rng) override;
  int64_t capacity() const;  // the cap for the next request

 private:
  Ring ring_;
  double c_;
};

uint64_t hash64(uint64_t x);

// By name: round_robin, random, weighted_round_robin, least_outstanding,
// power_of_two, consistent_hash, bounded_load_hash. nullptr if unknown.
std::unique_ptr<Policy> make_policy(std::string_view name, const std::vector<int64_t>& weights, uint32_t vnodes,
                                    double bound);
const std::vector<std::string_view>& policy_names();

}  // namespace dsim::lb
