#include "protocols/coord/definition.h"

#include "dsim/assert.h"
#include "dsim/yaml_reader.h"
#include "protocols/coord/checkers.h"
#include "protocols/coord/coord.h"
#include "protocols/lock/lock.h"
#include "protocols/raft/raft.h"
#include "protocols/lock/checkers.h"
#include "protocols/lock/definition.h"
#include "protocols/raft/definition.h"

namespace dsim::coord {
namespace {
constexpr trace::FieldType kI = trace::FieldType::kInt, kS = trace::FieldType::kString, kB = trace::FieldType::kBool;

std::string text(Duration d) { return scenario::duration_text(d); }
const std::vector<std::string_view> kBugs = {"none", "keep_ephemerals"};

class Definition final : public Protocol {
 public:
  std::string_view name() const override { return "coord"; }
  std::string_view section_schema() const override {
    return R"json({
  "type": "object",
  "additionalProperties": false,
  "patternProperties": {
    "^x-": {}
  },
  "description": "ZooKeeper-style coordination service on Raft, and its clients",
  "properties": {
    "servers": {
      "type": "integer",
      "minimum": 1,
      "description": "servers (the first nodes; default 3)"
    },
    "instances": {
      "type": "integer",
      "minimum": 0,
      "description": "service instances registering under /services/svc (default 2)"
    },
    "watchers": {
      "type": "integer",
      "minimum": 0,
      "description": "discovery clients watching /services/svc (default 2)"
    },
    "lockers": {
      "type": "integer",
      "minimum": 0,
      "description": "lock recipe clients; with any, the last node is the resource (default 0)"
    },
    "session_timeout": {
      "$ref": "#/definitions/duration",
      "description": "a session not heard from this long expires (default 600ms)"
    },
    "heartbeat": {
      "$ref": "#/definitions/duration",
      "description": "clients' session heartbeat (default 150ms)"
    },
    "request_timeout": {
      "$ref": "#/definitions/duration",
      "description": "clients ask again after this (default 300ms)"
    },
    "poll": {
      "$ref": "#/definitions/duration",
      "description": "watchers ping their server this often; no answer within request_timeout: disconnected (default 200ms)"
    },
    "fencing": {
      "type": "boolean",
      "description": "lock recipe: the resource checks the lock node's sequence number (default false)"
    },
    "work": {
      "$ref": "#/definitions/duration",
      "description": "lock recipe critical section (default 800ms)"
    },
    "writes": {
      "type": "integer",
      "minimum": 1,
      "description": "writes per critical section (default 8)"
    },
    "election_timeout": {
      "oneOf": [
        {
          "$ref": "#/definitions/duration"
        },
        {
          "type": "array",
          "items": {
            "$ref": "#/definitions/duration"
          },
          "minItems": 2,
          "maxItems": 2
        }
      ],
      "description": "Raft election timeout (default [150ms, 300ms])"
    },
    "bug": {
      "description": "planted bug"
    }
  }
})json";
  }
  std::string_view summary() const override {
    return "a ZooKeeper-style coordination service on Raft: sessions, ephemeral nodes, watches, service discovery, "
           "the recipe lock";
  }

  std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const override {
    Config c;
    if (section) read_section(r, *section, c);
    const size_t want = c.servers + c.instances + c.watchers + c.lockers + (c.lockers > 0 ? 1 : 0);
    if (r.nodes().size() != want) {
      r.nodes_error("protocol coord needs " + std::to_string(want) + " nodes: " + std::to_string(c.servers) + " servers, " +
                    std::to_string(c.instances) + " instances, " + std::to_string(c.watchers) + " watchers, " +
                    std::to_string(c.lockers) + " lock clients" + (c.lockers ? " and the resource (last)" : "") +
                    ", in that order; the scenario has " + std::to_string(r.nodes().size()));
    }
    return make_config(c);
  }

  std::string write(const ProtocolConfig& pc, const std::vector<std::string>&) const override {
    const Config& c = config_of<Config>(pc);
    return "coord: {servers: " + std::to_string(c.servers) + ", instances: " + std::to_string(c.instances) +
           ", watchers: " + std::to_string(c.watchers) + ", lockers: " + std::to_string(c.lockers) +
           ", session_timeout: " + text(c.session_timeout) + ", heartbeat: " + text(c.heartbeat) +
           ", request_timeout: " + text(c.request_timeout) + ", poll: " + text(c.poll) +
           ", fencing: " + (c.fencing ? "true" : "false") + ", work: " + text(c.work) +
           ", writes: " + std::to_string(c.writes) + ", election_timeout: [" + text(c.raft.election_min) + ", " +
           text(c.raft.election_max) + "], bug: " + std::string(kBugs[static_cast<size_t>(c.bug)]) + "}\n";
  }

  std::vector<std::string_view> roles() const override {
    return {"leader", "follower", "candidate", "pre_candidate", "instance", "watcher", "holder", "client", "resource"};
  }
  std::vector<std::string_view> bugs() const override { return kBugs; }
  ReportHints report_hints() const override {
    return {"term", "term", "T",
            {{"instance", "#26a69a"}, {"watcher", "#90a4ae"}, {"holder", "#f9a825"}, {"client", "#b0bec5"},
             {"resource", "#8d6e63"}}};
  }
  // Raft's messages between the servers, the service's with its clients,
  // and the lock resource's with the lock clients: one table.
  std::string_view message_name(uint32_t type) const override {
    std::string_view n = message_type_name(type);
    if (n.empty()) n = raft::message_type_name(type);
    if (n.empty()) n = lock::message_type_name(type);
    return n;
  }

  NodeFactory factory(const ProtocolConfig& pc, uint32_t nodes) const override {
    const Config cfg = config_of<Config>(pc);
    return [cfg, nodes](NodeId id) { return make_node(cfg, id, nodes); };
  }
  // The servers; the other nodes are the service's clients.
  uint32_t cluster_size(const ProtocolConfig& pc, uint32_t) const override { return config_of<Config>(pc).servers; }

  std::vector<trace::EventSchema> events() const override {
    std::vector<trace::EventSchema> out = raft::raft_events();  // the servers replicate with Raft
    for (auto e : std::vector<trace::EventSchema>{
             {"session_opened", {{"session", kI}, {"client", kS}, {"index", kI}}, "the leader applied a new session"},
             {"session_expired", {{"session", kI}, {"client", kS}, {"index", kI}}, "the leader expired a session"},
             {"znode_created", {{"path", kS}, {"session", kI}, {"index", kI}},
              "a znode was created (`session` 0: persistent)"},
             {"znode_deleted", {{"path", kS}, {"why", kS}, {"index", kI}}, "a znode was deleted, and why"},
             {"registered", {{"path", kS}, {"session", kI}}, "an instance registered itself"},
             {"view", {{"members", kS}, {"connected", kB}}, "a watcher's view of the members (comma-separated)"},
         }) {
      out.push_back(e);
    }
    for (auto& e : lock::lock_client_events()) out.push_back(e);
    return out;
  }
  std::vector<analysis::CheckerInfo> checkers() const override {
    using analysis::CheckKind;
    auto out = raft::raft_checkers(false);
    analysis::CheckerInfo safety{"discovery_safety", CheckKind::kSafety,
                                 "no watcher lists an instance dead (session expired) for longer than the bound"};
    safety.bounded_safety = true;
    safety.evidence = "a watcher's view";
    out.push_back(safety);
    out.push_back({"discovery_liveness", CheckKind::kLiveness,
                   "after the last fault registrations reach every watcher within the bound; views end exact", false,
                   false, "the bound expired, a watcher's view, and a registration due in a connected watcher's view"});
    for (const auto& c : lock::lock_checkers(false)) out.push_back(c);
    return out;
  }
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec& spec) const override {
    if (spec.name == "discovery_safety") {
      return std::make_unique<analysis::DiscoverySafety>(spec.within_ns > 0 ? spec.within_ns : 1'000'000'000);
    }
    if (spec.name == "discovery_liveness") {
      return std::make_unique<analysis::DiscoveryLiveness>(spec.within_ns > 0 ? spec.within_ns : 2'000'000'000);
    }
    if (spec.name == "mutual_exclusion") return std::make_unique<analysis::MutualExclusion>();
    return raft::make_raft_checker(spec);
  }

 private:
  static void read_section(SectionReader& r, const YAML::Node& n, Config& c) {
    scenario::YamlReader& y = r.yaml();
    if (!y.check_map(n, "coord", {"servers", "instances", "watchers", "lockers", "session_timeout", "heartbeat",
                                  "request_timeout", "poll", "fencing", "work", "writes", "election_timeout", "bug"})) {
      return;
    }
    c.raft.check_quorum = true;
    auto count = [&](const char* key, uint32_t* out, int64_t min) {
      if (auto v = n[key]) *out = static_cast<uint32_t>(y.integer(v, std::string("coord.") + key, min, 1000).value_or(*out));
    };
    count("servers", &c.servers, 1);
    count("instances", &c.instances, 0);
    count("watchers", &c.watchers, 0);
    count("lockers", &c.lockers, 0);
    count("writes", &c.writes, 1);
    for (const char* key : {"session_timeout", "heartbeat", "request_timeout", "poll", "work"}) {
      Duration* out = std::string_view(key) == "session_timeout" ? &c.session_timeout
                      : std::string_view(key) == "heartbeat"     ? &c.heartbeat
                      : std::string_view(key) == "request_timeout" ? &c.request_timeout
                      : std::string_view(key) == "poll"          ? &c.poll
                                                                 : &c.work;
      r.positive(n, "coord", key, out);
    }
    if (c.heartbeat >= c.session_timeout) {
      y.error(n, "'coord.heartbeat' (" + analysis::format_time(c.heartbeat.ns) +
                     ") must be shorter than the session timeout (" + analysis::format_time(c.session_timeout.ns) +
                     "), or healthy sessions expire");
    }
    if (auto v = n["fencing"]) c.fencing = y.boolean(v, "coord.fencing").value_or(false);
    if (auto v = n["election_timeout"]) {
      if (auto range = y.duration_range(v, "coord.election_timeout")) {
        c.raft.election_min = range->first;
        c.raft.election_max = range->second;
        c.raft.heartbeat = Duration{range->first.ns / 3};
      }
    }
    if (auto v = n["bug"]) {
      if (auto i = r.one_of(v, "coord.bug", "planted bug for coord", kBugs)) c.bug = static_cast<Config::Bug>(*i);
    }
  }
};

}  // namespace

std::unique_ptr<Protocol> protocol() { return std::make_unique<Definition>(); }

}  // namespace dsim::coord
