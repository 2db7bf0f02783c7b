#include "sim/cli/commands.h"

#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <unistd.h>

#include "analysis/checker.h"
#include "protocols/lb/hashing.h"
#include "analysis/export.h"
#include "analysis/linearizability.h"
#include "analysis/offline.h"
#include "analysis/report.h"
#include "analysis/timeline.h"
#include "sim/cli/compare.h"
#include "sim/cli/exit_codes.h"
#include "sim/cli/options.h"
#include "sim/core/text.h"
#include "sim/cli/results.h"
#include "sim/cli/terminal.h"
#include "sim/core/output_file.h"
#include "sim/core/printable.h"
#include "sim/scenario/experiment.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/shrink.h"
#include "sim/scenario/writer.h"
#include "sim/trace/reader.h"
#include "sim/scenario/units.h"

namespace dsim::cli {
namespace po = boost::program_options;
using Json = nlohmann::ordered_json;

std::string version_string() { return std::string(DSIM_VERSION) + " (git " + DSIM_GIT_HASH + ")"; }

namespace {

constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0    outcome as expected (every check held, or exactly the expected ones were violated)\n"
    "  1    a check was violated, or an expected violation did not happen\n"
    "  2    usage error (unknown flag, bad value)\n"
    "  3    invalid scenario or trace file (reported as file:line:col)\n"
    "  4    nothing ran (no checks to evaluate)\n"
    "  5    inconclusive: checking a history file, the linearizability budget ran out\n"
    "  6    resource limit: no space left for an output (disk full, quota, file size limit)\n"
    "  70   internal error in dsim\n"
    "  74   I/O error writing an output (the message names the file)\n"
    "  130  interrupted (128 + signal number for other fatal signals)\n";

constexpr const char* kMainHelp =
    "dsim: a deterministic distributed-systems simulator\n"
    "\n"
    "Usage:\n"
    "  dsim run SCENARIO.yaml [--seed N] [--trace FILE] [--json FILE|-] [--until DURATION]\n"
    "  dsim check TRACE.jsonl [--checks a,b] [--json FILE|-]\n"
    "  dsim check HISTORY.jsonl [--budget-steps N] [--budget-time DURATION] [--json FILE|-]\n"
    "  dsim sweep SCENARIO.yaml... (--seeds A..B | --runs K) [--jobs J] [--results FILE [--resume]]\n"
    "             [--junit FILE] [--shard I/N] [--fail-fast] [--check-determinism [PCT]]\n"
    "  dsim merge RESULTS.jsonl... [--junit FILE]\n"
    "  dsim compare SCENARIO.yaml... [--seed N] [--csv FILE]   (the clients' table, side by side)\n"
    "  dsim shrink SCENARIO.yaml --seed N [--check NAME] [-o FILE]\n"
    "  dsim experiment election [--trials N] [--ranges 150ms..300ms,...] [--csv FILE]\n"
    "  dsim experiment hashing [--backends N] [--keys K]   (consistent hashing vs theory)\n"
    "  dsim show TRACE.jsonl [--node a,b] [--kind k1,k2] [--from T] [--to T] [--no-network]\n"
    "  dsim export TRACE.jsonl --format perfetto|shiviz [-o FILE]\n"
    "  dsim report TRACE.jsonl -o FILE.html   (or: dsim run ... --report FILE.html)\n"
    "  dsim checks             list the known checks\n"
    "  dsim help [COMMAND]\n"
    "  dsim --version\n"
    "\n";

int usage_error(const std::string& msg, const std::string& command) {
  std::fprintf(stderr, "dsim: error: %s\n", msg.c_str());
  std::fprintf(stderr, "Try 'dsim help%s' for usage.\n", command.empty() ? "" : (" " + command).c_str());
  return kExitUsage;
}

std::optional<ColorMode> parse_color(const std::string& s) {
  if (s == "auto") return ColorMode::kAuto;
  if (s == "always") return ColorMode::kAlways;
  if (s == "never") return ColorMode::kNever;
  return std::nullopt;
}

po::options_description run_options() {
  po::options_description d("dsim run SCENARIO.yaml [options]");
  d.add_options()
      ("seed", po::value<std::string>(), "master seed: decimal u64, 0x-hex, or a 40-digit git commit hash "
                                         "(default: the scenario's seed, else a random one that is printed)")
      ("trace", po::value<std::string>(), "write the JSON Lines trace to FILE (atomically)")
      ("json", po::value<std::string>(), "write the run summary as one JSON document to FILE, or - for stdout")
      ("until", po::value<std::string>(), "stop at this virtual time instead of the scenario's duration (e.g. 5s)")
      ("color", po::value<std::string>()->default_value("auto"), "auto|always|never (NO_COLOR is respected)")
      ("quiet,q", "print only errors and the reproduction line on failure")
      ("verbose,v", "print the event timeline to stderr as the run goes (see 'dsim show' for filters)")
      ("report", po::value<std::string>(), "write a self-contained HTML report of the run to FILE")
      ("help,h", "show this help");
  return d;
}

po::options_description check_options() {
  po::options_description d(
      "dsim check TRACE.jsonl|HISTORY.jsonl [options]\n"
      "A trace is judged by the checks in its header. A client history (JSON Lines,\n"
      "one invoke/ok/fail/info event per line; docs/history-format.md) is checked\n"
      "for linearizability: exit 0 linearizable, 1 not, 5 inconclusive (budget ran out)");
  d.add_options()
      ("checks", po::value<std::string>(), "comma-separated checks to run (default: those in the trace header)")
      ("budget-steps", po::value<uint64_t>(), "history: search steps before giving up (default 500000000)")
      ("budget-time", po::value<std::string>(), "history: wall time before giving up, e.g. 30s (default 60s; 0: none)")
      ("json", po::value<std::string>(), "write the result as one JSON document to FILE, or - for stdout")
      ("color", po::value<std::string>()->default_value("auto"), "auto|always|never")
      ("quiet,q", "print only errors")
      ("help,h", "show this help");
  return d;
}

std::optional<po::variables_map> parse(const std::vector<std::string>& args, const po::options_description& opts,
                                       const char* positional, const std::string& command, int* exit_code) {
  return parse_command(args, opts, positional, command, exit_code);
}

void print_checks(const std::vector<analysis::CheckResult>& checks, const Style& st) {
  for (const auto& c : checks) {
    const char* color = c.status == analysis::Status::kHeld       ? st.green()
                        : c.status == analysis::Status::kViolated ? st.red()
                                                                  : st.yellow();
    // Names and messages may come from a trace file: printable().
    std::fprintf(stderr, "  %s%-12s%s %s (%s)", color, analysis::to_string(c.status), st.reset(), printable(c.name).c_str(),
                 analysis::to_string(c.kind));
    if (c.violation) {
      std::fprintf(stderr, "\n      at %s on %s: %s\n", analysis::format_time(c.violation->t_ns).c_str(),
                   printable(c.violation->node).c_str(), printable(c.violation->message).c_str());
    } else {
      std::fprintf(stderr, "%s%s%s%s\n", st.dim(), c.note.empty() ? "" : ": ", printable(c.note).c_str(), st.reset());
    }
  }
}

std::string expected_text(const std::vector<std::string>& expect) {
  if (expect.empty()) return "every check holds";
  std::string s = "violation of ";
  for (size_t i = 0; i < expect.size(); ++i) s += (i ? ", " : "") + expect[i];
  return s;
}

std::string with_commas(uint64_t v) {
  const std::string digits = std::to_string(v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace

std::optional<po::variables_map> parse_command(const std::vector<std::string>& args, const po::options_description& opts,
                                               const char* positional, const std::string& command, int* exit_code,
                                               bool many) {
  po::options_description all;
  all.add(opts);
  all.add_options()(positional, po::value<std::vector<std::string>>(), "");
  po::positional_options_description pos;
  pos.add(positional, -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    *exit_code = usage_error(e.what(), command);
    return std::nullopt;
  }
  if (vm.count("help")) {
    std::cout << opts << "\n" << kExitCodesHelp;
    *exit_code = kExitOk;
    return std::nullopt;
  }
  const size_t given = vm.count(positional) ? vm[positional].as<std::vector<std::string>>().size() : 0;
  if (many ? given == 0 : given != 1) {
    *exit_code = usage_error(std::string("'dsim ") + command + "' takes " + (many ? "at least" : "exactly") + " one " +
                                 positional,
                             command);
    return std::nullopt;
  }
  if (vm.count("color") && !parse_color(vm["color"].as<std::string>())) {
    *exit_code = usage_error("--color must be auto, always or never", command);
    return std::nullopt;
  }
  return vm;
}

int cmd_run(const std::vector<std::string>& args) {
  int code = kExitOk;
  auto vm = parse(args, run_options(), "scenario", "run", &code);
  if (!vm) return code;
  const Style st{use_color(*parse_color((*vm)["color"].as<std::string>()))};
  const bool quiet = vm->count("quiet") > 0;
  const std::string path = (*vm)["scenario"].as<std::vector<std::string>>()[0];

  std::optional<Duration> until;
  if (vm->count("until")) {
    int64_t ns = 0;
    std::string why;
    if (!scenario::parse_duration((*vm)["until"].as<std::string>(), false, &ns, &why) || ns <= 0) {
      return usage_error("invalid --until '" + (*vm)["until"].as<std::string>() + "': " +
                             (why.empty() ? "must be positive" : why),
                         "run");
    }
    until = Duration{ns};
  }
  std::optional<uint64_t> seed_flag;
  if (vm->count("seed")) {
    uint64_t v = 0;
    std::string why;
    if (!scenario::parse_seed((*vm)["seed"].as<std::string>(), &v, &why)) return usage_error(why, "run");
    seed_flag = v;
  }

  scenario::Diagnostics diag;
  const auto spec = scenario::load_scenario_file(path, diag);
  if (!spec) {
    std::fputs(diag.render(st.on).c_str(), stderr);
    if (const char* gh = std::getenv("GITHUB_ACTIONS"); gh && std::string_view(gh) == "true") {
      std::fputs(diag.render_github().c_str(), stdout);
    }
    return kExitInvalidInput;
  }
  if (spec->checks.empty()) {
    std::fprintf(stderr, "dsim: %s: nothing to check (the scenario lists no checks)\n", path.c_str());
  }

  uint64_t seed = 0;
  bool random_seed = false;
  if (seed_flag) {
    seed = *seed_flag;
  } else if (spec->seed) {
    seed = *spec->seed;
  } else {
    std::random_device rd;  // outside the simulation: only picks the master seed
    seed = (static_cast<uint64_t>(rd()) << 32) | rd();
    random_seed = true;
  }
  std::vector<std::string> repro = {"dsim", "run", path, "--seed", std::to_string(seed)};
  if (until) repro.insert(repro.end(), {"--until", (*vm)["until"].as<std::string>()});
  if (!quiet) {
    std::fprintf(stderr, "%sdsim %s%s: %s, seed %llu%s\n", st.bold(), version_string().c_str(), st.reset(), path.c_str(),
                 static_cast<unsigned long long>(seed), random_seed ? " (random)" : "");
  }

  scenario::RunOptions opt;
  opt.seed = seed;
  opt.until = until;
  opt.trace_path = vm->count("trace") ? (*vm)["trace"].as<std::string>() : "";
  // A report is built from a trace; without --trace, a temporary one.
  std::string temp_trace;
  if (vm->count("report") && opt.trace_path.empty()) {
    temp_trace = private_temp_path("report-trace.jsonl");
    opt.trace_path = temp_trace;
  }
  analysis::Timeline timeline(stderr, {}, st.on);
  if (vm->count("verbose")) opt.observers.push_back(&timeline);
  const auto wall0 = std::chrono::steady_clock::now();
  const scenario::RunReport r = scenario::run_scenario(*spec, opt);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (!r.trace_error.empty()) {
    std::fprintf(stderr, "dsim: error: %s\n", r.trace_error.c_str());
    return exit_code_for_write_errno(last_output_errno());
  }
  if (r.budget_exhausted) {
    std::fprintf(stderr, "dsim: note: stopped at the event budget (max_events %llu) at %s\n",
                 static_cast<unsigned long long>(spec->max_events), analysis::format_time(r.end.ns).c_str());
  }
  const int exit_code = r.as_expected ? kExitOk : kExitViolation;
  if (!quiet) {
    const auto& c = r.counters;
    std::fprintf(stderr, "ran %s events, %s simulated in %.3fs wall (%s events/s)\n", with_commas(c.events).c_str(),
                 analysis::format_time(r.end.ns).c_str(), wall,
                 with_commas(static_cast<uint64_t>(wall > 0 ? static_cast<double>(c.events) / wall : 0)).c_str());
    std::fprintf(stderr, "network: %s sent, %s delivered, %s dropped, %s duplicated\n", with_commas(c.sent).c_str(),
                 with_commas(c.delivered).c_str(), with_commas(c.dropped).c_str(), with_commas(c.duplicated).c_str());
    std::fprintf(stderr, "checks:\n");
    print_checks(r.checks, st);
    if (r.clients) std::fprintf(stderr, "clients:\n%s", client_table({{spec->name, r}}).c_str());
    if (r.lb) {
      // Every policy the scenario lists, on this seed (the first is the run above).
      std::vector<Configuration> all = {{spec->lb_policies.front(), r}};
      scenario::Scenario rest = *spec;
      rest.lb_policies.erase(rest.lb_policies.begin());
      for (auto& c : run_lb_policies(rest, seed)) all.push_back(std::move(c));
      std::fprintf(stderr, "load balancing:\n%s", lb_table(all).c_str());
    }
    std::fprintf(stderr, "outcome: %s%s%s (expected: %s)\n", r.as_expected ? st.green() : st.red(),
                 r.as_expected ? "as expected" : "UNEXPECTED", st.reset(), expected_text(spec->expect_violated).c_str());
    std::fprintf(stderr, "trace: %s sha256 %s\n", opt.trace_path.empty() ? "(not written)" : opt.trace_path.c_str(),
                 r.trace_sha256.c_str());
  }
  if (!quiet || exit_code != kExitOk) std::fprintf(stderr, "reproduce: %s\n", shell_join(repro).c_str());
  if (vm->count("report")) {
    std::string html;
    const std::string err = analysis::build_report(opt.trace_path, &html);
    if (!temp_trace.empty()) remove_private_temp(temp_trace);
    if (!err.empty()) {
      std::fprintf(stderr, "dsim: internal error: cannot build the report: %s\n", err.c_str());
      return kExitInternal;
    }
    if (const auto werr = write_output((*vm)["report"].as<std::string>(), html); !werr.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", werr.c_str());
      return werr.exit_code();
    }
    if (!quiet) std::fprintf(stderr, "report: %s\n", (*vm)["report"].as<std::string>().c_str());
  }

  if (vm->count("json")) {
    Json j;
    j["schema"] = "dsim.run/1";
    j["dsim_version"] = DSIM_VERSION;
    j["git"] = DSIM_GIT_HASH;
    j["scenario"] = path;
    j["name"] = spec->name;
    j["seed"] = std::to_string(seed);
    j["simulated_time_ns"] = r.end.ns;
    j["budget_exhausted"] = r.budget_exhausted;
    j["events"] = r.counters.events;
    j["messages"] = {{"sent", r.counters.sent},
                     {"delivered", r.counters.delivered},
                     {"dropped", r.counters.dropped},
                     {"duplicated", r.counters.duplicated}};
    j["checks"] = Json::array();
    for (const auto& c : r.checks) j["checks"].push_back(check_json(c));
    j["expected"] = {{"violated", spec->expect_violated}};
    j["outcome"] = r.as_expected ? "as_expected" : "unexpected";
    j["exit_code"] = exit_code;
    j["trace"] = {{"path", opt.trace_path.empty() ? Json(nullptr) : Json(opt.trace_path)}, {"sha256", r.trace_sha256}};
    j["repro"] = repro;
    j["repro_command"] = shell_join(repro);
    if (const auto err = write_output((*vm)["json"].as<std::string>(), j.dump(2) + "\n"); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return exit_code;
}

namespace {

// `dsim check HISTORY.jsonl`: linearizability of a client history.
int check_history(const std::string& path, const po::variables_map& vm, const Style& st, bool quiet) {
  if (vm.count("checks")) return usage_error("--checks applies to traces; a history is checked for linearizability", "check");
  analysis::LinBudget budget;
  if (vm.count("budget-steps")) budget.max_steps = vm["budget-steps"].as<uint64_t>();
  if (vm.count("budget-time")) {
    int64_t ns = 0;
    std::string why;
    if (!scenario::parse_duration(vm["budget-time"].as<std::string>(), false, &ns, &why)) {
      return usage_error("--budget-time: " + why, "check");
    }
    budget.max_wall_ms = ns / 1'000'000;
  }
  std::vector<analysis::history::Op> ops;
  if (const std::string err = analysis::history::read_file(path, &ops); !err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return kExitInvalidInput;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const analysis::LinVerdict v = analysis::check_linearizable(ops, budget);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const int exit_code = v.status == analysis::Status::kHeld       ? kExitOk
                        : v.status == analysis::Status::kViolated ? kExitViolation
                                                                  : kExitInconclusive;
  if (!quiet) {
    std::fprintf(stderr, "%s: %llu operations on %llu keys (%llu dropped as unconstraining, %llu info writes pinned)\n",
                 path.c_str(), static_cast<unsigned long long>(v.stats.ops), static_cast<unsigned long long>(v.stats.keys),
                 static_cast<unsigned long long>(v.stats.dropped), static_cast<unsigned long long>(v.stats.pinned));
    if (v.status == analysis::Status::kHeld) {
      std::fprintf(stderr, "%slinearizable%s (%.1f ms, %llu search steps)\n", st.green(), st.reset(), ms,
                   static_cast<unsigned long long>(v.stats.steps));
    } else if (v.status == analysis::Status::kViolated) {
      std::fprintf(stderr, "%sNOT linearizable%s on key %s:\n  %s\n", st.red(), st.reset(), printable(v.key).c_str(),
                   printable(v.witness, true).c_str());
    } else {
      std::fprintf(stderr, "%sinconclusive%s on key %s: %s\n", st.yellow(), st.reset(), printable(v.key).c_str(),
                   printable(v.witness, true).c_str());
    }
  }
  if (vm.count("json")) {
    Json j;
    j["schema"] = "dsim.check/1";
    j["dsim_version"] = DSIM_VERSION;
    j["history"] = path;
    j["linearizable"] = v.status == analysis::Status::kHeld      ? Json(true)
                        : v.status == analysis::Status::kViolated ? Json(false)
                                                                  : Json("unknown");
    j["key"] = v.key;
    j["witness"] = v.witness;
    j["stats"] = {{"operations", v.stats.ops},     {"keys", v.stats.keys},       {"dropped", v.stats.dropped},
                  {"pinned", v.stats.pinned},      {"zone_keys", v.stats.zone_keys}, {"search_keys", v.stats.search_keys},
                  {"steps", v.stats.steps},        {"wall_ms", ms}};
    j["exit_code"] = exit_code;
    if (const auto err = write_output(vm["json"].as<std::string>(), j.dump(2) + "\n"); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return exit_code;
}

}  // namespace

int cmd_check(const std::vector<std::string>& args) {
  int code = kExitOk;
  auto vm = parse(args, check_options(), "trace", "check", &code);
  if (!vm) return code;
  const Style st{use_color(*parse_color((*vm)["color"].as<std::string>()))};
  const bool quiet = vm->count("quiet") > 0;
  const std::string path = (*vm)["trace"].as<std::vector<std::string>>()[0];
  if (analysis::history::looks_like_history(path)) return check_history(path, *vm, st, quiet);
  if (vm->count("budget-steps") || vm->count("budget-time")) {
    return usage_error("--budget-steps and --budget-time apply to history files", "check");
  }
  std::optional<std::vector<std::string>> only;
  if (vm->count("checks")) {
    only.emplace();
    std::stringstream ss((*vm)["checks"].as<std::string>());
    std::string name;
    while (std::getline(ss, name, ',')) {
      if (name.empty()) continue;
      if (!analysis::find_checker(name)) return usage_error("unknown check '" + name + "' (see 'dsim checks')", "check");
      only->push_back(name);
    }
    if (only->empty()) return usage_error("--checks names no check", "check");
  }
  const analysis::OfflineResult r = analysis::check_trace(path, only);
  if (!r.error.empty()) {
    std::fprintf(stderr, "%s\n", r.error.c_str());
    return kExitInvalidInput;
  }
  if (r.checks.empty()) {
    std::fprintf(stderr, "dsim: %s: nothing to check (the trace header lists no checks; use --checks)\n", path.c_str());
    return kExitNothingRan;
  }
  std::vector<std::string> got, want = r.expect_violated;
  for (const auto& c : r.checks) {
    if (c.status == analysis::Status::kViolated) got.push_back(c.name);
  }
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  const bool as_expected = got == want;
  const int exit_code = as_expected ? kExitOk : kExitViolation;
  if (!quiet) {
    std::fprintf(stderr, "%s: %llu events (scenario %s, seed %s)\nchecks:\n", path.c_str(),
                 static_cast<unsigned long long>(r.events), printable(r.scenario).c_str(), printable(r.seed).c_str());
    print_checks(r.checks, st);
    std::fprintf(stderr, "outcome: %s%s%s (expected: %s)\n", as_expected ? st.green() : st.red(),
                 as_expected ? "as expected" : "UNEXPECTED", st.reset(), expected_text(r.expect_violated).c_str());
  }
  if (vm->count("json")) {
    Json j;
    j["schema"] = "dsim.check/1";
    j["dsim_version"] = DSIM_VERSION;
    j["trace"] = path;
    j["scenario"] = r.scenario;
    j["seed"] = r.seed;
    j["events"] = r.events;
    j["checks"] = Json::array();
    for (const auto& c : r.checks) j["checks"].push_back(check_json(c));
    j["expected"] = {{"violated", r.expect_violated}};
    j["outcome"] = as_expected ? "as_expected" : "unexpected";
    j["exit_code"] = exit_code;
    if (const auto err = write_output((*vm)["json"].as<std::string>(), j.dump(2) + "\n"); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return exit_code;
}

po::options_description experiment_options() {
  po::options_description d("dsim experiment election [options]");
  d.add_options()
      ("trials", po::value<uint32_t>()->default_value(1000), "trials per election-timeout range")
      ("ranges", po::value<std::string>()->default_value("150ms..151ms,150ms..155ms,150ms..175ms,150ms..200ms,150ms..300ms"),
       "comma-separated election-timeout ranges MIN..MAX")
      ("nodes", po::value<uint32_t>()->default_value(5), "cluster size")
      ("heartbeat", po::value<std::string>()->default_value("15ms"), "leader heartbeat interval")
      ("latency", po::value<std::string>()->default_value("1ms..5ms"), "one-way network delay range, uniform")
      ("seed", po::value<std::string>()->default_value("1"), "master seed; trial seeds derive from it")
      ("csv", po::value<std::string>(), "also write the table as CSV to FILE")
      ("help,h", "show this help");
  return d;
}

// `dsim experiment hashing`: consistent hashing against theory.
int experiment_hashing(const std::vector<std::string>& args) {
  po::options_description d("dsim experiment hashing [options]");
  d.add_options()
      ("backends", po::value<uint32_t>()->default_value(10), "backends on the ring")
      ("keys", po::value<uint64_t>()->default_value(100000), "keys placed")
      ("help,h", "show this help");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(d).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage_error(e.what(), "experiment");
  }
  if (vm.count("help")) {
    std::cout << d << "\nKey spread over backends by virtual nodes per backend, and the fraction of keys that\n"
                      "move when a backend joins or leaves, next to what theory predicts.\n";
    return kExitOk;
  }
  const uint32_t n = vm["backends"].as<uint32_t>();
  const uint64_t keys = vm["keys"].as<uint64_t>();
  if (n < 2 || keys < 1 || n > 100000) return usage_error("--backends must be 2..100000 and --keys positive", "experiment");
  std::printf("spread of %llu keys over %u backends (theory: CoV ~ 1/sqrt(vnodes) for many vnodes, plus the\n"
              "sampling noise sqrt(backends/keys) = %.4f)\n",
              static_cast<unsigned long long>(keys), n, std::sqrt(static_cast<double>(n) / static_cast<double>(keys)));
  std::printf("%8s %10s %8s %14s\n", "vnodes", "max/mean", "CoV", "1/sqrt(vnodes)");
  for (const auto& p : lb::hash_spread(n, keys, {1, 4, 16, 64, 256, 1024})) {
    std::printf("%8u %10.3f %8.4f %14.4f\n", p.vnodes, p.max_over_mean, p.cov, 1 / std::sqrt(static_cast<double>(p.vnodes)));
  }
  std::printf("\nkeys moved when one backend joins %u (theory 1/%u = %.4f) or one of %u leaves (theory 1/%u = %.4f):\n", n,
              n + 1, 1.0 / (n + 1), n + 1, n + 1, 1.0 / (n + 1));
  std::printf("%8s %10s %10s\n", "vnodes", "join", "leave");
  for (uint32_t v : {1u, 16u, 256u}) {
    const auto r = lb::hash_remap(n, keys, v);
    std::printf("%8u %10.4f %10.4f\n", v, r.joined, r.left);
  }
  return kExitOk;
}

int cmd_experiment(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "hashing") return experiment_hashing({args.begin() + 1, args.end()});
  if (args.empty() || args[0] != "election") {
    return usage_error("experiments: 'election', 'hashing' (dsim experiment NAME --help)", "experiment");
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(rest).options(experiment_options()).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage_error(e.what(), "experiment");
  }
  if (vm.count("help")) {
    std::cout << experiment_options() << "\n"
              << "Crashes the Raft leader at a random point of its heartbeat interval and measures the time\n"
                 "until a new leader is elected (Raft paper, Figure 16), per election-timeout range.\n";
    return kExitOk;
  }
  auto duration = [](const std::string& text, Duration* out) {
    int64_t ns = 0;
    std::string why;
    if (!scenario::parse_duration(text, false, &ns, &why) || ns <= 0) return false;
    *out = Duration{ns};
    return true;
  };
  auto range = [&](const std::string& text, std::pair<Duration, Duration>* out) {
    const size_t dots = text.find("..");
    return dots != std::string::npos && duration(text.substr(0, dots), &out->first) &&
           duration(text.substr(dots + 2), &out->second) && out->first <= out->second;
  };
  scenario::ElectionExperiment e;
  e.trials = vm["trials"].as<uint32_t>();
  e.nodes = vm["nodes"].as<uint32_t>();
  if (e.trials == 0) return usage_error("--trials must be positive", "experiment");
  if (e.nodes < 3 || e.nodes > 1000) return usage_error("--nodes must be between 3 and 1000", "experiment");
  std::stringstream ss(vm["ranges"].as<std::string>());
  for (std::string item; std::getline(ss, item, ',');) {
    std::pair<Duration, Duration> r;
    if (!range(item, &r)) return usage_error("invalid range '" + item + "' (expected MIN..MAX, e.g. 150ms..300ms)", "experiment");
    e.ranges.push_back(r);
  }
  if (e.ranges.empty()) return usage_error("--ranges names no range", "experiment");
  if (!duration(vm["heartbeat"].as<std::string>(), &e.heartbeat)) return usage_error("invalid --heartbeat", "experiment");
  std::pair<Duration, Duration> lat;
  if (!range(vm["latency"].as<std::string>(), &lat)) return usage_error("invalid --latency", "experiment");
  e.latency_min = lat.first;
  e.latency_max = lat.second;
  for (const auto& r : e.ranges) {
    if (e.heartbeat >= r.first) return usage_error("--heartbeat must be shorter than every range's minimum", "experiment");
  }
  std::string why;
  if (!scenario::parse_seed(vm["seed"].as<std::string>(), &e.seed, &why)) return usage_error(why, "experiment");

  const auto wall0 = std::chrono::steady_clock::now();
  const auto results = scenario::run_election_experiment(e);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  auto ms = [](int64_t ns) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(ns) / 1e6);
    return std::string(buf);
  };
  std::string csv = "election_timeout_min_ms,election_timeout_max_ms,trials,no_leader,min_ms,p50_ms,p90_ms,p99_ms,max_ms\n";
  std::printf("%-18s %7s %9s %8s %8s %8s %8s %8s\n", "election timeout", "trials", "no leader", "min", "p50", "p90",
              "p99", "max");
  for (const auto& r : results) {
    const std::string label = analysis::format_time(r.range_min.ns) + ".." + analysis::format_time(r.range_max.ns);
    std::printf("%-18s %7u %9u %8s %8s %8s %8s %8s\n", label.c_str(), r.trials, r.no_leader, ms(r.min).c_str(),
                ms(r.p50).c_str(), ms(r.p90).c_str(), ms(r.p99).c_str(), ms(r.max).c_str());
    csv += ms(r.range_min.ns) + "," + ms(r.range_max.ns) + "," + std::to_string(r.trials) + "," +
           std::to_string(r.no_leader) + "," + ms(r.min) + "," + ms(r.p50) + "," + ms(r.p90) + "," + ms(r.p99) + "," +
           ms(r.max) + "\n";
  }
  std::fprintf(stderr, "downtime = crash of the leader -> next leader elected, in ms of virtual time; %u nodes, "
               "heartbeat %s, one-way latency %s..%s; %.2fs wall\n",
               e.nodes, analysis::format_time(e.heartbeat.ns).c_str(), analysis::format_time(e.latency_min.ns).c_str(),
               analysis::format_time(e.latency_max.ns).c_str(), wall);
  std::fprintf(stderr, "reproduce: dsim experiment election --seed %llu --trials %u --ranges %s\n",
               static_cast<unsigned long long>(e.seed), e.trials, vm["ranges"].as<std::string>().c_str());
  if (vm.count("csv")) {
    if (const auto err = write_output(vm["csv"].as<std::string>(), csv); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return kExitOk;
}

int cmd_shrink(const std::vector<std::string>& args) {
  po::options_description opts("dsim shrink SCENARIO.yaml --seed N [options]");
  opts.add_options()
      ("seed", po::value<std::string>(), "the failing seed (required)")
      ("check", po::value<std::string>(), "the check whose violation to keep (default: the first violated)")
      ("output,o", po::value<std::string>(), "where to write the shrunk scenario (default: <name>-shrunk.yaml)")
      ("color", po::value<std::string>()->default_value("auto"), "auto|always|never")
      ("help,h", "show this help");
  int code = kExitOk;
  auto vm = parse(args, opts, "scenario", "shrink", &code);
  if (!vm) return code;
  if (!vm->count("seed")) return usage_error("--seed is required", "shrink");
  uint64_t seed = 0;
  std::string why;
  if (!scenario::parse_seed((*vm)["seed"].as<std::string>(), &seed, &why)) return usage_error(why, "shrink");
  const std::string path = (*vm)["scenario"].as<std::vector<std::string>>()[0];
  scenario::Diagnostics diag;
  const auto spec = scenario::load_scenario_file(path, diag);
  if (!spec) {
    std::fputs(diag.render(use_color(*parse_color((*vm)["color"].as<std::string>()))).c_str(), stderr);
    return kExitInvalidInput;
  }
  const std::string check = vm->count("check") ? (*vm)["check"].as<std::string>() : "";
  if (!check.empty() && std::none_of(spec->checks.begin(), spec->checks.end(), [&](const auto& c) { return c.name == check; })) {
    return usage_error("the scenario has no check '" + check + "'", "shrink");
  }
  const auto wall0 = std::chrono::steady_clock::now();
  const auto r = scenario::shrink(*spec, seed, check, &why);
  if (!r) {
    std::fprintf(stderr, "dsim: %s\n", why.c_str());
    return kExitNothingRan;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const std::string out = vm->count("output") ? (*vm)["output"].as<std::string>() : spec->name + "-shrunk.yaml";
  scenario::Scenario shrunk = r->scenario;
  shrunk.path = out;
  shrunk.name = spec->name + "-shrunk";
  shrunk.description = "Shrunk by dsim shrink from " + path + " --seed " + std::to_string(seed) + ": " + r->check +
                       " is violated without the random nemesis. " + r->message;
  const std::string yaml = scenario::scenario_to_yaml(
      shrunk, "Written by: dsim shrink " +
                  shell_join({path, "--seed", std::to_string(seed)}));
  if (const auto err = write_output(out, yaml); !err.empty()) {
    std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
    return err.exit_code();
  }
  std::fprintf(stderr, "shrunk %s --seed %llu, keeping the violation of %s (%d runs, %.2fs wall):\n", path.c_str(),
               static_cast<unsigned long long>(seed), r->check.c_str(), r->runs, wall);
  std::fprintf(stderr, "  faults          %zu -> %zu (the nemesis's, replayed as a script, then removed)\n",
               r->faults_before, r->faults_after);
  std::fprintf(stderr, "  events          %llu -> %llu\n", static_cast<unsigned long long>(r->events_before),
               static_cast<unsigned long long>(r->events_after));
  std::fprintf(stderr, "  simulated time  %s -> %s\n", analysis::format_time(r->time_before.ns).c_str(),
               analysis::format_time(r->time_after.ns).c_str());
  std::fprintf(stderr, "  nodes           %zu -> %zu\n", r->nodes_before, r->nodes_after);
  std::fprintf(stderr, "  requests        %llu -> %llu\n", static_cast<unsigned long long>(r->requests_before),
               static_cast<unsigned long long>(r->requests_after));
  std::fprintf(stderr, "  violation       %s\nwrote %s\nreproduce: %s\n", r->message.c_str(), out.c_str(),
               shell_join({"dsim", "run", out}).c_str());
  return kExitOk;
}

std::set<std::string> split_set(const std::string& csv) {
  std::set<std::string> out;
  for (std::string_view item : split(csv, ',')) out.emplace(item);
  return out;
}

int cmd_show(const std::vector<std::string>& args) {
  po::options_description opts("dsim show TRACE.jsonl [options]");
  opts.add_options()
      ("node", po::value<std::string>(), "only these nodes (comma-separated); global events always show")
      ("kind", po::value<std::string>(), "only these event kinds (comma-separated), e.g. role,commit,crash")
      ("from", po::value<std::string>(), "start of the time window (e.g. 1.5s)")
      ("to", po::value<std::string>(), "end of the time window")
      ("no-network", "hide send/deliver/drop/duplicate lines")
      ("color", po::value<std::string>()->default_value("auto"), "auto|always|never (NO_COLOR is respected)")
      ("help,h", "show this help");
  int code = kExitOk;
  auto vm = parse(args, opts, "trace", "show", &code);
  if (!vm) return code;
  analysis::TimelineFilter f;
  if (vm->count("node")) f.nodes = split_set((*vm)["node"].as<std::string>());
  if (vm->count("kind")) f.kinds = split_set((*vm)["kind"].as<std::string>());
  f.network = vm->count("no-network") == 0;
  for (const char* key : {"from", "to"}) {
    if (!vm->count(key)) continue;
    int64_t ns = 0;
    std::string why;
    if (!scenario::parse_duration((*vm)[key].as<std::string>(), false, &ns, &why)) {
      return usage_error(std::string("invalid --") + key + ": " + why, "show");
    }
    (std::string(key) == "from" ? f.from_ns : f.to_ns) = ns;
  }
  const std::string path = (*vm)["trace"].as<std::vector<std::string>>()[0];
  trace::Reader reader;
  if (const std::string err = reader.open(path); !err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return kExitInvalidInput;
  }
  // The timeline is the output here: stdout, colored only for a terminal.
  ColorMode mode = *parse_color((*vm)["color"].as<std::string>());
  bool color = mode == ColorMode::kAlways;
  if (mode == ColorMode::kAuto) {
    const char* nc = std::getenv("NO_COLOR");
    color = isatty(STDOUT_FILENO) == 1 && !(nc && *nc);
  }
  analysis::Timeline timeline(stdout, f, color);
  trace::Event e;
  while (reader.next(&e)) timeline.consume(e);
  if (!reader.error().empty()) {
    std::fprintf(stderr, "%s\n", reader.error().c_str());
    return kExitInvalidInput;
  }
  return kExitOk;
}

int cmd_report(const std::vector<std::string>& args) {
  po::options_description opts("dsim report TRACE.jsonl -o FILE.html");
  opts.add_options()
      ("output,o", po::value<std::string>(), "the HTML file to write (required)")
      ("color", po::value<std::string>()->default_value("auto"), "unused; accepted for symmetry")
      ("help,h", "show this help");
  int code = kExitOk;
  auto vm = parse(args, opts, "trace", "report", &code);
  if (!vm) return code;
  if (!vm->count("output")) return usage_error("-o FILE.html is required", "report");
  std::string html;
  if (const std::string err = analysis::build_report((*vm)["trace"].as<std::vector<std::string>>()[0], &html); !err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return kExitInvalidInput;
  }
  if (const auto err = write_output((*vm)["output"].as<std::string>(), html); !err.empty()) {
    std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
    return err.exit_code();
  }
  return kExitOk;
}

int cmd_export(const std::vector<std::string>& args) {
  po::options_description opts("dsim export TRACE.jsonl --format perfetto|shiviz [-o FILE]");
  opts.add_options()
      ("format", po::value<std::string>(), "perfetto (Chrome trace JSON, opens in ui.perfetto.dev) or shiviz")
      ("output,o", po::value<std::string>()->default_value("-"), "output file (default: stdout)")
      ("color", po::value<std::string>()->default_value("auto"), "unused; accepted for symmetry")
      ("help,h", "show this help");
  int code = kExitOk;
  auto vm = parse(args, opts, "trace", "export", &code);
  if (!vm) return code;
  if (!vm->count("format")) return usage_error("--format is required (perfetto or shiviz)", "export");
  const std::string format = (*vm)["format"].as<std::string>();
  if (format != "perfetto" && format != "shiviz") return usage_error("--format must be perfetto or shiviz", "export");
  const std::string path = (*vm)["trace"].as<std::vector<std::string>>()[0];
  std::string out;
  const std::string err = format == "perfetto" ? analysis::export_perfetto(path, &out) : analysis::export_shiviz(path, &out);
  if (!err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return kExitInvalidInput;
  }
  if (const auto werr = write_output((*vm)["output"].as<std::string>(), out); !werr.empty()) {
    std::fprintf(stderr, "dsim: error: %s\n", werr.c_str());
    return werr.exit_code();
  }
  return kExitOk;
}

int dispatch(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fputs(kMainHelp, stderr);
    std::fputs(kExitCodesHelp, stderr);
    return kExitUsage;
  }
  const std::string& cmd = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "--version" || cmd == "version") {
    std::printf("dsim %s\n", version_string().c_str());
    return kExitOk;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    if (!rest.empty() && rest[0] == "run") {
      std::cout << run_options() << "\n" << kExitCodesHelp;
    } else if (!rest.empty() && rest[0] == "check") {
      std::cout << check_options() << "\n" << kExitCodesHelp;
    } else if (!rest.empty() && (rest[0] == "compare" || rest[0] == "sweep" || rest[0] == "shrink")) {
      return dispatch({rest[0], "--help"});
    } else if (!rest.empty() && rest[0] != "checks") {
      return usage_error("no help for unknown command '" + rest[0] + "'", "");
    } else {
      std::cout << kMainHelp << kExitCodesHelp;
    }
    return kExitOk;
  }
  if (cmd == "run") return cmd_run(rest);
  if (cmd == "check") return cmd_check(rest);
  if (cmd == "experiment") return cmd_experiment(rest);
  if (cmd == "sweep") return cmd_sweep(rest);
  if (cmd == "show") return cmd_show(rest);
  if (cmd == "export") return cmd_export(rest);
  if (cmd == "report") return cmd_report(rest);
  if (cmd == "shrink") return cmd_shrink(rest);
  if (cmd == "merge") return cmd_merge(rest);
  if (cmd == "compare") return cmd_compare(rest);
  if (cmd == "checks") {
    for (const auto& c : analysis::known_checkers()) {
      std::printf("%-24s %-9s %-10s %s\n", std::string(c.name).c_str(), analysis::to_string(c.kind),
                  c.protocol.empty() ? "any" : std::string(c.protocol).c_str(), std::string(c.summary).c_str());
    }
    return kExitOk;
  }
  return usage_error("unknown command '" + cmd + "'", "");
}

}  // namespace dsim::cli
