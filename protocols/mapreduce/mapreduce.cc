#include "protocols/mapreduce/mapreduce.h"

#include <algorithm>

#include "dsim/assert.h"
#include "dsim/stored_int.h"

namespace dsim::mapreduce {
namespace {

constexpr uint64_t kTickTag = 1;      // coordinator: failure detection and scheduling; worker: heartbeat
constexpr uint64_t kJobTag = 2;       // coordinator: start the next job
constexpr uint64_t kTaskTag = 3;      // worker: the running task is finished
constexpr size_t kMaxUnacked = 16;    // a worker's completions awaiting acknowledgement

std::string_view name_of(uint32_t type) {
  const std::string_view n = message_type_name(type);
  return n.empty() ? "unknown" : n;
}

std::string task_key(int64_t task) { return "out/" + std::to_string(task); }

}  // namespace

int64_t Config::slow_factor(uint32_t node) const {
  for (const auto& [n, f] : slow) {
    if (n == node) return f;
  }
  return 1;
}

JobShape Config::shape(int64_t job) const {
  return JobShape{job, records, map_tasks, reduce_tasks, words_per_record, vocab, input_seed};
}

std::string_view message_type_name(uint32_t type) {
  switch (type) {
    case kHeartbeat: return "heartbeat";
    case kAssign: return "assign";
    case kDone: return "done";
    case kAck: return "ack";
  }
  return {};
}

std::unique_ptr<Node> make_node(const Config& cfg, NodeId id) {
  if (id.value == cfg.coordinator) return std::make_unique<Coordinator>(cfg);
  return std::make_unique<Worker>(cfg, id);
}

// ---- Coordinator -----------------------------------------------------------------

std::string_view Coordinator::message_name(uint32_t type) const { return name_of(type); }

void Coordinator::init_workers(Context& ctx) {
  workers_.assign(ctx.cluster_size(), WorkerView{});
  for (uint32_t i = 0; i < ctx.cluster_size(); ++i) {
    if (i == cfg_.coordinator) continue;
    workers_[i].is_worker = true;
    // A fresh coordinator gives every worker a full timeout to be heard.
    workers_[i].last_heard = ctx.now();
  }
  ctx.set_timer(cfg_.heartbeat, kTickTag);
}

void Coordinator::on_start(Context& ctx) {
  incarnation_ = 1;
  ctx.storage().put("incarnation", "1");
  ctx.storage().sync();
  init_workers(ctx);
  ctx.emit("role", {{"role", std::string_view("coordinator")}, {"job", int64_t{0}}});
  ctx.set_timer(cfg_.start, kJobTag);
}

void Coordinator::on_recover(Context& ctx) {
  Storage& st = ctx.storage();
  incarnation_ = (st.get("incarnation") ? parse_stored_int(*st.get("incarnation")) : 0) + 1;
  st.put("incarnation", std::to_string(incarnation_));
  st.sync();
  init_workers(ctx);
  if (auto v = st.get("job")) job_ = parse_stored_int(*v);
  const auto started = st.get("active");
  active_ = started.has_value();
  if (started) job_started_ = Time{parse_stored_int(*started)};
  ctx.emit("role", {{"role", std::string_view("coordinator")}, {"job", job_}});
  if (!active_) {
    if (job_ < cfg_.jobs) ctx.set_timer(job_ == 0 ? cfg_.start : cfg_.gap, kJobTag);
    return;
  }
  // Resume the job: committed outputs stay, every other task is idle again.
  tasks_.assign(static_cast<size_t>(cfg_.tasks()), Task{});
  int64_t committed = 0;
  for (int64_t t = 0; t < cfg_.tasks(); ++t) {
    const auto v = st.get(task_key(t));
    if (!v) continue;
    ++committed;
    std::string_view s = *v;
    // Outputs are separated by '|' (more than one only with non_atomic_commit).
    while (true) {
      const size_t bar = s.find('|');
      tasks_[static_cast<size_t>(t)].outputs.emplace_back(s.substr(0, bar));
      if (bar == std::string_view::npos) break;
      s.remove_prefix(bar + 1);
    }
  }
  ctx.emit("coordinator_recovered", {{"job", job_}, {"committed", committed}});
  schedule(ctx);
}

void Coordinator::start_job(Context& ctx) {
  DSIM_ASSERT(!active_);
  DSIM_ASSERT(job_ < cfg_.jobs);
  active_ = true;
  tasks_.assign(static_cast<size_t>(cfg_.tasks()), Task{});
  Storage& st = ctx.storage();
  st.put("job", std::to_string(job_));
  job_started_ = ctx.now();
  st.put("active", std::to_string(job_started_.ns));  // the start, on this node's clock
  st.sync();
  const JobShape s = cfg_.shape(job_);
  ctx.emit("job_start", {{"job", job_},
                         {"records", s.records},
                         {"map_tasks", s.map_tasks},
                         {"reduce_tasks", s.reduce_tasks},
                         {"words_per_record", s.words_per_record},
                         {"vocab", s.vocab},
                         {"input_seed", s.input_seed}});
  ctx.emit("role", {{"role", std::string_view("coordinator")}, {"job", job_}});
  schedule(ctx);
}

bool Coordinator::phase_done(int64_t first, int64_t last) const {
  for (int64_t t = first; t < last; ++t) {
    if (tasks_[static_cast<size_t>(t)].outputs.empty()) return false;
  }
  return true;
}

void Coordinator::schedule(Context& ctx) {
  if (!active_) return;
  const auto idle_worker = [&](const WorkerView& v) { return v.is_worker && v.alive && v.attempt == 0; };
  if (std::none_of(workers_.begin(), workers_.end(), idle_worker)) return;
  const bool maps_done = phase_done(0, cfg_.map_tasks);
  const int64_t first = maps_done ? cfg_.map_tasks : 0;
  const int64_t last = maps_done ? cfg_.tasks() : cfg_.map_tasks;
  const Time now = ctx.now();
  // One pass over the phase's tasks: the idle ones in order, then (with
  // backups) the single attempts that have run at least backup_after,
  // longest-running first.
  std::vector<int64_t> idle;
  std::vector<std::pair<Time, int64_t>> stragglers;
  for (int64_t t = first; t < last; ++t) {
    const Task& task = tasks_[static_cast<size_t>(t)];
    if (!task.outputs.empty()) continue;
    if (task.running.empty()) {
      idle.push_back(t);
    } else if (cfg_.backup && task.running.size() == 1 && now - task.running.front().started >= cfg_.backup_after) {
      stragglers.emplace_back(task.running.front().started, t);
    }
  }
  std::sort(stragglers.begin(), stragglers.end());
  size_t next_idle = 0, next_straggler = 0;
  for (uint32_t w = 0; w < workers_.size(); ++w) {
    if (!idle_worker(workers_[w])) continue;
    if (next_idle < idle.size()) {
      assign(ctx, w, idle[next_idle++], false);
      continue;
    }
    // A backup never goes to the worker running the attempt it backs up.
    while (next_straggler < stragglers.size() &&
           tasks_[static_cast<size_t>(stragglers[next_straggler].second)].running.front().worker == w) {
      ++next_straggler;
    }
    if (next_straggler == stragglers.size()) return;
    assign(ctx, w, stragglers[next_straggler++].second, true);
  }
}

void Coordinator::assign(Context& ctx, uint32_t worker, int64_t task, bool backup) {
  WorkerView& v = workers_[worker];
  DSIM_ASSERT(v.is_worker);
  DSIM_ASSERT(v.attempt == 0);
  Task& t = tasks_[static_cast<size_t>(task)];
  DSIM_ASSERT(t.outputs.empty());
  const int64_t attempt = (incarnation_ << 32) | ++counter_;
  t.running.push_back(Attempt{attempt, worker, ctx.now()});
  ++t.launched;
  v.attempt = attempt;
  v.task = task;
  v.assigned_at = ctx.now();
  Message m;
  m.type = kAssign;
  m.f[0] = job_;
  m.f[1] = task;
  m.f[2] = attempt;
  const bool map = task < cfg_.map_tasks;
  if (map) {
    const auto [lo, hi] = split_of(cfg_.shape(job_), task);
    m.f[3] = lo;
    m.f[4] = hi;
  } else {
    // Built once per job (or per coordinator life), when the first reduce
    // task is handed out: every map output is committed by then.
    if (reduce_inputs_.empty()) reduce_inputs_ = reduce_inputs();
    m.body = reduce_inputs_[static_cast<size_t>(task - cfg_.map_tasks)];
  }
  ctx.emit("assign", {{"job", job_},
                      {"task", task},
                      {"phase", std::string_view(map ? "map" : "reduce")},
                      {"worker", ctx.node_name(NodeId{worker})},
                      {"attempt", attempt},
                      {"backup", backup}});
  ctx.send(NodeId{worker}, m);
}

std::vector<std::string> Coordinator::reduce_inputs() const {
  DSIM_ASSERT(phase_done(0, cfg_.map_tasks));
  const JobShape s = cfg_.shape(job_);
  std::vector<Counts> parts(static_cast<size_t>(cfg_.reduce_tasks));
  for (int64_t t = 0; t < cfg_.map_tasks; ++t) {
    for (const std::string& out : tasks_[static_cast<size_t>(t)].outputs) {
      Counts c;
      parse_counts(out, &c);
      for (const auto& [w, n] : c) parts[static_cast<size_t>(partition_of(s, w))][w] += n;
    }
  }
  std::vector<std::string> inputs;
  inputs.reserve(parts.size());
  for (const Counts& c : parts) inputs.push_back(encode_counts(c));
  return inputs;
}

void Coordinator::requeue(Context& ctx, uint32_t worker, std::string_view reason) {
  WorkerView& v = workers_[worker];
  if (v.attempt == 0) return;
  const int64_t task = v.task;
  const int64_t attempt = v.attempt;
  v.attempt = 0;
  v.task = -1;
  if (!active_ || task < 0) return;
  if (cfg_.bug == Config::Bug::kNeverReassign && reason == "worker_dead") return;  // the attempt stays "running"
  auto& running = tasks_[static_cast<size_t>(task)].running;
  const auto it = std::find_if(running.begin(), running.end(), [&](const Attempt& a) { return a.id == attempt; });
  if (it == running.end()) return;
  running.erase(it);
  if (!tasks_[static_cast<size_t>(task)].outputs.empty()) return;
  ctx.emit("requeue", {{"job", job_}, {"task", task}, {"worker", ctx.node_name(NodeId{worker})}, {"reason", reason}});
}

void Coordinator::on_timer(Context& ctx, TimerId, uint64_t tag) {
  if (tag == kJobTag) {
    if (!active_ && job_ < cfg_.jobs) start_job(ctx);
    return;
  }
  DSIM_ASSERT(tag == kTickTag);
  const Time now = ctx.now();
  for (uint32_t w = 0; w < workers_.size(); ++w) {
    WorkerView& v = workers_[w];
    if (!v.is_worker || !v.alive || now - v.last_heard <= cfg_.worker_timeout) continue;
    v.alive = false;
    ctx.emit("worker_dead", {{"worker", ctx.node_name(NodeId{w})}});
    requeue(ctx, w, "worker_dead");
  }
  schedule(ctx);
  ctx.set_timer(cfg_.heartbeat, kTickTag);
}

void Coordinator::on_message(Context& ctx, NodeId from, const Message& m) {
  DSIM_ASSERT(from.value < workers_.size());
  WorkerView& v = workers_[from.value];
  DSIM_ASSERT_MSG(v.is_worker, "a message to the coordinator from a node that is not a worker");
  v.last_heard = ctx.now();
  if (!v.alive) {
    v.alive = true;
    ctx.emit("worker_alive", {{"worker", ctx.node_name(from)}});
  }
  if (m.type == kHeartbeat) {
    // The worker is not running what we assigned it, long after we sent it:
    // the assignment (or the worker's memory of it) was lost.
    if (v.attempt != 0 && m.f[0] != v.attempt && ctx.now() - v.assigned_at > cfg_.worker_timeout) {
      requeue(ctx, from.value, "lost");
    }
    // The worker is busy with an attempt we no longer track (we re-queued
    // its task, or it began before we restarted): let it finish; its
    // completion still commits if it comes first.
    if (v.attempt == 0 && m.f[0] != 0 && !obsolete_.contains(m.f[0])) {
      v.attempt = m.f[0];
      v.task = -1;
      v.assigned_at = ctx.now();
    }
    if (v.attempt == 0) schedule(ctx);
    return;
  }
  DSIM_ASSERT_MSG(m.type == kDone, "unexpected message at the coordinator");
  on_done(ctx, from, m);
  schedule(ctx);
}

void Coordinator::persist_task(Context& ctx, int64_t task) {
  std::string all;
  for (const std::string& out : tasks_[static_cast<size_t>(task)].outputs) {
    if (!all.empty()) all += '|';
    all += out;
  }
  ctx.storage().put(task_key(task), all);
}

void Coordinator::on_done(Context& ctx, NodeId from, const Message& m) {
  const int64_t job = m.f[0], task = m.f[1], attempt = m.f[2];
  Message ack;
  ack.type = kAck;
  ack.f[0] = attempt;
  WorkerView& v = workers_[from.value];
  if (v.attempt == attempt) {
    v.attempt = 0;
    v.task = -1;
  }
  if (!active_ || job != job_) {  // a late completion of a finished job
    DSIM_ASSERT(job < job_);
    ctx.emit("discard", {{"job", job}, {"task", task}, {"worker", ctx.node_name(from)},
                         {"reason", std::string_view("job_finished")}});
    ctx.send(from, ack);
    return;
  }
  DSIM_ASSERT(task >= 0 && task < cfg_.tasks());
  Task& t = tasks_[static_cast<size_t>(task)];
  const auto it = std::find_if(t.running.begin(), t.running.end(), [&](const Attempt& a) { return a.id == attempt; });
  if (it != t.running.end()) t.running.erase(it);
  if (!t.outputs.empty() && cfg_.bug != Config::Bug::kNonAtomicCommit) {
    ctx.emit("discard", {{"job", job_}, {"task", task}, {"worker", ctx.node_name(from)},
                         {"reason", std::string_view("already_committed")}});
    ctx.send(from, ack);
    return;
  }
  // Commit: durable before anyone (the worker, the trace) is told.
  t.outputs.push_back(m.body);
  persist_task(ctx, task);
  ctx.storage().sync();
  emit_commit(ctx, from, task, attempt);
  ctx.send(from, ack);
  // The task's other attempts (a backup, or the straggler it backed up) are
  // wasted work now: their workers count as idle, and their next
  // assignment replaces the attempt (paper §3.6: the others are killed).
  for (const Attempt& a : t.running) {
    obsolete_.insert(a.id);
    WorkerView& other = workers_[a.worker];
    if (other.attempt == a.id) {
      other.attempt = 0;
      other.task = -1;
    }
  }
  t.running.clear();
  if (!phase_done(0, cfg_.tasks())) return;
  // The job is done: the reduce outputs are the result.
  int64_t total = 0;
  for (int64_t p = cfg_.map_tasks; p < cfg_.tasks(); ++p) {
    for (const std::string& out : tasks_[static_cast<size_t>(p)].outputs) {
      std::string_view s = out;
      total += take_stored_int(s, ' ');
    }
  }
  Storage& st = ctx.storage();
  for (int64_t p = 0; p < cfg_.tasks(); ++p) st.erase(task_key(p));
  st.put("job", std::to_string(job_ + 1));
  st.erase("active");
  st.sync();
  ctx.emit("job_done", {{"job", job_}, {"total", total}, {"elapsed_ns", (ctx.now() - job_started_).ns}});
  active_ = false;
  ++job_;
  tasks_.clear();
  obsolete_.clear();
  reduce_inputs_.clear();
  for (WorkerView& w : workers_) {
    w.attempt = 0;
    w.task = -1;
  }
  if (job_ < cfg_.jobs) ctx.set_timer(cfg_.gap, kJobTag);
}

void Coordinator::emit_commit(Context& ctx, NodeId from, int64_t task, int64_t attempt) {
  const Task& t = tasks_[static_cast<size_t>(task)];
  const bool map = task < cfg_.map_tasks;
  PartitionResult r;
  if (map) {
    Counts c;
    for (const std::string& out : t.outputs) parse_counts(out, &c);
    r = result_of(c);
  } else {
    // Each output is "total digest"; appended outputs add up.
    uint64_t h = 0;
    for (const std::string& out : t.outputs) {
      std::string_view s = out;
      r.total += take_stored_int(s, ' ');
      const int64_t d = parse_stored_int(s);
      h = t.outputs.size() == 1 ? static_cast<uint64_t>(d) : (h ^ mix64(static_cast<uint64_t>(d))) >> 11;
    }
    r.digest = static_cast<int64_t>(h);
  }
  ctx.emit("commit", {{"job", job_},
                      {"task", task},
                      {"phase", std::string_view(map ? "map" : "reduce")},
                      {"worker", ctx.node_name(from)},
                      {"attempt", attempt},
                      {"total", r.total},
                      {"digest", r.digest},
                      {"outputs", static_cast<int64_t>(t.outputs.size())}});
}

// ---- Worker -----------------------------------------------------------------------

std::string_view Worker::message_name(uint32_t type) const { return name_of(type); }

std::string_view Worker::role() const {
  if (!running_) return "idle";
  return running_->task < cfg_.map_tasks ? "mapper" : "reducer";
}

void Worker::on_start(Context& ctx) {
  ctx.emit("role", {{"role", std::string_view("idle")}, {"job", int64_t{0}}});
  heartbeat(ctx);
}

void Worker::heartbeat(Context& ctx) {
  Message hb;
  hb.type = kHeartbeat;
  hb.f[0] = running_ ? running_->attempt : 0;
  ctx.send(NodeId{cfg_.coordinator}, hb);
  for (const Message& m : unacked_) ctx.send(NodeId{cfg_.coordinator}, m);
  ctx.set_timer(cfg_.heartbeat, kTickTag);
}

void Worker::on_message(Context& ctx, NodeId from, const Message& m) {
  DSIM_ASSERT(from.value == cfg_.coordinator);
  if (m.type == kAck) {
    std::erase_if(unacked_, [&](const Message& d) { return d.f[2] == m.f[0]; });
    return;
  }
  DSIM_ASSERT_MSG(m.type == kAssign, "unexpected message at a worker");
  const int64_t attempt = m.f[2];
  if (running_ && running_->attempt == attempt) return;  // a duplicate
  // An older assignment delivered late (attempt ids only grow, across
  // coordinator restarts too): the coordinator has moved on from it.
  if (attempt < newest_attempt_) return;
  newest_attempt_ = attempt;
  for (const Message& d : unacked_) {
    if (d.f[2] == attempt) return;  // done already; the heartbeat resends it
  }
  if (running_) ctx.cancel_timer(running_->timer);  // the coordinator moved us on
  Running r;
  r.job = m.f[0];
  r.task = m.f[1];
  r.attempt = attempt;
  const bool map = r.task < cfg_.map_tasks;
  Duration cost = cfg_.reduce_time;
  if (map) {
    r.lo = m.f[3];
    r.hi = m.f[4];
    DSIM_ASSERT(r.lo >= 0 && r.lo <= r.hi && r.hi <= cfg_.records);
    cost = Duration{cfg_.record_time.ns * (r.hi - r.lo)};
  } else {
    r.input = m.body;
  }
  cost = Duration{cost.ns * cfg_.slow_factor(self_.value)};
  r.timer = ctx.set_timer(cost, kTaskTag);
  running_ = std::move(r);
  const std::string_view phase = map ? "map" : "reduce";
  ctx.emit("task_start", {{"job", running_->job}, {"task", running_->task}, {"phase", phase}, {"attempt", attempt}});
  ctx.emit("role", {{"role", role()}, {"job", running_->job}});
}

void Worker::finish(Context& ctx) {
  DSIM_ASSERT(running_.has_value());
  const Running& r = *running_;
  const bool map = r.task < cfg_.map_tasks;
  Message d;
  d.type = kDone;
  d.f[0] = r.job;
  d.f[1] = r.task;
  d.f[2] = r.attempt;
  if (map) {
    const JobShape s = cfg_.shape(r.job);
    Counts c;
    for (int64_t rec = r.lo; rec < r.hi; ++rec) {
      for (int64_t k = 0; k < s.words_per_record; ++k) ++c[word_of(s, rec, k)];
    }
    d.body = encode_counts(c);
  } else {
    Counts c;
    parse_counts(r.input, &c);
    const PartitionResult res = result_of(c);
    d.body = std::to_string(res.total) + " " + std::to_string(res.digest);
  }
  ctx.emit("task_done", {{"job", r.job}, {"task", r.task}, {"phase", std::string_view(map ? "map" : "reduce")},
                         {"attempt", r.attempt}});
  const int64_t job = r.job;
  running_.reset();
  ctx.emit("role", {{"role", std::string_view("idle")}, {"job", job}});
  if (unacked_.size() == kMaxUnacked) unacked_.erase(unacked_.begin());
  unacked_.push_back(d);
  ctx.send(NodeId{cfg_.coordinator}, d);
}

void Worker::on_timer(Context& ctx, TimerId, uint64_t tag) {
  if (tag == kTickTag) {
    heartbeat(ctx);
    return;
  }
  DSIM_ASSERT(tag == kTaskTag);
  finish(ctx);
}

}  // namespace dsim::mapreduce
