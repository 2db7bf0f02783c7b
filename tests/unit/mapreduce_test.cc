// MapReduce (protocols/mapreduce): the generated word count, the
// coordinator's one-commit-per-task rule and failure detection driven one
// callback at a time, the checkers on hand-built traces, and the catalogue
// (re-execution after a crash, backups for a straggler, both planted bugs).
#include <doctest/doctest.h>

#include <sstream>

#include "catalogue.h"
#include "sim/scenario/writer.h"
#include "dsim/fake_host.h"
#include "protocols/mapreduce/checkers.h"
#include "protocols/mapreduce/mapreduce.h"
#include "protocols/mapreduce/wordcount.h"

using namespace dsim;
using analysis::Status;
using dsim::testing::event;

namespace {

mapreduce::JobShape small_shape() { return mapreduce::JobShape{0, 40, 4, 2, 3, 10, 7}; }

trace::Event job_start(int64_t t, const mapreduce::JobShape& s) {
  return event(t, "m", "job_start",
               {{"job", s.job}, {"records", s.records}, {"map_tasks", s.map_tasks}, {"reduce_tasks", s.reduce_tasks},
                {"words_per_record", s.words_per_record}, {"vocab", s.vocab}, {"input_seed", s.input_seed}});
}

trace::Event commit(int64_t t, int64_t task, int64_t total, int64_t digest, int64_t outputs = 1) {
  return event(t, "m", "commit",
               {{"job", int64_t{0}}, {"task", task}, {"phase", std::string("map")}, {"worker", std::string("w1")},
                {"attempt", int64_t{1}}, {"total", total}, {"digest", digest}, {"outputs", outputs}});
}

// A correct run of small_shape(), as the coordinator's events show it.
std::vector<trace::Event> correct_job(const mapreduce::JobShape& s) {
  std::vector<trace::Event> out = {job_start(10, s)};
  for (int64_t m = 0; m < s.map_tasks; ++m) {
    const auto [lo, hi] = mapreduce::split_of(s, m);
    out.push_back(commit(20 + m, m, (hi - lo) * s.words_per_record, 0));
  }
  const auto parts = mapreduce::sequential(s);
  int64_t total = 0;
  for (size_t p = 0; p < parts.size(); ++p) {
    out.push_back(commit(40 + static_cast<int64_t>(p), s.map_tasks + static_cast<int64_t>(p), parts[p].total, parts[p].digest));
    total += parts[p].total;
  }
  out.push_back(event(60, "m", "job_done", {{"job", int64_t{0}}, {"total", total}, {"elapsed_ns", int64_t{50}}}));
  return out;
}

mapreduce::Config two_worker_config() {
  mapreduce::Config c;
  c.records = 40;
  c.map_tasks = 2;
  c.reduce_tasks = 1;
  return c;
}

const FakeHost::Emitted* last_emitted(const FakeHost& h, std::string_view kind) {
  for (auto it = h.emitted.rbegin(); it != h.emitted.rend(); ++it) {
    if (it->kind == kind) return &*it;
  }
  return nullptr;
}

size_t count_emitted(const FakeHost& h, std::string_view kind) {
  size_t n = 0;
  for (const auto& e : h.emitted) n += e.kind == kind;
  return n;
}

int64_t int_field(const FakeHost::Emitted& e, std::string_view key) {
  for (const auto& [k, v] : e.fields) {
    if (k == key) return std::get<int64_t>(v);
  }
  FAIL("no field ", std::string(key));
  return 0;
}

}  // namespace

TEST_CASE("word count: the splits cover the input once and the sequential count counts every word once") {
  const auto s = small_shape();
  int64_t covered = 0;
  for (int64_t m = 0; m < s.map_tasks; ++m) {
    const auto [lo, hi] = mapreduce::split_of(s, m);
    CHECK(lo == covered);
    covered = hi;
  }
  CHECK(covered == s.records);
  int64_t total = 0;
  for (const auto& p : mapreduce::sequential(s)) total += p.total;
  CHECK(total == s.records * s.words_per_record);
  // The wire format round-trips, and appended outputs add up.
  mapreduce::Counts c = {{0, 3}, {4, 1}, {9, 12}};
  mapreduce::Counts back;
  mapreduce::parse_counts(mapreduce::encode_counts(c), &back);
  CHECK(back == c);
  mapreduce::parse_counts(mapreduce::encode_counts(c), &back);
  CHECK(back.at(9) == 24);
  CHECK(mapreduce::result_of(back).digest != mapreduce::result_of(c).digest);
  // Another input seed is another input.
  auto other = s;
  other.input_seed = 8;
  CHECK(mapreduce::sequential(other)[0].digest != mapreduce::sequential(s)[0].digest);
}

TEST_CASE("mapreduce coordinator: the first completion of a task commits, later ones are discarded and acknowledged") {
  FakeHost h(3);  // n1 the coordinator, n2 and n3 workers
  mapreduce::Coordinator c(two_worker_config());
  c.on_start(h.context());
  const auto* job = h.pending(2);
  REQUIRE(job);
  h.advance(job->after);
  c.on_timer(h.context(), job->id, job->tag);
  REQUIRE(h.sent.size() == 2);  // map task 0 to n2, map task 1 to n3
  CHECK(h.sent[0].to == NodeId{1});
  CHECK(h.sent[0].message.type == mapreduce::kAssign);
  const int64_t attempt = h.sent[0].message.f[2];
  Message done;
  done.type = mapreduce::kDone;
  done.f = {0, 0, attempt, 0, 0, 0};
  done.body = "0 100 ";
  h.clear();
  c.on_message(h.context(), NodeId{1}, done);
  CHECK(count_emitted(h, "commit") == 1);
  REQUIRE(!h.sent.empty());
  CHECK(h.sent[0].message.type == mapreduce::kAck);
  // The same completion again (a duplicate, or a backup's): acknowledged,
  // not committed.
  h.clear();
  c.on_message(h.context(), NodeId{1}, done);
  CHECK(count_emitted(h, "commit") == 0);
  CHECK(count_emitted(h, "discard") == 1);
  CHECK(h.sent.front().message.type == mapreduce::kAck);
}

TEST_CASE("mapreduce coordinator: with non_atomic_commit a second completion is appended to the output") {
  FakeHost h(3);
  auto cfg = two_worker_config();
  cfg.bug = mapreduce::Config::Bug::kNonAtomicCommit;
  mapreduce::Coordinator c(cfg);
  c.on_start(h.context());
  const auto* job = h.pending(2);
  h.advance(job->after);
  c.on_timer(h.context(), job->id, job->tag);
  Message done;
  done.type = mapreduce::kDone;
  done.f = {0, 0, h.sent[0].message.f[2], 0, 0, 0};
  done.body = "0 100 ";
  c.on_message(h.context(), NodeId{1}, done);
  c.on_message(h.context(), NodeId{1}, done);
  const auto* e = last_emitted(h, "commit");
  REQUIRE(e);
  CHECK(int_field(*e, "outputs") == 2);
  CHECK(int_field(*e, "total") == 200);
}

TEST_CASE("mapreduce coordinator: a silent worker is declared dead and its task re-executed elsewhere") {
  FakeHost h(3);
  auto cfg = two_worker_config();
  cfg.map_tasks = 1;  // one task: n2 gets it, n3 stays idle
  mapreduce::Coordinator c(cfg);
  c.on_start(h.context());
  const auto* job = h.pending(2);
  h.advance(job->after);
  c.on_timer(h.context(), job->id, job->tag);
  REQUIRE(h.sent.size() == 1);
  CHECK(h.sent[0].to == NodeId{1});
  // n3 keeps heartbeating (idle), n2 falls silent.
  Message hb;
  hb.type = mapreduce::kHeartbeat;
  for (int i = 0; i < 10; ++i) {
    h.advance(cfg.heartbeat);
    h.clear();
    c.on_message(h.context(), NodeId{2}, hb);
    const auto* tick = h.pending(1);
    REQUIRE(tick);
    c.on_timer(h.context(), tick->id, tick->tag);
    if (count_emitted(h, "worker_dead")) break;
  }
  CHECK(count_emitted(h, "worker_dead") == 1);
  CHECK(count_emitted(h, "requeue") == 1);
  REQUIRE(h.sent.size() >= 1);
  CHECK(h.sent.back().to == NodeId{2});
  CHECK(h.sent.back().message.type == mapreduce::kAssign);
  CHECK(h.sent.back().message.f[1] == 0);  // the same task, a new attempt
}

TEST_CASE("mapreduce_result: holds on the sequential result, flags a task counted twice, never passes on nothing") {
  const auto s = small_shape();
  {
    analysis::MapReduceResult r;
    for (const auto& e : correct_job(s)) r.consume(e);
    const auto res = r.finish();
    CAPTURE(res.note);
    CHECK(res.status == Status::kHeld);
  }
  {
    // Map task 1's output appended twice (as non_atomic_commit does).
    analysis::MapReduceResult r;
    auto events = correct_job(s);
    const auto [lo, hi] = mapreduce::split_of(s, 1);
    events.insert(events.begin() + 3, commit(22, 1, 2 * (hi - lo) * s.words_per_record, 0, 2));
    for (const auto& e : events) r.consume(e);
    const auto res = r.finish();
    REQUIRE(res.violation);
    CHECK(res.status == Status::kViolated);
    CHECK(res.violation->message.find("counted twice") != std::string::npos);
  }
  {
    // A reduce partition with one word miscounted: same total, other digest.
    analysis::MapReduceResult r;
    auto events = correct_job(s);
    for (auto& e : events) {
      if (e.kind == "commit" && e.get_int("task") == s.map_tasks) {
        for (auto& [k, v] : e.fields) {
          if (k == "digest") v = std::get<int64_t>(v) + 1;
        }
      }
    }
    for (const auto& e : events) r.consume(e);
    CHECK(r.finish().status == Status::kViolated);
  }
  {
    // Started but never finished: no result to judge.
    analysis::MapReduceResult r;
    r.consume(job_start(10, s));
    CHECK(r.finish().status == Status::kInconclusive);
  }
}

TEST_CASE("mapreduce_liveness: a job unfinished a bound after the last fault is violated") {
  const auto s = small_shape();
  {
    analysis::MapReduceLiveness l(1'000'000'000);
    for (const auto& e : correct_job(s)) l.consume(e);
    CHECK(l.finish().status == Status::kHeld);
  }
  {
    analysis::MapReduceLiveness l(1'000'000'000);
    l.consume(job_start(10, s));
    l.consume(event(500'000'000, "w1", "crash", {{"lose_unsynced", false}, {"unsynced_writes", int64_t{0}}}));
    l.consume(event(1'400'000'000, "*", "end"));
    CHECK(l.finish().status == Status::kInconclusive);  // the bound after the crash has not passed
  }
  {
    analysis::MapReduceLiveness l(1'000'000'000);
    l.consume(job_start(10, s));
    l.consume(event(500'000'000, "w1", "crash", {{"lose_unsynced", false}, {"unsynced_writes", int64_t{0}}}));
    l.consume(event(1'600'000'000, "*", "end"));
    const auto res = l.finish();
    CHECK(res.status == Status::kViolated);
    REQUIRE(res.violation);
    CHECK(res.violation->t_ns == 1'500'000'000);
  }
}

namespace {

scenario::RunReport run(const scenario::Scenario& s, uint64_t seed, const std::string& trace = "") {
  scenario::RunOptions opt;
  opt.seed = seed;
  opt.fingerprint = false;
  if (!trace.empty()) opt.trace_path = trace;
  return scenario::run_scenario(s, opt);
}

analysis::Status status_of(const scenario::RunReport& r, std::string_view check) {
  for (const auto& c : r.checks) {
    if (c.name == check) return c.status;
  }
  FAIL("no check ", std::string(check));
  return Status::kInconclusive;
}

// A column of the protocol's statistics CSV for one run.
double stat(const scenario::RunReport& r, const std::string& column) {
  const auto* def = testing::registry().find("mapreduce");
  REQUIRE(def);
  std::istringstream csv(def->stats_csv({{"run", r.stats.get()}}));
  std::string header, row;
  std::getline(csv, header);
  std::getline(csv, row);
  std::istringstream hs(header), rs(row);
  std::string h, v;
  while (std::getline(hs, h, ',') && std::getline(rs, v, ',')) {
    if (h == column) return std::stod(v);
  }
  FAIL("no column ", column);
  return 0;
}

}  // namespace

TEST_CASE("mapreduce catalogue: a crashed worker's task is re-executed and the count stays exact") {
  const auto s = testing::load_catalogue("scenarios/teaching/mapreduce-worker-crash.yaml");
  const auto r = run(s, 1);
  CHECK(r.as_expected);
  CHECK(status_of(r, "mapreduce_result") == Status::kHeld);
  CHECK(status_of(r, "mapreduce_liveness") == Status::kHeld);
  CHECK(stat(r, "requeued") >= 1);
  CHECK(stat(r, "workers_dead") >= 1);
  CHECK(stat(r, "jobs_done") == 2);
}

TEST_CASE("mapreduce catalogue: backup tasks shorten jobs held up by a straggler") {
  const auto with = testing::load_catalogue("scenarios/teaching/mapreduce-straggler.yaml");
  const auto without =
      testing::load_catalogue("scenarios/teaching/mapreduce-straggler.yaml", ", backup: true", ", backup: false");
  const auto a = run(with, 1), b = run(without, 1);
  CHECK(a.as_expected);
  // Without backups the count is as exact, only late: each job waits for
  // the straggler, longer than the scenario's 2 s bound.
  CHECK(status_of(b, "mapreduce_result") == Status::kHeld);
  CHECK(status_of(b, "mapreduce_liveness") == Status::kViolated);
  CHECK(stat(a, "backups") >= 1);
  CHECK(stat(a, "discarded") >= 1);  // the straggler's late completion
  CHECK(stat(b, "backups") == 0);
  CHECK(stat(a, "jobs_done") == 3);
  CHECK(stat(b, "jobs_done") == 3);
  CHECK(stat(a, "mean_job_ms") * 2 < stat(b, "mean_job_ms"));
}

TEST_CASE("mapreduce catalogue: a restarted coordinator resumes from its committed outputs") {
  const auto s = testing::load_catalogue("scenarios/teaching/mapreduce-coordinator-crash.yaml");
  const auto r = run(s, 1);
  CHECK(r.as_expected);
  CHECK(status_of(r, "mapreduce_result") == Status::kHeld);
  CHECK(stat(r, "jobs_done") == 2);
}

TEST_CASE("mapreduce catalogue: both planted bugs are caught, and the same runs without them hold") {
  {
    const auto s = testing::load_catalogue("scenarios/bugs/mapreduce-non-atomic-commit.yaml");
    CHECK(status_of(run(s, 1), "mapreduce_result") == Status::kViolated);
    const auto fixed = testing::load_catalogue("scenarios/bugs/mapreduce-non-atomic-commit.yaml",
                                               "bug: non_atomic_commit", "bug: none");
    CHECK(status_of(run(fixed, 1), "mapreduce_result") == Status::kHeld);
  }
  {
    const auto s = testing::load_catalogue("scenarios/bugs/mapreduce-never-reassign.yaml");
    CHECK(status_of(run(s, 1), "mapreduce_liveness") == Status::kViolated);
    const auto fixed =
        testing::load_catalogue("scenarios/bugs/mapreduce-never-reassign.yaml", "bug: never_reassign", "bug: none");
    CHECK(status_of(run(fixed, 1), "mapreduce_liveness") == Status::kHeld);
  }
}

TEST_CASE("mapreduce: same seed, same trace; the section written back reads back the same") {
  const auto s = testing::load_catalogue("scenarios/regression/mapreduce-nemesis.yaml");
  const std::string h1 = testing::trace_hash(s, 7);
  CHECK(h1 == testing::trace_hash(s, 7));
  CHECK(h1 != testing::trace_hash(s, 8));
  // Every key, slow workers and compare_backup included, survives write + read.
  const auto straggler = testing::load_catalogue("scenarios/teaching/mapreduce-straggler.yaml");
  for (const auto* sc : {&s, &straggler}) {
    const std::string yaml = scenario::scenario_to_yaml(*sc);
    CAPTURE(yaml);
    scenario::Diagnostics diag;
    auto back = scenario::load_scenario_text(testing::registry(), yaml, sc->name, diag);
    CAPTURE(diag.render(false));
    REQUIRE(back.has_value());
    CHECK(scenario::scenario_to_yaml(*back) == yaml);
    CHECK(back->def->variants(*back->config) == sc->def->variants(*sc->config));
    // And behaves the same (a key lost in write() would change the run).
    const auto a = run(*sc, 3), b = run(*back, 3);
    for (const char* col : {"attempts", "backups", "requeued", "discarded", "mean_job_ms"}) {
      CAPTURE(col);
      CHECK(stat(a, col) == stat(b, col));
    }
  }
}
