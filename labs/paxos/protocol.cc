// The `paxos-lab` protocol: the scenario section, the node factory, and
// everything about judging delegated to the reference Paxos. You need not
// change this file.
#include "protocol.h"

#include <dsim/yaml_reader.h>

#include "paxos_lab.h"

namespace paxoslab {
namespace {

// Judged as the reference (dsim::JudgedLike): its workload, trace events,
// checkers and report hints.
class PaxosLabProtocol final : public dsim::JudgedLike {
 public:
  explicit PaxosLabProtocol(const dsim::Protocol& ref) : JudgedLike(ref) {}

  std::string_view name() const override { return "paxos-lab"; }
  std::string_view summary() const override {
    return "the Paxos lab: a student's single-decree Paxos, graded by the reference's checkers";
  }

  // `paxos-lab: {proposers: [n1, n2], retry: 100ms}`: the keys of the
  // reference's `paxos:` section that a lab needs.
  std::shared_ptr<const dsim::ProtocolConfig> read(dsim::SectionReader& r, const YAML::Node* section) const override {
    Config c;
    if (section) {
      const YAML::Node& n = *section;
      dsim::scenario::YamlReader& y = r.yaml();
      if (y.check_map(n, "paxos-lab", {"proposers", "retry"})) {
        if (auto v = n["proposers"]) {
          if (!v.IsSequence()) {
            y.error(v, "'paxos-lab.proposers' must be a list of nodes");
          } else {
            for (size_t i = 0; i < v.size(); ++i) {
              if (auto id = r.node(v[i], "paxos-lab.proposers[" + std::to_string(i) + "]")) c.proposers.insert(id->value);
            }
          }
        }
        r.positive(n, "paxos-lab", "retry", &c.retry);
      }
    }
    if (r.nodes().size() > 99) r.nodes_error("paxos-lab supports at most 99 nodes (ballots encode the node id)");
    if (c.proposers.empty()) c.proposers.insert(0);
    return dsim::make_config(c);
  }

  std::string write(const dsim::ProtocolConfig& pc, const std::vector<std::string>& nodes) const override {
    const Config& c = dsim::config_of<Config>(pc);
    std::string out = "paxos-lab: {proposers: [";
    bool first = true;
    for (uint32_t p : c.proposers) {
      out += (first ? "" : ", ") + nodes[p];
      first = false;
    }
    return out + "], retry: " + dsim::scenario::duration_text(c.retry) + "}\n";
  }

  std::vector<std::string_view> roles() const override { return {"proposer", "acceptor"}; }
  dsim::NodeFactory factory(const dsim::ProtocolConfig& pc, uint32_t) const override {
    const Config cfg = dsim::config_of<Config>(pc);
    return [cfg](dsim::NodeId) { return std::make_unique<PaxosLab>(cfg); };
  }
  std::string_view message_name(uint32_t type) const override { return paxoslab::message_name(type); }

};

}  // namespace

std::unique_ptr<dsim::Protocol> protocol(const dsim::Protocol& reference) {
  return std::make_unique<PaxosLabProtocol>(reference);
}

}  // namespace paxoslab
