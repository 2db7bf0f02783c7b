// `dsim tune`: a parameter grid over many seeds. Every point of the grid
// is the scenario with some keys set; all are validated before anything
// runs, then the sweep engine runs points x seeds in parallel (progress,
// results file, --resume, --shard as `dsim sweep`), and the metrics of
// each point are summarised over seeds as a table, CSV and an HTML page.
// A separate command rather than `sweep --set`: a sweep judges (its exit
// code says whether every run went as expected), a tuning run measures
// (a grid point that violates a check is a finding, not a failure).
#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "analysis/tune_page.h"
#include "sim/cli/commands.h"
#include "sim/cli/exit_codes.h"
#include "sim/cli/sweep.h"
#include "sim/cli/terminal.h"
#include "sim/cli/tune_grid.h"
#include "sim/cli/tune_metrics.h"
#include "sim/core/input.h"
#include "sim/core/printable.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/units.h"
#include "sim/trace/sha256.h"
#include "sim/core/program.h"

namespace dsim::cli {
namespace po = boost::program_options;

namespace {

constexpr uint64_t kMaxTuneRuns = 1'000'000;

int tune_usage(const std::string& msg) {
  std::fprintf(stderr, "dsim: error: %s\nTry 'dsim tune --help' for usage.\n", printable(msg).c_str());
  return kExitUsage;
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

bool read_text(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

std::string sha256_of(const std::string& text) {
  trace::Sha256 h;
  h.update(text);
  return h.hex_digest();
}

// One grid point's settings: the values it takes, axis by axis.
std::vector<GridSetting> settings_of(const std::vector<GridAxis>& axes, const std::vector<size_t>& point) {
  std::vector<GridSetting> out;
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto& s = axes[i].values[point[i]].settings;
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

std::string point_text(const std::vector<GridAxis>& axes, const std::vector<size_t>& point) {
  std::string out;
  for (size_t i = 0; i < axes.size(); ++i) {
    out += (i ? ", " : "") + axes[i].name + "=" + axes[i].values[point[i]].label;
  }
  return out;
}

}  // namespace

int cmd_tune(const Registry& reg, const std::vector<std::string>& args) {
  po::options_description opts = sweep_options(
      "dsim tune (SCENARIO.yaml --set KEY=V1,V2,... | GRID.yaml) (--seeds A..B | --runs K) [options]\n"
      "Runs every point of a parameter grid over the seeds and shows each metric's\n"
      "median and p10..p90 per point (docs/tuning.md)");
  opts.add_options()
      ("set", po::value<std::vector<std::string>>(), "KEY=V1,V2,...: a grid axis; KEY is a scenario path (raft.heartbeat,\n"
                                                     "dynamo.r, network.drop), values are YAML ([150ms,300ms] is one value)")
      ("metric", po::value<std::vector<std::string>>(), "a metric to show in the table and plot (repeatable; default: the\n"
                                                        "grid file's metrics:, else those that vary across points)")
      ("metrics", "list the metrics a run of the first grid point gives, with their meaning, and exit")
      ("csv", po::value<std::string>(), "write every point x metric summary as CSV to FILE")
      ("html", po::value<std::string>(), "write a self-contained HTML page with the plots to FILE");
  po::options_description all;
  all.add(opts);
  all.add_options()("input", po::value<std::vector<std::string>>(), "");
  po::positional_options_description pos;
  pos.add("input", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return tune_usage(e.what());
  }
  if (vm.count("help")) {
    std::cout << opts
              << "\nExit codes: 0 every run done (a violated check is a measurement, not a failure), 2 usage,\n"
                 "3 invalid scenario, grid file, grid point or results file, 4 nothing to run, 6 a resource limit,\n"
                 "70 nondeterminism or an internal error, 74 other I/O errors.\n";
    return kExitOk;
  }
  if (!vm.count("input")) return tune_usage("name a scenario (with --set) or a grid file");
  const auto inputs = vm["input"].as<std::vector<std::string>>();
  if (inputs.size() != 1) return tune_usage("name one scenario or grid file, not " + std::to_string(inputs.size()));
  const std::string input = inputs[0];
  if (is_stdin_path(input)) return tune_usage("dsim tune reads its scenario or grid from a file, not standard input");
  for (const char* name : {"csv", "html"}) {
    if (vm.count(name) && vm[name].as<std::string>().empty()) return tune_usage(std::string("--") + name + " needs a file name");
  }

  // The grid: a grid file's axes, then each --set.
  GridFile grid;
  std::string scenario_path = input;
  if (looks_like_grid_file(input)) {
    std::string err;
    if (!load_grid_file(input, &grid, &err)) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return kExitInvalidInput;
    }
    scenario_path = grid.scenario.front() == '/' ? grid.scenario : dir_of(input) + grid.scenario;
    if (is_stdin_path(scenario_path)) return tune_usage(input + ": the grid's scenario must be a file, not standard input");
  }
  std::vector<GridAxis> axes = grid.axes;
  if (vm.count("set")) {
    for (const auto& text : vm["set"].as<std::vector<std::string>>()) {
      GridAxis axis;
      std::string err;
      if (!parse_set_flag(text, &axis, &err)) return tune_usage(err);
      axes.push_back(std::move(axis));
    }
  }
  if (axes.empty()) return tune_usage("no grid: give --set KEY=V1,V2,... or a grid file with a 'grid:' section");
  std::set<std::string> keys, names;
  uint64_t point_count = 1;
  for (const auto& a : axes) {
    if (!names.insert(a.name).second) return tune_usage("the axis '" + a.name + "' is given twice");
    std::set<std::string> mine;
    for (const auto& v : a.values) {
      for (const auto& [k, text] : v.settings) mine.insert(k);
    }
    for (const auto& k : mine) {
      if (!keys.insert(k).second) return tune_usage("'" + k + "' is set by two axes of the grid");
    }
    point_count *= a.values.size();
    if (point_count > kMaxGridPoints) {
      return tune_usage("the grid has more than " + std::to_string(kMaxGridPoints) + " points");
    }
  }
  // Seeds: the flag, else the grid file's default.
  if (!vm.count("seeds") && !vm.count("runs") && !grid.seeds.empty()) {
    vm.insert({"seeds", po::variable_value(boost::any(grid.seeds), false)});
  }

  // Every run's metrics are kept to summarise them (medians need them all):
  // bound the grid's runs. (Malformed seed flags are the sweep's to report.)
  {
    uint64_t seeds = 0;
    if (vm.count("runs")) {
      seeds = static_cast<uint64_t>(std::max<int64_t>(0, vm["runs"].as<int64_t>()));
    } else if (vm.count("seeds")) {
      const std::string text = vm["seeds"].as<std::string>();
      const size_t dots = text.find("..");
      uint64_t a = 0, b = 0;
      std::string why;
      if (dots != std::string::npos && scenario::parse_seed(text.substr(0, dots), &a, &why) &&
          scenario::parse_seed(text.substr(dots + 2), &b, &why) && b >= a) {
        seeds = b - a + 1;
      }
    }
    if (seeds > kMaxTuneRuns / point_count) {
      return tune_usage("the grid has " + std::to_string(point_count) + " points x " + std::to_string(seeds) +
                        " seeds; dsim tune keeps every run's metrics to summarise them, at most " +
                        std::to_string(kMaxTuneRuns) + " runs");
    }
  }

  // The base scenario through the loader: its own errors with their lines.
  scenario::Diagnostics base_diag;
  const auto base = scenario::load_scenario_file(reg, scenario_path, base_diag);
  if (!base) {
    std::fputs(base_diag.render(use_color(ColorMode::kAuto)).c_str(), stderr);
    return kExitInvalidInput;
  }
  std::string base_text;
  if (!read_text(scenario_path, &base_text)) {
    std::fprintf(stderr, "%s: error: cannot read the scenario\n", scenario_path.c_str());
    return kExitInvalidInput;
  }

  // Every point, validated before anything runs.
  std::vector<std::vector<size_t>> points;
  {
    std::vector<size_t> idx(axes.size(), 0);
    for (uint64_t p = 0; p < point_count; ++p) {
      points.push_back(idx);
      for (size_t i = axes.size(); i-- > 0;) {
        if (++idx[i] < axes[i].values.size()) break;
        idx[i] = 0;
      }
    }
  }
  SweepSource src;
  src.command = "tune";
  src.judge = false;
  size_t invalid = 0;
  for (const auto& point : points) {
    const std::string label = point_text(axes, point);
    std::string text, err;
    std::optional<scenario::Scenario> s;
    scenario::Diagnostics diag(scenario_path + " [" + label + "]");
    if (apply_settings(base_text, settings_of(axes, point), &text, &err)) {
      s = scenario::load_scenario_text(reg, text, scenario_path + " [" + label + "]", diag);
    } else {
      diag.error(-1, -1, err);
    }
    if (!s) {
      if (++invalid <= 5) {
        std::fprintf(stderr, "dsim: error: grid point %s is not a valid scenario:\n%s", printable(label).c_str(),
                     diag.render(use_color(ColorMode::kAuto)).c_str());
      }
      continue;
    }
    s->path = scenario_path;
    s->id = base->id + "#" + label;
    // Lines in messages and JUnit refer to the file, not to the document
    // with the point's values applied.
    for (auto& c : s->checks) {
      c.line = 0;
      for (const auto& b : base->checks) {
        if (b.name == c.name) c.line = b.line;
      }
    }
    src.content_hash.push_back(sha256_of(text));
    src.specs.push_back(std::move(*s));
  }
  if (invalid > 0) {
    std::fprintf(stderr, "dsim: error: %zu of %zu grid points are invalid; nothing was run\n", invalid, points.size());
    return kExitInvalidInput;
  }

  // The metrics to show: checked against a run of the first point (and
  // the names any run may give) before the grid runs.
  std::vector<std::string> wanted = grid.metrics;
  if (vm.count("metric")) wanted = vm["metric"].as<std::vector<std::string>>();
  if (vm.count("metrics") || !wanted.empty()) {
    std::map<std::string, double> m;
    scenario::RunOptions opt;
    opt.seed = src.specs[0].seed.value_or(1);
    opt.fingerprint = false;
    if (const auto r = run_measured(src.specs[0], opt, &m); !r.schedule_error.empty()) {
      std::fprintf(stderr, "%s\n", printable(r.schedule_error).c_str());  // a step that cannot happen: bad input
      return kExitInvalidInput;
    }
    for (const auto& name : wanted) {
      if (!m.count(name) && !is_known_metric(name)) {
        return tune_usage("no metric '" + name + "' (dsim tune " + input + " --metrics lists them)");
      }
    }
  }
  if (vm.count("metrics")) {
    std::map<std::string, double> m;
    scenario::RunOptions opt;
    opt.seed = src.specs[0].seed.value_or(1);
    opt.fingerprint = false;
    if (const auto r = run_measured(src.specs[0], opt, &m); !r.schedule_error.empty()) {
      std::fprintf(stderr, "%s\n", printable(r.schedule_error).c_str());  // a step that cannot happen: bad input
      return kExitInvalidInput;
    }
    std::printf("metrics of %s (%s, seed %llu):\n", printable(scenario_path).c_str(), printable(point_text(axes, points[0])).c_str(),
                static_cast<unsigned long long>(opt.seed));
    for (const auto& [name, v] : m) std::printf("  %-40s %s\n", printable(name).c_str(), metric_doc(name).c_str());
    return kExitOk;
  }

  // Per point: every run's metrics (worker threads record them under the
  // sweep's lock, one record at a time).
  std::vector<std::vector<std::map<std::string, double>>> measured(points.size());
  src.run = [&](size_t spec, const scenario::RunOptions& opt, RunRecord* rec) {
    return run_measured(src.specs[spec], opt, &rec->metrics);
  };
  src.on_record = [&](size_t spec, const RunRecord& rec) {
    if (rec.error.empty()) measured[spec].push_back(rec.metrics);
  };
  src.repro = [&](size_t spec, uint64_t seed) {
    std::vector<std::string> argv = {program_name(), "tune", scenario_path};
    for (const auto& [k, text] : settings_of(axes, points[spec])) {
      argv.push_back("--set");
      argv.push_back(k + "=" + text);
    }
    argv.push_back("--seeds");
    argv.push_back(std::to_string(seed) + ".." + std::to_string(seed));
    return shell_join(argv);
  };
  const int code = run_sweep(reg, vm, &src);
  if (code != kExitOk && code != kExitViolation && code != kExitInconclusive) return code;

  // Summaries over seeds.
  analysis::TuneTable t;
  t.title = input;
  std::string seeds_text = vm.count("seeds") ? vm["seeds"].as<std::string>() : "";
  for (const auto& a : axes) {
    analysis::TuneParam p;
    p.name = a.name;
    for (const auto& v : a.values) p.values.push_back(v.label);
    t.params.push_back(std::move(p));
  }
  t.points = points;
  std::set<std::string> metric_names(wanted.begin(), wanted.end());  // shown even if never measured
  for (const auto& runs : measured) {
    t.seeds = std::max<uint64_t>(t.seeds, runs.size());
    for (const auto& m : runs) {
      for (const auto& [name, v] : m) metric_names.insert(name);
    }
  }
  if (metric_names.empty()) {
    std::fprintf(stderr, "dsim: nothing was measured (no run of this shard finished)\n");
    return kExitNothingRan;
  }
  std::map<std::string, size_t> metric_index;
  for (const auto& name : metric_names) {
    metric_index[name] = t.metrics.size();
    t.metrics.push_back({name, metric_doc(name), is_count_metric(name)});
  }
  for (const auto& runs : measured) {
    std::vector<std::optional<analysis::TuneCell>> row(t.metrics.size());
    for (size_t m = 0; m < t.metrics.size(); ++m) {
      std::vector<double> values;
      for (const auto& run : runs) {
        if (auto it = run.find(t.metrics[m].name); it != run.end()) values.push_back(it->second);
      }
      if (!values.empty()) row[m] = analysis::summarize(std::move(values));
    }
    t.cells.push_back(std::move(row));
  }
  for (const auto& name : wanted) t.plotted.push_back(metric_index.at(name));
  if (t.plotted.empty()) {
    // Those whose shown value differs between points, at most 8.
    for (size_t m = 0; m < t.metrics.size() && t.plotted.size() < 8; ++m) {
      std::set<double> seen;
      for (const auto& row : t.cells) {
        if (row[m]) seen.insert(analysis::shown_value(t.metrics[m], *row[m]));
      }
      if (seen.size() > 1) t.plotted.push_back(m);
    }
  }
  // Labels come from the command line and grid files: no terminal escapes.
  std::fputs(printable(analysis::tune_text_table(t), /*keep_newlines=*/true).c_str(), stdout);
  for (const char* name : {"csv", "html"}) {
    if (!vm.count(name)) continue;
    const std::string text = std::string(name) == "csv" ? analysis::tune_csv(t) : analysis::tune_html(t);
    if (const auto err = write_output(vm[name].as<std::string>(), text); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return kExitOk;
}

}  // namespace dsim::cli
