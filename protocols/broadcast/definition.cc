#include "protocols/broadcast/definition.h"

#include "protocols/broadcast/broadcast.h"
#include "protocols/broadcast/checkers.h"
#include "dsim/assert.h"
#include "dsim/yaml_reader.h"

namespace dsim::broadcast {
namespace {
constexpr trace::FieldType kI = trace::FieldType::kInt, kS = trace::FieldType::kString;

const std::vector<std::string_view> kBugs = {"none", "no_retransmit", "volatile_dedup"};

class Definition final : public Protocol {
 public:
  std::string_view name() const override { return "broadcast"; }
  std::string_view section_schema() const override {
    return R"json({
  "type": "object",
  "properties": {
    "retransmit": {
      "$ref": "#/definitions/duration",
      "description": "retransmission interval (default 100ms)"
    },
    "bug": {
      "description": "planted bug"
    }
  },
  "additionalProperties": false,
  "patternProperties": {
    "^x-": {}
  },
  "description": "reliable broadcast parameters"
})json";
  }
  std::string_view summary() const override {
    return "reliable broadcast: retransmission until acknowledged, deduplication at the receivers";
  }

  std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const override {
    Config c;
    if (section) {
      const YAML::Node& n = *section;
      if (r.yaml().check_map(n, "broadcast", {"retransmit", "bug"})) {
        r.positive(n, "broadcast", "retransmit", &c.retransmit);
        if (auto v = n["bug"]) {
          if (auto i = r.one_of(v, "broadcast.bug", "planted bug for broadcast", kBugs)) c.bug = static_cast<Config::Bug>(*i);
        }
      }
    }
    return make_config(c);
  }

  std::string write(const ProtocolConfig& pc, const std::vector<std::string>&) const override {
    const Config& c = config_of<Config>(pc);
    return "broadcast: {retransmit: " + scenario::duration_text(c.retransmit) +
           ", bug: " + std::string(kBugs[static_cast<size_t>(c.bug)]) + "}\n";
  }

  WorkloadInputs workload() const override {
    WorkloadInputs in;
    in.kind = WorkloadInputs::Kind::kPerNode;
    in.count_key = "broadcasts";
    in.max_count = 1'000'000;
    in.make = [](uint32_t k, uint32_t, Rng&) {
      Message m;
      m.type = kRequest;
      m.f[0] = k + 1;
      return m;
    };
    return in;
  }

  std::vector<std::string_view> bugs() const override { return kBugs; }
  std::string_view message_name(uint32_t type) const override { return message_type_name(type); }

  NodeFactory factory(const ProtocolConfig& pc, uint32_t) const override {
    const Config cfg = config_of<Config>(pc);
    return [cfg](NodeId) { return make_node(cfg); };
  }

  std::vector<trace::EventSchema> events() const override {
    return {
        {"bcast", {{"seq", kI}, {"payload", kI}}, "this node originates message (node, seq)"},
        {"bdeliver", {{"origin", kS}, {"seq", kI}}, "this node delivers message (origin, seq)"},
    };
  }
  std::vector<analysis::CheckerInfo> checkers() const override {
    using analysis::CheckKind;
    return {{"no_duplicate_delivery", CheckKind::kSafety, "no node delivers the same message twice", false, false,
             "a message delivered"},
            {"all_delivered", CheckKind::kLiveness,
             "every input the harness gives a node that stays up is broadcast, and every message is delivered to every "
             "live node, within a bound after the last fault",
             false, false,
             "a broadcast message due at a live node before the end"}};
  }

  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec& spec) const override {
    if (spec.name == "no_duplicate_delivery") return std::make_unique<analysis::NoDuplicateDelivery>();
    return std::make_unique<analysis::AllDelivered>(spec.within_ns > 0 ? spec.within_ns : 2'000'000'000);
  }
};

}  // namespace

std::unique_ptr<Protocol> protocol() { return std::make_unique<Definition>(); }

}  // namespace dsim::broadcast
