#include "protocols/lb/definition.h"

#include <algorithm>
#include <cstdio>

#include "dsim/text.h"
#include "dsim/assert.h"
#include "dsim/yaml_reader.h"
#include "protocols/lb/hashing.h"
#include "protocols/lb/lb.h"
#include "protocols/lb/stats.h"

namespace dsim::lb {

int hashing_cli(const std::vector<std::string>& args, const ExperimentIo& io);
const analysis::LbReport* report_of(const RunStats* stats);

namespace {
constexpr trace::FieldType kI = trace::FieldType::kInt, kS = trace::FieldType::kString, kB = trace::FieldType::kBool;

std::string text(Duration d) { return scenario::duration_text(d); }
std::string where_at(std::string_view list, size_t i) { return std::string(list) + "[" + std::to_string(i) + "]"; }

// The section: the run's config, and the policies `dsim run` compares (the
// variants; config.policy is the one a run uses).
struct Section {
  Config config;
  std::vector<std::string> policies;
};

class Stats final : public RunStats {
 public:
  Stats(std::vector<std::string> backends, std::vector<int64_t> weights) : stats_(std::move(backends), std::move(weights)) {}
  void consume(const trace::Event& e) override { stats_.consume(e); }
  std::vector<std::string_view> kinds() const override { return stats_.kinds(); }
  void finish() override { report = stats_.finish(); }
  analysis::LbReport report;

 private:
  analysis::LbStats stats_;
};

std::string ms(int64_t ns) {
  if (ns < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fms", static_cast<double>(ns) / 1e6);
  return buf;
}

const analysis::LbReport* report_of(const LabelledStats& l) { return lb::report_of(l.stats); }

class Definition final : public Protocol {
 public:
  std::string_view name() const override { return "lb"; }
  std::string_view section_schema() const override {
    return R"json({
  "type": "object",
  "additionalProperties": false,
  "patternProperties": {
    "^x-": {}
  },
  "description": "load balancing: backends, a proxy (server side) and clients",
  "properties": {
    "backends": {
      "type": "integer",
      "minimum": 1,
      "description": "backends (the first nodes; default 4)"
    },
    "clients": {
      "type": "integer",
      "minimum": 1,
      "description": "open-loop clients (the last nodes; default 20)"
    },
    "weights": {
      "type": "array",
      "items": {
        "type": "integer",
        "minimum": 1
      },
      "description": "per backend capacity: service time / weight (default all 1)"
    },
    "service": {
      "$ref": "#/definitions/duration",
      "description": "mean service time at weight 1, exponential (default 10ms)"
    },
    "concurrency": {
      "type": "integer",
      "minimum": 1,
      "description": "requests a backend serves at once (default 4)"
    },
    "queue": {
      "type": "integer",
      "minimum": 0,
      "description": "requests a backend queues beyond that; more are rejected (default 64)"
    },
    "policy": {
      "enum": [
        "round_robin",
        "random",
        "weighted_round_robin",
        "least_outstanding",
        "power_of_two",
        "consistent_hash",
        "bounded_load_hash"
      ],
      "description": "the policy (or give policies)"
    },
    "policies": {
      "type": "array",
      "items": {
        "enum": [
          "round_robin",
          "random",
          "weighted_round_robin",
          "least_outstanding",
          "power_of_two",
          "consistent_hash",
          "bounded_load_hash"
        ]
      },
      "minItems": 1,
      "description": "policies to compare on the same seed and workload"
    },
    "vnodes": {
      "type": "integer",
      "minimum": 1,
      "description": "virtual nodes per backend for hashing (default 100)"
    },
    "bound": {
      "type": "number",
      "minimum": 1,
      "description": "bounded_load_hash: at most bound x the mean load per backend (default 1.25)"
    },
    "client_side": {
      "type": "boolean",
      "description": "clients pick backends themselves (no proxy; default false)"
    },
    "rate": {
      "type": "number",
      "exclusiveMinimum": 0,
      "description": "requests per second per client (default 20)"
    },
    "keys": {
      "type": "integer",
      "minimum": 0,
      "description": "0: every request its own key; else keys 0..keys-1 (default 0)"
    },
    "timeout": {
      "$ref": "#/definitions/duration",
      "description": "a request unanswered this long is retried elsewhere or fails (default 500ms)"
    },
    "retries": {
      "type": "integer",
      "minimum": 0,
      "description": "retries after a timeout or rejection (default 1)"
    },
    "health_interval": {
      "$ref": "#/definitions/duration",
      "description": "proxy health-check period (default 100ms)"
    },
    "health_failures": {
      "type": "integer",
      "minimum": 1,
      "description": "missed checks before a backend is out (default 3)"
    },
    "eject": {
      "$ref": "#/definitions/duration",
      "description": "client side: how long a backend that timed out is avoided (default 500ms)"
    },
    "slowdowns": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "backend",
          "at",
          "for"
        ],
        "properties": {
          "backend": {
            "type": "string"
          },
          "at": {
            "$ref": "#/definitions/duration"
          },
          "for": {
            "$ref": "#/definitions/duration"
          },
          "factor": {
            "type": "integer",
            "minimum": 1
          }
        }
      },
      "description": "gray failures: a backend serves factor times slower for a while"
    },
    "start": {
      "$ref": "#/definitions/duration",
      "description": "clients' first request (default 10ms)"
    }
  }
})json";
  }
  std::string_view summary() const override {
    return "load balancing: backends, a proxy with health checks and retries or client-side balancing, seven policies";
  }

  std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const override {
    Section s;
    if (section) read_section(r, *section, s);
    if (s.policies.empty()) s.policies = {s.config.policy};
    s.config.policy = s.policies.front();
    const Config& c = s.config;
    const size_t want = c.backends + (c.client_side ? 0 : 1) + c.clients;
    if (r.nodes().size() != want) {
      r.nodes_error("protocol lb needs " + std::to_string(want) + " nodes: " + std::to_string(c.backends) + " backends, " +
                    (c.client_side ? std::string() : std::string("the proxy, ")) + std::to_string(c.clients) +
                    " clients, in that order (nodes: " + std::to_string(want) + " names them n1..); the scenario has " +
                    std::to_string(r.nodes().size()));
    }
    return make_config(s);
  }

  std::string write(const ProtocolConfig& pc, const std::vector<std::string>& nodes) const override {
    const Section& s = config_of<Section>(pc);
    const Config& c = s.config;
    char num[64];
    std::string y = "lb:\n  backends: " + std::to_string(c.backends) + "\n  clients: " + std::to_string(c.clients) + "\n";
    if (!c.weights.empty()) {
      y += "  weights: [";
      for (size_t i = 0; i < c.weights.size(); ++i) y += (i ? ", " : "") + std::to_string(c.weights[i]);
      y += "]\n";
    }
    y += "  service: " + text(c.service) + "\n  concurrency: " + std::to_string(c.concurrency) +
         "\n  queue: " + std::to_string(c.queue) + "\n  vnodes: " + std::to_string(c.vnodes) + "\n";
    std::snprintf(num, sizeof num, "%.17g", c.bound);
    y += std::string("  bound: ") + num + "\n  client_side: " + (c.client_side ? "true" : "false") + "\n";
    std::snprintf(num, sizeof num, "%.17g", c.rate);
    y += std::string("  rate: ") + num + "\n  keys: " + std::to_string(c.keys) + "\n  timeout: " + text(c.timeout) +
         "\n  retries: " + std::to_string(c.retries) + "\n  health_interval: " + text(c.health_interval) +
         "\n  health_failures: " + std::to_string(c.health_failures) + "\n  eject: " + text(c.eject) +
         "\n  start: " + text(c.start) + "\n  policies: [";
    for (size_t i = 0; i < s.policies.size(); ++i) y += (i ? ", " : "") + s.policies[i];
    y += "]\n";
    if (!c.slowdowns.empty()) {
      y += "  slowdowns:\n";
      for (const auto& sd : c.slowdowns) {
        y += "    - {backend: " + nodes[sd.backend] + ", at: " + text(sd.at) + ", for: " + text(sd.for_) +
             ", factor: " + std::to_string(sd.factor) + "}\n";
      }
    }
    return y;
  }

  std::vector<std::string_view> roles() const override { return {"backend", "proxy", "client"}; }
  std::string_view message_name(uint32_t type) const override { return message_type_name(type); }
  ReportHints report_hints() const override {
    return {"term", "term", "T", {{"backend", "#26a69a"}, {"proxy", "#5c6bc0"}, {"client", "#b0bec5"}}};
  }

  NodeFactory factory(const ProtocolConfig& pc, uint32_t) const override {
    auto cfg = std::make_shared<const Config>(config_of<Section>(pc).config);
    return [cfg](NodeId id) { return make_node(cfg, id); };
  }

  // The comparison is in the statistics; there is nothing to check.
  std::vector<trace::EventSchema> events() const override {
    return {
        {"lb_done", {{"latency_ns", kI}, {"ok", kB}, {"retries", kI}}, "a client's request finished"},
        {"served", {{"origin", kI}}, "a backend finished a request"},
        {"rejected", {}, "a backend's queue was full"},
        {"slow", {{"factor", kI}}, "a backend's service time changed by `factor` (1: back to normal)"},
        {"health", {{"backend", kS}, {"up", kB}}, "the proxy's health check changed its view of a backend"},
    };
  }
  std::vector<analysis::CheckerInfo> checkers() const override { return {}; }
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec&) const override {
    DSIM_ASSERT_MSG(false, "lb has no checkers");
    return nullptr;
  }

  std::vector<std::string> variants(const ProtocolConfig& pc) const override { return config_of<Section>(pc).policies; }
  std::shared_ptr<const ProtocolConfig> with_variant(const ProtocolConfig& pc, size_t i) const override {
    Section s = config_of<Section>(pc);
    DSIM_ASSERT(i < s.policies.size());
    s.config.policy = s.policies[i];
    return make_config(s);
  }

  std::unique_ptr<RunStats> stats(const ProtocolConfig& pc, const std::vector<std::string>& nodes) const override {
    const Config& c = config_of<Section>(pc).config;
    return std::make_unique<Stats>(std::vector<std::string>(nodes.begin(), nodes.begin() + c.backends), c.all_weights());
  }

  std::string stats_table(const std::vector<LabelledStats>& runs) const override {
    std::string out;
    char line[512];
    std::snprintf(line, sizeof line, "%-40s %9s %9s %7s %7s %9s %9s %9s %9s %8s %6s\n", "policy", "requests", "ok",
                  "errors", "retries", "p50", "p90", "p99", "p99.9", "max/mean", "CoV");
    out += line;
    for (const auto& run : runs) {
      const auto* l = report_of(run);
      if (!l) continue;
      std::snprintf(line, sizeof line, "%-40s %9llu %9llu %7llu %7llu %9s %9s %9s %9s %8.2f %6.3f\n", run.label.c_str(),
                    static_cast<unsigned long long>(l->requests), static_cast<unsigned long long>(l->ok),
                    static_cast<unsigned long long>(l->errors), static_cast<unsigned long long>(l->retries),
                    ms(l->p50_ns).c_str(), ms(l->p90_ns).c_str(), ms(l->p99_ns).c_str(), ms(l->p999_ns).c_str(),
                    l->max_over_mean, l->cov);
      out += line;
    }
    return out;
  }

  std::string stats_csv(const std::vector<LabelledStats>& runs) const override {
    std::string out = "policy,requests,ok,errors,retries,p50_ms,p90_ms,p99_ms,p999_ms,max_over_mean,cov,served_per_backend\n";
    for (const auto& run : runs) {
      const auto* l = report_of(run);
      if (!l) continue;
      std::string served;
      for (const auto& [b, n] : l->served) served += (served.empty() ? "" : " ") + b + "=" + std::to_string(n);
      char line[512];
      std::snprintf(line, sizeof line, "%s,%llu,%llu,%llu,%llu,%.3f,%.3f,%.3f,%.3f,%.4f,%.4f,", csv_field(run.label).c_str(),
                    static_cast<unsigned long long>(l->requests), static_cast<unsigned long long>(l->ok),
                    static_cast<unsigned long long>(l->errors), static_cast<unsigned long long>(l->retries),
                    static_cast<double>(l->p50_ns) / 1e6, static_cast<double>(l->p90_ns) / 1e6,
                    static_cast<double>(l->p99_ns) / 1e6, static_cast<double>(l->p999_ns) / 1e6, l->max_over_mean, l->cov);
      out += line;
      out += csv_field(served) + "\n";
    }
    return out;
  }

  std::string stats_series_csv(const std::vector<LabelledStats>& runs) const override {
    std::string out = "policy,backend,second,served\n";
    for (const auto& run : runs) {
      const auto* l = report_of(run);
      if (!l) continue;
      for (const auto& [b, v] : l->per_second) {
        for (size_t s = 0; s < v.size(); ++s) {
          out += csv_field(run.label) + "," + b + "," + std::to_string(s) + "," + std::to_string(v[s]) + "\n";
        }
      }
    }
    return out;
  }

  std::vector<Experiment> experiments() const override {
    return {{"hashing", "consistent hashing: key spread and keys moved on a join or leave, against theory", hashing_cli}};
  }

 private:
  static void read_section(SectionReader& r, const YAML::Node& n, Section& s) {
    scenario::YamlReader& y = r.yaml();
    if (!y.check_map(n, "lb", {"backends", "clients", "weights", "service", "concurrency", "queue", "policy", "policies",
                               "vnodes", "bound", "client_side", "rate", "keys", "timeout", "retries", "health_interval",
                               "health_failures", "eject", "slowdowns", "start"})) {
      return;
    }
    Config& c = s.config;
    auto count = [&](const char* key, uint32_t* out, int64_t min, int64_t max) {
      if (auto v = n[key]) *out = static_cast<uint32_t>(y.integer(v, std::string("lb.") + key, min, max).value_or(*out));
    };
    count("backends", &c.backends, 1, 1'000'000);
    count("clients", &c.clients, 1, 10'000'000);
    count("concurrency", &c.concurrency, 1, 1'000'000);
    count("queue", &c.queue, 0, 10'000'000);
    count("vnodes", &c.vnodes, 1, 10'000);
    count("keys", &c.keys, 0, 1'000'000'000);
    count("retries", &c.retries, 0, 100);
    count("health_failures", &c.health_failures, 1, 1000);
    r.positive(n, "lb", "service", &c.service);
    r.positive(n, "lb", "timeout", &c.timeout);
    r.positive(n, "lb", "health_interval", &c.health_interval);
    r.positive(n, "lb", "eject", &c.eject);
    if (auto v = n["start"]) c.start = y.duration(v, "lb.start").value_or(c.start);
    if (auto v = n["client_side"]) c.client_side = y.boolean(v, "lb.client_side").value_or(false);
    r.number(n, "lb", "rate", 0.001, 1e9, &c.rate);
    r.number(n, "lb", "bound", 1.0, 100.0, &c.bound);
    if (auto v = n["weights"]) {
      if (!v.IsSequence() || v.size() != c.backends) {
        y.error(v, "'lb.weights' must list one weight per backend (" + std::to_string(c.backends) + ")");
      } else {
        for (size_t i = 0; i < v.size(); ++i) {
          c.weights.push_back(y.integer(v[i], where_at("lb.weights", i), 1, 1'000'000).value_or(1));
        }
      }
    }
    auto policy = [&](const YAML::Node& v, const std::string& where) -> std::optional<std::string> {
      const auto& names = policy_names();
      auto i = r.one_of(v, where, "policy", names);
      if (!i) return std::nullopt;
      return std::string(names[*i]);
    };
    if (n["policy"] && n["policies"]) y.error(n["policies"], "give 'lb.policy' or 'lb.policies', not both");
    if (auto v = n["policy"]) {
      if (auto p = policy(v, "lb.policy")) s.policies = {*p};
    }
    if (auto v = n["policies"]) {
      if (!v.IsSequence() || v.size() == 0) {
        y.error(v, "'lb.policies' must be a non-empty list of policies");
      } else {
        for (size_t i = 0; i < v.size(); ++i) {
          if (auto p = policy(v[i], where_at("lb.policies", i))) s.policies.push_back(*p);
        }
      }
    }
    if (auto v = n["slowdowns"]) {
      if (!v.IsSequence()) {
        y.error(v, "'lb.slowdowns' must be a list of {backend, at, for, factor}");
      } else {
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string where = where_at("lb.slowdowns", i);
          if (!y.check_map(v[i], where, {"backend", "at", "for", "factor"})) continue;
          Slowdown sd;
          if (y.require(v[i], "backend", where)) {
            if (auto id = r.node(v[i]["backend"], where + ".backend")) {
              if (id->value >= c.backends) y.error(v[i]["backend"], "'" + where + ".backend' must be one of the backends");
              sd.backend = id->value;
            }
          }
          if (y.require(v[i], "at", where)) sd.at = y.duration(v[i]["at"], where + ".at").value_or(Duration{0});
          if (y.require(v[i], "for", where)) sd.for_ = y.duration(v[i]["for"], where + ".for").value_or(Duration{0});
          if (auto f = v[i]["factor"]) sd.factor = y.integer(f, where + ".factor", 1, 1'000'000).value_or(10);
          c.slowdowns.push_back(sd);
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Protocol> protocol() { return std::make_unique<Definition>(); }

const analysis::LbReport* report_of(const RunStats* stats) {
  const auto* s = dynamic_cast<const Stats*>(stats);
  return s ? &s->report : nullptr;
}

}  // namespace dsim::lb
