#include "protocols/mapreduce/stats.h"

#include <algorithm>

namespace dsim::analysis {

void MapReduceStats::consume(const trace::Event& e) {
  const std::string& k = e.kind;
  if (k == "job_start") {
    ++r_.jobs_started;
    started_[e.get_int("job").value_or(-1)] = e.t;
  } else if (k == "job_done") {
    const auto it = started_.find(e.get_int("job").value_or(-1));
    if (it == started_.end()) return;
    ++r_.jobs_done;
    r_.completion_ns.push_back(e.t - it->second);
    started_.erase(it);
  } else if (k == "assign") {
    ++r_.attempts;
    const trace::Value* b = e.find("backup");
    if (b && std::holds_alternative<bool>(*b) && std::get<bool>(*b)) ++r_.backups;
  } else if (k == "requeue") {
    ++r_.requeued;
  } else if (k == "discard") {
    ++r_.discarded;
  } else if (k == "worker_dead") {
    ++r_.workers_dead;
  } else if (k == "crash" || k == "pause" || k == "partition" || k == "isolate" || k == "cut" || k == "clog") {
    ++r_.faults;
  }
}

MapReduceReport MapReduceStats::finish() const {
  MapReduceReport r = r_;
  if (!r.completion_ns.empty()) {
    int64_t sum = 0;
    for (int64_t c : r.completion_ns) sum += c;
    r.mean_ns = sum / static_cast<int64_t>(r.completion_ns.size());
    r.max_ns = *std::max_element(r.completion_ns.begin(), r.completion_ns.end());
  }
  return r;
}

}  // namespace dsim::analysis
