// What a MapReduce run did (protocols/mapreduce): per job, the completion
// time (job_start to job_done); over the run, the attempts launched, how
// many re-executed a task a dead or unreachable worker held (requeue), how
// many were backups of stragglers, completions discarded because the task
// was already committed, and workers declared dead.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "dsim/trace_event.h"

namespace dsim::analysis {

struct MapReduceReport {
  uint64_t jobs_started = 0, jobs_done = 0;
  std::vector<int64_t> completion_ns;  // of each finished job, in order
  int64_t mean_ns = -1, max_ns = -1;
  uint64_t attempts = 0, backups = 0, requeued = 0, discarded = 0, workers_dead = 0, faults = 0;
};

class MapReduceStats final : public trace::Consumer {
 public:
  void consume(const trace::Event& e) override;
  // Only these reach consume(): without the list a run would build every
  // send and delivery event for a reader that skips them.
  std::vector<std::string_view> kinds() const override {
    return {"job_start", "job_done", "assign", "requeue", "discard", "worker_dead",
            "crash", "pause", "partition", "isolate", "cut", "clog"};
  }
  MapReduceReport finish() const;

 private:
  std::map<int64_t, int64_t> started_;  // job -> start time
  MapReduceReport r_;
};

}  // namespace dsim::analysis
