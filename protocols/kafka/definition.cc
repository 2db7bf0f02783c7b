#include "protocols/kafka/definition.h"

#include <algorithm>

#include "dsim/assert.h"
#include "dsim/yaml_reader.h"
#include "protocols/kafka/checkers.h"
#include "protocols/kafka/kafka.h"
#include "protocols/kafka/stats.h"

namespace dsim::kafka {
namespace {
constexpr trace::FieldType kI = trace::FieldType::kInt, kS = trace::FieldType::kString, kB = trace::FieldType::kBool;

std::string text(Duration d) { return scenario::duration_text(d); }
const std::vector<std::string_view> kBugs = {"none", "hw_uses_max", "fetch_beyond_hw"};  // Config::Bug order
const std::vector<std::string_view> kAcks = {"0", "1", "all"};                           // Config::Acks order

std::string node_list(const std::vector<uint32_t>& ids, const std::vector<std::string>& nodes) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + nodes[ids[i]];
  return out + "]";
}

class Definition final : public Protocol {
 public:
  std::string_view name() const override { return "kafka"; }
  std::string_view summary() const override {
    return "a Kafka-style replicated log: partitions with a leader, fetching followers, ISR, high watermark, "
           "acks 0/1/all, consumers, a controller with clean or unclean leader election";
  }
  std::string_view section_schema() const override {
    return R"json({
  "type": "object",
  "additionalProperties": false,
  "patternProperties": {
    "^x-": {}
  },
  "description": "Kafka-style replicated log parameters",
  "properties": {
    "controller": {"type": "string", "description": "the controller node, also the group coordinator (default: the first)"},
    "producers": {"type": "array", "items": {"type": "string"}, "minItems": 1, "description": "producer nodes (default: the second last)"},
    "consumers": {"type": "array", "items": {"type": "string"}, "minItems": 1, "description": "consumer nodes (default: the last)"},
    "topics": {"type": "integer", "minimum": 1, "description": "topics (default 1)"},
    "partitions": {"type": "integer", "minimum": 1, "description": "partitions per topic (default 1)"},
    "replication_factor": {"type": "integer", "minimum": 1, "description": "replicas per partition (default 3)"},
    "acks": {"enum": ["0", "1", "all", 0, 1], "description": "when a producer is answered: 0 never, 1 once the leader wrote it, all once the high watermark passed it (default all)"},
    "min_insync_replicas": {"type": "integer", "minimum": 1, "description": "acks=all is refused while the ISR is smaller (default 1)"},
    "unclean_leader_election": {"type": "boolean", "description": "elect a replica outside the ISR when no ISR member is alive (default false)"},
    "replica_lag_time_max": {"$ref": "#/definitions/duration", "description": "a follower not caught up for this long leaves the ISR (default 300ms)"},
    "fetch_interval": {"$ref": "#/definitions/duration", "description": "an idle follower's fetch rhythm (default 10ms)"},
    "max_fetch_records": {"type": "integer", "minimum": 1, "description": "records per fetch response (default 50)"},
    "heartbeat": {"$ref": "#/definitions/duration", "description": "broker heartbeats to the controller; the leaders' ISR check (default 50ms)"},
    "session_timeout": {"$ref": "#/definitions/duration", "description": "the controller declares a silent broker dead (default 300ms)"},
    "request_timeout": {"$ref": "#/definitions/duration", "description": "an unanswered request is given up (default 200ms)"},
    "messages": {"type": "integer", "minimum": 0, "description": "records each producer sends (default 100)"},
    "interval": {
      "oneOf": [
        {"$ref": "#/definitions/duration"},
        {"type": "array", "items": {"$ref": "#/definitions/duration"}, "minItems": 2, "maxItems": 2}
      ],
      "description": "time between a producer's records (default [10ms, 30ms])"
    },
    "retries": {"type": "integer", "minimum": 0, "description": "a failed send is retried this often (default 3)"},
    "retry_backoff": {"$ref": "#/definitions/duration", "description": "pause before a retry (default 100ms)"},
    "start": {"$ref": "#/definitions/duration", "description": "first record and first poll (default 100ms)"},
    "poll_interval": {"$ref": "#/definitions/duration", "description": "consumer poll rhythm (default 50ms)"},
    "commit_interval": {"$ref": "#/definitions/duration", "description": "consumer offset commits (default 200ms)"},
    "bug": {"description": "planted bug"}
  }
})json";
  }

  std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const override {
    Config c;
    const auto n = static_cast<uint32_t>(r.nodes().size());
    if (n < 4) {
      r.nodes_error("protocol kafka needs at least 4 nodes: a controller, a broker, a producer and a consumer");
      return make_config(c);
    }
    c.producers = {n - 2};
    c.consumers = {n - 1};
    if (section) read_section(r, *section, c);
    validate(r, section, c, n);
    return make_config(c);
  }

  std::string write(const ProtocolConfig& pc, const std::vector<std::string>& nodes) const override {
    const Config& c = config_of<Config>(pc);
    return "kafka: {controller: " + nodes[c.controller] + ", producers: " + node_list(c.producers, nodes) +
           ", consumers: " + node_list(c.consumers, nodes) + ", topics: " + std::to_string(c.topics) +
           ", partitions: " + std::to_string(c.partitions) + ", replication_factor: " + std::to_string(c.replication_factor) +
           ", acks: " + std::string(acks_name(c.acks)) + ", min_insync_replicas: " + std::to_string(c.min_insync_replicas) +
           ", unclean_leader_election: " + (c.unclean_leader_election ? "true" : "false") +
           ", replica_lag_time_max: " + text(c.replica_lag_time_max) + ", fetch_interval: " + text(c.fetch_interval) +
           ", max_fetch_records: " + std::to_string(c.max_fetch_records) + ", heartbeat: " + text(c.heartbeat) +
           ", session_timeout: " + text(c.session_timeout) + ", request_timeout: " + text(c.request_timeout) +
           ", messages: " + std::to_string(c.messages) + ", interval: [" + text(c.interval_min) + ", " +
           text(c.interval_max) + "], retries: " + std::to_string(c.retries) + ", retry_backoff: " + text(c.retry_backoff) +
           ", start: " + text(c.start) + ", poll_interval: " + text(c.poll_interval) +
           ", commit_interval: " + text(c.commit_interval) + ", bug: " + std::string(kBugs[static_cast<size_t>(c.bug)]) + "}\n";
  }

  std::vector<std::string_view> roles() const override { return {"controller", "leader", "follower", "producer", "consumer"}; }
  std::vector<std::string_view> bugs() const override { return kBugs; }
  std::string_view message_name(uint32_t type) const override { return message_type_name(type); }
  ReportHints report_hints() const override {
    return {"leader_epoch", "leader epoch", "E",
            {{"controller", "#5c6bc0"}, {"producer", "#f9a825"}, {"consumer", "#8d6e63"}}};
  }

  NodeFactory factory(const ProtocolConfig& pc, uint32_t nodes) const override {
    const Config cfg = config_of<Config>(pc);
    return [cfg, nodes](NodeId id) { return make_node(cfg, nodes, id); };
  }

  std::vector<trace::EventSchema> events() const override {
    return {
        {"elect", {{"partition", kI}, {"leader", kS}, {"epoch", kI}, {"isr", kS}, {"clean", kB}},
         "the controller chose a partition's leader for a new leader epoch (`leader` empty: offline; `clean` false: "
         "from outside the ISR)"},
        {"isr_change", {{"partition", kI}, {"epoch", kI}, {"isr", kS}, {"version", kI}, {"reason", kS}},
         "the controller changed a partition's ISR (`reason`: shrink, expand, broker_down)"},
        {"broker_down", {{"broker", kS}}, "the controller heard no heartbeat from a broker for the session timeout"},
        {"broker_up", {{"broker", kS}}, "a broker the controller had declared dead sent a heartbeat"},
        {"offset_commit", {{"consumer", kS}, {"partition", kI}, {"offset", kI}}, "the controller stored a consumer's position"},
        {"role", {{"role", kS}, {"leader_epoch", kI}}, "a broker began or stopped leading partitions"},
        {"become_leader", {{"partition", kI}, {"epoch", kI}, {"leo", kI}, {"hw", kI}}, "a broker took up a partition's leadership"},
        {"become_follower", {{"partition", kI}, {"epoch", kI}, {"leader", kS}}, "a broker follows a partition's leader"},
        {"append", {{"partition", kI}, {"offset", kI}, {"epoch", kI}, {"msg", kI}}, "a leader appended a produced record"},
        {"replicate", {{"partition", kI}, {"offset", kI}, {"epoch", kI}, {"msg", kI}}, "a follower copied a record from its leader"},
        {"truncate", {{"partition", kI}, {"from", kI}, {"to", kI}}, "a follower cut its log where it diverges from the leader's"},
        {"hw", {{"partition", kI}, {"hw", kI}, {"epoch", kI}}, "a leader advanced the high watermark"},
        {"isr_propose", {{"partition", kI}, {"epoch", kI}, {"isr", kS}, {"reason", kS}},
         "a leader asked the controller to change the ISR (`reason`: lagging, caught_up)"},
        {"produce_refused", {{"partition", kI}, {"msg", kI}, {"isr_size", kI}},
         "an acks=all record refused: the ISR is below min_insync_replicas"},
        {"produce", {{"msg", kI}, {"partition", kI}, {"attempt", kI}}, "a producer sent a record (attempt 0, then retries)"},
        {"ack", {{"msg", kI}, {"partition", kI}, {"offset", kI}, {"epoch", kI}, {"acks", kS}},
         "a producer was told its record is written at `offset`"},
        {"produce_error", {{"msg", kI}, {"partition", kI}, {"error", kS}, {"attempt", kI}}, "a send failed or timed out"},
        {"gave_up", {{"msg", kI}, {"partition", kI}}, "a producer gave up on a record after its retries"},
        {"consumer_start", {{"partition", kI}, {"offset", kI}}, "a consumer starts a partition at its committed offset"},
        {"consume", {{"partition", kI}, {"offset", kI}, {"msg", kI}}, "a consumer read a record"},
        {"consumer_reset", {{"partition", kI}, {"from", kI}, {"to", kI}},
         "a consumer's position was past the leader's log end: it starts again at the leader's high watermark"},
    };
  }

  std::vector<analysis::CheckerInfo> checkers() const override {
    using analysis::CheckKind;
    return {
        {"acked_durable", CheckKind::kSafety,
         "every acknowledged record is in its partition leader's log at the end (what acks=1 and acks=all promise)", false,
         false, "a record acknowledged to a producer"},
        {"consumer_offsets", CheckKind::kSafety,
         "consumers read each partition in offset order, without gaps, below the high watermark", false, false,
         "a record read by a consumer"},
        {"replica_prefix", CheckKind::kSafety,
         "below the high watermark every replica's log is a prefix of the leader's", false, false,
         "a high watermark above 0 (a committed record)"},
    };
  }
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec& spec) const override {
    if (spec.name == "acked_durable") return std::make_unique<AckedDurable>();
    if (spec.name == "consumer_offsets") return std::make_unique<ConsumerOffsets>();
    DSIM_ASSERT(spec.name == "replica_prefix");
    return std::make_unique<ReplicaPrefix>();
  }

  std::unique_ptr<RunStats> stats(const ProtocolConfig& pc, const std::vector<std::string>&) const override {
    const Config& c = config_of<Config>(pc);
    return std::make_unique<KafkaStats>(std::string(acks_name(c.acks)), c.unclean_leader_election, c.total_partitions());
  }
  std::string stats_table(const std::vector<LabelledStats>& runs) const override { return kafka::stats_table(runs); }
  std::string stats_csv(const std::vector<LabelledStats>& runs) const override { return kafka::stats_csv(runs); }

 private:
  static void read_nodes(SectionReader& r, const YAML::Node& v, std::string_view where, std::vector<uint32_t>* out) {
    if (!v.IsSequence() || v.size() == 0) {
      r.yaml().error(v, "'" + std::string(where) + "' must be a non-empty list of nodes");
      return;
    }
    out->clear();
    for (size_t i = 0; i < v.size(); ++i) {
      if (auto id = r.node(v[i], std::string(where) + "[" + std::to_string(i) + "]")) {
        if (std::find(out->begin(), out->end(), id->value) != out->end()) {
          r.yaml().error(v[i], "'" + std::string(where) + "' names " + r.nodes()[id->value] + " twice");
        } else {
          out->push_back(id->value);
        }
      }
    }
  }

  static void read_section(SectionReader& r, const YAML::Node& n, Config& c) {
    scenario::YamlReader& y = r.yaml();
    if (!y.check_map(n, "kafka", {"controller", "producers", "consumers", "topics", "partitions", "replication_factor", "acks",
                                  "min_insync_replicas", "unclean_leader_election", "replica_lag_time_max", "fetch_interval",
                                  "max_fetch_records", "heartbeat", "session_timeout", "request_timeout", "messages",
                                  "interval", "retries", "retry_backoff", "start", "poll_interval", "commit_interval", "bug"})) {
      return;
    }
    if (auto v = n["controller"]) {
      if (auto id = r.node(v, "kafka.controller")) c.controller = id->value;
    }
    if (auto v = n["producers"]) read_nodes(r, v, "kafka.producers", &c.producers);
    if (auto v = n["consumers"]) read_nodes(r, v, "kafka.consumers", &c.consumers);
    if (auto v = n["topics"]) c.topics = static_cast<uint32_t>(y.integer(v, "kafka.topics", 1, 100).value_or(c.topics));
    if (auto v = n["partitions"]) c.partitions = static_cast<uint32_t>(y.integer(v, "kafka.partitions", 1, 1000).value_or(c.partitions));
    if (auto v = n["replication_factor"]) {
      c.replication_factor = static_cast<uint32_t>(y.integer(v, "kafka.replication_factor", 1, 63).value_or(c.replication_factor));
    }
    if (auto v = n["acks"]) {
      if (auto i = r.one_of(v, "kafka.acks", "acks setting", kAcks)) c.acks = static_cast<Config::Acks>(*i);
    }
    if (auto v = n["min_insync_replicas"]) {
      c.min_insync_replicas = static_cast<uint32_t>(y.integer(v, "kafka.min_insync_replicas", 1, 63).value_or(c.min_insync_replicas));
    }
    if (auto v = n["unclean_leader_election"]) {
      c.unclean_leader_election = y.boolean(v, "kafka.unclean_leader_election").value_or(false);
    }
    r.positive(n, "kafka", "replica_lag_time_max", &c.replica_lag_time_max);
    r.positive(n, "kafka", "fetch_interval", &c.fetch_interval);
    if (auto v = n["max_fetch_records"]) {
      c.max_fetch_records = static_cast<uint32_t>(y.integer(v, "kafka.max_fetch_records", 1, 100000).value_or(c.max_fetch_records));
    }
    r.positive(n, "kafka", "heartbeat", &c.heartbeat);
    r.positive(n, "kafka", "session_timeout", &c.session_timeout);
    r.positive(n, "kafka", "request_timeout", &c.request_timeout);
    if (auto v = n["messages"]) c.messages = static_cast<uint32_t>(y.integer(v, "kafka.messages", 0, 999999).value_or(c.messages));
    if (auto v = n["interval"]) {
      if (auto range = y.duration_range(v, "kafka.interval")) {
        c.interval_min = range->first;
        c.interval_max = range->second;
      }
    }
    if (auto v = n["retries"]) c.retries = static_cast<uint32_t>(y.integer(v, "kafka.retries", 0, 1000).value_or(c.retries));
    r.positive(n, "kafka", "retry_backoff", &c.retry_backoff);
    if (auto v = n["start"]) c.start = y.duration(v, "kafka.start").value_or(c.start);
    r.positive(n, "kafka", "poll_interval", &c.poll_interval);
    r.positive(n, "kafka", "commit_interval", &c.commit_interval);
    if (auto v = n["bug"]) {
      if (auto i = r.one_of(v, "kafka.bug", "planted bug for kafka", kBugs)) c.bug = static_cast<Config::Bug>(*i);
    }
  }

  // The checks between keys and against the node layout.
  static void validate(SectionReader& r, const YAML::Node* section, const Config& c, uint32_t n) {
    scenario::YamlReader& y = r.yaml();
    const YAML::Node none;
    auto at = [&](const char* key) -> YAML::Node {
      if (section && (*section)[key]) return (*section)[key];
      return section ? *section : none;
    };
    auto report = [&](const char* key, const std::string& msg) {
      if (section) y.error(at(key), msg);
      else r.nodes_error(msg);
    };
    for (uint32_t p : c.producers) {
      if (p == c.controller) report("producers", "the controller " + r.nodes()[p] + " cannot also be a producer");
      if (std::find(c.consumers.begin(), c.consumers.end(), p) != c.consumers.end()) {
        report("consumers", r.nodes()[p] + " cannot be both a producer and a consumer");
      }
    }
    for (uint32_t q : c.consumers) {
      if (q == c.controller) report("consumers", "the controller " + r.nodes()[q] + " cannot also be a consumer");
    }
    const size_t brokers = c.brokers(n).size();
    if (brokers == 0) {
      report("controller", "kafka needs at least one broker: every node is the controller, a producer or a consumer");
    } else if (brokers > 63) {
      report("controller", "kafka supports at most 63 brokers (" + std::to_string(brokers) + " here)");
    } else if (c.replication_factor > brokers) {
      report("replication_factor", "'kafka.replication_factor' (" + std::to_string(c.replication_factor) + ") is more than the " +
                                       std::to_string(brokers) + " broker(s)");
    }
    if (c.min_insync_replicas > c.replication_factor) {
      report("min_insync_replicas", "'kafka.min_insync_replicas' (" + std::to_string(c.min_insync_replicas) +
                                        ") is more than kafka.replication_factor (" + std::to_string(c.replication_factor) +
                                        "): acks=all could never succeed");
    }
    if (c.total_partitions() > 1000) report("partitions", "kafka supports at most 1000 partitions over all topics");
    if (c.heartbeat >= c.session_timeout) {
      report("heartbeat", "'kafka.heartbeat' must be shorter than kafka.session_timeout, or every broker is declared dead");
    }
  }
};

}  // namespace

std::unique_ptr<Protocol> protocol() { return std::make_unique<Definition>(); }

}  // namespace dsim::kafka
