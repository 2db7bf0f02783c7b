// The `raft-lab` protocol: the scenario section, the node factory, and
// everything about judging delegated to the reference Raft. You need not
// change this file.
#include "protocol.h"

#include <dsim/yaml_reader.h>

#include "raft_lab.h"

namespace raftlab {
namespace {

// Judged as the reference (dsim::JudgedLike): its workload, trace events,
// checkers and report hints.
class RaftLabProtocol final : public dsim::JudgedLike {
 public:
  explicit RaftLabProtocol(const dsim::Protocol& ref) : JudgedLike(ref) {}

  std::string_view name() const override { return "raft-lab"; }
  std::string_view summary() const override { return "the Raft lab: a student's Raft, graded by the reference's checkers"; }

  // `raft-lab: {election_timeout: [150ms, 300ms], heartbeat: 50ms, max_batch: 64}`: the
  // same keys as the reference's `raft:` section (the ones a lab needs).
  std::shared_ptr<const dsim::ProtocolConfig> read(dsim::SectionReader& r, const YAML::Node* section) const override {
    Config c;
    if (section) {
      const YAML::Node& n = *section;
      dsim::scenario::YamlReader& y = r.yaml();
      if (y.check_map(n, "raft-lab", {"election_timeout", "heartbeat", "max_batch"})) {
        if (auto v = n["election_timeout"]) {
          if (auto range = y.duration_range(v, "raft-lab.election_timeout")) {
            if (range->first.ns <= 0) {
              y.error(v, "'raft-lab.election_timeout' must be positive");
            } else {
              c.election_min = range->first;
              c.election_max = range->second;
            }
          }
        }
        r.positive(n, "raft-lab", "heartbeat", &c.heartbeat);
        if (auto v = n["max_batch"]) {
          c.max_batch = static_cast<uint32_t>(y.integer(v, "raft-lab.max_batch", 1, 100000).value_or(64));
        }
        if (c.heartbeat >= c.election_min) y.error(n, "'raft-lab.heartbeat' must be shorter than the election timeout");
      }
    }
    if (r.nodes().size() < 1) r.nodes_error("raft-lab needs at least one node");
    return dsim::make_config(c);
  }

  std::string write(const dsim::ProtocolConfig& pc, const std::vector<std::string>&) const override {
    const Config& c = dsim::config_of<Config>(pc);
    return "raft-lab: {election_timeout: [" + dsim::scenario::duration_text(c.election_min) + ", " +
           dsim::scenario::duration_text(c.election_max) + "], heartbeat: " + dsim::scenario::duration_text(c.heartbeat) +
           ", max_batch: " + std::to_string(c.max_batch) + "}\n";
  }

  // Client requests arrive as the reference's (JudgedLike::workload): type
  // kClientRequest (1), f[0] the request id, body the command.
  std::vector<std::string_view> roles() const override { return {"leader", "follower", "candidate"}; }

  dsim::NodeFactory factory(const dsim::ProtocolConfig& pc, uint32_t) const override {
    const Config cfg = dsim::config_of<Config>(pc);
    return [cfg](dsim::NodeId) { return std::make_unique<RaftLab>(cfg); };
  }
  std::string_view message_name(uint32_t type) const override { return raftlab::message_name(type); }

};

}  // namespace

std::unique_ptr<dsim::Protocol> protocol(const dsim::Protocol& reference) {
  return std::make_unique<RaftLabProtocol>(reference);
}

}  // namespace raftlab
