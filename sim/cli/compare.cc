#include "sim/cli/compare.h"

#include <boost/program_options.hpp>
#include <cstdio>
#include <sstream>

#include "dsim/text.h"
#include "sim/cli/commands.h"
#include "sim/cli/exit_codes.h"
#include "sim/cli/options.h"
#include "sim/cli/terminal.h"
#include "sim/core/printable.h"
#include "sim/scenario/units.h"
#include "sim/scenario/loader.h"

namespace dsim::cli {
namespace {

std::string ms(int64_t ns) {
  if (ns < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fms", static_cast<double>(ns) / 1e6);
  return buf;
}

std::string pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v);
  return buf;
}

std::string linearizable(const scenario::RunReport& r) {
  for (const auto& c : r.checks) {
    if (c.name != "linearizable") continue;
    return c.status == analysis::Status::kHeld ? "yes" : c.status == analysis::Status::kViolated ? "no" : "unknown";
  }
  return "-";
}

struct Row {
  std::string config, side, lin, lost, ryw, mono;
  analysis::SideStats s;
};

std::vector<Row> rows(const std::vector<Configuration>& configs) {
  std::vector<Row> out;
  for (const auto& [name, r] : configs) {
    if (!r.clients) continue;
    out.push_back({name, "whole run", linearizable(r), std::to_string(r.clients->lost_writes),
                   std::to_string(r.clients->ryw_violations), std::to_string(r.clients->monotonic_violations),
                   r.clients->overall});
    for (const auto& side : r.clients->sides) out.push_back({"", "partitioned: " + side.label, "", "", "", "", side});
  }
  return out;
}

}  // namespace

std::string client_table(const std::vector<Configuration>& configs) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-24s %-24s %9s %7s %6s %7s %7s %9s %9s %5s %7s %5s %5s %5s\n", "configuration",
                "side", "attempted", "ok", "fail", "unknown", "avail", "p50", "p99", "lin", "stale", "lost", "RYW", "mono");
  out += line;
  for (const Row& row : rows(configs)) {
    const auto& s = row.s;
    std::snprintf(line, sizeof line, "%-24s %-24s %9llu %7llu %6llu %7llu %7s %9s %9s %5s %7s %5s %5s %5s\n", printable(row.config).c_str(),
                  printable(row.side).c_str(), static_cast<unsigned long long>(s.attempted), static_cast<unsigned long long>(s.ok),
                  static_cast<unsigned long long>(s.fail), static_cast<unsigned long long>(s.info),
                  pct(s.availability()).c_str(), ms(s.p50_ns).c_str(), ms(s.p99_ns).c_str(), row.lin.c_str(),
                  pct(s.stale_pct()).c_str(), row.lost.c_str(), row.ryw.c_str(), row.mono.c_str());
    out += line;
  }
  // Staleness and the freshness curve.
  bool header = false;
  for (const auto& [name, r] : configs) {
    if (!r.clients || r.clients->curve.empty()) continue;
    if (!header) {
      out += "\nP(a read returns an acknowledged write or newer), by delay from the acknowledgement:\n";
      std::snprintf(line, sizeof line, "%-24s", "configuration");
      out += line;
      for (const auto& c : r.clients->curve) {
        std::snprintf(line, sizeof line, " %7s", ("<" + analysis::format_time(c.to_ns)).c_str());
        out += line;
      }
      out += "   stale by p50 / p99, most versions behind\n";
      header = true;
    }
    std::snprintf(line, sizeof line, "%-24s", printable(name).c_str());  // names come from scenario files
    out += line;
    for (const auto& c : r.clients->curve) {
      if (c.pairs == 0) std::snprintf(line, sizeof line, " %7s", "-");
      else std::snprintf(line, sizeof line, " %6.1f%%", 100.0 * c.p());
      out += line;
    }
    std::snprintf(line, sizeof line, "   %s / %s, %llu\n", ms(r.clients->stale_by_p50_ns).c_str(),
                  ms(r.clients->stale_by_p99_ns).c_str(), static_cast<unsigned long long>(r.clients->max_versions_behind));
    out += line;
  }
  return out;
}

std::string curve_csv(const std::vector<Configuration>& configs) {
  std::string out = "configuration,delay_from_ms,delay_to_ms,pairs,fresh,p_fresh\n";
  for (const auto& [name, r] : configs) {
    if (!r.clients) continue;
    for (const auto& c : r.clients->curve) {
      char line[256];
      std::snprintf(line, sizeof line, "%s,%g,%g,%llu,%llu,%.4f\n", csv_field(name).c_str(),
                    static_cast<double>(c.from_ns) / 1e6, static_cast<double>(c.to_ns) / 1e6,
                    static_cast<unsigned long long>(c.pairs), static_cast<unsigned long long>(c.fresh), c.p());
      out += line;
    }
  }
  return out;
}

std::string client_csv(const std::vector<Configuration>& configs) {
  std::string out =
      "configuration,side,attempted,ok,fail,unknown,availability_pct,p50_ms,p99_ms,linearizable,stale_reads,reads_ok,"
      "lost_writes,ryw_violations,monotonic_violations\n";
  std::string config;
  for (const Row& row : rows(configs)) {
    if (!row.config.empty()) config = row.config;
    const auto& s = row.s;
    char line[512];
    auto msv = [](int64_t ns) {
      if (ns < 0) return std::string();
      char b[32];
      std::snprintf(b, sizeof b, "%.3f", static_cast<double>(ns) / 1e6);
      return std::string(b);
    };
    std::snprintf(line, sizeof line, "%s,%s,%llu,%llu,%llu,%llu,%.2f,%s,%s,%s,%llu,%llu,%s,%s,%s\n", csv_field(config).c_str(),
                  csv_field(row.side).c_str(), static_cast<unsigned long long>(s.attempted), static_cast<unsigned long long>(s.ok),
                  static_cast<unsigned long long>(s.fail), static_cast<unsigned long long>(s.info), s.availability(),
                  msv(s.p50_ns).c_str(), msv(s.p99_ns).c_str(), row.lin.c_str(),
                  static_cast<unsigned long long>(s.stale_reads), static_cast<unsigned long long>(s.reads_ok),
                  row.lost.c_str(), row.ryw.c_str(), row.mono.c_str());
    out += line;
  }
  return out;
}

std::vector<Configuration> run_variants(const scenario::Scenario& s, uint64_t seed) {
  std::vector<Configuration> out;
  const auto names = s.def->variants(*s.config);
  for (size_t i = 0; i < names.size(); ++i) {
    scenario::Scenario one = s;
    one.config = s.def->with_variant(*s.config, i);
    scenario::RunOptions opt;
    opt.seed = seed;
    out.emplace_back(names[i], scenario::run_scenario(one, opt));
  }
  return out;
}

std::vector<LabelledStats> stats_of(const std::vector<Configuration>& configs) {
  std::vector<LabelledStats> out;
  for (const auto& [name, r] : configs) {
    if (r.stats) out.push_back({name, r.stats.get()});
  }
  return out;
}

namespace {

// A scripted step that cannot happen: the scenario is wrong, as a bad key
// would be (dsim run's rule), so no table.
int schedule_error(const scenario::RunReport& r) {
  std::fprintf(stderr, "%s\n", printable(r.schedule_error).c_str());
  return kExitInvalidInput;
}

}  // namespace

int cmd_compare(const Registry& reg, const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description d(
      "dsim compare SCENARIO.yaml... [options]\n"
      "Runs each scenario (on its own seed, or --seed) and prints the clients' table\n"
      "side by side: per configuration and per side of a partition, operations\n"
      "attempted / ok / failed / unknown, availability, latency, linearizable,\n"
      "stale reads and lost writes");
  d.add_options()
      ("seed", po::value<std::string>(), "run every scenario on this seed")
      ("csv", po::value<std::string>(), "also write the table as CSV to FILE")
      ("curve-csv", po::value<std::string>(), "also write the freshness curve as CSV to FILE")
      ("load-csv", po::value<std::string>(), "protocols with statistics over time (load balancing: requests per backend\n"
                                             "per second): also write them as CSV to FILE")
      ("help,h", "show this help");
  int code = kExitOk;
  const auto parsed = parse_command(args, d, "scenario", "compare", &code, /*many=*/true);
  if (!parsed) return code;
  const po::variables_map& vm = *parsed;
  std::optional<uint64_t> seed;
  if (vm.count("seed")) {
    uint64_t v = 0;
    std::string why;
    if (!scenario::parse_seed(vm["seed"].as<std::string>(), &v, &why)) {
      std::fprintf(stderr, "dsim: error: %s\n", why.c_str());
      return kExitUsage;
    }
    seed = v;
  }
  std::vector<Configuration> configs;
  const Protocol* with_stats = nullptr;  // the protocol whose statistics are compared
  bool all_expected = true;
  for (const std::string& path : vm["scenario"].as<std::vector<std::string>>()) {
    scenario::Diagnostics diag;
    const auto spec = scenario::load_scenario_file(reg, path, diag);
    if (!spec) {
      std::fputs(diag.render(false).c_str(), stderr);
      return kExitInvalidInput;
    }
    const uint64_t s = seed.value_or(spec->seed.value_or(1));
    if (const auto variants = spec->def->variants(*spec->config); !variants.empty()) {
      if (with_stats && with_stats != spec->def) {
        std::fprintf(stderr, "dsim: error: %s: compare runs of one protocol at a time\n", path.c_str());
        return kExitUsage;
      }
      with_stats = spec->def;
      for (auto& c : run_variants(*spec, s)) {
        if (!c.second.schedule_error.empty()) return schedule_error(c.second);
        all_expected = all_expected && c.second.as_expected;
        c.first = spec->name + "/" + c.first;
        configs.push_back(std::move(c));
      }
      std::fprintf(stderr, "%s: seed %llu, %zu variants\n", path.c_str(), static_cast<unsigned long long>(s),
                   variants.size());
      continue;
    }
    if (spec->clients.count == 0) {
      std::fprintf(stderr, "dsim: error: %s has no clients: nothing to compare\n", path.c_str());
      return kExitNothingRan;
    }
    scenario::RunOptions opt;
    opt.seed = s;
    configs.emplace_back(spec->name, scenario::run_scenario(*spec, opt));
    if (!configs.back().second.schedule_error.empty()) return schedule_error(configs.back().second);
    all_expected = all_expected && configs.back().second.as_expected;
    std::fprintf(stderr, "%s: seed %llu, %s\n", path.c_str(), static_cast<unsigned long long>(opt.seed),
                 configs.back().second.as_expected ? "checks as expected" : "checks NOT as expected");
  }
  if (with_stats) {
    const auto runs = stats_of(configs);
    std::fputs(with_stats->stats_table(runs).c_str(), stdout);
    if (vm.count("load-csv")) {
      if (const auto err = write_output(vm["load-csv"].as<std::string>(), with_stats->stats_series_csv(runs));
          !err.empty()) {
        std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
        return err.exit_code();
      }
    }
    if (vm.count("csv")) {
      if (const auto err = write_output(vm["csv"].as<std::string>(), with_stats->stats_csv(runs)); !err.empty()) {
        std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
        return err.exit_code();
      }
    }
    return all_expected ? kExitOk : kExitViolation;
  }
  std::fputs(client_table(configs).c_str(), stdout);
  if (vm.count("curve-csv")) {
    if (const auto err = write_output(vm["curve-csv"].as<std::string>(), curve_csv(configs)); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  if (vm.count("csv")) {
    if (const auto err = write_output(vm["csv"].as<std::string>(), client_csv(configs)); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return all_expected ? kExitOk : kExitViolation;
}

}  // namespace dsim::cli
