// MapReduce's properties, judged from the coordinator's trace events
// (protocols/mapreduce).
//
// mapreduce_result    safety: every committed output equals what the
//                     sequential computation gives for it. A map task's
//                     committed output counts exactly the words of its
//                     split; a reduce partition's equals the sequential word
//                     count of that partition (total and digest of its
//                     (word, count) pairs); a finished job's total is every
//                     input word counted once. The checker regenerates the
//                     input from the job's shape (job_start) and runs the
//                     job itself, so a re-executed, backed-up or duplicated
//                     task that is counted twice, or a lost one, shows.
// mapreduce_liveness  liveness: every job that started finishes within the
//                     bound after max(its start, the end of the last
//                     fault).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dsim/checker.h"
#include "dsim/fault_window.h"
#include "protocols/mapreduce/wordcount.h"

namespace dsim::analysis {

class MapReduceResult final : public Checker {
 public:
  std::string_view name() const override { return "mapreduce_result"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;

 private:
  struct Job {
    mapreduce::JobShape shape;
    std::vector<mapreduce::PartitionResult> expected;  // per reduce partition
    std::set<int64_t> committed;                       // tasks
  };
  void fail(const trace::Event& e, std::string message);

  std::map<int64_t, Job> jobs_;
  uint64_t jobs_done_ = 0, commits_ = 0;
  int64_t words_ = 0;  // counted in finished jobs
  std::optional<Violation> first_;
};

class MapReduceLiveness final : public Checker {
 public:
  explicit MapReduceLiveness(int64_t within_ns) : within_ns_(within_ns) {}
  std::string_view name() const override { return "mapreduce_liveness"; }
  CheckKind kind() const override { return CheckKind::kLiveness; }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;

 private:
  int64_t within_ns_;
  FaultWindow faults_;
  std::map<int64_t, int64_t> pending_;  // job -> start time
  uint64_t started_ = 0, done_ = 0;
  int64_t worst_ = 0;  // the longest a finished job took after max(start, quiet)
  std::optional<Violation> first_;
};

}  // namespace dsim::analysis
