// `dsim sweep` and `dsim merge`: many seeds of one or more scenarios, one
// simulation per worker thread, results that survive a kill, shards for
// cluster schedulers, a JUnit report. Each run is exactly `dsim run` with
// its seed (same spec, same RunOptions but the trace file), so every
// failure's reproduction line replays it.
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <new>
#include <set>
#include <system_error>
#include <thread>

#include "sim/cli/commands.h"
#include "dsim/version.h"
#include "sim/cli/exit_codes.h"
#include "sim/cli/memory_limit.h"
#include "sim/cli/results.h"
#include "sim/cli/sweep.h"
#include "sim/cli/terminal.h"
#include "sim/cli/workers.h"
#include "dsim/prng.h"
#include "sim/core/input.h"
#include "sim/core/output_file.h"
#include "sim/core/printable.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/units.h"
#include "sim/trace/sha256.h"
#include "sim/core/program.h"

namespace dsim::cli {
namespace po = boost::program_options;

namespace {

int sweep_usage(const std::string& msg, const char* cmd) {
  std::fprintf(stderr, "dsim: error: %s\nTry 'dsim %s --help' for usage.\n", msg.c_str(), cmd);
  return kExitUsage;
}

}  // namespace

po::options_description sweep_options(const std::string& caption) {
  po::options_description d(caption);
  d.add_options()
      ("seeds", po::value<std::string>(), "inclusive seed range A..B")
      ("runs", po::value<int64_t>(), "K runs with seeds derived from --seed (splitmix64 of base + index); each is reported")
      ("seed", po::value<std::string>()->default_value("1"), "base seed for --runs")
      ("jobs,j", po::value<int64_t>()->default_value(std::clamp(std::thread::hardware_concurrency(), 1u, 1024u)),
       "worker threads (one simulation each), 1..1024; never more than there are runs")
      ("shard", po::value<std::string>(), "I/N: run only seed indexes i with i % N == I (0 <= I < N)")
      ("results", po::value<std::string>(), "append one JSON line per finished run to FILE, flushed at once; "
                                            "the file is locked, so a second sweep on it is refused")
      ("resume", "skip the (scenario, seed) runs of this seed range and shard already in --results "
                 "(refused if a scenario file changed since)")
      ("junit", po::value<std::string>(), "write a JUnit XML report to FILE (atomically)")
      ("fail-fast", "stop starting runs after the first unexpected outcome")
      ("check-determinism", po::value<int64_t>()->implicit_value(5),
       "re-run this percentage of runs (default 5) and fail loudly if the trace hash differs")
      ("progress", po::value<std::string>()->default_value("auto"), "auto|always|never")
      ("quiet,q", "print only failures and the exit summary line")
      ("help,h", "show this help");
  return d;
}

namespace {

struct Job {
  size_t scenario;
  uint64_t seed;
};

// The runs of a sweep, computed from their index instead of listed: a
// sweep of 10^8 seeds must not allocate gigabytes before its first run.
struct SeedPlan {
  bool range = true;       // --seeds A..B: seed A + k; else --runs: mix64(base + k)
  uint64_t first = 0;      // A, or the base seed
  uint64_t count = 0;      // seeds before sharding
  uint64_t shard_i = 0, shard_n = 1;
  uint64_t per_scenario() const { return count > shard_i ? (count - shard_i + shard_n - 1) / shard_n : 0; }
  uint64_t seed(uint64_t j) const {  // the j-th seed of this shard
    const uint64_t k = shard_i + j * shard_n;
    return range ? first + k : mix64(first + k);
  }
};

// A non-negative decimal that fits in uint64, strictly (no sign, no
// spaces, no wrap-around as sscanf's %u does).
bool parse_count(const std::string& text, uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  unsigned __int128 v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > UINT64_MAX) return false;
  *out = static_cast<uint64_t>(v);
  return true;
}

// The progress line: at most 10 redraws a second, on stderr, cleared on exit.
class Progress {
 public:
  Progress(bool on, uint64_t total, bool judge = true)
      : on_(on), judge_(judge), total_(total), start_(std::chrono::steady_clock::now()) {}
  void update(uint64_t done, uint64_t unexpected, bool force = false) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
    winsize ws{};
    int width = 80;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) width = ws.ws_col;
    char tail[160];
    if (judge_) {
      std::snprintf(tail, sizeof tail, " %llu/%llu runs, %llu unexpected, %.0f runs/s, ETA %.0fs",
                    static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                    static_cast<unsigned long long>(unexpected), rate, eta);
    } else {
      std::snprintf(tail, sizeof tail, " %llu/%llu runs, %.0f runs/s, ETA %.0fs", static_cast<unsigned long long>(done),
                    static_cast<unsigned long long>(total_), rate, eta);
    }
    const int bar = std::max(10, width - static_cast<int>(std::strlen(tail)) - 3);
    const int filled = total_ ? static_cast<int>(static_cast<double>(bar) * static_cast<double>(done) /
                                                 static_cast<double>(total_))
                              : bar;
    std::string line = "\r\x1b[2K[" + std::string(static_cast<size_t>(filled), '=') +
                       std::string(static_cast<size_t>(bar - filled), ' ') + "]" + tail;
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
  }
  void finish() {
    if (on_) std::fputs("\r\x1b[2K", stderr);
  }

 private:
  bool on_;
  bool judge_;  // count unexpected runs (a sweep), or only runs (tune)
  uint64_t total_;
  std::chrono::steady_clock::time_point start_, last_{};
};

// Reads a results file; a torn last line (a run killed mid-write) is
// dropped and the file truncated to its last whole record.
bool read_results(const std::string& path, std::vector<RunRecord>* out, bool truncate_torn, std::string* error) {
  if (const std::string why = input_problem(path); !why.empty()) {
    *error = path + ":1:1: error: " + why;
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return true;  // nothing yet
  std::string line;
  uint64_t line_no = 0;
  std::streamoff good_end = 0;
  for (LineRead got; (got = read_line(in, &line)) != LineRead::kEnd;) {
    ++line_no;
    if (got == LineRead::kTooLong) {
      throw ResourceLimit(path + ":" + std::to_string(line_no) + ":1: a line longer than " +
                          std::to_string(kMaxLineBytes >> 20) + " MiB (is this a results file?)");
    }
    const bool complete = !in.eof();  // the line ended with a newline
    RunRecord r;
    std::string why;
    if (!complete || !record_from_json_line(line, &r, &why)) {
      if (!complete && truncate_torn) break;  // the torn tail of a killed sweep
      *error = path + ":" + std::to_string(line_no) + ":1: error: not a result record (" + (complete ? why : "torn line") + ")";
      return false;
    }
    out->push_back(std::move(r));
    good_end = in.tellg();
  }
  if (truncate_torn) {
    in.close();
    if (truncate(path.c_str(), good_end) != 0) {
      *error = path + ": error: cannot truncate a torn last line";
      return false;
    }
  }
  return true;
}

}  // namespace

int cmd_sweep(const Registry& reg, const std::vector<std::string>& args) {
  po::options_description opts = sweep_options("dsim sweep SCENARIO.yaml... (--seeds A..B | --runs K) [options]");
  po::options_description all;
  all.add(opts);
  all.add_options()("scenario", po::value<std::vector<std::string>>(), "");
  po::positional_options_description pos;
  pos.add("scenario", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return sweep_usage(e.what(), "sweep");
  }
  if (vm.count("help")) {
    std::cout << opts << "\nExit codes as 'dsim run': 0 every run as expected, 1 some run unexpected,\n"
                         "5 no run unexpected but some inconclusive (too little evidence), 2 usage, 3 invalid scenario or results file, 4 nothing to run, 6 a resource limit (memory,\n"
                         "--max-memory; disk space, quota, file size), 70 nondeterminism or an internal error, 74 other I/O errors.\n";
    return kExitOk;
  }
  if (!vm.count("scenario")) return sweep_usage("name at least one scenario", "sweep");
  return run_sweep(reg, vm, nullptr);
}

int run_sweep(const Registry& reg, const po::variables_map& vm, SweepSource* src) {
  const char* cmd = src ? src->command : "sweep";
  auto sweep_usage = [cmd](const std::string& msg, const char*) { return dsim::cli::sweep_usage(msg, cmd); };
  if (vm.count("seeds") == vm.count("runs")) return sweep_usage("give exactly one of --seeds A..B and --runs K", "sweep");
  if (vm.count("resume") && !vm.count("results")) return sweep_usage("--resume needs --results FILE", "sweep");
  const int64_t jobs_flag = vm["jobs"].as<int64_t>();
  if (jobs_flag < 1 || jobs_flag > 1024) {
    return sweep_usage("--jobs must be between 1 and 1024, got " + std::to_string(jobs_flag), "sweep");
  }
  for (const char* name : {"results", "junit"}) {
    if (vm.count(name) && vm[name].as<std::string>().empty()) {
      return sweep_usage(std::string("--") + name + " needs a file name", "sweep");
    }
  }
  if (vm.count("results") && vm.count("junit") && vm["results"].as<std::string>() == vm["junit"].as<std::string>()) {
    return sweep_usage("--results and --junit both write " + vm["junit"].as<std::string>(), "sweep");
  }
  int64_t determinism_flag = 0;
  if (vm.count("check-determinism")) {
    determinism_flag = vm["check-determinism"].as<int64_t>();
    if (determinism_flag < 1 || determinism_flag > 100) {
      return sweep_usage("--check-determinism is a percentage of runs, 1..100, got " + std::to_string(determinism_flag),
                         "sweep");
    }
  }
  const std::string progress_mode = vm["progress"].as<std::string>();
  if (progress_mode != "auto" && progress_mode != "always" && progress_mode != "never") {
    return sweep_usage("--progress must be auto, always or never", "sweep");
  }
  const bool quiet = vm.count("quiet") > 0;
  const bool judge = !src || src->judge;

  // Seeds, in index order; the shard keeps every N-th.
  SeedPlan plan;
  if (vm.count("seeds")) {
    const std::string text = vm["seeds"].as<std::string>();
    const size_t dots = text.find("..");
    uint64_t a = 0, b = 0;
    std::string why;
    if (dots == std::string::npos || !scenario::parse_seed(text.substr(0, dots), &a, &why) ||
        !scenario::parse_seed(text.substr(dots + 2), &b, &why) || b < a || b - a >= 100'000'000) {
      return sweep_usage("invalid --seeds '" + text + "' (expected A..B with A <= B, at most 100000000 seeds)", "sweep");
    }
    plan.first = a;
    plan.count = b - a + 1;
  } else {
    std::string why;
    if (!scenario::parse_seed(vm["seed"].as<std::string>(), &plan.first, &why)) return sweep_usage(why, "sweep");
    const int64_t k = vm["runs"].as<int64_t>();
    if (k < 1 || k > 100'000'000) return sweep_usage("--runs must be between 1 and 100000000", "sweep");
    plan.range = false;
    plan.count = static_cast<uint64_t>(k);
  }
  if (vm.count("shard")) {
    const std::string text = vm["shard"].as<std::string>();
    const size_t slash = text.find('/');
    if (slash == std::string::npos || !parse_count(text.substr(0, slash), &plan.shard_i) ||
        !parse_count(text.substr(slash + 1), &plan.shard_n) || plan.shard_n == 0 || plan.shard_n > 100'000'000 ||
        plan.shard_i >= plan.shard_n) {
      return sweep_usage("invalid --shard '" + text + "' (expected I/N with 0 <= I < N <= 100000000, e.g. 0/4)", "sweep");
    }
  }

  // Scenarios: all validated before anything runs.
  std::vector<scenario::Scenario> loaded;
  std::vector<scenario::Scenario>& specs = src ? src->specs : loaded;
  for (const auto& p : src ? std::vector<std::string>{} : vm["scenario"].as<std::vector<std::string>>()) {
    scenario::Diagnostics diag;
    auto s = scenario::load_scenario_file(reg, p, diag);
    if (!s) {
      std::fputs(diag.render(use_color(ColorMode::kAuto)).c_str(), stderr);
      return kExitInvalidInput;
    }
    if (s->checks.empty()) {
      // Runs that check nothing cannot pass: a JUnit report with tests="0"
      // would read as success.
      std::fprintf(stderr, "dsim: %s: nothing to check (the scenario lists no checks)\n", p.c_str());
      return kExitNothingRan;
    }
    specs.push_back(std::move(*s));
  }

  // Already done (resume).
  Summary summary;
  std::set<std::pair<std::string, uint64_t>> done;
  std::vector<std::map<std::string, int>> check_lines(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    for (const auto& c : specs[i].checks) check_lines[i][c.name] = c.line;
  }
  // The content hash of each scenario goes into every record, so --resume
  // can tell results of this scenario from those of an edited one.
  std::vector<std::string> content_hash(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    if (src) {
      content_hash[i] = src->content_hash.at(i);
      continue;
    }
    std::string err;
    content_hash[i] = trace::Sha256::of_file(specs[i].path, &err);
    if (!err.empty()) {
      std::fprintf(stderr, "%s: error: %s\n", specs[i].path.c_str(), err.c_str());
      return kExitInvalidInput;
    }
  }
  // Which seeds this sweep (range and shard) runs, for --resume.
  std::set<uint64_t> runs_seeds;  // --runs: listed (bounded below); --seeds: arithmetic
  if (!plan.range && vm.count("resume")) {
    if (plan.per_scenario() > 10'000'000) return sweep_usage("--resume with --runs takes at most 10000000 runs per shard", "sweep");
    for (uint64_t j = 0; j < plan.per_scenario(); ++j) runs_seeds.insert(plan.seed(j));
  }
  auto mine = [&](uint64_t seed) {
    if (!plan.range) return runs_seeds.count(seed) > 0;
    if (seed < plan.first || seed - plan.first >= plan.count) return false;
    const uint64_t k = seed - plan.first;
    return k >= plan.shard_i && (k - plan.shard_i) % plan.shard_n == 0;
  };
  std::unique_ptr<OutputFile> results;
  if (vm.count("results")) {
    const std::string rpath = vm["results"].as<std::string>();
    // Locked before it is read or truncated: two sweeps appending to one
    // file would interleave their records.
    results = std::make_unique<OutputFile>();
    if (const std::string err = results->open_log(rpath, /*truncate=*/!vm.count("resume"), /*lock=*/true); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return exit_code_for_write_errno(results->errno_value());
    }
    struct stat st {};
    if (vm.count("resume") && ::stat(rpath.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      std::vector<RunRecord> old;
      std::string err;
      if (!read_results(rpath, &old, /*truncate_torn=*/true, &err)) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return kExitInvalidInput;
      }
      for (const auto& r : old) {
        for (size_t i = 0; i < specs.size(); ++i) {
          if (specs[i].id != r.scenario) continue;  // the canonical identity, however the path was typed
          if (r.scenario_sha256 != content_hash[i]) {
            std::fprintf(stderr,
                         "dsim: error: %s: cannot resume: %s was recorded for a different content of this scenario "
                         "(sha256 %s, now %s); run without --resume or use another results file\n",
                         rpath.c_str(), r.scenario.c_str(),
                         r.scenario_sha256.empty() ? "not recorded" : r.scenario_sha256.substr(0, 16).c_str(),
                         content_hash[i].substr(0, 16).c_str());
            return kExitInvalidInput;
          }
          // Only runs this sweep would make count as done: another seed
          // range or shard in the same file is not part of this sweep.
          if (!mine(r.seed) || !done.insert({r.scenario, r.seed}).second) continue;
          add_to_summary(summary, r, check_lines[i]);
          if (src && src->on_record) src->on_record(i, r);
        }
      }
    }
  }

  // Job k is seed k % per of scenario k / per; resumed runs are skipped
  // when their turn comes.
  const uint64_t per = plan.per_scenario();
  const uint64_t total_jobs = per * specs.size();
  const uint64_t already = done.size();
  if (total_jobs == 0 && already == 0) {
    std::fprintf(stderr, "dsim: nothing to run (the shard selects no seed)\n");
    if (results) results->commit();
    return kExitNothingRan;
  }
  auto job_at = [&](uint64_t k) { return Job{static_cast<size_t>(k / per), plan.seed(k % per)}; };

  const char* ci = std::getenv("CI");
  const bool tty = isatty(STDERR_FILENO) == 1;
  const bool show_progress = !quiet && (progress_mode == "always" || (progress_mode == "auto" && tty && !(ci && *ci)));
  const auto determinism_pct = static_cast<uint64_t>(determinism_flag);
  // No more threads than runs: the rest would only start and exit.
  const auto jobs =
      static_cast<unsigned>(std::min<uint64_t>(static_cast<uint64_t>(jobs_flag), std::max<uint64_t>(1, total_jobs)));

  std::mutex mu;
  std::string schedule_error;  // the first run whose schedule could not be replayed
  std::atomic<uint64_t> next{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> out_of_memory{false};
  uint64_t finished = 0, skipped = 0, unexpected = 0, inconclusive = 0, nondeterministic = 0, crashed = 0;
  for (const auto& [path, t] : summary) {
    unexpected += t.unexpected;
    inconclusive += t.inconclusive;
  }
  std::vector<uint64_t> left_per_scenario(specs.size(), per);
  Progress progress(show_progress, total_jobs, judge);
  const auto wall0 = std::chrono::steady_clock::now();

  // One run, judged. Everything that can throw is in here, so nothing
  // escapes a worker thread (that would be std::terminate: SIGABRT).
  auto run_job = [&](const Job& job, RunRecord* rec) {
    const scenario::Scenario& s = specs[job.scenario];
    scenario::RunOptions opt;
    opt.seed = job.seed;
    // Determinism self-check on a fixed fraction of runs (chosen from the
    // seed, so the same runs are checked on every machine).
    const bool recheck = determinism_pct > 0 && mix64(job.seed ^ 0xD5D5) % 100 < determinism_pct;
    opt.fingerprint = recheck;
    const scenario::RunReport r = src && src->run ? src->run(job.scenario, opt, rec) : scenario::run_scenario(s, opt);
    if (!r.schedule_error.empty()) {  // a scripted step that cannot happen: bad input, the sweep stops (exit 3)
      std::lock_guard<std::mutex> lock(mu);
      if (schedule_error.empty()) schedule_error = r.schedule_error;
      stop = true;
    }
    rec->as_expected = r.as_expected;
    if (s.expect_some_seeds) {
      // This seed is fine if it violates nothing beyond the expected; the
      // sweep as a whole must find each expected violation (unmet_expectations).
      rec->as_expected = std::all_of(r.checks.begin(), r.checks.end(), [&](const analysis::CheckResult& c) {
        return c.status != analysis::Status::kViolated ||
               std::find(s.expect_violated.begin(), s.expect_violated.end(), c.name) != s.expect_violated.end();
      });
    }
    rec->checks = r.checks;
    rec->events = r.counters.events;
    if (recheck) {
      const scenario::RunReport again = scenario::run_scenario(s, opt);
      if (again.trace_sha256 != r.trace_sha256) {
        rec->error = "nondeterministic: two runs of seed " + std::to_string(job.seed) + " gave trace hashes " +
                     r.trace_sha256.substr(0, 16) + " and " + again.trace_sha256.substr(0, 16);
      }
    }
  };
  auto worker = [&]() {
    for (;;) {
      if (stop.load()) return;
      const uint64_t k = next.fetch_add(1);
      if (k >= total_jobs) return;
      const Job job = job_at(k);
      const scenario::Scenario& s = specs[job.scenario];
      if (!done.empty() && done.count({s.id, job.seed})) {
        std::lock_guard<std::mutex> lock(mu);
        ++skipped;
        --left_per_scenario[job.scenario];
        continue;
      }
      RunRecord rec;
      rec.scenario = s.id;
      rec.seed = job.seed;
      rec.expect_violated = s.expect_violated;
      rec.expect_some = s.expect_some_seeds;
      rec.repro = src && src->repro ? src->repro(job.scenario, job.seed)
                                    : shell_join({program_name(), "run", s.path, "--seed", std::to_string(job.seed)});
      rec.scenario_sha256 = content_hash[job.scenario];
      bool internal = false;
      try {
        run_job(job, &rec);
      } catch (const std::bad_alloc&) {
        out_of_memory = true;  // the budget is the process's: stop the sweep
        stop = true;
        return;
      } catch (const std::exception& e) {
        rec.as_expected = false;
        rec.error = std::string("internal error: ") + e.what();
        internal = true;
      }
      std::lock_guard<std::mutex> lock(mu);
      if (results) {
        std::string line;
        try {
          line = record_to_json_line(rec);
        } catch (const std::exception& e) {  // e.g. a path that is not UTF-8
          rec.error = std::string("internal error: cannot write the result: ") + e.what();
          internal = true;
        }
        // Flushed at once: a killed sweep keeps every finished run. A failed
        // write (a full disk) stops the sweep: records would go missing.
        if (!results->write(line) || !results->flush()) {
          stop = true;
          return;
        }
      }
      add_to_summary(summary, rec, check_lines[job.scenario]);
      if (src && src->on_record) src->on_record(job.scenario, rec);
      ++finished;
      if (internal) {
        ++crashed;
        std::fprintf(stderr, "dsim: %s (%s)\n", rec.error.c_str(), rec.repro.c_str());
      } else if (!rec.error.empty()) {
        ++nondeterministic;
      }
      if (rec.error.empty() && inconclusive_only(rec)) {
        ++inconclusive;
        if (!show_progress && judge) std::fprintf(stderr, "inconclusive: %s\n", rec.repro.c_str());
      } else if (!rec.as_expected || !rec.error.empty()) {
        ++unexpected;
        if (vm.count("fail-fast")) stop = true;
        if (!show_progress && judge) std::fprintf(stderr, "unexpected: %s\n", rec.repro.c_str());
      }
      if (--left_per_scenario[job.scenario] == 0 && !show_progress && !quiet && judge) {
        const ScenarioTally& t = summary[s.id];
        std::fprintf(stderr, "%s: %llu runs, %llu unexpected\n", s.path.c_str(), static_cast<unsigned long long>(t.runs),
                     static_cast<unsigned long long>(t.unexpected + t.errors));
      }
      progress.update(finished + skipped, unexpected);
    }
  };
  run_workers(jobs, worker);
  progress.update(finished + skipped, unexpected, true);
  progress.finish();
  if (!schedule_error.empty()) {
    std::fprintf(stderr, "%s\n", printable(schedule_error).c_str());
    return kExitInvalidInput;
  }
  if (results) {
    if (const std::string err = results->commit(); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s (the results file is incomplete)\n", err.c_str());
      return exit_code_for_write_errno(results->errno_value());
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  if (!quiet && judge) std::fputs(summary_text(summary).c_str(), stderr);
  const uint64_t unmet = out_of_memory || stop ? 0 : unmet_expectations(summary);
  if (unmet > 0 && judge) {
    std::fprintf(stderr, "sweep: %llu expected violations (expect.seeds: some) found by no seed\n",
                 static_cast<unsigned long long>(unmet));
  }
  if (judge) {
    std::fprintf(stderr, "%s: %llu runs (%llu resumed), %llu unexpected, %llu inconclusive, %.2fs wall, %.0f runs/s on %u threads\n",
                 cmd, static_cast<unsigned long long>(finished + already), static_cast<unsigned long long>(already),
                 static_cast<unsigned long long>(unexpected), static_cast<unsigned long long>(inconclusive), wall,
                 wall > 0 ? static_cast<double>(finished) / wall : 0, jobs);
  } else {
    std::fprintf(stderr, "%s: %llu runs (%llu resumed), %.2fs wall, %.0f runs/s on %u threads\n", cmd,
                 static_cast<unsigned long long>(finished + already), static_cast<unsigned long long>(already), wall,
                 wall > 0 ? static_cast<double>(finished) / wall : 0, jobs);
  }
  if (vm.count("junit")) {
    if (const auto err = write_output(vm["junit"].as<std::string>(), junit_xml(summary, wall)); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  if (out_of_memory) {
    std::fprintf(stderr, "dsim: error: out of memory (the memory budget is --max-memory %s); the sweep stopped\n",
                 memory_limit_text().c_str());
    return kExitResourceLimit;
  }
  if (crashed > 0) {
    std::fprintf(stderr, "dsim: internal error: %llu runs failed with an exception; this is a bug in dsim\n",
                 static_cast<unsigned long long>(crashed));
    return kExitInternal;
  }
  if (nondeterministic > 0) {
    std::fprintf(stderr, "dsim: internal error: %llu runs were not deterministic; this is a bug in dsim\n",
                 static_cast<unsigned long long>(nondeterministic));
    return kExitInternal;
  }
  return unexpected > 0 || unmet > 0 ? kExitViolation : inconclusive > 0 ? kExitInconclusive : kExitOk;
}

int cmd_merge(const Registry&, const std::vector<std::string>& args) {
  po::options_description opts("dsim merge RESULTS.jsonl... [--junit FILE]");
  opts.add_options()("junit", po::value<std::string>(), "write a JUnit XML report to FILE")(
      "quiet,q", "print only the summary line")("help,h", "show this help");
  po::options_description all;
  all.add(opts);
  all.add_options()("results", po::value<std::vector<std::string>>(), "");
  po::positional_options_description pos;
  pos.add("results", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return sweep_usage(e.what(), "merge");
  }
  if (vm.count("help")) {
    std::cout << opts;
    return kExitOk;
  }
  if (!vm.count("results")) return sweep_usage("name at least one results file", "merge");
  Summary summary;
  std::map<std::pair<std::string, uint64_t>, bool> seen;  // (scenario, seed) -> as expected
  uint64_t runs = 0, unexpected = 0, inconclusive = 0;
  for (const auto& path : vm["results"].as<std::vector<std::string>>()) {
    if (access(path.c_str(), R_OK) != 0) {
      std::fprintf(stderr, "%s: error: cannot read results file\n", path.c_str());
      return kExitInvalidInput;
    }
    std::vector<RunRecord> recs;
    std::string err;
    if (!read_results(path, &recs, /*truncate_torn=*/false, &err)) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return kExitInvalidInput;
    }
    for (const auto& r : recs) {
      const bool ok = r.as_expected && r.error.empty();
      auto [it, fresh] = seen.try_emplace({r.scenario, r.seed}, ok);
      if (!fresh) {
        if (it->second != ok) {
          std::fprintf(stderr, "dsim: error: %s seed %llu has different outcomes in different files\n", r.scenario.c_str(),
                       static_cast<unsigned long long>(r.seed));
          return kExitInternal;
        }
        continue;  // the same run twice (e.g. overlapping shards): count it once
      }
      add_to_summary(summary, r);
      ++runs;
      if (!ok && inconclusive_only(r)) ++inconclusive;
      else unexpected += ok ? 0 : 1;
    }
  }
  if (runs == 0) {
    std::fprintf(stderr, "dsim: nothing to merge\n");
    return kExitNothingRan;
  }
  if (!vm.count("quiet")) std::fputs(summary_text(summary).c_str(), stderr);
  const uint64_t unmet = unmet_expectations(summary);
  std::fprintf(stderr, "merge: %llu runs, %llu unexpected%s\n", static_cast<unsigned long long>(runs),
               static_cast<unsigned long long>(unexpected), unmet ? ", expected violations found by no seed" : "");
  if (vm.count("junit")) {
    if (const auto err = write_output(vm["junit"].as<std::string>(), junit_xml(summary, 0)); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return unexpected > 0 || unmet > 0 ? kExitViolation : inconclusive > 0 ? kExitInconclusive : kExitOk;
}

}  // namespace dsim::cli
