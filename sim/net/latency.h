// Latency models for one direction of a link.
//
// Every model is `base + sample`, where sample is drawn from the named
// distribution and converted to integer nanoseconds at once. `base` is where
// a topology's path latency goes. Parameters are validated when the model is
// built (validate()), never while sampling.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "dsim/prng.h"
#include "dsim/time.h"

namespace dsim::net {

struct LatencyModel {
  enum class Kind { kConstant, kUniform, kNormal, kExponential, kLognormal, kPareto, kMixture };
  struct Component;
  Kind kind = Kind::kConstant;
  Duration base{0};
  // constant: a = value. uniform: a = min, b = max. normal: a = mean,
  // b = stddev (truncated at 0 by redrawing). exponential: a = mean.
  // lognormal: a = median (e^mu), sigma = shape.
  // pareto: a = scale (the minimum, x_m), sigma = shape (alpha), b = cap:
  //   a draw above the cap is the cap (0: no cap but the global one day).
  // mixture: components drawn by integer weight; a component is never
  //   itself a mixture (validate() refuses), so sampling is not recursive
  //   beyond one level.
  Duration a{0};
  Duration b{0};
  double sigma = 0.0;
  std::vector<Component> parts;  // mixture only
  // lognormal: log(a) as computed when the model was built, for the `a` it
  // was computed for. sample() uses it only while a still equals
  // log_a_for_ns (else it takes the log itself): the same double either way,
  // one libm call fewer per message.
  double log_a = 0.0;
  int64_t log_a_for_ns = -1;

  // Built here (defined below, where Component is complete).
  static LatencyModel constant(Duration v);
  static LatencyModel uniform(Duration lo, Duration hi);
  static LatencyModel normal(Duration mean, Duration sd);
  static LatencyModel exponential(Duration mean);
  static LatencyModel lognormal(Duration median, double s);
  static LatencyModel pareto(Duration scale, double shape, Duration cap = Duration{0});
  static LatencyModel mixture(std::vector<Component> parts);

  // Empty string when valid, else what is wrong.
  std::string validate() const;
  Duration sample(Rng& rng) const;
  // The distribution's mean and variance (ns, ns^2), for tests and docs.
  // The normal's are of the untruncated distribution; a Pareto's are of the
  // uncapped one (infinite when shape <= 1, resp. <= 2).
  double mean_ns() const;
  double variance_ns2() const;
};

// One part of a mixture: drawn with probability weight / (sum of weights).
struct LatencyModel::Component {
  uint32_t weight = 1;
  LatencyModel model;
};

inline LatencyModel LatencyModel::constant(Duration v) { return {Kind::kConstant, {}, v, {}, 0, {}, 0.0, -1}; }
inline LatencyModel LatencyModel::uniform(Duration lo, Duration hi) { return {Kind::kUniform, {}, lo, hi, 0, {}, 0.0, -1}; }
inline LatencyModel LatencyModel::normal(Duration mean, Duration sd) { return {Kind::kNormal, {}, mean, sd, 0, {}, 0.0, -1}; }
inline LatencyModel LatencyModel::exponential(Duration mean) { return {Kind::kExponential, {}, mean, {}, 0, {}, 0.0, -1}; }
inline LatencyModel LatencyModel::lognormal(Duration median, double s) {
  LatencyModel m{Kind::kLognormal, {}, median, {}, s, {}, 0.0, -1};
  if (median.ns > 0) {
    m.log_a = std::log(static_cast<double>(median.ns));
    m.log_a_for_ns = median.ns;
  }
  return m;
}
inline LatencyModel LatencyModel::pareto(Duration scale, double shape, Duration cap) {
  return {Kind::kPareto, {}, scale, cap, shape, {}, 0.0, -1};
}

const char* kind_name(LatencyModel::Kind k);

// A sampled latency in nanoseconds: rounded to nearest (halves away from
// zero, as std::llround), 0 for a negative or NaN draw, capped at a day (a
// latency beyond that is a configuration error, and the cap keeps the
// conversion defined whatever a tail draws).
inline constexpr double kMaxSampleNs = 86'400e9;
Duration to_ns(double x);

}  // namespace dsim::net
