#include "protocols/raft/definition.h"

#include <charconv>

#include "analysis/leader_liveness.h"
#include "dsim/assert.h"
#include "dsim/kv.h"
#include "dsim/yaml_reader.h"
#include "protocols/raft/catch_up.h"
#include "protocols/raft/checkers.h"
#include "protocols/raft/experiment.h"
#include "protocols/raft/raft.h"

namespace dsim::raft {
namespace {

// In the order of Config::Bug and Config::Reads.
const std::vector<std::string_view> kBugs = {"none",          "commit_previous_term", "volatile_vote", "skip_prev_check",
                                             "vote_any_log",  "stale_reads",          "slow_backtrack"};
const std::vector<std::string_view> kReads = {"log", "read_index", "lease"};

std::string text(Duration d) { return scenario::duration_text(d); }
constexpr trace::FieldType kI = trace::FieldType::kInt, kS = trace::FieldType::kString, kB = trace::FieldType::kBool;
int64_t within(const analysis::CheckSpec& spec) { return spec.within_ns > 0 ? spec.within_ns : 2'000'000'000; }

class Definition final : public Protocol {
 public:
  std::string_view name() const override { return "raft"; }
  std::string_view section_schema() const override {
    return R"json({
  "type": "object",
  "additionalProperties": false,
  "patternProperties": {
    "^x-": {}
  },
  "description": "Raft parameters",
  "properties": {
    "election_timeout": {
      "description": "randomized election timeout: a duration or [min, max] (default [150ms, 300ms])",
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
    "heartbeat": {
      "$ref": "#/definitions/duration",
      "description": "leader heartbeat interval (default 50ms); shorter than the election timeout"
    },
    "prevote": {
      "type": "boolean",
      "description": "PreVote phase before an election (default false)"
    },
    "check_quorum": {
      "type": "boolean",
      "description": "leaders step down without a majority; followers keep a leader lease (default false)"
    },
    "max_batch": {
      "type": "integer",
      "minimum": 1,
      "description": "entries per AppendEntries (default 64)"
    },
    "bug": {
      "description": "planted bug"
    },
    "reads": {
      "enum": [
        "log",
        "read_index",
        "lease"
      ],
      "description": "KV read path (default log)"
    },
    "heartbeat_rounds": {
      "type": "boolean",
      "description": "number heartbeat rounds (default true); only read_index and lease reads need them, and false (reads: log only) keeps `dsim explore` from telling states apart by heartbeat count"
    },
    "snapshot_every": {
      "type": "integer",
      "minimum": 0,
      "description": "snapshot the state machine and compact the log after this many entries applied since the last snapshot; 0 = never (default 10000)"
    }
  }
})json";
  }
  std::string_view summary() const override {
    return "Raft consensus (Figure 2, PreVote, CheckQuorum) with a replicated key-value store";
  }

  std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const override {
    Config c;
    if (section) read_section(r, *section, c);
    return make_config(c);
  }

  std::string write(const ProtocolConfig& pc, const std::vector<std::string>&) const override {
    const Config& c = config_of<Config>(pc);
    return "raft: {election_timeout: [" + text(c.election_min) + ", " + text(c.election_max) +
           "], heartbeat: " + text(c.heartbeat) + ", prevote: " + (c.prevote ? "true" : "false") +
           ", check_quorum: " + (c.check_quorum ? "true" : "false") + ", max_batch: " + std::to_string(c.max_batch) +
           ", reads: " + std::string(kReads[static_cast<size_t>(c.reads)]) +
           ", bug: " + std::string(kBugs[static_cast<size_t>(c.bug)]) +
           (c.heartbeat_rounds ? "" : ", heartbeat_rounds: false") +
           (c.snapshot_every == Config{}.snapshot_every ? "" : ", snapshot_every: " + std::to_string(c.snapshot_every)) +
           "}\n";
  }

  bool accepts_clients() const override { return true; }
  WorkloadInputs workload() const override { return client_requests(kClientRequest); }

  std::vector<std::string_view> roles() const override { return {"leader", "follower", "candidate", "pre_candidate"}; }
  std::vector<std::string_view> bugs() const override { return kBugs; }
  std::string_view message_name(uint32_t type) const override {
    const std::string_view n = message_type_name(type);
    return n.empty() ? kv::message_type_name(type) : n;
  }
  const MessageLayout* message_layout(uint32_t type) const override {
    using As = MessageField::As;
    static const MessageLayout kReq = {.f = {{{"req"}}}, .body = "cmd"};
    static const MessageLayout kVoteL = {.f = {{{"term"}, {"last_log_index"}, {"last_log_term"}, {"prevote", As::kBool}}}};
    static const MessageLayout kVoteReplyL = {
        .f = {{{"term"}, {"granted", As::kBool}, {"prevote", As::kBool}, {"why", As::kName, kVoteReasons}}}};
    static const MessageLayout kAppendL = {
        .f = {{{"term"}, {"prev_index"}, {"prev_term"}, {"leader_commit"}, {"entries"}, {"round"}}}};
    // f[2] is the follower's match on success, the prev_index it refused on
    // failure; the hint says where the leader should look next.
    static const MessageLayout kAppendReplyL = {
        .f = {{{"term"}, {"success", As::kBool}, {"match_index"}, {"round"}, {"hint_index"}, {"hint_term"}}}};
    static const MessageLayout kInstallL = {
        .f = {{{"term"}, {"last_included_index"}, {"last_included_term"}, {"leader_commit"}, {}, {"round"}}}};
    switch (type) {
      case kClientRequest: case kForward: return &kReq;
      case kInstallSnapshot: return &kInstallL;
      case kRequestVote: return &kVoteL;
      case kVoteReply: return &kVoteReplyL;
      case kAppendEntries: return &kAppendL;
      case kAppendReply: return &kAppendReplyL;
    }
    return nullptr;
  }

  NodeFactory factory(const ProtocolConfig& pc, uint32_t) const override {
    const Config cfg = config_of<Config>(pc);
    return [cfg](NodeId) { return make_node(cfg); };
  }

  std::vector<trace::EventSchema> events() const override { return raft_events(); }
  ReportHints report_hints() const override {
    ReportHints h;
    h.log = {.entry_kind = "append", .index_field = "index", .epoch_field = "term", .value_field = "cmd",
             .truncate_kind = "truncate", .truncate_field = "from", .recover_kind = "recover",
             .recover_length_field = "log_len", .install_kind = "install_snapshot", .install_index_field = "index",
             .install_epoch_field = "term", .commit_kind = "commit", .commit_field = "index",
             .commit_is_index = true, .apply_kind = "apply", .apply_field = "index", .commit_label = "commit"};
    return h;
  }
  std::vector<analysis::CheckerInfo> checkers() const override { return raft_checkers(true); }
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec& spec) const override {
    return make_raft_checker(spec);
  }

  std::vector<Experiment> experiments() const override {
    return {{"election", "downtime after a leader crash, per election-timeout range (Raft paper, Figure 16)",
             election_cli}};
  }

 private:
  static void read_section(SectionReader& r, const YAML::Node& n, Config& c) {
    scenario::YamlReader& y = r.yaml();
    if (!y.check_map(n, "raft", {"election_timeout", "heartbeat", "prevote", "check_quorum", "max_batch", "reads", "bug",
                                   "heartbeat_rounds", "snapshot_every"})) {
      return;
    }
    if (auto v = n["election_timeout"]) {
      if (auto range = y.duration_range(v, "raft.election_timeout")) {
        if (range->first.ns <= 0) {
          y.error(v, "'raft.election_timeout' must be positive");
        } else {
          c.election_min = range->first;
          c.election_max = range->second;
        }
      }
    }
    r.positive(n, "raft", "heartbeat", &c.heartbeat);
    if (c.heartbeat >= c.election_min) {
      y.error(n, "'raft.heartbeat' (" + analysis::format_time(c.heartbeat.ns) +
                     ") must be shorter than the election timeout's minimum (" +
                     analysis::format_time(c.election_min.ns) + "), or followers time out between heartbeats");
    }
    if (auto v = n["prevote"]) c.prevote = y.boolean(v, "raft.prevote").value_or(false);
    if (auto v = n["check_quorum"]) c.check_quorum = y.boolean(v, "raft.check_quorum").value_or(false);
    if (auto v = n["reads"]) {
      if (auto i = r.one_of(v, "raft.reads", "read path", kReads)) c.reads = static_cast<Config::Reads>(*i);
    }
    if (auto v = n["heartbeat_rounds"]) {
      c.heartbeat_rounds = y.boolean(v, "raft.heartbeat_rounds").value_or(true);
      if (!c.heartbeat_rounds && c.reads != Config::Reads::kLog) {
        y.error(v, "'raft.heartbeat_rounds: false' needs 'raft.reads: log': read_index and lease reads are confirmed by "
                   "heartbeat rounds");
      }
    }
    if (auto v = n["max_batch"]) c.max_batch = static_cast<uint32_t>(y.integer(v, "raft.max_batch", 1, 100000).value_or(64));
    if (auto v = n["snapshot_every"]) {
      c.snapshot_every = static_cast<uint64_t>(
          y.integer(v, "raft.snapshot_every", 0, int64_t{1} << 40).value_or(static_cast<int64_t>(c.snapshot_every)));
    }
    if (auto v = n["bug"]) {
      if (auto i = r.one_of(v, "raft.bug", "planted bug for raft", kBugs)) c.bug = static_cast<Config::Bug>(*i);
    }
  }
};

}  // namespace

WorkloadInputs client_requests(uint32_t type) {
  WorkloadInputs in;
  in.kind = WorkloadInputs::Kind::kToLeader;
  in.count_key = "requests";
  in.keys = true;
  in.make = [type](uint32_t k, uint32_t keys, Rng& rng) {
    Message m;
    m.type = type;
    m.f[0] = k + 1;
    // "k<key>=<request>", formatted in place (one of these per request).
    char buf[48];
    buf[0] = 'k';
    auto r = std::to_chars(buf + 1, buf + 24, rng.below(keys));
    DSIM_ASSERT(r.ec == std::errc());
    *r.ptr = '=';
    r = std::to_chars(r.ptr + 1, buf + sizeof buf, static_cast<uint32_t>(k + 1));
    DSIM_ASSERT(r.ec == std::errc());
    char* const p = r.ptr;
    m.body.assign(buf, static_cast<size_t>(p - buf));
    return m;
  };
  return in;
}

std::vector<analysis::CheckerInfo> raft_checkers(bool with_liveness) {
  using analysis::CheckKind;
  std::vector<analysis::CheckerInfo> out = {
      {"election_safety", CheckKind::kSafety, "at most one leader per term", false, false, "a leader"},
      {"log_matching", CheckKind::kSafety, "same index and term means identical logs up to there", false, false,
       "an appended entry"},
      {"leader_completeness", CheckKind::kSafety, "a committed entry is in the log of every later leader", false, false,
       "a committed entry"},
      {"state_machine_safety", CheckKind::kSafety, "no two nodes apply different commands at one index", false, false,
       "an applied entry"},
  };
  if (with_liveness) {
    out.push_back({"raft_liveness", CheckKind::kLiveness,
                   "after the last fault a leader within the bound, and each request the harness submits later committed "
                   "within it",
                   false, false, "the bound expired, and a request the harness submitted after it (or a client operation) judged"});
  }
  out.push_back({"raft_catch_up", CheckKind::kLiveness,
                 "after the last fault every live node reaches the leader's commit index within the bound", false,
                 false, "the bound expired, a commit index to reach, a node up at the end"});
  return out;
}

std::unique_ptr<analysis::Checker> make_raft_checker(const analysis::CheckSpec& spec) {
  if (spec.name == "election_safety") return std::make_unique<analysis::ElectionSafety>();
  if (spec.name == "log_matching") return std::make_unique<analysis::LogMatching>();
  if (spec.name == "leader_completeness") return std::make_unique<analysis::LeaderCompleteness>();
  if (spec.name == "state_machine_safety") return std::make_unique<analysis::StateMachineSafety>();
  if (spec.name == "raft_catch_up") return std::make_unique<analysis::RaftCatchUp>(within(spec));
  DSIM_ASSERT(spec.name == "raft_liveness");
  return std::make_unique<analysis::LeaderLiveness>(spec.name, within(spec));
}

std::unique_ptr<Protocol> protocol() { return std::make_unique<Definition>(); }

std::vector<trace::EventSchema> raft_events() {
  return {
      {"role", {{"role", kS}, {"term", kI}},
       "the node's role or term changed (`follower`, `pre_candidate`, `candidate`, `leader`)"},
      {"vote", {{"for", kS}, {"term", kI}}, "this node voted (for itself as a candidate, or for another)"},
      {"append", {{"index", kI}, {"term", kI}, {"cmd", kS}},
       "an entry was added to this node's log (`cmd` \"\" is the leader's no-op)"},
      {"truncate", {{"from", kI}}, "entries from this index on were removed (a conflicting suffix)"},
      {"commit", {{"index", kI}}, "the node's commit index advanced to `index`"},
      {"apply", {{"index", kI}, {"term", kI}, {"cmd", kS}}, "the entry was applied to the key-value state machine"},
      {"client_request", {{"req", kI}, {"index", kI}}, "the leader accepted request `req` as entry `index`"},
      {"client_response", {{"req", kI}, {"ok", kB}, {"index", kI, false}, {"reason", kS, false}},
       "the leader answered: `ok` with `index` once committed and applied, else a `reason`"},
      {"recover", {{"log_len", kI}, {"term", kI}, {"snapshot", kI, false}},
       "after a restart, what storage held: the log's last index (compacted entries count) and, when the state "
       "machine was restored from a snapshot, the snapshot's last index (applies resume after it)"},
      {"snapshot", {{"index", kI}, {"term", kI}},
       "the node saved its state machine at applied index `index` (an entry of term `term`) and compacted its log "
       "up to there (a margin may stay); its logical log is unchanged"},
      {"install_snapshot", {{"index", kI}, {"term", kI}},
       "a follower installed the leader's snapshot through `index` (term `term`): its state machine is the "
       "leader's there, commit and applied become at least `index`, and unless its entry at `index` had term "
       "`term` its log is just the snapshot"},
  };
}

}  // namespace dsim::raft
