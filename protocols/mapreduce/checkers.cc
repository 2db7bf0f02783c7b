#include "protocols/mapreduce/checkers.h"

#include <algorithm>

namespace dsim::analysis {

void MapReduceResult::fail(const trace::Event& e, std::string message) {
  if (!first_) first_ = Violation{e.t, e.node, std::move(message)};
}

void MapReduceResult::consume(const trace::Event& e) {
  if (e.kind == "job_start") {
    Job j;
    j.shape.job = e.get_int("job").value_or(0);
    j.shape.records = e.get_int("records").value_or(0);
    j.shape.map_tasks = e.get_int("map_tasks").value_or(0);
    j.shape.reduce_tasks = e.get_int("reduce_tasks").value_or(0);
    j.shape.words_per_record = e.get_int("words_per_record").value_or(0);
    j.shape.vocab = e.get_int("vocab").value_or(0);
    j.shape.input_seed = e.get_int("input_seed").value_or(0);
    const auto& s = j.shape;
    if (s.records < 1 || s.map_tasks < 1 || s.map_tasks > s.records || s.reduce_tasks < 1 || s.words_per_record < 1 ||
        s.vocab < 1 || s.records * s.words_per_record > 100'000'000) {
      fail(e, "job " + std::to_string(s.job) + " has an impossible shape (records, tasks, words or vocabulary)");
      return;
    }
    j.expected = mapreduce::sequential(s);
    jobs_[s.job] = std::move(j);
    return;
  }
  if (e.kind != "commit" && e.kind != "job_done") return;
  const int64_t job = e.get_int("job").value_or(-1);
  const auto it = jobs_.find(job);
  if (it == jobs_.end()) {
    fail(e, e.kind + " of job " + std::to_string(job) + ", which never started");
    return;
  }
  Job& j = it->second;
  const auto& s = j.shape;
  const std::string jt = "job " + std::to_string(job);
  if (e.kind == "job_done") {
    const int64_t total = e.get_int("total").value_or(-1);
    const int64_t want = s.records * s.words_per_record;
    const int64_t reduces = static_cast<int64_t>(
        std::count_if(j.committed.begin(), j.committed.end(), [&](int64_t t) { return t >= s.map_tasks; }));
    if (reduces != s.reduce_tasks) {
      fail(e, jt + " finished with " + std::to_string(reduces) + " of its " + std::to_string(s.reduce_tasks) +
                  " reduce partitions committed");
    } else if (total != want) {
      fail(e, jt + " finished with " + std::to_string(total) + " words counted; its input has " + std::to_string(want) +
                  " (" + std::to_string(s.records) + " records x " + std::to_string(s.words_per_record) + " words)");
    }
    ++jobs_done_;
    words_ += total;
    jobs_.erase(it);
    return;
  }
  ++commits_;
  const int64_t task = e.get_int("task").value_or(-1);
  const int64_t total = e.get_int("total").value_or(-1);
  const int64_t outputs = e.get_int("outputs").value_or(1);
  const std::string by = " (committed by " + std::string(e.get_str("worker").value_or("?")) + ", " +
                         std::to_string(outputs) + (outputs == 1 ? " output" : " outputs appended") + ")";
  if (task < 0 || task >= s.map_tasks + s.reduce_tasks) {
    fail(e, jt + " committed task " + std::to_string(task) + ", which it does not have");
    return;
  }
  j.committed.insert(task);
  if (task < s.map_tasks) {
    const auto [lo, hi] = mapreduce::split_of(s, task);
    const int64_t want = (hi - lo) * s.words_per_record;
    if (total != want) {
      fail(e, jt + " map task " + std::to_string(task) + " committed " + std::to_string(total) + " words; its split, records " +
                  std::to_string(lo) + ".." + std::to_string(hi - 1) + ", has " + std::to_string(want) +
                  (total == 2 * want ? ": counted twice" : "") + by);
    }
    return;
  }
  const int64_t p = task - s.map_tasks;
  const mapreduce::PartitionResult& want = j.expected[static_cast<size_t>(p)];
  const int64_t digest = e.get_int("digest").value_or(-1);
  if (total != want.total || digest != want.digest) {
    fail(e, jt + " reduce partition " + std::to_string(p) + " committed " + std::to_string(total) + " words (digest " +
                std::to_string(digest) + "); the sequential word count gives " + std::to_string(want.total) +
                " (digest " + std::to_string(want.digest) + ")" + by);
  }
}

CheckResult MapReduceResult::finish() {
  CheckResult r{std::string(name()), kind(), first_ ? Status::kViolated : Status::kHeld, first_, {}};
  if (!first_) {
    r.note = std::to_string(jobs_done_) + " jobs equal to the sequential word count (" + std::to_string(words_) +
             " words), " + std::to_string(commits_) + " task outputs checked";
  }
  require_evidence(r, jobs_done_ > 0, "no job finished: there is no result to compare with the sequential computation");
  return r;
}

void MapReduceLiveness::consume(const trace::Event& e) {
  faults_.consume(e);
  if (e.kind == "job_start") {
    ++started_;
    pending_[e.get_int("job").value_or(-1)] = e.t;
    return;
  }
  if (e.kind != "job_done") return;
  const int64_t job = e.get_int("job").value_or(-1);
  const auto it = pending_.find(job);
  if (it == pending_.end()) return;  // the result checker flags a job that never started
  ++done_;
  const int64_t from = std::max(it->second, faults_.quiet_since());
  const int64_t took = e.t - from;
  worst_ = std::max(worst_, took);
  if (took > within_ns_ && !first_) {
    first_ = Violation{e.t, e.node,
                       "job " + std::to_string(job) + " started at " + format_time(it->second) + " and finished at " +
                           format_time(e.t) + ", " + format_time(took) + " after " +
                           (it->second >= faults_.quiet_since() ? "its start" : "the last fault ended") +
                           " (bound " + format_time(within_ns_) + ")"};
  }
  pending_.erase(it);
}

CheckResult MapReduceLiveness::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, first_, {}};
  if (first_) {
    r.status = Status::kViolated;
    return r;
  }
  const int64_t end = faults_.end_time();
  for (const auto& [job, start] : pending_) {
    const int64_t deadline = std::max(start, faults_.quiet_since()) + within_ns_;
    if (deadline > end) continue;
    if (faults_.partitioned_at_end()) break;
    r.status = Status::kViolated;
    r.violation = Violation{deadline, "*",
                            "job " + std::to_string(job) + " started at " + format_time(start) +
                                " and had not finished by " + format_time(deadline) + ", " + format_time(within_ns_) +
                                " after " + (start >= faults_.quiet_since() ? "its start" : "the last fault ended")};
    return r;
  }
  if (faults_.partitioned_at_end() && !pending_.empty()) {
    r.status = Status::kInconclusive;
    r.note = "the network is still partitioned at the end of the run, with a job unfinished";
    return r;
  }
  r.note = std::to_string(done_) + " of " + std::to_string(started_) + " jobs finished; the slowest took " +
           format_time(worst_) + " after max(its start, the last fault)";
  require_evidence(r, done_ > 0, started_ ? "no job finished, and the run ended before the bound had passed"
                                          : "no job started");
  return r;
}

}  // namespace dsim::analysis
