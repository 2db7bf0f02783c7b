#include "protocols/maelstrom/definition.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "dsim/assert.h"
#include "dsim/yaml_reader.h"
#include "protocols/maelstrom/checkers.h"
#include "protocols/maelstrom/config.h"
#include "protocols/maelstrom/server.h"
#include "protocols/maelstrom/service.h"

namespace dsim::maelstrom {
namespace {

constexpr trace::FieldType kI = trace::FieldType::kInt, kS = trace::FieldType::kString,
                           kB = trace::FieldType::kBool;

// The section plus the node names it was read against.
struct Loaded {
  std::shared_ptr<const Config> cfg;
  std::shared_ptr<const std::vector<std::string>> names;
};

std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

int64_t real_ms(Duration d) { return d.ns / 1'000'000; }

class Definition final : public Protocol {
 public:
  std::string_view name() const override { return "maelstrom"; }
  std::string_view summary() const override {
    return "Maelstrom-protocol programs (JSON lines on stdin/stdout, any language) as nodes, with Maelstrom's "
           "workloads and checkers";
  }
  std::string_view section_schema() const override {
    return R"json({
  "type": "object",
  "properties": {
    "command": {"type": "string", "description": "the node program (looked up in PATH)"},
    "args": {"type": "array", "items": {"type": "string"}, "description": "its arguments"},
    "workload": {"enum": ["echo", "unique-ids", "broadcast", "g-counter", "pn-counter", "kafka", "lin-kv"], "description": "what the clients do (default echo)"},
    "topology": {"enum": ["grid", "line", "total", "tree"], "description": "broadcast: the topology message (default grid)"},
    "mode": {"enum": ["auto", "deterministic", "best-effort"], "description": "auto (default): deterministic when the program announces the dsim extension"},
    "timeout": {"$ref": "#/definitions/duration", "description": "a client request unanswered by then is indefinite (default 1s)"},
    "final_reads": {"$ref": "#/definitions/duration", "description": "when every server's client makes its final read (default none)"},
    "keys": {"type": "integer", "minimum": 1, "description": "kafka and lin-kv keys (default 3)"},
    "init_timeout": {"$ref": "#/definitions/duration", "description": "real time a program has to answer init (default 10s)"},
    "reply_timeout": {"$ref": "#/definitions/duration", "description": "real time a program has to finish an input (default 10s)"},
    "quiet": {"$ref": "#/definitions/duration", "description": "best-effort mode: real-time silence that ends an input (default 20ms)"},
    "log_dir": {"type": "string", "description": "where each node's stderr goes, as <log_dir>/<node>.stderr (default $TMPDIR/dsim-maelstrom)"},
    "log_limit": {"type": "integer", "minimum": 0, "description": "bytes of stderr kept per node (default 1048576)"},
    "services": {"type": "array", "items": {"enum": ["seq-kv", "lin-kv", "lww-kv"]}, "description": "the services the program calls, each also in the node list (default: the services the node list has)"}
  },
  "required": ["command"],
  "additionalProperties": false,
  "patternProperties": {"^x-": {}},
  "description": "Maelstrom node program and workload"
})json";
  }

  std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const override {
    auto& y = r.yaml();
    Config c;
    if (!section) {
      r.nodes_error("protocol maelstrom needs a `maelstrom:` section with at least `command:`");
      return nullptr;
    }
    const YAML::Node& n = *section;
    if (!y.check_map(n, "maelstrom",
                     {"command", "args", "workload", "topology", "mode", "timeout", "final_reads", "keys",
                      "init_timeout", "reply_timeout", "quiet", "log_dir", "log_limit", "services"})) {
      return nullptr;
    }
    if (y.require(n, "command", "maelstrom")) {
      if (auto s = y.string(n["command"], "maelstrom.command")) {
        if (s->empty()) r.error(n["command"], "maelstrom.command: expected a program, got an empty string");
        c.command = *s;
      }
    }
    if (auto v = n["args"]) {
      if (!v.IsSequence()) {
        r.error(v, "maelstrom.args: expected a list of strings");
      } else {
        for (size_t i = 0; i < v.size(); ++i) {
          if (auto s = y.string(v[i], "maelstrom.args[" + std::to_string(i) + "]")) c.args.push_back(*s);
        }
      }
    }
    if (auto v = n["workload"]) {
      if (auto i = r.one_of(v, "maelstrom.workload", "Maelstrom workload", workload_names())) c.workload = static_cast<Workload>(*i);
    }
    if (auto v = n["topology"]) {
      if (auto i = r.one_of(v, "maelstrom.topology", "broadcast topology", topology_names())) c.topology = static_cast<Topology>(*i);
    }
    if (auto v = n["mode"]) {
      if (auto i = r.one_of(v, "maelstrom.mode", "mode", mode_names())) c.mode = static_cast<Mode>(*i);
    }
    r.positive(n, "maelstrom", "timeout", &c.timeout);
    r.positive(n, "maelstrom", "final_reads", &c.final_reads);
    if (auto v = n["keys"]) {
      if (auto k = y.integer(v, "maelstrom.keys", 1, 1000)) c.keys = static_cast<uint32_t>(*k);
    }
    Duration d{0};
    d = milliseconds(c.init_timeout_ms);
    r.positive(n, "maelstrom", "init_timeout", &d);
    c.init_timeout_ms = real_ms(d) > 0 ? real_ms(d) : 1;
    d = milliseconds(c.reply_timeout_ms);
    r.positive(n, "maelstrom", "reply_timeout", &d);
    c.reply_timeout_ms = real_ms(d) > 0 ? real_ms(d) : 1;
    d = milliseconds(c.quiet_ms);
    r.positive(n, "maelstrom", "quiet", &d);
    c.quiet_ms = real_ms(d) > 0 ? real_ms(d) : 1;
    if (auto v = n["log_dir"]) {
      if (auto s = y.string(v, "maelstrom.log_dir")) c.log_dir = *s;
    }
    if (auto v = n["log_limit"]) {
      if (auto k = y.integer(v, "maelstrom.log_limit", 0, int64_t{1} << 40)) c.log_limit = *k;
    }
    // Layout: the servers first, then the services they may call.
    const auto& names = r.nodes();
    uint32_t servers = 0;
    bool service_seen = false;
    for (const auto& nm : names) {
      if (is_service(nm)) {
        service_seen = true;
      } else if (service_seen) {
        r.nodes_error("protocol maelstrom: the services (seq-kv, lin-kv, lww-kv) come after every server, but " + nm +
                      " follows one");
        return nullptr;
      } else {
        ++servers;
      }
    }
    if (servers == 0) {
      r.nodes_error("protocol maelstrom needs at least one server node besides the services");
      return nullptr;
    }
    c.servers = servers;
    if (auto v = n["services"]) {
      if (!v.IsSequence()) {
        r.error(v, "maelstrom.services: expected a list of services (seq-kv, lin-kv, lww-kv)");
      } else {
        for (size_t i = 0; i < v.size(); ++i) {
          if (auto k = r.one_of(v[i], "maelstrom.services", "Maelstrom service", service_names())) {
            const std::string name(service_names()[*k]);
            if (std::find(names.begin(), names.end(), name) == names.end()) {
              r.error(v[i], "maelstrom.services: " + name + " is not in the node list (add it after the servers)");
            }
            c.services.push_back(name);
          }
        }
      }
    } else {
      for (const auto& nm : names) {
        if (is_service(nm)) c.services.push_back(nm);
      }
    }
    if (!y.ok()) return nullptr;
    Loaded l{std::make_shared<const Config>(c), std::make_shared<const std::vector<std::string>>(names)};
    return make_config(l);
  }

  std::string write(const ProtocolConfig& pc, const std::vector<std::string>&) const override {
    const Config& c = *config_of<Loaded>(pc).cfg;
    std::string y = "maelstrom:\n  command: " + quoted(c.command) + "\n  args: [";
    for (size_t i = 0; i < c.args.size(); ++i) y += (i ? ", " : "") + quoted(c.args[i]);
    y += "]\n  workload: " + std::string(workload_names()[static_cast<size_t>(c.workload)]) +
         "\n  topology: " + std::string(topology_names()[static_cast<size_t>(c.topology)]) +
         "\n  mode: " + std::string(mode_names()[static_cast<size_t>(c.mode)]) +
         "\n  timeout: " + scenario::duration_text(c.timeout) + "\n";
    if (c.final_reads.ns > 0) y += "  final_reads: " + scenario::duration_text(c.final_reads) + "\n";
    y += "  services: [";
    for (size_t i = 0; i < c.services.size(); ++i) y += (i ? ", " : "") + c.services[i];
    y += "]\n  keys: " + std::to_string(c.keys) + "\n  init_timeout: " + std::to_string(c.init_timeout_ms) +
         "ms\n  reply_timeout: " + std::to_string(c.reply_timeout_ms) + "ms\n  quiet: " + std::to_string(c.quiet_ms) +
         "ms\n" + (c.log_dir.empty() ? std::string() : "  log_dir: " + quoted(c.log_dir) + "\n") + "  log_limit: " + std::to_string(c.log_limit) + "\n";
    return y;
  }

  WorkloadInputs workload() const override {
    WorkloadInputs in;
    in.kind = WorkloadInputs::Kind::kPerNode;
    in.count_key = "requests";
    in.max_count = 1'000'000;
    in.make = [](uint32_t k, uint32_t, Rng& rng) {
      Message m;
      m.type = kClientOp;
      m.f[0] = static_cast<int64_t>(k) + 1;
      m.f[1] = static_cast<int64_t>(rng.next() >> 2);
      return m;
    };
    return in;
  }

  std::vector<std::string_view> bugs() const override { return {"none"}; }
  std::string_view message_name(uint32_t type) const override {
    return type == kClientOp ? "client_op" : envelope_name(type);
  }
  uint32_t cluster_size(const ProtocolConfig& pc, uint32_t) const override { return config_of<Loaded>(pc).cfg->servers; }

  // Chosen best-effort mode is known before the run: the trace header says
  // so. In auto mode a program's answer to init decides, at run time; the
  // m_mode events and the printed warning say it then.
  bool reproducible(const ProtocolConfig& pc) const override {
    return config_of<Loaded>(pc).cfg->mode != Mode::kBestEffort;
  }

  NodeFactory factory(const ProtocolConfig& pc, uint32_t) const override {
    const Loaded l = config_of<Loaded>(pc);
    return [l](NodeId id) -> std::unique_ptr<Node> {
      if (id.value < l.cfg->servers) return make_server(l.cfg, l.names);
      return make_service();
    };
  }

  std::vector<trace::EventSchema> events() const override {
    return {
        {"m_mode", {{"mode", kS}, {"reproducible", kB}, {"workload", kS}},
         "the node's program started: deterministic (the dsim extension) or best_effort"},
        {"m_invoke", {{"op", kI}, {"client", kS}, {"f", kS}, {"final", kB}, {"body", kS}},
         "a client request written to the node's program (body: JSON)"},
        {"m_complete", {{"op", kI}, {"type", kS}, {"code", kI}, {"body", kS}},
         "its outcome: ok, fail (definite error) or info (indefinite error or timeout)"},
    };
  }

  std::vector<analysis::CheckerInfo> checkers() const override {
    return {{"maelstrom", analysis::CheckKind::kSafety,
             "the workload's Maelstrom checker (echo, unique-ids, broadcast, counters, kafka, lin-kv), with messages "
             "per operation, latency quantiles and availability",
             false, false,
             "an acknowledged operation of the workload (and an answered final read for broadcast, the counters "
             "and kafka)"}};
  }
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec&) const override {
    return maelstrom::make_checker();
  }
};

}  // namespace

std::unique_ptr<Protocol> protocol() { return std::make_unique<Definition>(); }

}  // namespace dsim::maelstrom
