#include "protocols/paxos/definition.h"

#include "analysis/leader_liveness.h"
#include "dsim/assert.h"
#include "dsim/yaml_reader.h"
#include "protocols/paxos/checkers.h"
#include "protocols/paxos/multipaxos.h"
#include "protocols/paxos/paxos.h"
#include "protocols/raft/definition.h"

namespace dsim {
namespace {

std::string text(Duration d) { return scenario::duration_text(d); }
constexpr trace::FieldType kI = trace::FieldType::kInt, kS = trace::FieldType::kString, kB = trace::FieldType::kBool;

// Kinds both Paxos variants emit, per slot (`slot` 0 for single-decree).
std::vector<trace::EventSchema> paxos_common_events() {
  return {
      {"propose", {{"slot", kI}, {"value", kS}}, "a proposer's own value (Multi-Paxos: the leader assigns it a slot)"},
      {"prepare", {{"slot", kI}, {"ballot", kI}}, "phase 1a sent (Multi-Paxos: `slot` is the first slot it covers)"},
      {"nack", {{"slot", kI}, {"ballot", kI}, {"promised", kI}}, "an acceptor refused a prepare or accept"},
      {"accept", {{"slot", kI}, {"ballot", kI}, {"value", kS}}, "phase 2a sent"},
      {"accepted", {{"slot", kI}, {"ballot", kI}, {"value", kS}},
       "an acceptor accepted (the checkers compute \"chosen\" from these)"},
      {"learned", {{"slot", kI}, {"ballot", kI}, {"value", kS}}, "a learner heard a majority accept one proposal"},
  };
}

// Ballots are round * 100 + node id + 1, so a node id must fit two digits.
constexpr size_t kMaxPaxosNodes = 99;

void check_node_count(SectionReader& r, std::string_view protocol) {
  if (r.nodes().size() > kMaxPaxosNodes) {
    r.nodes_error("protocol " + std::string(protocol) + " supports at most " + std::to_string(kMaxPaxosNodes) +
                  " nodes (ballots encode the node id in two decimal digits); the scenario has " +
                  std::to_string(r.nodes().size()));
  }
}

std::vector<analysis::CheckerInfo> paxos_safety() {
  using analysis::CheckKind;
  return {{"paxos_agreement", CheckKind::kSafety,
           "at most one value chosen per slot (from the acceptors' accepts), and only a proposed one", false, false,
           "a value chosen (a majority accepted one proposal)"},
          {"learner_consistency", CheckKind::kSafety, "no learner learns two values for a slot", false, false,
           "a value learned"}};
}

std::unique_ptr<analysis::Checker> make_paxos_safety(const analysis::CheckSpec& spec) {
  if (spec.name == "paxos_agreement") return std::make_unique<analysis::PaxosAgreement>();
  if (spec.name == "learner_consistency") return std::make_unique<analysis::LearnerConsistency>();
  return nullptr;
}

int64_t within(const analysis::CheckSpec& spec) { return spec.within_ns > 0 ? spec.within_ns : 2'000'000'000; }

// ---- Single-decree Paxos

namespace sd {

using paxos::Config;
const std::vector<std::string_view> kBugs = {"none", "forget_promise", "forget_accepted", "ignore_accepted",
                                             "accept_any_ballot"};

class Definition final : public Protocol {
 public:
  std::string_view name() const override { return "paxos"; }
  std::string_view section_schema() const override {
    return R"json({
  "type": "object",
  "additionalProperties": false,
  "patternProperties": {
    "^x-": {}
  },
  "description": "Paxos parameters",
  "properties": {
    "proposers": {
      "type": "array",
      "items": {
        "type": "string"
      },
      "minItems": 1,
      "description": "nodes that propose (default [n1])"
    },
    "learners": {
      "type": "array",
      "items": {
        "type": "string"
      },
      "minItems": 1,
      "description": "nodes that learn: acceptors send them what they accepted (default: every node)"
    },
    "start": {
      "$ref": "#/definitions/duration",
      "description": "when proposers start (default 10ms)"
    },
    "retry": {
      "$ref": "#/definitions/duration",
      "description": "a round not done by then starts over (default 100ms)"
    },
    "backoff": {
      "description": "false: retry at once when preempted; [min, max]: a random pause first",
      "oneOf": [
        {
          "type": "boolean"
        },
        {
          "type": "array",
          "items": {
            "$ref": "#/definitions/duration"
          },
          "minItems": 2,
          "maxItems": 2
        }
      ]
    },
    "bug": {
      "enum": [
        "none",
        "forget_promise",
        "forget_accepted",
        "ignore_accepted",
        "accept_any_ballot"
      ]
    },
    "stagger": {
      "$ref": "#/definitions/duration",
      "description": "the k-th proposer starts k * stagger after start (default 0)"
    },
    "max_rounds": {
      "type": "integer",
      "minimum": 0,
      "description": "the highest round a proposer starts, then it stops retrying (default 0: unbounded)"
    }
  }
})json";
  }
  std::string_view summary() const override {
    return "single-decree Paxos: proposers, acceptors and learners agree on one value";
  }

  std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const override {
    Config c;
    c.proposers = {0};  // by default n1 (the first node) proposes
    if (section) read_section(r, *section, c);
    check_node_count(r, "paxos");
    return make_config(c);
  }

  std::string write(const ProtocolConfig& pc, const std::vector<std::string>& nodes) const override {
    const Config& c = config_of<Config>(pc);
    std::string y = "paxos: {proposers: [";
    bool first = true;
    for (uint32_t p : c.proposers) {
      y += (first ? "" : ", ") + nodes[p];
      first = false;
    }
    y += "]";
    if (!c.learners.empty()) {
      y += ", learners: [";
      first = true;
      for (uint32_t p : c.learners) {
        y += (first ? "" : ", ") + nodes[p];
        first = false;
      }
      y += "]";
    }
    y += ", start: " + text(c.start) + ", stagger: " + text(c.stagger) + ", retry: " + text(c.retry) + ", backoff: " +
         (c.backoff ? "[" + text(c.backoff_min) + ", " + text(c.backoff_max) + "]" : std::string("false")) +
         (c.max_rounds > 0 ? ", max_rounds: " + std::to_string(c.max_rounds) : std::string()) +
         ", bug: " + std::string(kBugs[static_cast<size_t>(c.bug)]) + "}\n";
    return y;
  }

  std::vector<std::string_view> roles() const override { return {"proposer", "acceptor"}; }
  std::string_view message_name(uint32_t type) const override { return paxos::message_type_name(type); }
  const MessageLayout* message_layout(uint32_t type) const override {
    static const MessageLayout kPrepare = {.f = {{{"ballot"}}}};
    static const MessageLayout kPromise = {.f = {{{"ballot"}, {"accepted_ballot"}}}, .body = "accepted_value"};
    static const MessageLayout kNack = {.f = {{{"ballot"}, {"promised"}}}};
    static const MessageLayout kAccept = {.f = {{{"ballot"}}}, .body = "value"};
    switch (type) {
      case paxos::kPrepare: return &kPrepare;
      case paxos::kPromise: return &kPromise;
      case paxos::kNack: return &kNack;
      case paxos::kAccept: case paxos::kAccepted: return &kAccept;
    }
    return nullptr;
  }
  std::vector<std::string_view> bugs() const override { return kBugs; }

  NodeFactory factory(const ProtocolConfig& pc, uint32_t) const override {
    const Config cfg = config_of<Config>(pc);
    return [cfg](NodeId) { return paxos::make_node(cfg); };
  }

  std::vector<trace::EventSchema> events() const override {
    auto out = paxos_common_events();
    out.push_back({"promise", {{"slot", kI}, {"ballot", kI}, {"accepted_ballot", kI}, {"accepted_value", kS}},
                   "an acceptor promised (and reported its accepted proposal, -1 if none)"});
    out.push_back({"recover", {{"promised", kI}, {"accepted_ballot", kI}}, "after a restart, what storage held"});
    return out;
  }
  std::vector<analysis::CheckerInfo> checkers() const override {
    auto out = paxos_safety();
    out.push_back({"paxos_liveness", analysis::CheckKind::kLiveness,
                   "after the last fault a value is chosen within the bound", false, false,
                   "a value chosen in time, or the bound expired"});
    return out;
  }
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec& spec) const override {
    if (auto c = make_paxos_safety(spec)) return c;
    return std::make_unique<analysis::PaxosLiveness>(within(spec));
  }
  ReportHints report_hints() const override {
    ReportHints h{"ballot", "ballot", "B", {{"proposer", "#f9a825"}, {"acceptor", "#b0bec5"}}};
    // An acceptor's state: what it promised and what it accepted, from the
    // events that change or reveal it (a restart reports what storage held).
    h.state = {{"promised", "promise", "ballot"},          {"promised", "nack", "promised"},
               {"promised", "recover", "promised"},        {"accepted ballot", "accepted", "ballot"},
               {"accepted ballot", "promise", "accepted_ballot"}, {"accepted ballot", "recover", "accepted_ballot"},
               {"accepted value", "accepted", "value"},    {"accepted value", "promise", "accepted_value"},
               {"learned", "learned", "value"}};
    return h;
  }

 private:
  static void read_section(SectionReader& r, const YAML::Node& n, Config& c) {
    scenario::YamlReader& y = r.yaml();
    if (!y.check_map(n, "paxos", {"proposers", "learners", "start", "stagger", "retry", "backoff", "max_rounds", "bug"})) {
      return;
    }
    if (auto v = n["proposers"]) {
      c.proposers.clear();
      if (!v.IsSequence() || v.size() == 0) {
        y.error(v, "'paxos.proposers' must be a non-empty list of nodes");
      } else {
        for (size_t i = 0; i < v.size(); ++i) {
          if (auto id = r.node(v[i], "paxos.proposers[" + std::to_string(i) + "]")) c.proposers.insert(id->value);
        }
      }
    }
    if (auto v = n["learners"]) {
      if (!v.IsSequence() || v.size() == 0) {
        y.error(v, "'paxos.learners' must be a non-empty list of nodes");
      } else {
        for (size_t i = 0; i < v.size(); ++i) {
          if (auto id = r.node(v[i], "paxos.learners[" + std::to_string(i) + "]")) c.learners.insert(id->value);
        }
      }
    }
    if (auto v = n["start"]) c.start = y.duration(v, "paxos.start").value_or(c.start);
    if (auto v = n["stagger"]) c.stagger = y.duration(v, "paxos.stagger").value_or(c.stagger);
    r.positive(n, "paxos", "retry", &c.retry);
    if (auto v = n["max_rounds"]) c.max_rounds = y.integer(v, "paxos.max_rounds", 0, 1'000'000).value_or(0);
    if (auto v = n["backoff"]) {
      // false: a fixed retry rhythm (dueling proposers can livelock);
      // [min, max]: a random pause added to every retry and after a rejection.
      if (v.IsScalar() && (v.Scalar() == "false" || v.Scalar() == "true")) {
        c.backoff = v.Scalar() == "true";
      } else if (auto range = y.duration_range(v, "paxos.backoff")) {
        c.backoff = true;
        c.backoff_min = range->first;
        c.backoff_max = range->second;
      }
    }
    if (auto v = n["bug"]) {
      if (auto i = r.one_of(v, "paxos.bug", "planted bug for paxos", kBugs)) c.bug = static_cast<Config::Bug>(*i);
    }
  }
};

}  // namespace sd

// ---- Multi-Paxos

namespace mp {

using multipaxos::Config;
const std::vector<std::string_view> kBugs = {"none", "ignore_accepted", "drop_requests"};

class Definition final : public Protocol {
 public:
  std::string_view name() const override { return "multipaxos"; }
  std::string_view section_schema() const override {
    return R"json({
  "type": "object",
  "additionalProperties": false,
  "patternProperties": {
    "^x-": {}
  },
  "description": "Multi-Paxos parameters",
  "properties": {
    "heartbeat": {
      "$ref": "#/definitions/duration",
      "description": "leader heartbeat interval (default 20ms); shorter than the election timeout"
    },
    "election_timeout": {
      "description": "randomized election timeout: a duration or [min, max] (default [100ms, 200ms])",
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
      ]
    },
    "bug": {
      "description": "planted bug"
    },
    "prevote": {
      "type": "boolean",
      "description": "ask a majority before raising the ballot (default false)"
    }
  }
})json";
  }
  std::string_view summary() const override {
    return "Multi-Paxos: a replicated log with a stable leader, takeover, hole filling and catch-up";
  }

  std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const override {
    Config c;
    if (section) read_section(r, *section, c);
    check_node_count(r, "multipaxos");
    return make_config(c);
  }

  std::string write(const ProtocolConfig& pc, const std::vector<std::string>&) const override {
    const Config& c = config_of<Config>(pc);
    return "multipaxos: {heartbeat: " + text(c.heartbeat) + ", election_timeout: [" + text(c.election_min) + ", " +
           text(c.election_max) + "], prevote: " + (c.prevote ? "true" : "false") +
           ", bug: " + std::string(kBugs[static_cast<size_t>(c.bug)]) + "}\n";
  }

  WorkloadInputs workload() const override { return raft::client_requests(multipaxos::kClientRequest); }
  std::vector<std::string_view> roles() const override { return {"leader", "follower", "candidate"}; }
  std::string_view message_name(uint32_t type) const override { return multipaxos::message_type_name(type); }
  const MessageLayout* message_layout(uint32_t type) const override {
    using As = MessageField::As;
    namespace mp = multipaxos;
    static const MessageLayout kRequest = {.f = {{{"req"}, {"hops"}}}, .body = "cmd"};
    static const MessageLayout kPrepare = {.f = {{{"ballot"}, {"from_slot"}}}};
    static const MessageLayout kBallot = {.f = {{{"ballot"}}}};
    static const MessageLayout kNack = {.f = {{{"ballot"}, {"promised"}}}};
    static const MessageLayout kAccept = {.f = {{{"ballot"}, {"slot"}}}, .body = "value"};
    static const MessageLayout kAccepted = {.f = {{{"ballot"}, {"slot"}}}};
    static const MessageLayout kHeartbeat = {.f = {{{"ballot"}, {"decided_prefix"}}}};
    static const MessageLayout kPreVoteReply = {.f = {{{"ballot"}, {"granted", As::kBool}, {"promised"}}}};
    switch (type) {
      case mp::kClientRequest: return &kRequest;
      case mp::kPrepare: return &kPrepare;
      case mp::kPromise: case mp::kPreVote: return &kBallot;
      case mp::kNack: return &kNack;
      case mp::kAccept: return &kAccept;
      case mp::kAccepted: return &kAccepted;
      case mp::kHeartbeat: case mp::kHeartbeatAck: return &kHeartbeat;
      case mp::kPreVoteReply: return &kPreVoteReply;
    }
    return nullptr;
  }
  std::vector<std::string_view> bugs() const override { return kBugs; }

  NodeFactory factory(const ProtocolConfig& pc, uint32_t) const override {
    const Config cfg = config_of<Config>(pc);
    return [cfg](NodeId) { return multipaxos::make_node(cfg); };
  }

  std::vector<trace::EventSchema> events() const override {
    auto out = paxos_common_events();
    for (auto e : std::vector<trace::EventSchema>{
             {"promise", {{"slot", kI}, {"ballot", kI}}, "an acceptor promised for every slot from `slot` on"},
             {"role", {{"role", kS}, {"ballot", kI}},
              "leader changes: `candidate` (phase 1 sent), `leader`, `follower`"},
             {"prevote", {{"ballot", kI}}, "a would-be leader asks whether it may start phase 1"},
             {"apply", {{"slot", kI}, {"value", kS}},
              "the replica applied a decided slot to its key-value store, in slot order"},
             {"client_request", {{"req", kI}, {"slot", kI}}, "the leader took request `req` and proposed it in `slot`"},
             {"client_response", {{"req", kI}, {"ok", kB}, {"slot", kI, false}, {"reason", kS, false}},
              "the leader that took it answers once applied (`slot`); `ok` false with a `reason` when no leader is "
              "known or an election was lost"},
             {"recover", {{"promised", kI}, {"accepted", kI}},
              "after a restart: the promise and how many accepted slots storage held"},
         }) {
      out.push_back(e);
    }
    return out;
  }
  std::vector<analysis::CheckerInfo> checkers() const override {
    auto out = paxos_safety();
    out.push_back({"multipaxos_liveness", analysis::CheckKind::kLiveness,
                   "after the last fault a leader within the bound, and each command the harness submits later committed "
                   "within it",
                   false, false, "the bound expired, and a request the harness submitted after it (or a client operation) judged"});
    return out;
  }
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec& spec) const override {
    if (auto c = make_paxos_safety(spec)) return c;
    return std::make_unique<analysis::LeaderLiveness>(spec.name, within(spec));
  }
  ReportHints report_hints() const override {
    ReportHints h{"ballot", "ballot", "B", {}};
    // Each replica's log: the slots its acceptor accepted, which of them it
    // learned were decided, and how far it applied.
    h.log = {.entry_kind = "accepted", .index_field = "slot", .epoch_field = "ballot", .value_field = "value",
             .commit_kind = "learned", .commit_field = "slot", .commit_is_index = false, .apply_kind = "apply",
             .apply_field = "slot", .commit_label = "decided"};
    h.state = {{"promised", "promise", "ballot"}, {"promised", "nack", "promised"}, {"promised", "recover", "promised"}};
    return h;
  }

 private:
  static void read_section(SectionReader& r, const YAML::Node& n, Config& c) {
    scenario::YamlReader& y = r.yaml();
    if (!y.check_map(n, "multipaxos", {"heartbeat", "election_timeout", "prevote", "bug"})) return;
    r.positive(n, "multipaxos", "heartbeat", &c.heartbeat);
    if (auto v = n["election_timeout"]) {
      if (auto range = y.duration_range(v, "multipaxos.election_timeout")) {
        c.election_min = range->first;
        c.election_max = range->second;
      }
    }
    if (auto v = n["prevote"]) c.prevote = y.boolean(v, "multipaxos.prevote").value_or(false);
    if (c.election_min.ns <= 0 || c.heartbeat >= c.election_min) {
      y.error(n, "'multipaxos.heartbeat' (" + analysis::format_time(c.heartbeat.ns) +
                     ") must be positive and below the election timeout (" + analysis::format_time(c.election_min.ns) +
                     "), or followers start elections while the leader is healthy");
    }
    if (auto v = n["bug"]) {
      if (auto i = r.one_of(v, "multipaxos.bug", "planted bug for multipaxos", kBugs)) c.bug = static_cast<Config::Bug>(*i);
    }
  }
};

}  // namespace mp
}  // namespace

namespace paxos {
std::unique_ptr<Protocol> protocol() { return std::make_unique<sd::Definition>(); }
}  // namespace paxos

namespace multipaxos {
std::unique_ptr<Protocol> protocol() { return std::make_unique<mp::Definition>(); }
}  // namespace multipaxos

}  // namespace dsim
