// The harness's requests over a run, for `dsim tune`'s requests.* metrics:
// each "harness_input" {req} the harness submitted and the first
// "client_response" {req, ok: true} that answered it (protocols that
// replicate a log report a request committed and applied this way).
//   submitted        requests the harness submitted
//   committed        of those, answered ok
//   latency p50/p99  submission -> ok answer (nearest rank), answered ones only
// Nothing is measured when the harness submitted nothing.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "dsim/trace_event.h"

namespace dsim::analysis {

class RequestLatency final : public trace::Consumer {
 public:
  void consume(const trace::Event& e) override;

  uint64_t submitted() const { return submitted_.size(); }
  uint64_t committed() const { return latencies_ns_.size(); }
  // REQUIRES: committed() > 0. p in (0, 1].
  int64_t latency_ns(double p) const;

 private:
  std::map<int64_t, int64_t> submitted_;  // req -> when the harness submitted it
  std::map<int64_t, bool> answered_;      // reqs answered ok (the first answer counts)
  std::vector<int64_t> latencies_ns_;
};

}  // namespace dsim::analysis
