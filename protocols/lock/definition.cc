#include "protocols/lock/definition.h"

#include "dsim/assert.h"
#include "dsim/yaml_reader.h"
#include "protocols/lock/checkers.h"
#include "protocols/lock/lock.h"

namespace dsim::lock {
namespace {
constexpr trace::FieldType kI = trace::FieldType::kInt, kS = trace::FieldType::kString, kB = trace::FieldType::kBool;

std::string text(Duration d) { return scenario::duration_text(d); }
const std::vector<std::string_view> kBugs = {"none", "volatile_lock", "never_expire"};

class Definition final : public Protocol {
 public:
  std::string_view name() const override { return "lock"; }
  std::string_view section_schema() const override {
    return R"json({
  "type": "object",
  "additionalProperties": false,
  "patternProperties": {
    "^x-": {}
  },
  "description": "lease lock parameters",
  "properties": {
    "server": {
      "type": "string",
      "description": "the lock server node (default: the first)"
    },
    "resource": {
      "type": "string",
      "description": "the protected resource node (default: the second)"
    },
    "ttl": {
      "$ref": "#/definitions/duration",
      "description": "lease length on the server's clock (default 1s)"
    },
    "fencing": {
      "type": "boolean",
      "description": "tokens checked by the resource (default false)"
    },
    "work": {
      "$ref": "#/definitions/duration",
      "description": "a holder's critical section (default 200ms)"
    },
    "writes": {
      "type": "integer",
      "minimum": 1,
      "description": "writes to the resource per critical section (default 3)"
    },
    "rest": {
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
      "description": "pause between a client's critical sections (default [50ms, 300ms])"
    },
    "retry": {
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
      "description": "pause after a busy answer (default [20ms, 100ms])"
    },
    "drift_margin": {
      "$ref": "#/definitions/duration",
      "description": "clients end their lease this much early (default 10ms)"
    },
    "start": {
      "$ref": "#/definitions/duration",
      "description": "when clients first ask (default 10ms)"
    },
    "bug": {
      "description": "planted bug"
    }
  }
})json";
  }
  std::string_view summary() const override {
    return "a Redis-style lease lock (SET NX PX) with and without fencing tokens at the resource";
  }

  std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const override {
    Config c;
    if (section) read_section(r, *section, c);
    if (r.nodes().size() < 3) r.nodes_error("protocol lock needs at least 3 nodes: the lock server, the resource and a client");
    return make_config(c);
  }

  std::string write(const ProtocolConfig& pc, const std::vector<std::string>& nodes) const override {
    const Config& c = config_of<Config>(pc);
    return "lock: {server: " + nodes[c.server] + ", resource: " + nodes[c.resource] + ", ttl: " + text(c.ttl) +
           ", fencing: " + (c.fencing ? "true" : "false") + ", work: " + text(c.work) +
           ", writes: " + std::to_string(c.writes) + ", rest: [" + text(c.rest_min) + ", " + text(c.rest_max) +
           "], retry: [" + text(c.retry_min) + ", " + text(c.retry_max) + "], drift_margin: " + text(c.drift_margin) +
           ", start: " + text(c.start) + ", bug: " + std::string(kBugs[static_cast<size_t>(c.bug)]) + "}\n";
  }

  std::vector<std::string_view> roles() const override { return {"server", "resource", "holder", "client"}; }
  std::vector<std::string_view> bugs() const override { return kBugs; }
  std::string_view message_name(uint32_t type) const override { return message_type_name(type); }
  ReportHints report_hints() const override {
    return {"term", "term", "T",
            {{"server", "#5c6bc0"}, {"resource", "#8d6e63"}, {"holder", "#f9a825"}, {"client", "#b0bec5"}}};
  }

  NodeFactory factory(const ProtocolConfig& pc, uint32_t) const override {
    const Config cfg = config_of<Config>(pc);
    return [cfg](NodeId id) { return make_node(cfg, id); };
  }

  std::vector<trace::EventSchema> events() const override {
    std::vector<trace::EventSchema> out = {
        {"grant", {{"client", kS}, {"token", kI}, {"ttl_ns", kI}}, "the server granted the lease with a fencing token"},
        {"busy", {{"client", kS}, {"holder", kS}}, "the server refused: `holder` has the lease"},
        {"expire", {{"client", kS}, {"token", kI}}, "the holder's lease ran out at the server"},
        {"release", {{"client", kS}, {"token", kI}}, "the server took the lease back from its holder"},
    };
    for (auto& e : lock_client_events()) out.push_back(e);
    return out;
  }
  std::vector<analysis::CheckerInfo> checkers() const override { return lock_checkers(true); }
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec& spec) const override {
    if (spec.name == "mutual_exclusion") return std::make_unique<analysis::MutualExclusion>();
    return std::make_unique<analysis::LockLiveness>(spec.within_ns > 0 ? spec.within_ns : 2'000'000'000);
  }

 private:
  static void read_section(SectionReader& r, const YAML::Node& n, Config& c) {
    scenario::YamlReader& y = r.yaml();
    if (!y.check_map(n, "lock", {"server", "resource", "ttl", "fencing", "work", "writes", "rest", "retry", "drift_margin",
                                 "start", "bug"})) {
      return;
    }
    if (auto v = n["server"]) {
      if (auto id = r.node(v, "lock.server")) c.server = id->value;
    }
    if (auto v = n["resource"]) {
      if (auto id = r.node(v, "lock.resource")) c.resource = id->value;
    }
    if (c.server == c.resource) y.error(n, "'lock.server' and 'lock.resource' must be different nodes");
    r.positive(n, "lock", "ttl", &c.ttl);
    r.positive(n, "lock", "work", &c.work);
    if (auto v = n["drift_margin"]) c.drift_margin = y.duration(v, "lock.drift_margin").value_or(c.drift_margin);
    if (auto v = n["start"]) c.start = y.duration(v, "lock.start").value_or(c.start);
    if (auto v = n["fencing"]) c.fencing = y.boolean(v, "lock.fencing").value_or(false);
    if (auto v = n["writes"]) c.writes = static_cast<uint32_t>(y.integer(v, "lock.writes", 1, 1000).value_or(c.writes));
    if (auto v = n["rest"]) {
      if (auto range = y.duration_range(v, "lock.rest")) {
        c.rest_min = range->first;
        c.rest_max = range->second;
      }
    }
    if (auto v = n["retry"]) {
      if (auto range = y.duration_range(v, "lock.retry")) {
        c.retry_min = range->first;
        c.retry_max = range->second;
      }
    }
    if (auto v = n["bug"]) {
      if (auto i = r.one_of(v, "lock.bug", "planted bug for lock", kBugs)) c.bug = static_cast<Config::Bug>(*i);
    }
  }
};

}  // namespace

std::vector<analysis::CheckerInfo> lock_checkers(bool with_liveness) {
  using analysis::CheckKind;
  std::vector<analysis::CheckerInfo> out = {
      {"mutual_exclusion", CheckKind::kSafety, "the resource never accepts a write from an older lock grant after a newer one's",
       false, false, "a write the resource accepted"}};
  if (with_liveness) {
    out.push_back({"lock_liveness", CheckKind::kLiveness, "after the last fault a free lock is granted again within the bound",
                   false, false, "a grant, or a bound passed with the lock free"});
  }
  return out;
}

std::unique_ptr<Protocol> protocol() { return std::make_unique<Definition>(); }

std::vector<trace::EventSchema> lock_client_events() {
  return {
      {"acquired", {{"token", kI}}, "the client holds the lock with this token"},
      {"write", {{"token", kI}, {"seq", kI}}, "the client wrote to the resource in its critical section"},
      {"released", {{"token", kI}}, "the client released the lock"},
      {"lapsed", {{"token", kI}}, "at the end of its critical section the client noticed its lease had run out"},
      {"resource_write", {{"client", kS}, {"token", kI}, {"seq", kI}, {"accepted", kB}},
       "the fenced resource saw a write (`accepted` false: a stale token)"},
  };
}

}  // namespace dsim::lock
