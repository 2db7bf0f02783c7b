#include "analysis/tune_requests.h"

#include <algorithm>
#include <cmath>

#include "dsim/assert.h"

namespace dsim::analysis {

void RequestLatency::consume(const trace::Event& e) {
  if (e.kind == "harness_input") {
    if (auto req = e.get_int("req")) submitted_.try_emplace(*req, e.t);
    return;
  }
  if (e.kind != "client_response") return;
  const trace::Value* ok = e.find("ok");
  if (!ok || !std::holds_alternative<bool>(*ok) || !std::get<bool>(*ok)) return;
  const auto req = e.get_int("req");
  if (!req) return;
  auto it = submitted_.find(*req);
  if (it == submitted_.end() || !answered_.try_emplace(*req, true).second) return;  // unknown, or answered before
  DSIM_ASSERT(e.t >= it->second);
  latencies_ns_.push_back(e.t - it->second);
}

int64_t RequestLatency::latency_ns(double p) const {
  DSIM_ASSERT(!latencies_ns_.empty());
  DSIM_ASSERT(p > 0 && p <= 1);
  std::vector<int64_t> sorted = latencies_ns_;
  std::sort(sorted.begin(), sorted.end());
  const auto rank = static_cast<size_t>(std::max(1.0, std::ceil(p * static_cast<double>(sorted.size()))));
  return sorted[std::min(rank, sorted.size()) - 1];
}

}  // namespace dsim::analysis
