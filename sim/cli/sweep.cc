// `dsim sweep` and `dsim merge`: many seeds of one or more scenarios, one
// simulation per worker thread, results that survive a kill, shards for
// cluster schedulers, a JUnit report. Each run is exactly `dsim run` with
// its seed (same spec, same RunOptions but the trace file), so every
// failure's reproduction line replays it.
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "sim/cli/commands.h"
#include "sim/cli/exit_codes.h"
#include "sim/cli/results.h"
#include "sim/cli/terminal.h"
#include "sim/core/output_file.h"
#include "sim/core/prng.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/units.h"
#include "sim/trace/sha256.h"

namespace dsim::cli {
namespace po = boost::program_options;

namespace {

int sweep_usage(const std::string& msg, const char* cmd) {
  std::fprintf(stderr, "dsim: error: %s\nTry 'dsim %s --help' for usage.\n", msg.c_str(), cmd);
  return kExitUsage;
}

po::options_description sweep_options() {
  po::options_description d("dsim sweep SCENARIO.yaml... (--seeds A..B | --runs K) [options]");
  d.add_options()
      ("seeds", po::value<std::string>(), "inclusive seed range A..B")
      ("runs", po::value<uint64_t>(), "K runs with seeds derived from --seed (splitmix64 of base + index); each is reported")
      ("seed", po::value<std::string>()->default_value("1"), "base seed for --runs")
      ("jobs,j", po::value<unsigned>()->default_value(std::max(1u, std::thread::hardware_concurrency())),
       "worker threads (one simulation each)")
      ("shard", po::value<std::string>(), "I/N: run only seed indexes i with i % N == I (0 <= I < N)")
      ("results", po::value<std::string>(), "append one JSON line per finished run to FILE, flushed at once; "
                                            "the file is locked, so a second sweep on it is refused")
      ("resume", "skip the (scenario, seed) runs of this seed range and shard already in --results "
                 "(refused if a scenario file changed since)")
      ("junit", po::value<std::string>(), "write a JUnit XML report to FILE (atomically)")
      ("fail-fast", "stop starting runs after the first unexpected outcome")
      ("check-determinism", po::value<unsigned>()->implicit_value(5),
       "re-run this percentage of runs (default 5) and fail loudly if the trace hash differs")
      ("progress", po::value<std::string>()->default_value("auto"), "auto|always|never")
      ("quiet,q", "print only failures and the exit summary line")
      ("help,h", "show this help");
  return d;
}

struct Job {
  size_t scenario;
  uint64_t seed;
};

// The progress line: at most 10 redraws a second, on stderr, cleared on exit.
class Progress {
 public:
  Progress(bool on, uint64_t total) : on_(on), total_(total), start_(std::chrono::steady_clock::now()) {}
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
    std::snprintf(tail, sizeof tail, " %llu/%llu runs, %llu unexpected, %.0f runs/s, ETA %.0fs",
                  static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                  static_cast<unsigned long long>(unexpected), rate, eta);
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
  uint64_t total_;
  std::chrono::steady_clock::time_point start_, last_{};
};

// Reads a results file; a torn last line (a run killed mid-write) is
// dropped and the file truncated to its last whole record.
bool read_results(const std::string& path, std::vector<RunRecord>* out, bool truncate_torn, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return true;  // nothing yet
  std::string line;
  uint64_t line_no = 0;
  std::streamoff good_end = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const bool complete = !in.eof();  // getline stopped at a newline
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

int cmd_sweep(const std::vector<std::string>& args) {
  po::options_description opts = sweep_options();
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
                         "2 usage, 3 invalid scenario or results file, 4 nothing to run, 6 out of disk space (or quota,\n"
                         "file size limit), 70 nondeterminism, 74 other I/O error writing an output.\n";
    return kExitOk;
  }
  if (!vm.count("scenario")) return sweep_usage("name at least one scenario", "sweep");
  if (vm.count("seeds") == vm.count("runs")) return sweep_usage("give exactly one of --seeds A..B and --runs K", "sweep");
  if (vm.count("resume") && !vm.count("results")) return sweep_usage("--resume needs --results FILE", "sweep");
  const unsigned jobs = std::max(1u, vm["jobs"].as<unsigned>());
  const std::string progress_mode = vm["progress"].as<std::string>();
  if (progress_mode != "auto" && progress_mode != "always" && progress_mode != "never") {
    return sweep_usage("--progress must be auto, always or never", "sweep");
  }
  const bool quiet = vm.count("quiet") > 0;

  // Seeds, in index order; the shard keeps every N-th.
  std::vector<uint64_t> seeds;
  if (vm.count("seeds")) {
    const std::string text = vm["seeds"].as<std::string>();
    const size_t dots = text.find("..");
    uint64_t a = 0, b = 0;
    std::string why;
    if (dots == std::string::npos || !scenario::parse_seed(text.substr(0, dots), &a, &why) ||
        !scenario::parse_seed(text.substr(dots + 2), &b, &why) || b < a || b - a >= 100'000'000) {
      return sweep_usage("invalid --seeds '" + text + "' (expected A..B with A <= B)", "sweep");
    }
    for (uint64_t s = a;; ++s) {
      seeds.push_back(s);
      if (s == b) break;
    }
  } else {
    uint64_t base = 0;
    std::string why;
    if (!scenario::parse_seed(vm["seed"].as<std::string>(), &base, &why)) return sweep_usage(why, "sweep");
    const uint64_t k = vm["runs"].as<uint64_t>();
    if (k == 0 || k > 100'000'000) return sweep_usage("--runs must be between 1 and 100000000", "sweep");
    for (uint64_t i = 0; i < k; ++i) seeds.push_back(mix64(base + i));
  }
  if (vm.count("shard")) {
    const std::string text = vm["shard"].as<std::string>();
    unsigned i = 0, n = 0;
    char extra = 0;
    if (std::sscanf(text.c_str(), "%u/%u%c", &i, &n, &extra) != 2 || n == 0 || i >= n) {
      return sweep_usage("invalid --shard '" + text + "' (expected I/N with 0 <= I < N)", "sweep");
    }
    std::vector<uint64_t> mine;
    for (size_t k = 0; k < seeds.size(); ++k) {
      if (k % n == i) mine.push_back(seeds[k]);
    }
    seeds = std::move(mine);
  }

  // Scenarios: all validated before anything runs.
  const auto paths = vm["scenario"].as<std::vector<std::string>>();
  std::vector<scenario::Scenario> specs;
  for (const auto& p : paths) {
    scenario::Diagnostics diag;
    auto s = scenario::load_scenario_file(p, diag);
    if (!s) {
      std::fputs(diag.render(use_color(ColorMode::kAuto)).c_str(), stderr);
      return kExitInvalidInput;
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
    std::string err;
    content_hash[i] = trace::Sha256::of_file(specs[i].path, &err);
    if (!err.empty()) {
      std::fprintf(stderr, "%s: error: %s\n", specs[i].path.c_str(), err.c_str());
      return kExitInvalidInput;
    }
  }
  const std::set<uint64_t> my_seeds(seeds.begin(), seeds.end());
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
          if (specs[i].path != r.scenario) continue;
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
          if (!my_seeds.count(r.seed) || !done.insert({r.scenario, r.seed}).second) continue;
          add_to_summary(summary, r, check_lines[i]);
        }
      }
    }
  }

  std::vector<Job> queue;
  for (size_t i = 0; i < specs.size(); ++i) {
    for (uint64_t s : seeds) {
      if (!done.count({specs[i].path, s})) queue.push_back({i, s});
    }
  }
  const uint64_t already = done.size();
  if (queue.empty() && already == 0) {
    std::fprintf(stderr, "dsim: nothing to run (the shard selects no seed)\n");
    if (results) results->commit();
    return kExitNothingRan;
  }

  const char* ci = std::getenv("CI");
  const bool tty = isatty(STDERR_FILENO) == 1;
  const bool show_progress = !quiet && (progress_mode == "always" || (progress_mode == "auto" && tty && !(ci && *ci)));
  const unsigned determinism_pct = vm.count("check-determinism") ? std::min(100u, vm["check-determinism"].as<unsigned>()) : 0;

  std::mutex mu;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  uint64_t finished = 0, unexpected = 0, nondeterministic = 0;
  for (const auto& [path, t] : summary) unexpected += t.unexpected;
  std::vector<uint64_t> left_per_scenario(specs.size(), 0);
  for (const Job& j : queue) ++left_per_scenario[j.scenario];
  Progress progress(show_progress, queue.size());
  const auto wall0 = std::chrono::steady_clock::now();

  auto worker = [&]() {
    for (;;) {
      if (stop.load()) return;
      const size_t k = next.fetch_add(1);
      if (k >= queue.size()) return;
      const Job job = queue[k];
      const scenario::Scenario& s = specs[job.scenario];
      scenario::RunOptions opt;
      opt.seed = job.seed;
      // Determinism self-check on a fixed fraction of runs (chosen from the
      // seed, so the same runs are checked on every machine).
      const bool recheck = determinism_pct > 0 && mix64(job.seed ^ 0xD5D5) % 100 < determinism_pct;
      opt.fingerprint = recheck;
      const scenario::RunReport r = scenario::run_scenario(s, opt);
      RunRecord rec;
      rec.scenario = s.path;
      rec.seed = job.seed;
      rec.as_expected = r.as_expected;
      rec.checks = r.checks;
      rec.expect_violated = s.expect_violated;
      rec.events = r.counters.events;
      rec.repro = shell_join({"dsim", "run", s.path, "--seed", std::to_string(job.seed)});
      rec.scenario_sha256 = content_hash[job.scenario];
      if (recheck) {
        const scenario::RunReport again = scenario::run_scenario(s, opt);
        if (again.trace_sha256 != r.trace_sha256) {
          rec.error = "nondeterministic: two runs of seed " + std::to_string(job.seed) + " gave trace hashes " +
                      r.trace_sha256.substr(0, 16) + " and " + again.trace_sha256.substr(0, 16);
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      if (results) {
        // Flushed at once: a killed sweep keeps every finished run. A failed
        // write (a full disk) stops the sweep: records would go missing.
        if (!results->write(record_to_json_line(rec)) || !results->flush()) {
          stop = true;
          return;
        }
      }
      add_to_summary(summary, rec, check_lines[job.scenario]);
      ++finished;
      if (!rec.error.empty()) ++nondeterministic;
      if (!rec.as_expected || !rec.error.empty()) {
        ++unexpected;
        if (vm.count("fail-fast")) stop = true;
        if (!show_progress) std::fprintf(stderr, "unexpected: %s\n", rec.repro.c_str());
      }
      if (--left_per_scenario[job.scenario] == 0 && !show_progress && !quiet) {
        const ScenarioTally& t = summary[s.path];
        std::fprintf(stderr, "%s: %llu runs, %llu unexpected\n", s.path.c_str(), static_cast<unsigned long long>(t.runs),
                     static_cast<unsigned long long>(t.unexpected + t.errors));
      }
      progress.update(finished, unexpected);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < jobs; ++i) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  progress.update(finished, unexpected, true);
  progress.finish();
  if (results) {
    if (const std::string err = results->commit(); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s (the results file is incomplete)\n", err.c_str());
      return exit_code_for_write_errno(results->errno_value());
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  if (!quiet) std::fputs(summary_text(summary).c_str(), stderr);
  std::fprintf(stderr, "sweep: %llu runs (%llu resumed), %llu unexpected, %.2fs wall, %.0f runs/s on %u threads\n",
               static_cast<unsigned long long>(finished + already), static_cast<unsigned long long>(already),
               static_cast<unsigned long long>(unexpected), wall, wall > 0 ? static_cast<double>(finished) / wall : 0,
               jobs);
  if (vm.count("junit")) {
    if (const auto err = write_output(vm["junit"].as<std::string>(), junit_xml(summary, wall)); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  if (nondeterministic > 0) {
    std::fprintf(stderr, "dsim: internal error: %llu runs were not deterministic; this is a bug in dsim\n",
                 static_cast<unsigned long long>(nondeterministic));
    return kExitInternal;
  }
  return unexpected > 0 ? kExitViolation : kExitOk;
}

int cmd_merge(const std::vector<std::string>& args) {
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
  uint64_t runs = 0, unexpected = 0;
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
      unexpected += ok ? 0 : 1;
    }
  }
  if (runs == 0) {
    std::fprintf(stderr, "dsim: nothing to merge\n");
    return kExitNothingRan;
  }
  if (!vm.count("quiet")) std::fputs(summary_text(summary).c_str(), stderr);
  std::fprintf(stderr, "merge: %llu runs, %llu unexpected\n", static_cast<unsigned long long>(runs),
               static_cast<unsigned long long>(unexpected));
  if (vm.count("junit")) {
    if (const auto err = write_output(vm["junit"].as<std::string>(), junit_xml(summary, 0)); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return unexpected > 0 ? kExitViolation : kExitOk;
}

}  // namespace dsim::cli
