#include "protocol.h"

#include <dsim/yaml_reader.h>

#include "checkers.h"
#include "two_phase_commit.h"

namespace tpc {
namespace {

const std::vector<std::string_view> kBugs = {"none", "commit_on_timeout"};

class TwoPhaseCommit final : public dsim::Protocol {
 public:
  std::string_view name() const override { return "two_phase_commit"; }
  std::string_view summary() const override {
    return "two-phase commit: a coordinator, participants that vote, presumed abort (an example plug-in)";
  }

  // The `two_phase_commit:` section. Every problem is reported with
  // file:line:col by the reader; returning the defaults after an error is
  // fine, the loader stops before running.
  std::shared_ptr<const dsim::ProtocolConfig> read(dsim::SectionReader& r, const YAML::Node* section) const override {
    Config c;
    if (section) {
      const YAML::Node& n = *section;
      dsim::scenario::YamlReader& y = r.yaml();
      if (y.check_map(n, "two_phase_commit", {"coordinator", "vote_timeout", "retry", "vote_no_percent", "bug"})) {
        if (auto v = n["coordinator"]) {
          if (auto id = r.node(v, "two_phase_commit.coordinator")) c.coordinator = *id;
        }
        r.positive(n, "two_phase_commit", "vote_timeout", &c.vote_timeout);
        r.positive(n, "two_phase_commit", "retry", &c.retry);
        if (auto v = n["vote_no_percent"]) {
          c.vote_no_percent = static_cast<uint32_t>(y.integer(v, "two_phase_commit.vote_no_percent", 0, 100).value_or(0));
        }
        if (auto v = n["bug"]) {
          if (auto i = r.one_of(v, "two_phase_commit.bug", "planted bug for two_phase_commit", kBugs)) {
            c.bug = static_cast<Config::Bug>(*i);
          }
        }
      }
    }
    if (r.nodes().size() < 2) r.nodes_error("protocol two_phase_commit needs at least 2 nodes: a coordinator and a participant");
    return dsim::make_config(c);
  }

  // Written back so that read() gives the same config: `dsim shrink` writes
  // scenarios with it.
  std::string write(const dsim::ProtocolConfig& pc, const std::vector<std::string>& nodes) const override {
    const Config& c = dsim::config_of<Config>(pc);
    return "two_phase_commit: {coordinator: " + nodes[c.coordinator.value] +
           ", vote_timeout: " + dsim::scenario::duration_text(c.vote_timeout) +
           ", retry: " + dsim::scenario::duration_text(c.retry) +
           ", vote_no_percent: " + std::to_string(c.vote_no_percent) +
           ", bug: " + std::string(kBugs[static_cast<size_t>(c.bug)]) + "}\n";
  }

  // `workload: {transactions: 50, from: n1, interval: 50ms}`: each input is
  // one transaction request.
  dsim::WorkloadInputs workload() const override {
    dsim::WorkloadInputs in;
    in.kind = dsim::WorkloadInputs::Kind::kPerNode;
    in.count_key = "transactions";
    in.max_count = 1'000'000;
    in.make = [](uint32_t k, uint32_t, dsim::Rng&) {
      dsim::Message m;
      m.type = kBegin;
      m.f[0] = k + 1;
      return m;
    };
    return in;
  }

  std::vector<std::string_view> roles() const override { return {"coordinator", "participant"}; }
  std::vector<std::string_view> bugs() const override { return kBugs; }

  dsim::NodeFactory factory(const dsim::ProtocolConfig& pc, uint32_t) const override {
    const Config cfg = dsim::config_of<Config>(pc);
    return [cfg](dsim::NodeId id) { return make_node(cfg, id); };
  }
  std::string_view message_name(uint32_t type) const override { return tpc::message_name(type); }

  std::vector<dsim::analysis::CheckerInfo> checkers() const override {
    using dsim::analysis::CheckKind;
    return {{"atomicity", CheckKind::kSafety, "no transaction is committed by one node and aborted by another"},
            {"tx_decided", CheckKind::kLiveness,
             "after the last fault every transaction is decided, with an outcome at every live participant, within the bound"}};
  }
  std::unique_ptr<dsim::analysis::Checker> make_checker(const dsim::analysis::CheckSpec& spec) const override {
    if (spec.name == "atomicity") return std::make_unique<Atomicity>();
    return std::make_unique<TxDecided>(spec.within_ns > 0 ? spec.within_ns : 2'000'000'000);
  }
};

}  // namespace

std::unique_ptr<dsim::Protocol> protocol() { return std::make_unique<TwoPhaseCommit>(); }

}  // namespace tpc
