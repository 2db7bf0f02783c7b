#include "protocols/lb/stats.h"

#include <algorithm>
#include <cmath>

namespace dsim::analysis {

void LbStats::consume(const trace::Event& e) {
  if (e.kind == "served") {
    ++served_[e.node];
    auto& v = per_second_[e.node];
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
  std::vector<int64_t> l = latencies_;
  std::sort(l.begin(), l.end());
  auto pct = [&](double p) {
    if (l.empty()) return int64_t{-1};
    return l[std::min(l.size() - 1, static_cast<size_t>(p * static_cast<double>(l.size() - 1) + 0.5))];
  };
  r.p50_ns = pct(0.5);
  r.p90_ns = pct(0.9);
  r.p99_ns = pct(0.99);
  r.p999_ns = pct(0.999);
  double sum = 0, sq = 0, mx = 0;
  for (size_t i = 0; i < backends_.size(); ++i) {
    const std::string& b = backends_[i];
    auto it = served_.find(b);
    const double served = it == served_.end() ? 0 : static_cast<double>(it->second);
    r.served[b] = static_cast<uint64_t>(served);
    if (auto ps = per_second_.find(b); ps != per_second_.end()) r.per_second[b] = ps->second;
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
