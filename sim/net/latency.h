// Latency models for one direction of a link.
//
// Every model is `base + sample`, where sample is drawn from the named
// distribution and converted to integer nanoseconds at once. `base` is where
// a topology's path latency goes. Parameters are validated when the model is
// built (validate()), never while sampling.
#pragma once
#include <cstdint>
#include <string>

#include "dsim/prng.h"
#include "dsim/time.h"

namespace dsim::net {

struct LatencyModel {
  enum class Kind { kConstant, kUniform, kNormal, kExponential, kLognormal };
  Kind kind = Kind::kConstant;
  Duration base{0};
  // constant: a = value. uniform: a = min, b = max. normal: a = mean,
  // b = stddev (truncated at 0 by redrawing). exponential: a = mean.
  // lognormal: a = median (e^mu), sigma = shape.
  Duration a{0};
  Duration b{0};
  double sigma = 0.0;

  static LatencyModel constant(Duration v) { return {Kind::kConstant, {}, v, {}, 0}; }
  static LatencyModel uniform(Duration lo, Duration hi) { return {Kind::kUniform, {}, lo, hi, 0}; }
  static LatencyModel normal(Duration mean, Duration sd) { return {Kind::kNormal, {}, mean, sd, 0}; }
  static LatencyModel exponential(Duration mean) { return {Kind::kExponential, {}, mean, {}, 0}; }
  static LatencyModel lognormal(Duration median, double s) { return {Kind::kLognormal, {}, median, {}, s}; }

  // Empty string when valid, else what is wrong.
  std::string validate() const;
  Duration sample(Rng& rng) const;
  // The distribution's mean and variance (ns, ns^2), for tests and docs.
  // The normal's are of the untruncated distribution.
  double mean_ns() const;
  double variance_ns2() const;
};

const char* kind_name(LatencyModel::Kind k);

}  // namespace dsim::net
