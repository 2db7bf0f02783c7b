// dsim explore: systematic search of a scenario's message, timer and
// fault orders (sim/explore), with the counterexample written as a
// scenario that `dsim run` replays.
#include "sim/cli/explore.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "analysis/report.h"
#include "sim/cli/exit_codes.h"
#include "sim/cli/options.h"
#include "sim/cli/terminal.h"
#include "sim/core/program.h"
#include "sim/explore/explorer.h"
#include "dsim/diagnostics.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/shrink.h"
#include "sim/scenario/units.h"
#include "sim/scenario/writer.h"

namespace dsim::cli {
namespace po = boost::program_options;

namespace {

int explore_usage(const std::string& msg) {
  std::fprintf(stderr, "dsim: error: %s\nTry 'dsim explore --help' for usage.\n", msg.c_str());
  return kExitUsage;
}

std::string commas(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}

// The memory the search may use: --max-memory (an RLIMIT_DATA), if set.
uint64_t memory_budget() {
  rlimit rl{};
  if (getrlimit(RLIMIT_DATA, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 0;
  return static_cast<uint64_t>(rl.rlim_cur);
}

}  // namespace

int cmd_explore(const Registry& reg, const std::vector<std::string>& args) {
  po::options_description opts(
      "dsim explore SCENARIO.yaml [options]\n\n"
      "Searches every order of message deliveries, timer firings, workload inputs and the faults the\n"
      "scenario's `explore:` section budgets, from its initial state, with its checks on every state.\n"
      "A violation is written as a scenario with a `schedule:` that `dsim run` replays.\n"
      "Exit codes: 0 outcome as expected (no violation up to the bounds, or the expected one found),\n"
      "1 a violation (or an expected one not found, or an unreachable goal), 2 usage error, 3 invalid\n"
      "scenario (or one explore cannot run), 5 inconclusive (a state, time or memory limit stopped\n"
      "the search), 6 resource limit, 74 I/O error.\n\nOptions");
  opts.add_options()
      ("seed", po::value<std::string>(), "the seed of the nodes' random streams (default: the scenario's, else 1)")
      ("strategy", po::value<std::string>(), "bfs (shortest counterexample), dfs, or random walks (overrides explore.strategy)")
      ("max-depth", po::value<uint32_t>(), "steps on one path (overrides explore.max_depth)")
      ("max-states", po::value<int64_t>(), "distinct states before giving up (overrides explore.max_states)")
      ("max-time", po::value<std::string>(), "wall time before giving up, e.g. 60s (overrides explore.max_time)")
      ("output,o", po::value<std::string>(), "where to write a counterexample (default: <name>-counterexample.yaml; a goal's path: <name>-goal.yaml)")
      ("report", po::value<std::string>(), "also write an HTML report of the counterexample's replay")
      ("no-progress", "no progress line on a terminal")
      ("no-shrink", "keep a depth-first or random path as found (default: shrink it, as dsim shrink does)")
      ("help,h", "show this help");
  int code = kExitOk;
  const auto vm = parse_command(args, opts, "scenario", "explore", &code);
  if (!vm) return code;
  const std::string path = (*vm)["scenario"].as<std::vector<std::string>>()[0];
  scenario::Diagnostics diag;
  const auto loaded = scenario::load_scenario_file(reg, path, diag);
  if (!loaded) {
    std::fputs(diag.render(use_color(ColorMode::kAuto)).c_str(), stderr);
    return kExitInvalidInput;
  }
  const scenario::Scenario& s = *loaded;
  if (!s.schedule.empty()) return explore_usage(path + " is a scripted schedule already: replay it with 'dsim run'");

  explore::ExploreOptions eo;
  eo.spec = s.explore.value_or(scenario::ExploreSpec{});
  std::string why;
  uint64_t seed = s.seed.value_or(1);
  if (vm->count("seed") && !scenario::parse_seed((*vm)["seed"].as<std::string>(), &seed, &why)) return explore_usage(why);
  if (vm->count("strategy")) {
    const std::string st = (*vm)["strategy"].as<std::string>();
    if (st != "bfs" && st != "dfs" && st != "random") {
      return explore_usage("--strategy must be bfs, dfs or random, not '" + st + "'");
    }
    eo.spec.strategy = st == "bfs"   ? scenario::ExploreSpec::Strategy::kBfs
                       : st == "dfs" ? scenario::ExploreSpec::Strategy::kDfs
                                     : scenario::ExploreSpec::Strategy::kRandom;
  }
  if (vm->count("max-depth")) {
    eo.spec.max_depth = (*vm)["max-depth"].as<uint32_t>();
    if (eo.spec.max_depth == 0 || eo.spec.max_depth > 1'000'000) return explore_usage("--max-depth must be 1..1000000");
  }
  if (vm->count("max-states")) {
    const int64_t n = (*vm)["max-states"].as<int64_t>();
    if (n < 1) return explore_usage("--max-states must be at least 1");
    eo.spec.max_states = static_cast<uint64_t>(n);
  }
  if (vm->count("max-time")) {
    int64_t ns = 0;
    if (!scenario::parse_duration((*vm)["max-time"].as<std::string>(), false, &ns, &why) || ns <= 0) {
      return explore_usage("--max-time: " + (why.empty() ? std::string("must be positive") : why));
    }
    eo.max_seconds = static_cast<double>(ns) / 1e9;
  }
  eo.max_memory = memory_budget();
  const bool tty = isatty(STDERR_FILENO) && vm->count("no-progress") == 0;
  if (tty) {
    eo.progress = [](const explore::Progress& p) {
      std::fprintf(stderr, "\r  %s states, %s steps, depth %u, queue %s, %.0f states/s   ", commas(p.distinct).c_str(),
                   commas(p.generated).c_str(), p.depth, commas(p.queue).c_str(),
                   p.seconds > 0 ? static_cast<double>(p.distinct) / p.seconds : 0.0);
      std::fflush(stderr);
    };
  }
  const bool bfs = eo.spec.strategy == scenario::ExploreSpec::Strategy::kBfs;
  const char* how = bfs ? "breadth-first" : eo.spec.strategy == scenario::ExploreSpec::Strategy::kDfs ? "depth-first"
                                                                                                       : "random walks";
  std::fprintf(stderr, "explore %s (%s, depth <= %u, seed %llu)\n", path.c_str(), how,
               eo.spec.max_depth, static_cast<unsigned long long>(seed));
  const auto res = explore::run_explore(s, seed, eo, &why);
  if (tty) std::fputs("\r\x1b[K", stderr);
  if (!res) {
    std::fprintf(stderr, "dsim: error: %s\n", why.c_str());
    return kExitInvalidInput;
  }
  const explore::ExploreResult& r = *res;
  const double rate = r.stats.seconds > 0 ? static_cast<double>(r.stats.distinct) / r.stats.seconds : 0;
  std::fprintf(stderr, "  states    %s distinct, %s steps applied, depth %u, %.2fs (%s states/s)%s\n",
               commas(r.stats.distinct).c_str(), commas(r.stats.generated).c_str(), r.depth_reached, r.stats.seconds,
               commas(static_cast<uint64_t>(rate)).c_str(),
               r.walks ? (", " + commas(r.walks) + " walks").c_str() : "");
  using O = explore::ExploreResult::Outcome;
  std::vector<std::string> want = s.expect_violated;
  std::sort(want.begin(), want.end());
  if (r.outcome == O::kLimit) {
    if (r.limit == "saturation") {
      std::fprintf(stderr, "  verdict   INCONCLUSIVE: 1,000 random walks in a row found no state not seen before, and no "
                           "violation; walks never prove absence (strategy bfs or dfs can exhaust the space)\n");
    } else {
      std::fprintf(stderr, "  verdict   INCONCLUSIVE: the %s limit stopped the search before it was exhausted\n",
                   r.limit.c_str());
    }
    return kExitInconclusive;
  }
  if (r.outcome == O::kExhausted) {
    std::string bound = r.depth_bounded ? " up to depth " + std::to_string(eo.spec.max_depth)
                        : r.pruned       ? ""
                                         : " (every path ended)";
    if (r.pruned) bound += " (" + commas(r.pruned) + " states not expanded: they match a prune)";
    if (!s.explore || s.explore->goals.empty()) {
      std::fprintf(stderr, "  verdict   no violation in %s states%s\n", commas(r.stats.distinct).c_str(), bound.c_str());
    } else {
      std::fprintf(stderr, "  verdict   GOAL UNREACHABLE: no state%s meets every goal (%s states)\n", bound.c_str(),
                   commas(r.stats.distinct).c_str());
      return kExitViolation;
    }
    if (!want.empty()) {
      std::fprintf(stderr, "  expected  %s violated, which did not happen\n", join(want, ", ").c_str());
      return kExitViolation;
    }
    return kExitOk;
  }

  // A path: a violation, or a goal reached. Written as a scenario.
  const bool violation = r.outcome == O::kViolation;
  if (violation) {
    std::fprintf(stderr, "  verdict   VIOLATED %s at depth %zu%s: %s\n", join(r.violated, ", ").c_str(), r.path.size(),
                 r.at_quiescence ? " (then nothing can happen: judged as if time went on)" : "", r.message.c_str());
  } else {
    std::fprintf(stderr, "  verdict   goal reached at depth %zu\n", r.path.size());
  }
  std::vector<std::string> found = violation ? r.violated : std::vector<std::string>{};
  std::sort(found.begin(), found.end());
  // The search stops at its first violation, so finding some of the
  // expected checks (and no other) is the outcome expected.
  const bool found_expected =
      violation && !want.empty() && std::all_of(found.begin(), found.end(), [&](const std::string& v) {
        return std::binary_search(want.begin(), want.end(), v);
      });
  auto expected_outcome = [&]() {
    if (!violation) return want.empty() ? kExitOk : kExitViolation;
    if (want.empty()) return kExitViolation;
    if (!found_expected) {
      std::fprintf(stderr, "  expected  NO: the scenario expects %s violated, the search found %s\n",
                   join(want, ", ").c_str(), join(found, ", ").c_str());
      return kExitViolation;
    }
    std::fprintf(stderr, "  expected  yes: the scenario expects %s violated\n", join(want, ", ").c_str());
    return kExitOk;
  };
  if (r.path.empty()) {
    // Before any step: nothing to write or replay.
    std::fprintf(stderr, "  path      none: this holds at the initial state, before any step\n");
    return expected_outcome();
  }
  scenario::Scenario cx = s;
  const std::string out = vm->count("output") ? (*vm)["output"].as<std::string>()
                                              : s.name + (violation ? "-counterexample.yaml" : "-goal.yaml");
  cx.path = out;
  cx.id = scenario::scenario_identity(out);
  cx.name = s.name + (violation ? "-counterexample" : "-goal");
  cx.seed = seed;
  cx.explore.reset();
  cx.schedule = r.path;
  // What the replay needs of the rest: every input the path gives, and an
  // event budget that covers it.
  if (s.explore && s.explore->inputs) cx.workload.count = std::max(cx.workload.count, *s.explore->inputs);
  cx.max_events = std::max<uint64_t>(cx.max_events, r.path.size() + 1);
  // `dsim run` expects exactly the violations listed: those this path shows.
  if (found_expected) cx.expect_violated = r.violated;
  // Step k runs at k ms. A verdict given at a quiescent state judged the
  // run an hour later (nothing left to happen): the replay ends then too.
  cx.duration = Duration{static_cast<int64_t>(r.path.size() + 1) * 1'000'000} +
                (r.at_quiescence ? Duration{3'600'000'000'000} : Duration{0});
  cx.expect_some_seeds = false;
  const std::string found_by = " found by dsim explore in " + path + " (" + commas(r.stats.distinct) + " states, " +
                               (bfs ? std::string("breadth-first: no shorter path exists") : std::string(how)) + ")";
  cx.description = std::string(violation ? "Counterexample" : "A path to the goal") + found_by +
                   (violation ? ": " + join(r.violated, ", ") + " violated. " + r.message : ".");
  // The command that finds this path again (outputs aside).
  std::vector<std::string> argv = {program_name(), "explore", path, "--seed", std::to_string(seed)};
  for (const char* o : {"strategy", "max-depth", "max-states", "max-time"}) {
    if (!vm->count(o)) continue;
    const auto& v = (*vm)[o].value();
    std::string text;
    if (const auto* sv = boost::any_cast<std::string>(&v)) text = *sv;
    if (const auto* uv = boost::any_cast<uint32_t>(&v)) text = std::to_string(*uv);
    if (const auto* iv = boost::any_cast<int64_t>(&v)) text = std::to_string(*iv);
    argv.insert(argv.end(), {std::string("--") + o, text});
  }
  if (vm->count("no-shrink")) argv.push_back("--no-shrink");
  const std::string header = "Written by: " + shell_join(argv);
  std::string yaml = scenario::scenario_to_yaml(cx, header, r.path_notes);

  // Replays the written text as `dsim run` would: the violations it shows.
  // (From the text, not the file: the file stays this command's output.)
  auto replay = [&](const std::string& file, const std::string& trace_path, scenario::RunReport* rr) -> bool {
    scenario::Diagnostics d;
    const auto again = scenario::load_scenario_text(reg, yaml, file, d);
    if (!again) {
      std::fprintf(stderr, "dsim: internal error: the written scenario %s does not load:\n%s", file.c_str(),
                   d.render(false).c_str());
      return false;
    }
    scenario::RunOptions ro;
    ro.seed = seed;
    ro.trace_path = trace_path;
    *rr = scenario::run_scenario(*again, ro);
    return true;
  };
  auto violations_of = [](const scenario::RunReport& rr) {
    std::vector<std::string> got = rr.violated;
    if (!rr.node_failure.empty()) got.push_back("node_failure");
    std::sort(got.begin(), got.end());
    return got;
  };
  // Checked before anything is written: a file on disk replays as found.
  scenario::RunReport rr;
  if (!replay(out, "", &rr)) return kExitInternal;
  if (violations_of(rr) != found) {
    std::fprintf(stderr, "dsim: internal error: replaying %s gave violations [%s], the search found [%s]\n",
                 out.c_str(), join(violations_of(rr), ", ").c_str(), join(found, ", ").c_str());
    return kExitInternal;
  }
  if (const auto err = write_output(out, yaml); !err.empty()) {
    std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
    return err.exit_code();
  }
  std::vector<std::string> notes = r.path_notes;
  size_t steps = r.path.size();
  // A walk's or a deep search's path carries steps the violation does
  // not need: shrink it (breadth-first paths are already the shortest).
  if (violation && !bfs && r.violated[0] != "node_failure" && vm->count("no-shrink") == 0) {
    scenario::Diagnostics d;
    const auto written = scenario::load_scenario_text(reg, yaml, out, d);
    std::string swhy;
    auto shrunk = written ? scenario::shrink(reg, *written, seed, r.violated[0], &swhy) : std::nullopt;
    // ddmin stops at a schedule from which no one chunk can go; removing
    // steps changes which later ones can go, so shrink again while it
    // helps (a 58-step walk: 45, then 38, 32, 29).
    for (int round = 0; shrunk && round < 8; ++round) {
      auto again = scenario::shrink(reg, shrunk->scenario, seed, shrunk->check, &swhy);
      if (!again || again->scenario.schedule.size() >= shrunk->scenario.schedule.size()) break;
      again->runs += shrunk->runs;
      shrunk = std::move(again);
    }
    if (shrunk && shrunk->scenario.schedule.size() < steps) {
      scenario::Scenario small = shrunk->scenario;
      small.path = out;
      small.id = cx.id;
      small.name = cx.name;
      small.description = std::string("Counterexample") + found_by + ", shrunk from " + std::to_string(steps) + " to " +
                          std::to_string(small.schedule.size()) + " steps: " + shrunk->check + " violated. " +
                          shrunk->message;
      notes = explore::describe_schedule(small, seed);
      yaml = scenario::scenario_to_yaml(small, header, notes);
      if (!replay(out, "", &rr)) return kExitInternal;
      found = violations_of(rr);
      if (const auto err = write_output(out, yaml); !err.empty()) {
        std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
        return err.exit_code();
      }
      std::fprintf(stderr, "  shrunk    %zu -> %zu steps (%d replays), still violating %s\n", steps,
                   small.schedule.size(), shrunk->runs, shrunk->check.c_str());
      steps = small.schedule.size();
    }
  }
  std::fprintf(stderr, "  path      %zu steps, written to %s\n", steps, out.c_str());
  for (size_t i = 0; i < notes.size() && i < 60; ++i) std::fprintf(stderr, "    %3zu  %s\n", i + 1, notes[i].c_str());
  if (notes.size() > 60) std::fprintf(stderr, "    ...  (%zu more in the file)\n", notes.size() - 60);
  std::fprintf(stderr, "  replayed  %s: dsim run shows %s (trace sha256 %s)\n", out.c_str(),
               found.empty() ? "no violation" : join(found, ", ").c_str(), rr.trace_sha256.substr(0, 16).c_str());

  const std::string report_path = vm->count("report") ? (*vm)["report"].as<std::string>() : "";
  if (!report_path.empty()) {
    const std::string trace_tmp = private_temp_path("counterexample.jsonl");
    if (trace_tmp.empty() || !replay(out, trace_tmp, &rr)) {
      std::fprintf(stderr, "dsim: error: report: cannot replay %s into a private temporary trace\n", out.c_str());
      return kExitIo;
    }
    std::string html;
    auto hints = [&reg](std::string_view p) {
      const Protocol* def = reg.find(p);
      return def ? def->report_hints() : ReportHints{};
    };
    const std::string err = rr.trace_error.empty() ? analysis::build_report(reg, hints, trace_tmp, &html, cx.description)
                                                   : rr.trace_error;
    remove_private_temp(trace_tmp);
    if (!err.empty()) {
      std::fprintf(stderr, "dsim: error: report: %s\n", err.c_str());
      return kExitIo;
    }
    if (const auto werr = write_output(report_path, html); !werr.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", werr.c_str());
      return werr.exit_code();
    }
    std::fprintf(stderr, "  report    %s\n", report_path.c_str());
  }
  std::fprintf(stderr, "  reproduce %s\n", shell_join({program_name(), "run", out}).c_str());
  return expected_outcome();
}

}  // namespace dsim::cli
