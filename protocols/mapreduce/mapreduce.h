// MapReduce (Dean and Ghemawat, OSDI 2004) on dsim: a coordinator and
// workers computing a word count (wordcount.h) job after job.
//
// Coordinator (one node): splits each job into `map_tasks` map tasks and
// `reduce_tasks` reduce tasks; hands an idle task to each idle live worker;
// reduce tasks start once every map task is committed. Failure detection
// (paper §3.3): workers heartbeat every `heartbeat`; one not heard from for
// `worker_timeout` is dead and its running task goes back to idle, to be
// re-executed elsewhere. An assignment the worker never got (its heartbeat
// says idle for longer than `worker_timeout`) is re-queued the same way.
// Stragglers (§3.6): with `backup`, once a phase has no idle task left, an
// idle worker gets a backup attempt of the task that has run longest, if it
// has run `backup_after`; the first completion wins, and the worker still
// running the other attempt counts as idle again (its next assignment
// replaces the attempt: the paper kills it).
// Commit (§3.3 "semantics in the presence of failures"): the coordinator
// accepts exactly one completion per task, the first; it stores the task's
// output durably (standing in for the paper's atomic rename on a
// distributed file system) before acknowledging, and discards every later
// completion (a backup's, a re-executed attempt's, a network duplicate).
// Map outputs live at the coordinator, so a reduce task carries its input
// in the assignment: a dead worker's committed map output is not lost.
// The coordinator itself survives a crash: the current job and the
// committed outputs are in its storage; in-flight attempts are forgotten
// and their tasks re-assigned (a late completion of one still commits).
//
// Workers: run one task at a time for its simulated cost (map: records x
// `record_time`; reduce: `reduce_time`; both times the worker's `slow`
// factor: a gray failure, alive and heartbeating but slow), then report the
// output, resending it with each heartbeat until acknowledged. A new
// assignment replaces a running one.
//
// Trace events: coordinator: job_start {job, records, map_tasks,
// reduce_tasks, words_per_record, vocab, input_seed}, assign {job, task,
// phase, worker, attempt, backup}, requeue {job, task, worker, reason},
// worker_dead {worker}, worker_alive {worker}, commit {job, task, phase,
// worker, attempt, total, digest, outputs}, discard {job, task, worker,
// reason}, coordinator_recovered {job, committed}, job_done {job, total,
// elapsed_ns}; worker: task_start {job, task, phase, attempt}, task_done
// {job, task, phase, attempt}; both: role {role, job}.
// Roles (fault targets): coordinator, mapper, reducer, idle.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dsim/node.h"
#include "protocols/mapreduce/wordcount.h"

namespace dsim::mapreduce {

struct Config {
  uint32_t coordinator = 0;  // node id; every other node is a worker
  int64_t jobs = 1;          // run one after another
  int64_t records = 400, map_tasks = 8, reduce_tasks = 4;
  int64_t words_per_record = 5, vocab = 40, input_seed = 1;
  Duration record_time = milliseconds(5);    // a map task's cost per record
  Duration reduce_time = milliseconds(150);  // a reduce task's cost
  Duration heartbeat = milliseconds(50);
  Duration worker_timeout = milliseconds(300);
  bool backup = false;
  Duration backup_after = milliseconds(200);
  Duration start = milliseconds(100);  // the first job
  Duration gap = milliseconds(200);    // between a job's end and the next's start
  std::vector<std::pair<uint32_t, int64_t>> slow;  // worker node id, slowdown factor (>= 1)
  // non_atomic_commit: the coordinator appends every completion's output
  // to the task's committed output instead of keeping only the first, so a
  // task that completes twice (a backup, a re-execution whose original was
  // not dead after all, a duplicated message) is counted twice.
  // never_reassign: a dead worker's running task stays assigned to it for
  // ever (backup tasks aside): the job never finishes.
  enum class Bug { kNone, kNonAtomicCommit, kNeverReassign } bug = Bug::kNone;

  int64_t slow_factor(uint32_t node) const;
  JobShape shape(int64_t job) const;
  int64_t tasks() const { return map_tasks + reduce_tasks; }
};

// Numbered apart from the other protocols' types.
enum MessageType : uint32_t {
  kHeartbeat = 701,  // worker -> coordinator; f0 running attempt (0: idle)
  kAssign = 702,     // f0 job, f1 task, f2 attempt, f3 lo, f4 hi (map); body: reduce input counts
  kDone = 703,       // f0 job, f1 task, f2 attempt; body: map output counts, or "total digest" (reduce)
  kAck = 704,        // f0 attempt
};

std::string_view message_type_name(uint32_t type);

class Coordinator final : public Node {
 public:
  explicit Coordinator(Config cfg) : cfg_(std::move(cfg)) {}
  void on_start(Context& ctx) override;
  void on_recover(Context& ctx) override;
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override;
  std::string_view role() const override { return "coordinator"; }
  std::string_view message_name(uint32_t type) const override;

 private:
  struct Attempt {
    int64_t id = 0;
    uint32_t worker = 0;
    Time started{0};
  };
  struct Task {
    std::vector<std::string> outputs;  // committed; more than one only with non_atomic_commit
    std::vector<Attempt> running;
    int64_t launched = 0;
  };
  struct WorkerView {
    bool is_worker = false;
    bool alive = true;
    Time last_heard{0};
    int64_t attempt = 0;  // what the coordinator last assigned it and has not seen end (0: idle)
    int64_t task = -1;    // -1: an attempt the worker reported that we do not track
    Time assigned_at{0};
  };

  void init_workers(Context& ctx);
  void start_job(Context& ctx);
  void schedule(Context& ctx);
  void assign(Context& ctx, uint32_t worker, int64_t task, bool backup);
  void requeue(Context& ctx, uint32_t worker, std::string_view reason);
  void on_done(Context& ctx, NodeId from, const Message& m);
  void persist_task(Context& ctx, int64_t task);
  bool phase_done(int64_t first, int64_t last) const;
  std::vector<std::string> reduce_inputs() const;  // every partition's, from the committed map outputs
  void emit_commit(Context& ctx, NodeId from, int64_t task, int64_t attempt);

  Config cfg_;
  int64_t incarnation_ = 0;
  int64_t counter_ = 0;  // attempts launched by this incarnation
  int64_t job_ = 0;      // the first job not finished
  bool active_ = false;  // job_ has started
  Time job_started_{0};
  std::vector<Task> tasks_;
  std::vector<WorkerView> workers_;  // by node id
  std::set<int64_t> obsolete_;       // attempts of this job's committed tasks, still running somewhere
  std::vector<std::string> reduce_inputs_;  // per partition, once the map phase is over
};

class Worker final : public Node {
 public:
  Worker(Config cfg, NodeId self) : cfg_(std::move(cfg)), self_(self) {}
  void on_start(Context& ctx) override;
  void on_recover(Context& ctx) override { on_start(ctx); }
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override;
  std::string_view role() const override;
  std::string_view message_name(uint32_t type) const override;

 private:
  struct Running {
    int64_t job = 0, task = 0, attempt = 0, lo = 0, hi = 0;
    std::string input;  // reduce
    TimerId timer{};
  };
  void heartbeat(Context& ctx);
  void finish(Context& ctx);

  Config cfg_;
  NodeId self_;
  std::optional<Running> running_;
  int64_t newest_attempt_ = 0;  // the newest assignment received
  std::vector<Message> unacked_;  // completions resent until acknowledged (bounded)
};

std::unique_ptr<Node> make_node(const Config& cfg, NodeId id);

}  // namespace dsim::mapreduce
