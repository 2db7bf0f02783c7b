#include "protocols/lb/stats.h"

#include <algorithm>
#include <cmath>

#include "dsim/assert.h"

namespace dsim::analysis {

LbStats::LbStats(std::vector<std::string> backends, std::vector<int64_t> weights)
    : backends_(std::move(backends)), weights_(std::move(weights)), served_(backends_.size(), 0),
      per_second_(backends_.size()) {
  index_.reserve(backends_.size());
  for (uint32_t i = 0; i < backends_.size(); ++i) index_.emplace(backends_[i], i);
}

void LbStats::consume(const trace::Event& e) {
  if (e.kind == "served") {
    // Only backends serve; a name that is not one of them cannot reach the
    // report, which lists the backends.
    const auto b = index_.find(e.node);
    if (b == index_.end()) return;
    ++served_[b->second];
    auto& v = per_second_[b->second];
    const auto s = static_cast<size_t>(e.t / 1'000'000'000);
    if (v.size() <= s) v.resize(s + 1, 0);
    ++v[s];
  } else if (e.kind == "rejected") {
    ++rejected_;
  } else if (e.kind == "lb_done") {
    ++requests_;
    retries_ += static_cast<uint64_t>(e.get_int("retries").value_or(0));
    const trace::Value* ok = e.find("ok");
    if (ok && std::holds_alternative<bool>(*ok) && std::get<bool>(*ok)) {
      ++ok_;
      latencies_.push_back(e.get_int("latency_ns").value_or(0));
    }
  }
}

LbReport LbStats::finish() const {
  LbReport r;
  r.requests = requests_;
  r.ok = ok_;
  r.errors = requests_ - ok_;
  r.retries = retries_;
  r.rejected = rejected_;
  // Each percentile is the element a full sort would put at its rank;
  // nth_element finds it without sorting. Ranks are taken in increasing
  // order, so each search runs on the part right of the previous one.
  std::vector<int64_t> l = latencies_;
  auto from = l.begin();
  auto pct = [&](double p) {
    if (l.empty()) return int64_t{-1};
    const auto at = l.begin() + static_cast<std::ptrdiff_t>(
                                    std::min(l.size() - 1, static_cast<size_t>(p * static_cast<double>(l.size() - 1) + 0.5)));
    DSIM_ASSERT(at >= from);
    std::nth_element(from, at, l.end());
    from = at;
    return *at;
  };
  r.p50_ns = pct(0.5);
  r.p90_ns = pct(0.9);
  r.p99_ns = pct(0.99);
  r.p999_ns = pct(0.999);
  double sum = 0, sq = 0, mx = 0;
  for (size_t i = 0; i < backends_.size(); ++i) {
    const std::string& b = backends_[i];
    const double served = static_cast<double>(served_[i]);
    r.served[b] = served_[i];
    if (!per_second_[i].empty()) r.per_second[b] = per_second_[i];
    const double n = served / static_cast<double>(i < weights_.size() ? weights_[i] : 1);
    sum += n;
    sq += n * n;
    mx = std::max(mx, n);
  }
  if (!backends_.empty() && sum > 0) {
    const double mean = sum / static_cast<double>(backends_.size());
    r.max_over_mean = mx / mean;
    r.cov = std::sqrt(std::max(0.0, sq / static_cast<double>(backends_.size()) - mean * mean)) / mean;
  }
  return r;
}

}  // namespace dsim::analysis
