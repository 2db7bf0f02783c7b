#include "protocols/raft/experiment.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <memory>

#include "protocols/raft/raft.h"
#include "sim/core/simulator.h"
#include "sim/net/network.h"

namespace dsim::raft {
namespace {

// Watches role events: remembers the leader and stops the simulation when
// a node other than `ignore` becomes leader.
class LeaderWatch final : public EventSink {
 public:
  explicit LeaderWatch(Simulator& sim) : sim_(sim) {}
  void event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) override {
    if (kind != "role" || fields.empty()) return;
    const auto* role = std::get_if<std::string_view>(&fields[0].value);
    if (!role || *role != "leader" || node == ignore_) return;
    leader_ = node;
    elected_at_ = t;
    if (stop_on_leader_) sim_.stop();
  }
  void watch_for_new_leader(NodeId old) {
    ignore_ = old;
    leader_.reset();
    stop_on_leader_ = true;
  }
  std::optional<NodeId> leader() const { return leader_; }
  Time elected_at() const { return elected_at_; }

 private:
  Simulator& sim_;
  NodeId ignore_{kGlobal};
  std::optional<NodeId> leader_;
  Time elected_at_;
  bool stop_on_leader_ = false;
};

int64_t percentile(const std::vector<int64_t>& sorted, double p) {
  // Nearest-rank: the smallest value with at least p of the samples at or below it.
  const auto rank = static_cast<size_t>(std::max<double>(1.0, std::ceil(p * static_cast<double>(sorted.size()))));
  return sorted[std::min(rank, sorted.size()) - 1];
}

}  // namespace

int64_t election_trial(const ElectionExperiment& e, Duration range_min, Duration range_max, uint64_t seed) {
  Simulator sim(seed);
  net::LinkSpec link;
  link.latency = net::LatencyModel::uniform(e.latency_min, e.latency_max);
  net::Network net(e.nodes, seed, link);
  sim.set_network(&net);
  Config cfg;
  cfg.election_min = range_min;
  cfg.election_max = range_max;
  cfg.heartbeat = e.heartbeat;
  for (uint32_t i = 0; i < e.nodes; ++i) {
    sim.add_node(std::string("n").append(std::to_string(i + 1)), [cfg](NodeId) { return make_node(cfg); });
  }
  LeaderWatch watch(sim);
  sim.set_sink(&watch);
  // Let a first leader settle in.
  sim.run(Time{0} + range_max * 20);
  if (!watch.leader()) return -1;
  const NodeId old = *watch.leader();
  // Crash it at a uniformly random point of a heartbeat interval.
  Rng rng = Rng::derive(seed, "experiment");
  const Time crash_at = sim.now() + Duration{rng.between(0, e.heartbeat.ns - 1)};
  sim.run(crash_at);
  sim.crash(old, false);
  watch.watch_for_new_leader(old);
  const RunResult r = sim.run(crash_at + seconds(10));
  if (!r.stopped || !watch.leader()) return -1;
  return (watch.elected_at() - crash_at).ns;
}

std::vector<ElectionResult> run_election_experiment(const ElectionExperiment& e) {
  std::vector<ElectionResult> out;
  for (size_t r = 0; r < e.ranges.size(); ++r) {
    const auto [lo, hi] = e.ranges[r];
    std::vector<int64_t> samples;
    ElectionResult res;
    res.range_min = lo;
    res.range_max = hi;
    res.trials = e.trials;
    for (uint32_t t = 0; t < e.trials; ++t) {
      const uint64_t seed = mix64(e.seed ^ mix64((static_cast<uint64_t>(r) << 32) | t));
      const int64_t d = election_trial(e, lo, hi, seed);
      if (d < 0) {
        ++res.no_leader;
      } else {
        samples.push_back(d);
      }
    }
    std::sort(samples.begin(), samples.end());
    if (!samples.empty()) {
      res.min = samples.front();
      res.p50 = percentile(samples, 0.50);
      res.p90 = percentile(samples, 0.90);
      res.p99 = percentile(samples, 0.99);
      res.max = samples.back();
    }
    out.push_back(res);
  }
  return out;
}

}  // namespace dsim::raft
