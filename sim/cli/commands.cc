#include "sim/cli/commands.h"
#include "sim/cli/explore.h"
#include "sim/cli/grade.h"
#include "sim/scenario/scenario_schema.h"
#include "dsim/version.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "dsim/checker.h"
#include "analysis/export.h"
#include "analysis/linearizability.h"
#include "analysis/offline.h"
#include "analysis/report.h"
#include "analysis/timeline.h"
#include "sim/cli/compare.h"
#include "sim/cli/exit_codes.h"
#include "sim/cli/options.h"
#include "dsim/assert.h"
#include "dsim/text.h"
#include "sim/core/input.h"
#include "sim/cli/results.h"
#include "sim/cli/terminal.h"
#include "sim/core/output_file.h"
#include "sim/core/printable.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/shrink.h"
#include "sim/scenario/writer.h"
#include "sim/trace/reader.h"
#include "sim/trace/schema.h"
#include "sim/scenario/units.h"
#include "sim/core/program.h"

namespace dsim::cli {
namespace po = boost::program_options;
using Json = nlohmann::ordered_json;

std::string version_string() { return std::string(DSIM_VERSION) + " (git " + DSIM_GIT_HASH + ")"; }

namespace {

constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0    outcome as expected (exactly the expected checks were violated, every other one held)\n"
    "  1    a check was violated, an expected violation did not happen, or a node failed (Context::fail)\n"
    "  2    usage error (unknown flag, bad value)\n"
    "  3    invalid scenario or trace file (reported as file:line:col; a trace without its end line is incomplete)\n"
    "  4    nothing ran (no checks to evaluate)\n"
    "  5    inconclusive: no unexpected violation, but a check could not decide (too little evidence,\n"
    "       the run ended before a bound, or the linearizability budget ran out)\n"
    "  6    a resource limit was reached: memory (--max-memory, default 8GiB), input size, or no space\n"
    "       for an output (disk full, quota, file size limit)\n"
    "  70   internal error in dsim\n"
    "  74   I/O error reading or writing a file (the message names the file)\n"
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
    "  dsim tune (SCENARIO.yaml --set KEY=V1,V2,... | GRID.yaml) --seeds A..B [--csv FILE] [--html FILE]\n"
    "             [--metric NAME] [--metrics]   (a parameter grid: metrics per point over seeds)\n"
    "  dsim shrink SCENARIO.yaml --seed N [--check NAME] [-o FILE]\n"
    "  dsim explore SCENARIO.yaml [--strategy bfs|dfs|random] [--seed N] [--max-depth N] [--max-states N]\n"
    "             [--max-time T] [-o FILE] [--report FILE.html] [--no-shrink]\n"
    "             (every order of events and budgeted faults; docs/explore.md)\n"
    "  dsim experiment election [--trials N] [--ranges 150ms..300ms,...] [--csv FILE]\n"
    "  dsim experiment hashing [--backends N] [--keys K]   (consistent hashing vs theory)\n"
    "  dsim show TRACE.jsonl [--node a,b] [--kind k1,k2] [--from T] [--to T] [--no-network]\n"
    "  dsim export TRACE.jsonl --format perfetto|shiviz [-o FILE]\n"
    "  dsim report TRACE.jsonl -o FILE.html   (or: dsim run ... --report FILE.html)\n"
    "  dsim grade BATTERY.yaml [--protocol NAME] [--results FILE] [--junit FILE] [--out DIR]   (a lab's tests, with points)\n"
    "  dsim checks             list the known checks\n"
    "  dsim schema --trace     the trace event kinds and their keys (docs/trace-schema.md), as Markdown\n"
    "  dsim protocols          list the protocols (roles, planted bugs)\n"
    "  dsim help [COMMAND]\n"
    "  dsim --version\n"
    "\n"
    "Global option, accepted by every command:\n"
    "  --max-memory SIZE   memory budget (default 8GiB; e.g. 512MiB, none); exceeding it exits 6\n"
    "Inputs: '-' reads standard input; directories, FIFOs and devices are refused.\n"
    "\n";

// The report hints of a trace's protocol, by name (defaults for one this
// program does not know).
std::function<ReportHints(std::string_view)> hints_of(const Registry& reg) {
  return [&reg](std::string_view protocol) {
    const Protocol* p = reg.find(protocol);
    return p ? p->report_hints() : ReportHints{};
  };
}

int usage_error(const std::string& msg, const std::string& command) {
  std::fprintf(stderr, "dsim: error: %s\n", msg.c_str());
  std::fprintf(stderr, "Try 'dsim help%s' for usage.\n", command.empty() ? "" : (" " + command).c_str());
  return kExitUsage;
}

// A --json document. A path that is not UTF-8 (a trace named in Latin-1)
// cannot be JSON: its bad bytes become U+FFFD instead of an exception.
std::string json_doc(const Json& j) { return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"; }

// Output file options must name a file, and no two the same one: the
// second writer would silently replace the first's output.
std::string check_outputs(const po::variables_map& vm, std::initializer_list<const char*> names) {
  std::vector<std::pair<std::string, std::string>> seen;  // (identity, option)
  for (const char* name : names) {
    if (!vm.count(name)) continue;
    const std::string path = vm[name].as<std::string>();
    if (path.empty()) return std::string("--") + name + " needs a file name (or - for stdout)";
    std::string id = path;
    if (path != "-") {
      std::error_code ec;
      const auto canon = std::filesystem::weakly_canonical(path, ec);
      if (!ec) id = canon.string();
    }
    for (const auto& [other_id, other] : seen) {
      if (other_id == id) return "--" + other + " and --" + name + " both write " + path;
    }
    seen.emplace_back(id, name);
  }
  return "";
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
      ("fingerprint", "without --trace, still format the trace to print its SHA-256 (costs about as much as "
                      "writing it; with --trace the hash is always printed)")
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
      ("budget-steps", po::value<int64_t>(), "history: search steps before giving up (default 500000000)")
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

int cmd_run(const Registry& reg, const std::vector<std::string>& args) {
  int code = kExitOk;
  auto vm = parse(args, run_options(), "scenario", "run", &code);
  if (!vm) return code;
  const Style st{use_color(*parse_color((*vm)["color"].as<std::string>()))};
  const bool quiet = vm->count("quiet") > 0;
  const std::string path = (*vm)["scenario"].as<std::vector<std::string>>()[0];
  if (const std::string err = check_outputs(*vm, {"trace", "json", "report"}); !err.empty()) {
    return usage_error(err, "run");
  }

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
  const auto spec = scenario::load_scenario_file(reg, path, diag);
  if (!spec) {
    std::fputs(diag.render(st.on).c_str(), stderr);
    if (const char* gh = std::getenv("GITHUB_ACTIONS"); gh && std::string_view(gh) == "true") {
      std::fputs(diag.render_github().c_str(), stdout);
    }
    return kExitInvalidInput;
  }
  // A run that checks nothing is not a pass: it still runs (its trace,
  // report and statistics are what such a scenario is for) but exits 4.
  const bool nothing_to_check = spec->checks.empty();
  if (nothing_to_check) {
    std::fprintf(stderr, "dsim: %s: nothing to check (the scenario lists no checks); the run will exit 4\n", path.c_str());
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
  std::vector<std::string> repro = {program_name(), "run", path, "--seed", std::to_string(seed)};
  if (until) repro.insert(repro.end(), {"--until", (*vm)["until"].as<std::string>()});
  if (!quiet) {
    std::fprintf(stderr, "%sdsim %s%s: %s, seed %llu%s\n", st.bold(), version_string().c_str(), st.reset(), path.c_str(),
                 static_cast<unsigned long long>(seed), random_seed ? " (random)" : "");
  }

  scenario::RunOptions opt;
  opt.seed = seed;
  opt.until = until;
  opt.trace_path = vm->count("trace") ? (*vm)["trace"].as<std::string>() : "";
  // The trace's SHA-256 needs every event formatted as JSON: done when a
  // trace is written anyway, or when asked for.
  opt.fingerprint = vm->count("fingerprint") > 0;
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
  if (!r.schedule_error.empty()) {
    // A scripted step that cannot happen: the scenario is wrong, as a bad
    // key would be, so no outcome, report or JSON (and no trace file).
    if (!temp_trace.empty()) remove_private_temp(temp_trace);
    std::fprintf(stderr, "%s\n", printable(r.schedule_error).c_str());
    return kExitInvalidInput;
  }
  if (r.nemesis_faults.size() >= scenario::kMaxRecordedNemesisFaults && !quiet) {
    std::fprintf(stderr, "dsim: note: the nemesis injected %zu faults or more; only the first %zu are recorded, "
                 "so 'dsim shrink' cannot replay this run\n", scenario::kMaxRecordedNemesisFaults,
                 scenario::kMaxRecordedNemesisFaults);
  }
  if (r.budget_exhausted) {
    std::fprintf(stderr, "dsim: note: stopped at the event budget (max_events %llu) at %s\n",
                 static_cast<unsigned long long>(spec->max_events), analysis::format_time(r.end.ns).c_str());
  }
  // Violations other than the expected ones (or a missing expected one)
  // outrank an inconclusive check: exit 1, then 5, then 0; a scenario that
  // checks nothing exits 4.
  const int exit_code = nothing_to_check            ? kExitNothingRan
                        : r.as_expected             ? kExitOk
                        : r.violations_as_expected  ? kExitInconclusive
                                                    : kExitViolation;
  const char* outcome = nothing_to_check ? "nothing_checked"
                        : r.as_expected  ? "as_expected"
                        : r.violations_as_expected ? "inconclusive" : "unexpected";
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
    if (r.stats) {
      // Every variant the scenario lists, on this seed (the first is the run above).
      const auto variants = spec->def->variants(*spec->config);
      std::vector<Configuration> all = {{variants.empty() ? spec->name : variants.front(), r}};
      for (size_t i = 1; i < variants.size(); ++i) {
        scenario::Scenario one = *spec;
        one.config = spec->def->with_variant(*spec->config, i);
        scenario::RunOptions vopt;
        vopt.seed = seed;
        vopt.fingerprint = false;
        all.emplace_back(variants[i], scenario::run_scenario(one, vopt));
      }
      const std::string table = spec->def->stats_table(stats_of(all));
      if (!table.empty()) std::fprintf(stderr, "%s:\n%s", std::string(spec->def->summary()).substr(0, spec->def->summary().find(':')).c_str(), table.c_str());
    }
    if (!r.node_failure.empty()) {
      // printable(): the reason is the node's own text.
      std::fprintf(stderr, "%snode failure%s: %s\n  (the node's code reported that it broke a rule, and the run stopped "
                   "there; this is a bug in the node, not in dsim)\n",
                   st.red(), st.reset(), printable(r.node_failure).c_str());
    }
    if (nothing_to_check) {
      std::fprintf(stderr, "outcome: %snothing checked%s (the scenario lists no checks)\n", st.red(), st.reset());
    } else {
      std::fprintf(stderr, "outcome: %s%s%s (expected: %s)\n",
                   r.as_expected ? st.green() : r.violations_as_expected ? st.yellow() : st.red(),
                   r.as_expected ? "as expected" : r.violations_as_expected ? "INCONCLUSIVE" : "UNEXPECTED", st.reset(),
                   expected_text(spec->expect_violated).c_str());
      if (!r.as_expected && r.violations_as_expected) {
        std::string names;
        for (const auto& n : r.inconclusive) names += (names.empty() ? "" : ", ") + n;
        std::fprintf(stderr, "inconclusive: %s (the run gave too little evidence to judge them)\n", names.c_str());
      }
    }
    if (r.trace_sha256.empty()) {
      std::fprintf(stderr, "trace: (not written; --trace FILE or --fingerprint prints its sha256)\n");
    } else {
      std::fprintf(stderr, "trace: %s sha256 %s\n", opt.trace_path.empty() ? "(not written)" : opt.trace_path.c_str(),
                   r.trace_sha256.c_str());
    }
  }
  if (!quiet || exit_code != kExitOk) std::fprintf(stderr, "reproduce: %s\n", shell_join(repro).c_str());
  if (vm->count("report")) {
    std::string html;
    const std::string err = analysis::build_report(reg, hints_of(reg), opt.trace_path, &html, spec->description);
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
    j["outcome"] = outcome;
    j["node_failure"] = r.node_failure.empty() ? Json(nullptr) : Json(r.node_failure);
    j["exit_code"] = exit_code;
    j["trace"] = {{"path", opt.trace_path.empty() ? Json(nullptr) : Json(opt.trace_path)}, {"sha256", r.trace_sha256.empty() ? Json(nullptr) : Json(r.trace_sha256)}};
    j["repro"] = repro;
    j["repro_command"] = shell_join(repro);
    if (const auto err = write_output((*vm)["json"].as<std::string>(), json_doc(j)); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return exit_code;
}

namespace {

// Standard input copied to a temporary file, removed on destruction. When
// stdin is a regular file (a redirect), /dev/stdin reopens it and `path`
// stays empty.
struct SpooledStdin {
  std::string path, error;
  SpooledStdin() {
    struct stat st {};
    if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) return;
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/dsim-stdin-XXXXXX";
    const int fd = mkstemp(tmpl.data());
    if (fd < 0) {
      error = "cannot spool standard input to " + tmpl + ": " + errno_text();
      return;
    }
    path = tmpl;
    register_temp_file(path.c_str());
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || write(fd, buf, static_cast<size_t>(n)) != n) {
        error = "cannot spool standard input to " + path + ": " + errno_text();
        break;
      }
    }
    close(fd);
  }
  // `text` with the spool file's name replaced by the one the user gave.
  static std::string named(std::string text, const std::string& file, const std::string& path) {
    if (file == path) return text;
    for (size_t at = text.find(file); at != std::string::npos; at = text.find(file, at + path.size())) {
      text.replace(at, file.size(), path);
    }
    return text;
  }
  ~SpooledStdin() {
    if (path.empty()) return;
    unregister_temp_file(path.c_str());
    std::remove(path.c_str());
  }
};

// `dsim check HISTORY.jsonl`: linearizability of a client history.
// `file` is what is read (a spooled copy of stdin), `path` what the user
// named, for messages.
int check_history(const std::string& file, const std::string& path, const po::variables_map& vm, const Style& st,
                  bool quiet) {
  if (vm.count("checks")) return usage_error("--checks applies to traces; a history is checked for linearizability", "check");
  analysis::LinBudget budget;
  budget.max_wall_ms = 60'000;  // the user's wall-clock limit (--budget-time); runs count steps only
  if (vm.count("budget-steps")) {
    const int64_t steps = vm["budget-steps"].as<int64_t>();
    if (steps < 1) return usage_error("--budget-steps must be at least 1, got " + std::to_string(steps), "check");
    budget.max_steps = static_cast<uint64_t>(steps);
  }
  if (vm.count("budget-time")) {
    int64_t ns = 0;
    std::string why;
    if (!scenario::parse_duration(vm["budget-time"].as<std::string>(), false, &ns, &why)) {
      return usage_error("--budget-time: " + why, "check");
    }
    budget.max_wall_ms = ns / 1'000'000;
  }
  std::vector<analysis::history::Op> ops;
  if (const std::string err = analysis::history::read_file(file, &ops); !err.empty()) {
    std::fprintf(stderr, "%s\n", SpooledStdin::named(err, file, path).c_str());
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
    if (const auto err = write_output(vm["json"].as<std::string>(), json_doc(j)); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return exit_code;
}

}  // namespace

int cmd_check(const Registry& reg, const std::vector<std::string>& args) {
  int code = kExitOk;
  auto vm = parse(args, check_options(), "trace", "check", &code);
  if (!vm) return code;
  const Style st{use_color(*parse_color((*vm)["color"].as<std::string>()))};
  const bool quiet = vm->count("quiet") > 0;
  if (const std::string err = check_outputs(*vm, {"json"}); !err.empty()) return usage_error(err, "check");
  const std::string path = (*vm)["trace"].as<std::vector<std::string>>()[0];
  std::string file = path;
  // A pipe can be read once, but a trace is looked at twice (history or
  // trace?): spool it to a temporary file first.
  std::unique_ptr<SpooledStdin> spool;
  if (is_stdin_path(path)) {
    spool = std::make_unique<SpooledStdin>();
    if (!spool->error.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", spool->error.c_str());
      return kExitIo;
    }
    if (!spool->path.empty()) file = spool->path;
  }
  if (analysis::history::looks_like_history(file)) return check_history(file, path, *vm, st, quiet);
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
      if (!reg.find_checker(name, "")) return usage_error("unknown check '" + name + "' (see 'dsim checks')", "check");
      only->push_back(name);
    }
    if (only->empty()) return usage_error("--checks names no check", "check");
  }
  const analysis::OfflineResult r = analysis::check_trace(reg, file, only);
  if (!r.error.empty()) {
    std::fprintf(stderr, "%s\n", SpooledStdin::named(r.error, file, path).c_str());
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
  const bool violations_as_expected = got == want;
  const bool undecided = std::any_of(r.checks.begin(), r.checks.end(),
                                     [](const auto& c) { return c.status == analysis::Status::kInconclusive; });
  const bool as_expected = violations_as_expected && !undecided;
  const int exit_code = as_expected ? kExitOk : violations_as_expected ? kExitInconclusive : kExitViolation;
  const char* outcome = as_expected ? "as_expected" : violations_as_expected ? "inconclusive" : "unexpected";
  if (!quiet) {
    std::fprintf(stderr, "%s: %llu events (scenario %s, seed %s)\nchecks:\n", path.c_str(),
                 static_cast<unsigned long long>(r.events), printable(r.scenario).c_str(), printable(r.seed).c_str());
    print_checks(r.checks, st);
    std::fprintf(stderr, "outcome: %s%s%s (expected: %s)\n",
                 as_expected ? st.green() : violations_as_expected ? st.yellow() : st.red(),
                 as_expected ? "as expected" : violations_as_expected ? "INCONCLUSIVE" : "UNEXPECTED", st.reset(),
                 expected_text(r.expect_violated).c_str());
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
    j["outcome"] = outcome;
    j["exit_code"] = exit_code;
    if (const auto err = write_output((*vm)["json"].as<std::string>(), json_doc(j)); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return exit_code;
}

int cmd_experiment(const Registry& reg, const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "dsim experiment NAME [options]\n";
    for (const auto& p : reg.protocols()) {
      for (const auto& e : p->experiments()) {
        std::printf("  %-10s %s (%s)\n", std::string(e.name).c_str(), std::string(e.summary).c_str(),
                    std::string(p->name()).c_str());
      }
    }
    std::cout << "'dsim experiment NAME --help' lists NAME's options.\n";
    return kExitOk;
  }
  std::string names;
  for (const auto& p : reg.protocols()) {
    for (const auto& e : p->experiments()) {
      names += (names.empty() ? "'" : ", '") + std::string(e.name) + "' (" + std::string(p->name()) + ")";
      if (!args.empty() && args[0] == e.name) {
        ExperimentIo io;
        io.write = [](const std::string& path, const std::string& text) {
          const auto err = write_output(path, text);
          if (err.empty()) return 0;
          std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
          return err.exit_code();
        };
        io.usage_error = [](const std::string& message) { return usage_error(message, "experiment"); };
        return e.run({args.begin() + 1, args.end()}, io);
      }
    }
  }
  return usage_error("experiments: " + (names.empty() ? std::string("none") : names) +
                         " (dsim experiment NAME --help)",
                     "experiment");
}

int cmd_shrink(const Registry& reg, const std::vector<std::string>& args) {
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
  const auto spec = scenario::load_scenario_file(reg, path, diag);
  if (!spec) {
    std::fputs(diag.render(use_color(*parse_color((*vm)["color"].as<std::string>()))).c_str(), stderr);
    return kExitInvalidInput;
  }
  const std::string check = vm->count("check") ? (*vm)["check"].as<std::string>() : "";
  if (!check.empty() && std::none_of(spec->checks.begin(), spec->checks.end(), [&](const auto& c) { return c.name == check; })) {
    return usage_error("the scenario has no check '" + check + "'", "shrink");
  }
  const auto wall0 = std::chrono::steady_clock::now();
  bool bad_input = false;
  const auto r = scenario::shrink(reg, *spec, seed, check, &why, &bad_input);
  if (!r) {
    if (bad_input) {
      std::fprintf(stderr, "%s\n", printable(why).c_str());
      return kExitInvalidInput;
    }
    std::fprintf(stderr, "dsim: %s\n", why.c_str());
    return kExitNothingRan;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const std::string out = vm->count("output") ? (*vm)["output"].as<std::string>() : spec->name + "-shrunk.yaml";
  scenario::Scenario shrunk = r->scenario;
  shrunk.path = out;
  shrunk.id = scenario::scenario_identity(out);
  shrunk.expect_some_seeds = false;  // one schedule, replayed: it violates on every seed
  shrunk.name = spec->name + "-shrunk";
  const bool scripted = !spec->schedule.empty();
  shrunk.description = "Shrunk by dsim shrink from " + path + " --seed " + std::to_string(seed) + ": " + r->check +
                       (scripted ? " is violated by a shorter schedule. " : " is violated without the random nemesis. ") +
                       r->message;
  const std::string yaml = scenario::scenario_to_yaml(
      shrunk, "Written by: dsim shrink " +
                  shell_join({path, "--seed", std::to_string(seed)}));
  if (const auto err = write_output(out, yaml); !err.empty()) {
    std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
    return err.exit_code();
  }
  std::fprintf(stderr, "shrunk %s --seed %llu, keeping the violation of %s (%d runs, %.2fs wall):\n", path.c_str(),
               static_cast<unsigned long long>(seed), r->check.c_str(), r->runs, wall);
  if (scripted) {
    std::fprintf(stderr, "  schedule steps  %zu -> %zu (each remaining step still happens)\n", r->steps_before,
                 r->steps_after);
  } else {
    std::fprintf(stderr, "  faults          %zu -> %zu (the nemesis's, replayed as a script, then removed)\n",
                 r->faults_before, r->faults_after);
  }
  std::fprintf(stderr, "  events          %llu -> %llu\n", static_cast<unsigned long long>(r->events_before),
               static_cast<unsigned long long>(r->events_after));
  std::fprintf(stderr, "  simulated time  %s -> %s\n", analysis::format_time(r->time_before.ns).c_str(),
               analysis::format_time(r->time_after.ns).c_str());
  std::fprintf(stderr, "  nodes           %zu -> %zu\n", r->nodes_before, r->nodes_after);
  std::fprintf(stderr, "  requests        %llu -> %llu\n", static_cast<unsigned long long>(r->requests_before),
               static_cast<unsigned long long>(r->requests_after));
  std::fprintf(stderr, "  violation       %s\nwrote %s\nreproduce: %s\n", r->message.c_str(), out.c_str(),
               shell_join({program_name(), "run", out}).c_str());
  return kExitOk;
}

std::set<std::string> split_set(const std::string& csv) {
  std::set<std::string> out;
  for (std::string_view item : split(csv, ',')) out.emplace(item);
  return out;
}

int cmd_show(const Registry&, const std::vector<std::string>& args) {
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
  if (vm->count("from") && vm->count("to") && f.to_ns < f.from_ns) {
    return usage_error("--to " + (*vm)["to"].as<std::string>() + " is before --from " + (*vm)["from"].as<std::string>(),
                       "show");
  }
  const std::string path = (*vm)["trace"].as<std::vector<std::string>>()[0];
  trace::Reader reader;
  if (const std::string err = reader.open(path); !err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return kExitInvalidInput;
  }
  // A misspelt --node would silently show nothing but global events.
  if (const auto names = reader.meta().get_str("nodes"); names && !f.nodes.empty()) {
    const Json known = Json::parse(*names, nullptr, /*allow_exceptions=*/false);
    if (known.is_array()) {
      for (const std::string& n : f.nodes) {
        if (std::find(known.begin(), known.end(), Json(n)) == known.end()) {
          std::string list;
          for (const auto& k : known) {
            list += (list.empty() ? "" : ", ") + (k.is_string() ? k.get<std::string>() : k.dump());
          }
          return usage_error("--node: the trace has no node '" + n + "' (its nodes: " + list + ")", "show");
        }
      }
    }
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

int cmd_report(const Registry& reg, const std::vector<std::string>& args) {
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
  if (const std::string err = analysis::build_report(reg, hints_of(reg), (*vm)["trace"].as<std::vector<std::string>>()[0], &html); !err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return kExitInvalidInput;
  }
  if (const auto err = write_output((*vm)["output"].as<std::string>(), html); !err.empty()) {
    std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
    return err.exit_code();
  }
  return kExitOk;
}

int cmd_export(const Registry& reg, const std::vector<std::string>& args) {
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
  const std::string err = format == "perfetto" ? analysis::export_perfetto(path, &out, hints_of(reg)) : analysis::export_shiviz(path, &out);
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

int dispatch(const Registry& reg, const std::vector<std::string>& args) {
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
    } else if (!rest.empty() && (rest[0] == "compare" || rest[0] == "sweep" || rest[0] == "shrink" ||
                                 rest[0] == "report" || rest[0] == "export" || rest[0] == "show" ||
                                 rest[0] == "merge" || rest[0] == "experiment" || rest[0] == "tune" ||
                                 rest[0] == "grade" || rest[0] == "explore")) {
      return dispatch(reg, {rest[0], "--help"});
    } else if (!rest.empty() && rest[0] == "checks") {
      std::cout << "dsim checks: list the known checks (name, kind, protocols, summary)\n";
    } else if (!rest.empty() && rest[0] == "schema") {
      std::cout << "dsim schema --trace: the trace event kinds and their keys (engine, faults, clients, each protocol) "
                   "as the Markdown tables of docs/trace-schema.md; dsim check validates traces against them\n"
                   "dsim schema --scenario: the scenario files' JSON Schema for editors, from every protocol's section "
                   "(schema/dsim-scenario.schema.json)\n";
    } else if (!rest.empty() && rest[0] == "protocols") {
      std::cout << "dsim protocols [--names]: list the protocols (summary, roles, planted bugs), or only their names\n";
    } else if (!rest.empty()) {
      return usage_error("no help for unknown command '" + rest[0] + "'", "");
    } else {
      std::cout << kMainHelp << kExitCodesHelp;
    }
    return kExitOk;
  }
  if (cmd == "run") return cmd_run(reg, rest);
  if (cmd == "check") return cmd_check(reg, rest);
  if (cmd == "experiment") return cmd_experiment(reg, rest);
  if (cmd == "sweep") return cmd_sweep(reg, rest);
  if (cmd == "show") return cmd_show(reg, rest);
  if (cmd == "export") return cmd_export(reg, rest);
  if (cmd == "report") return cmd_report(reg, rest);
  if (cmd == "shrink") return cmd_shrink(reg, rest);
  if (cmd == "merge") return cmd_merge(reg, rest);
  if (cmd == "compare") return cmd_compare(reg, rest);
  if (cmd == "tune") return cmd_tune(reg, rest);
  if (cmd == "grade") return cmd_grade(reg, rest);
  if (cmd == "explore") return cmd_explore(reg, rest);
  if (cmd == "protocols") {
    // One line per protocol, or (--names) just the names, for scripts.
    const bool names_only = rest.size() == 1 && rest[0] == "--names";
    if (!rest.empty() && !names_only) return usage_error("'dsim protocols' takes only --names", "");
    int width = 0;  // the name column fits the longest name (a user's protocol may be long)
    for (const auto& p : reg.protocols()) width = std::max(width, static_cast<int>(p->name().size()));
    for (const auto& p : reg.protocols()) {
      if (names_only) {
        std::printf("%s\n", std::string(p->name()).c_str());
        continue;
      }
      std::string bugs, roles;
      for (auto b : p->bugs()) bugs += (bugs.empty() ? "" : ", ") + std::string(b);
      for (auto r : p->roles()) roles += (roles.empty() ? "" : ", ") + std::string(r);
      std::printf("%-*s %s\n", width, std::string(p->name()).c_str(), std::string(p->summary()).c_str());
      if (!roles.empty()) std::printf("%-*s   roles (fault targets): %s\n", width, "", roles.c_str());
      if (!bugs.empty()) std::printf("%-*s   planted bugs: %s\n", width, "", bugs.c_str());
    }
    return kExitOk;
  }
  if (cmd == "schema") {
    // The schema's one source is the code; docs/trace-schema.md holds this
    // output between its GENERATED markers (a test compares them).
    if (rest.size() == 1 && rest[0] == "--scenario") {
      // schema/dsim-scenario.schema.json is this output (a test compares them).
      std::fputs(scenario::scenario_json_schema(reg).c_str(), stdout);
      return kExitOk;
    }
    if (rest.size() != 1 || rest[0] != "--trace") return usage_error("'dsim schema' takes --trace or --scenario", "");
    std::string out = "### Engine events\n\n" + trace::markdown_table(trace::engine_events()) +
                      "\n### Faults\n\n" + trace::markdown_table(trace::fault_events()) +
                      "\n### Client operations (key-value clients, any protocol with `clients:`)\n\n" +
                      trace::markdown_table(trace::client_events());
    for (const auto& p : reg.protocols()) {
      const auto events = p->events();
      out += "\n### Protocol `" + std::string(p->name()) + "`\n\n" +
             (events.empty() ? std::string("Its own events are not declared (not checked).\n") : trace::markdown_table(events));
    }
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  if (cmd == "checks") {
    for (const auto& l : reg.all_checkers()) {
      std::string protocols;
      for (auto p : l.protocols) protocols += (protocols.empty() ? "" : " ") + std::string(p);
      std::printf("%-24s %-9s %-10s %s\n", std::string(l.info.name).c_str(), analysis::to_string(l.info.kind),
                  protocols.c_str(), std::string(l.info.summary).c_str());
      if (!l.info.evidence.empty()) {
        std::printf("%-24s %-9s %-10s   needs: %s (else inconclusive)\n", "", "", "", std::string(l.info.evidence).c_str());
      }
    }
    return kExitOk;
  }
  return usage_error("unknown command '" + cmd + "'", "");
}

}  // namespace dsim::cli
