// `dsim experiment election`: the command line of the election-time
// experiment (experiment.h).
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "dsim/checker.h"
#include "dsim/protocol.h"
#include "protocols/raft/experiment.h"
#include "sim/scenario/units.h"

namespace dsim::raft {
namespace {

namespace po = boost::program_options;

po::options_description election_options() {
  po::options_description d("dsim experiment election [options]");
  d.add_options()
      ("trials", po::value<int64_t>()->default_value(1000), "trials per election-timeout range")
      ("ranges", po::value<std::string>()->default_value("150ms..151ms,150ms..155ms,150ms..175ms,150ms..200ms,150ms..300ms"),
       "comma-separated election-timeout ranges MIN..MAX")
      ("nodes", po::value<int64_t>()->default_value(5), "cluster size")
      ("heartbeat", po::value<std::string>()->default_value("15ms"), "leader heartbeat interval")
      ("latency", po::value<std::string>()->default_value("1ms..5ms"), "one-way network delay range, uniform")
      ("seed", po::value<std::string>()->default_value("1"), "master seed; trial seeds derive from it")
      ("csv", po::value<std::string>(), "also write the table as CSV to FILE")
      ("help,h", "show this help");
  return d;
}

}  // namespace

int election_cli(const std::vector<std::string>& rest, const ExperimentIo& io) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(rest).options(election_options()).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return io.usage_error(e.what());
  }
  if (vm.count("help")) {
    std::cout << election_options() << "\n"
              << "Crashes the Raft leader at a random point of its heartbeat interval and measures the time\n"
                 "until a new leader is elected (Raft paper, Figure 16), per election-timeout range.\n";
    return 0;
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
  ElectionExperiment e;
  // Signed, so "-1" is an error rather than 4294967295 trials.
  const int64_t trials = vm["trials"].as<int64_t>();
  const int64_t nodes = vm["nodes"].as<int64_t>();
  if (trials < 1 || trials > 1'000'000) return io.usage_error("--trials must be between 1 and 1000000");
  if (nodes < 3 || nodes > 1000) return io.usage_error("--nodes must be between 3 and 1000");
  e.trials = static_cast<uint32_t>(trials);
  e.nodes = static_cast<uint32_t>(nodes);
  std::stringstream ss(vm["ranges"].as<std::string>());
  for (std::string item; std::getline(ss, item, ',');) {
    std::pair<Duration, Duration> r;
    if (!range(item, &r)) return io.usage_error("invalid range '" + item + "' (expected MIN..MAX, e.g. 150ms..300ms)");
    e.ranges.push_back(r);
  }
  if (e.ranges.empty()) return io.usage_error("--ranges names no range");
  if (!duration(vm["heartbeat"].as<std::string>(), &e.heartbeat)) return io.usage_error("invalid --heartbeat");
  std::pair<Duration, Duration> lat;
  if (!range(vm["latency"].as<std::string>(), &lat)) return io.usage_error("invalid --latency");
  e.latency_min = lat.first;
  e.latency_max = lat.second;
  for (const auto& r : e.ranges) {
    if (e.heartbeat >= r.first) return io.usage_error("--heartbeat must be shorter than every range's minimum");
  }
  std::string why;
  if (!scenario::parse_seed(vm["seed"].as<std::string>(), &e.seed, &why)) return io.usage_error(why);

  const auto wall0 = std::chrono::steady_clock::now();
  const auto results = run_election_experiment(e);
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
    if (const int code = io.write(vm["csv"].as<std::string>(), csv); code != 0) return code;
  }
  return 0;
}


}  // namespace dsim::raft
