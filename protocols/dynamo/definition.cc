#include "protocols/dynamo/definition.h"

#include "dsim/assert.h"
#include "dsim/kv.h"
#include "dsim/yaml_reader.h"
#include "protocols/dynamo/dynamo.h"

namespace dsim::dynamo {
namespace {
constexpr trace::FieldType kI = trace::FieldType::kInt, kS = trace::FieldType::kString;

std::string text(Duration d) { return scenario::duration_text(d); }
const std::vector<std::string_view> kVersioning = {"lww", "vector_clock"};  // Config::Versioning order

class Definition final : public Protocol {
 public:
  std::string_view name() const override { return "dynamo"; }
  std::string_view section_schema() const override {
    return R"json({
  "type": "object",
  "additionalProperties": false,
  "patternProperties": {
    "^x-": {}
  },
  "description": "Dynamo-style AP store parameters",
  "properties": {
    "n": {
      "type": "integer",
      "minimum": 1,
      "description": "replicas per key (default 3)"
    },
    "r": {
      "type": "integer",
      "minimum": 1,
      "description": "replies a read waits for (default 2)"
    },
    "w": {
      "type": "integer",
      "minimum": 1,
      "description": "acknowledgements a write waits for (default 2)"
    },
    "vnodes": {
      "type": "integer",
      "minimum": 1,
      "description": "virtual nodes per server on the ring (default 16)"
    },
    "request_timeout": {
      "$ref": "#/definitions/duration",
      "description": "how long a coordinator waits before falling back / giving up (default 100ms)"
    },
    "handoff_interval": {
      "$ref": "#/definitions/duration",
      "description": "how often hints are handed back (default 200ms)"
    },
    "anti_entropy": {
      "description": "anti-entropy period (default 1s), or false",
      "oneOf": [
        {
          "$ref": "#/definitions/duration"
        },
        {
          "const": false
        }
      ]
    },
    "read_repair": {
      "type": "boolean",
      "description": "repair stale replicas after a read (default true)"
    },
    "hinted_handoff": {
      "type": "boolean",
      "description": "sloppy quorum with hinted handoff (default true)"
    },
    "versioning": {
      "enum": [
        "lww",
        "vector_clock"
      ],
      "description": "version order (default lww)"
    }
  }
})json";
  }
  std::string_view summary() const override {
    return "a Dynamo-style AP store: consistent hashing, N/R/W quorums, read repair, hinted handoff, anti-entropy";
  }

  std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const override {
    Config c;
    if (section) read_section(r, *section, c);
    return make_config(c);
  }

  std::string write(const ProtocolConfig& pc, const std::vector<std::string>&) const override {
    const Config& c = config_of<Config>(pc);
    return "dynamo: {n: " + std::to_string(c.n) + ", r: " + std::to_string(c.r) + ", w: " + std::to_string(c.w) +
           ", vnodes: " + std::to_string(c.vnodes) + ", request_timeout: " + text(c.request_timeout) +
           ", handoff_interval: " + text(c.handoff_interval) + ", anti_entropy: " +
           (c.anti_entropy.ns > 0 ? text(c.anti_entropy) : std::string("false")) +
           ", read_repair: " + (c.read_repair ? "true" : "false") +
           ", hinted_handoff: " + (c.hinted_handoff ? "true" : "false") +
           ", versioning: " + std::string(kVersioning[static_cast<size_t>(c.versioning)]) + "}\n";
  }

  bool accepts_clients() const override { return true; }
  std::string_view message_name(uint32_t type) const override {
    const std::string_view n = message_type_name(type);
    return n.empty() ? kv::message_type_name(type) : n;
  }

  NodeFactory factory(const ProtocolConfig& pc, uint32_t) const override {
    const Config cfg = config_of<Config>(pc);
    return [cfg](NodeId) { return make_node(cfg); };
  }

  // Only the clients' history is judged (linearizable, from the registry).
  std::vector<trace::EventSchema> events() const override {
    return {
        {"store", {{"key", kS}, {"value", kS}, {"version", kI}, {"siblings", kI}},
         "a replica took a newer version (`siblings`: concurrent versions kept)"},
        {"siblings", {{"key", kS}, {"count", kI}}, "a read found concurrent versions"},
        {"hint", {{"key", kS}, {"for", kS}}, "a replica keeps a write for a node that is down (hinted handoff)"},
        {"handoff", {{"key", kS}, {"to", kS}}, "a hinted write was handed to its node"},
        {"repair", {{"key", kS}, {"to", kS}}, "read repair sent a newer version to a stale replica"},
    };
  }
  std::vector<analysis::CheckerInfo> checkers() const override { return {}; }
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec&) const override {
    DSIM_ASSERT_MSG(false, "dynamo has no checkers of its own");
    return nullptr;
  }

 private:
  static void read_section(SectionReader& rd, const YAML::Node& n, Config& c) {
    scenario::YamlReader& y = rd.yaml();
    if (!y.check_map(n, "dynamo", {"n", "r", "w", "vnodes", "request_timeout", "handoff_interval", "anti_entropy",
                                   "read_repair", "hinted_handoff", "versioning"})) {
      return;
    }
    const auto servers = static_cast<int64_t>(std::max<size_t>(rd.nodes().size(), 1));
    if (auto v = n["n"]) c.n = static_cast<uint32_t>(y.integer(v, "dynamo.n", 1, servers).value_or(c.n));
    if (auto v = n["r"]) c.r = static_cast<uint32_t>(y.integer(v, "dynamo.r", 1, 1000).value_or(c.r));
    if (auto v = n["w"]) c.w = static_cast<uint32_t>(y.integer(v, "dynamo.w", 1, 1000).value_or(c.w));
    if (c.r > c.n) {
      y.error(n["r"] ? n["r"] : n, "'dynamo.r' (" + std::to_string(c.r) + ") is more than dynamo.n (" + std::to_string(c.n) + ")");
    }
    if (c.w > c.n) {
      y.error(n["w"] ? n["w"] : n, "'dynamo.w' (" + std::to_string(c.w) + ") is more than dynamo.n (" + std::to_string(c.n) + ")");
    }
    if (auto v = n["vnodes"]) c.vnodes = static_cast<uint32_t>(y.integer(v, "dynamo.vnodes", 1, 4096).value_or(c.vnodes));
    rd.positive(n, "dynamo", "request_timeout", &c.request_timeout);
    rd.positive(n, "dynamo", "handoff_interval", &c.handoff_interval);
    if (auto v = n["anti_entropy"]) {
      if (v.IsScalar() && v.Scalar() == "false") c.anti_entropy = Duration{0};
      else rd.positive(n, "dynamo", "anti_entropy", &c.anti_entropy);
    }
    if (auto v = n["read_repair"]) c.read_repair = y.boolean(v, "dynamo.read_repair").value_or(true);
    if (auto v = n["hinted_handoff"]) c.hinted_handoff = y.boolean(v, "dynamo.hinted_handoff").value_or(true);
    if (auto v = n["versioning"]) {
      if (auto i = rd.one_of(v, "dynamo.versioning", "versioning", kVersioning)) {
        c.versioning = static_cast<Config::Versioning>(*i);
      }
    }
  }
};

}  // namespace

std::unique_ptr<Protocol> protocol() { return std::make_unique<Definition>(); }

}  // namespace dsim::dynamo
