// What a load-balancing run did (protocols/lb): requests served per
// backend and the spread of load relative to capacity (served / weight:
// max/mean and coefficient of variation; 1 and 0 are a perfect share by
// capacity), latency
// percentiles of successful requests, errors and retries. Reads backend
// "served"/"rejected" and client "lb_done" events.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "dsim/trace_event.h"

namespace dsim::analysis {

struct LbReport {
  uint64_t requests = 0, ok = 0, errors = 0, retries = 0, rejected = 0;
  int64_t p50_ns = -1, p90_ns = -1, p99_ns = -1, p999_ns = -1;
  std::map<std::string, uint64_t> served;  // per backend
  // Load over time: requests served per backend per second of the run.
  std::map<std::string, std::vector<uint64_t>> per_second;
  double max_over_mean = 0, cov = 0;       // over backends' served / weight
};

class LbStats final : public trace::Consumer {
 public:
  LbStats(std::vector<std::string> backends, std::vector<int64_t> weights);
  void consume(const trace::Event& e) override;
  // What consume() reads: without this list the run would format every
  // send and delivery (the busiest kinds) for a reader that skips them.
  std::vector<std::string_view> kinds() const override { return {"served", "rejected", "lb_done"}; }
  LbReport finish() const;

 private:
  std::vector<std::string> backends_;
  std::vector<int64_t> weights_;
  // Backend name -> index, for lookups only (never iterated, so its order
  // cannot reach the report). Counts are per backend index.
  std::unordered_map<std::string, uint32_t> index_;
  std::vector<uint64_t> served_;
  std::vector<std::vector<uint64_t>> per_second_;
  std::vector<int64_t> latencies_;
  uint64_t requests_ = 0, ok_ = 0, retries_ = 0, rejected_ = 0;
};

}  // namespace dsim::analysis
