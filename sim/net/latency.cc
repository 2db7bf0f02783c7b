#include "sim/net/latency.h"

#include <cmath>

#include "dsim/assert.h"

namespace dsim::net {

namespace {
// A latency beyond a day is a configuration error, and capping keeps the
// double -> int64 conversion defined whatever the tail draws.
constexpr double kMaxSampleNs = 86'400e9;

Duration to_ns(double x) {
  if (!(x > 0)) return Duration{0};  // also catches NaN
  if (x > kMaxSampleNs) x = kMaxSampleNs;
  return Duration{static_cast<int64_t>(std::llround(x))};
}
}  // namespace

const char* kind_name(LatencyModel::Kind k) {
  switch (k) {
    case LatencyModel::Kind::kConstant: return "constant";
    case LatencyModel::Kind::kUniform: return "uniform";
    case LatencyModel::Kind::kNormal: return "normal";
    case LatencyModel::Kind::kExponential: return "exponential";
    case LatencyModel::Kind::kLognormal: return "lognormal";
  }
  return "?";
}

std::string LatencyModel::validate() const {
  if (base.ns < 0) return "base latency must not be negative";
  switch (kind) {
    case Kind::kConstant:
      if (a.ns < 0) return "latency must not be negative";
      break;
    case Kind::kUniform:
      if (a.ns < 0) return "min must not be negative";
      if (b < a) return "max must be >= min";
      break;
    case Kind::kNormal:
      if (a.ns < 0) return "mean must not be negative";
      if (b.ns < 0) return "stddev must not be negative";
      break;
    case Kind::kExponential:
      if (a.ns <= 0) return "mean must be positive";
      break;
    case Kind::kLognormal:
      if (a.ns <= 0) return "median must be positive";
      if (!(sigma >= 0.0 && sigma <= 10.0)) return "sigma must be in [0, 10]";
      break;
  }
  return {};
}

Duration LatencyModel::sample(Rng& rng) const {
  switch (kind) {
    case Kind::kConstant:
      return base + a;
    case Kind::kUniform:
      return base + Duration{rng.between(a.ns, b.ns)};
    case Kind::kNormal: {
      if (b.ns == 0) return base + a;
      // Truncation by redrawing keeps the shape above 0. The mean is >= 0, so
      // each draw succeeds with probability >= 1/2 and 64 failures in a row
      // (2^-64) is treated as 0.
      for (int attempt = 0; attempt < 64; ++attempt) {
        const double x = rng.normal(static_cast<double>(a.ns), static_cast<double>(b.ns));
        if (x >= 0) return base + to_ns(x);
      }
      return base;
    }
    case Kind::kExponential:
      return base + to_ns(rng.exponential(static_cast<double>(a.ns)));
    case Kind::kLognormal:
      return base + to_ns(rng.lognormal(std::log(static_cast<double>(a.ns)), sigma));
  }
  DSIM_ASSERT_MSG(false, "unknown latency kind");
  return base;
}

double LatencyModel::mean_ns() const {
  const double bs = static_cast<double>(base.ns);
  switch (kind) {
    case Kind::kConstant: return bs + static_cast<double>(a.ns);
    case Kind::kUniform: return bs + (static_cast<double>(a.ns) + static_cast<double>(b.ns)) / 2;
    case Kind::kNormal: return bs + static_cast<double>(a.ns);
    case Kind::kExponential: return bs + static_cast<double>(a.ns);
    case Kind::kLognormal: return bs + static_cast<double>(a.ns) * std::exp(sigma * sigma / 2);
  }
  return 0;
}

double LatencyModel::variance_ns2() const {
  switch (kind) {
    case Kind::kConstant: return 0;
    case Kind::kUniform: {
      const double n = static_cast<double>(b.ns - a.ns) + 1;  // discrete uniform on [a, b]
      return (n * n - 1) / 12;
    }
    case Kind::kNormal: return static_cast<double>(b.ns) * static_cast<double>(b.ns);
    case Kind::kExponential: return static_cast<double>(a.ns) * static_cast<double>(a.ns);
    case Kind::kLognormal: {
      const double m = static_cast<double>(a.ns);
      const double s2 = sigma * sigma;
      return (std::exp(s2) - 1) * std::exp(s2) * m * m;
    }
  }
  return 0;
}

}  // namespace dsim::net
