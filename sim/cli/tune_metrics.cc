#include "sim/cli/tune_metrics.h"

#include <charconv>
#include <sstream>
#include <vector>

#include "analysis/tune_leader.h"
#include "analysis/tune_requests.h"

namespace dsim::cli {
namespace {

double ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// One CSV line split into fields (quoted fields may hold commas and "").
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

bool to_number(const std::string& s, double* out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// The protocol's statistics as stats.COLUMN (one row) or
// stats.LABEL.COLUMN (a row per label): every numeric column of its CSV.
void protocol_stats(const scenario::Scenario& s, const RunStats& stats, std::map<std::string, double>* metrics) {
  const std::string csv = s.def->stats_csv({LabelledStats{"run", &stats}});
  std::istringstream in(csv);
  std::string line;
  if (!std::getline(in, line)) return;
  const std::vector<std::string> head = csv_fields(line);
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(csv_fields(line));
  }
  for (const auto& row : rows) {
    const std::string prefix = rows.size() == 1 ? "stats." : "stats." + row[0] + ".";
    for (size_t i = 1; i < row.size() && i < head.size(); ++i) {
      double v = 0;
      if (to_number(row[i], &v)) (*metrics)[prefix + head[i]] = v;
    }
  }
}

}  // namespace

scenario::RunReport run_measured(const scenario::Scenario& s, const scenario::RunOptions& opt_in,
                                 std::map<std::string, double>* metrics) {
  scenario::RunOptions opt = opt_in;
  analysis::LeaderTimeline leader{std::string(s.def->report_hints().epoch_field)};
  analysis::RequestLatency requests;
  opt.observers.push_back(&leader);
  opt.observers.push_back(&requests);
  scenario::RunReport r = scenario::run_scenario(s, opt);
  auto& m = *metrics;
  for (const auto& c : r.checks) {
    m["check." + c.name + ".held"] = c.status == analysis::Status::kHeld ? 1 : 0;
    m["check." + c.name + ".violated"] = c.status == analysis::Status::kViolated ? 1 : 0;
    m["check." + c.name + ".inconclusive"] = c.status == analysis::Status::kInconclusive ? 1 : 0;
  }
  m["net.sent"] = static_cast<double>(r.counters.sent);
  m["net.dropped"] = static_cast<double>(r.counters.dropped);
  leader.finish(r.end.ns);
  if (leader.has_roles()) {
    m["leader.elections"] = static_cast<double>(leader.elections());
    m["leader.split_votes"] = static_cast<double>(leader.split_votes());
    if (leader.has_leader()) {
      m["leader.first_ms"] = ms(leader.first_ns());
      m["leader.downtime_ms"] = ms(leader.downtime_ns());
      m["leader.gap_max_ms"] = ms(leader.gap_max_ns());
    } else {
      // Never led: the worst case, not a run to leave out.
      m["leader.downtime_ms"] = ms(r.end.ns);
      m["leader.gap_max_ms"] = ms(r.end.ns);
    }
  }
  if (requests.submitted() > 0) {
    m["requests.submitted"] = static_cast<double>(requests.submitted());
    m["requests.committed"] = static_cast<double>(requests.committed());
    m["requests.committed_pct"] =
        100.0 * static_cast<double>(requests.committed()) / static_cast<double>(requests.submitted());
    m["requests.messages_per_request"] = static_cast<double>(r.counters.sent) / static_cast<double>(requests.submitted());
    if (requests.committed() > 0) {
      m["requests.latency_p50_ms"] = ms(requests.latency_ns(0.5));
      m["requests.latency_p99_ms"] = ms(requests.latency_ns(0.99));
    }
  }
  if (r.clients) {
    const analysis::ClientReport& c = *r.clients;
    const analysis::SideStats& o = c.overall;
    m["clients.ops"] = static_cast<double>(o.attempted);
    m["clients.ok"] = static_cast<double>(o.ok);
    m["clients.failed"] = static_cast<double>(o.fail);
    m["clients.unknown"] = static_cast<double>(o.info);
    if (o.attempted > 0) {
      m["clients.availability_pct"] = o.availability();
      m["clients.messages_per_op"] = static_cast<double>(r.counters.sent) / static_cast<double>(o.attempted);
    }
    if (o.p50_ns >= 0) m["clients.latency_p50_ms"] = ms(o.p50_ns);
    if (o.p99_ns >= 0) m["clients.latency_p99_ms"] = ms(o.p99_ns);
    m["clients.stale_reads"] = static_cast<double>(o.stale_reads);
    if (o.reads_ok > 0) m["clients.stale_read_pct"] = o.stale_pct();
    m["clients.lost_writes"] = static_cast<double>(c.lost_writes);
    m["clients.ryw_violations"] = static_cast<double>(c.ryw_violations);
    m["clients.monotonic_violations"] = static_cast<double>(c.monotonic_violations);
    // During partitions: every side together, and the worst side.
    uint64_t attempted = 0, ok = 0;
    double worst = 100;
    for (const auto& side : c.sides) {
      attempted += side.attempted;
      ok += side.ok;
      if (side.attempted > 0) worst = std::min(worst, side.availability());
    }
    if (attempted > 0) {
      m["clients.partition_availability_pct"] = 100.0 * static_cast<double>(ok) / static_cast<double>(attempted);
      m["clients.partition_worst_side_pct"] = worst;
    }
  }
  if (r.stats) protocol_stats(s, *r.stats, metrics);
  return r;
}

bool is_count_metric(const std::string& name) {
  return starts_with(name, "check.") &&
         (ends_with(name, ".held") || ends_with(name, ".violated") || ends_with(name, ".inconclusive"));
}

namespace {
const std::map<std::string, std::string>& fixed_docs() {
  static const std::map<std::string, std::string> kDocs = {
      {"net.sent", "messages sent by nodes over the run"},
      {"net.dropped", "messages the network dropped"},
      {"leader.elections", "times some node became leader"},
      {"leader.split_votes", "epochs (terms, ballots) with a candidate but no leader: split or lost votes"},
      {"leader.first_ms", "time to the first leader, ms"},
      {"leader.downtime_ms", "time without a leader that is up, after the first leader (the whole run if none), ms"},
      {"leader.gap_max_ms", "longest stretch without a leader after the first, ms"},
      {"requests.submitted", "requests the harness submitted (workload:)"},
      {"requests.committed", "submitted requests answered ok (committed and applied)"},
      {"requests.committed_pct", "requests answered ok / submitted, %"},
      {"requests.messages_per_request", "messages sent per submitted request"},
      {"requests.latency_p50_ms", "median time from submission to the ok answer, ms"},
      {"requests.latency_p99_ms", "p99 time from submission to the ok answer, ms"},
      {"clients.ops", "client operations attempted"},
      {"clients.ok", "client operations answered ok"},
      {"clients.failed", "client operations answered fail"},
      {"clients.unknown", "client operations with no definite answer (timeouts)"},
      {"clients.availability_pct", "ok / attempted client operations, %"},
      {"clients.messages_per_op", "messages sent per client operation"},
      {"clients.latency_p50_ms", "median latency of ok client operations, ms"},
      {"clients.latency_p99_ms", "p99 latency of ok client operations, ms"},
      {"clients.stale_reads", "ok reads that missed a write acknowledged before they began"},
      {"clients.stale_read_pct", "stale reads / ok reads, %"},
      {"clients.lost_writes", "acknowledged writes the final state lost"},
      {"clients.ryw_violations", "reads older than the client's own last acknowledged write"},
      {"clients.monotonic_violations", "reads older than the client's previous read"},
      {"clients.partition_availability_pct", "ok / attempted operations while a partition is in force, %"},
      {"clients.partition_worst_side_pct", "availability of the worst side of a partition, %"},
  };
  return kDocs;
}
}  // namespace

bool is_known_metric(const std::string& name) { return fixed_docs().count(name) > 0; }

std::string metric_doc(const std::string& name) {
  const auto& kDocs = fixed_docs();
  if (auto it = kDocs.find(name); it != kDocs.end()) return it->second;
  if (starts_with(name, "check.")) {
    const size_t dot = name.rfind('.');
    return "1 on a seed where check " + name.substr(6, dot - 6) + " was " + name.substr(dot + 1) +
           "; shown as the number of such seeds";
  }
  if (starts_with(name, "stats.")) return "the protocol's statistic " + name.substr(6) + " (dsim compare shows it)";
  return "";
}

}  // namespace dsim::cli
