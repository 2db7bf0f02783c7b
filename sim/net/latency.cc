#include "sim/net/latency.h"

#include <cmath>

#include "dsim/assert.h"

namespace dsim::net {

Duration to_ns(double x) {
  if (!(x > 0)) return Duration{0};  // also catches NaN
  if (x > kMaxSampleNs) x = kMaxSampleNs;
  // std::llround without the call (one per message): below 2^53 the
  // fraction x - trunc(x) is exact, and a half rounds up, away from zero.
  const auto whole = static_cast<int64_t>(x);
  return Duration{whole + (x - static_cast<double>(whole) >= 0.5 ? 1 : 0)};
}

LatencyModel LatencyModel::mixture(std::vector<Component> parts) {
  LatencyModel m;
  m.kind = Kind::kMixture;
  m.parts = std::move(parts);
  return m;
}

const char* kind_name(LatencyModel::Kind k) {
  switch (k) {
    case LatencyModel::Kind::kConstant: return "constant";
    case LatencyModel::Kind::kUniform: return "uniform";
    case LatencyModel::Kind::kNormal: return "normal";
    case LatencyModel::Kind::kExponential: return "exponential";
    case LatencyModel::Kind::kLognormal: return "lognormal";
    case LatencyModel::Kind::kPareto: return "pareto";
    case LatencyModel::Kind::kMixture: return "mixture";
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
    case Kind::kPareto:
      if (a.ns <= 0) return "scale must be positive";
      if (!(sigma >= 0.1 && sigma <= 100.0)) return "shape must be in [0.1, 100]";
      if (b.ns < 0) return "max must not be negative";
      if (b.ns > 0 && b < a) return "max must be >= scale";
      break;
    case Kind::kMixture: {
      if (parts.empty()) return "a mixture needs at least one component";
      if (parts.size() > 16) return "a mixture has at most 16 components";
      uint64_t total = 0;
      for (const Component& c : parts) {
        if (c.weight == 0) return "a mixture weight must be positive";
        if (c.model.kind == Kind::kMixture) return "a mixture component cannot be a mixture";
        if (std::string why = c.model.validate(); !why.empty()) return why;
        total += c.weight;
      }
      if (total > 1'000'000'000) return "mixture weights add up to more than 1000000000";
      break;
    }
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
      return base + to_ns(rng.lognormal(log_a_for_ns == a.ns ? log_a : std::log(static_cast<double>(a.ns)), sigma));
    case Kind::kPareto: {
      // Inverse transform: x_m / U^(1/alpha), U in (0, 1].
      const double u = 1.0 - rng.unit();
      Duration x = to_ns(static_cast<double>(a.ns) / std::pow(u, 1.0 / sigma));
      if (b.ns > 0 && x > b) x = b;
      return base + x;
    }
    case Kind::kMixture: {
      uint64_t total = 0;
      for (const Component& c : parts) total += c.weight;
      uint64_t pick = rng.below(total);
      for (const Component& c : parts) {
        if (pick < c.weight) return base + c.model.sample(rng);
        pick -= c.weight;
      }
      DSIM_ASSERT_MSG(false, "mixture pick out of range");
      return base;
    }
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
    case Kind::kPareto:
      if (sigma <= 1) return INFINITY;
      return bs + sigma * static_cast<double>(a.ns) / (sigma - 1);
    case Kind::kMixture: {
      double total = 0, sum = 0;
      for (const Component& c : parts) {
        total += c.weight;
        sum += c.weight * c.model.mean_ns();
      }
      return bs + sum / total;
    }
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
    case Kind::kPareto: {
      if (sigma <= 2) return INFINITY;
      const double m = static_cast<double>(a.ns);
      return m * m * sigma / ((sigma - 1) * (sigma - 1) * (sigma - 2));
    }
    case Kind::kMixture: {
      // Law of total variance.
      double total = 0;
      for (const Component& c : parts) total += c.weight;
      const double mean = mean_ns() - static_cast<double>(base.ns);
      double second = 0;
      for (const Component& c : parts) {
        const double mc = c.model.mean_ns();
        second += c.weight / total * (c.model.variance_ns2() + mc * mc);
      }
      return second - mean * mean;
    }
  }
  return 0;
}

}  // namespace dsim::net
