#include "protocols/mapreduce/definition.h"

#include <cstdio>

#include "dsim/assert.h"
#include "dsim/yaml_reader.h"
#include "protocols/mapreduce/checkers.h"
#include "protocols/mapreduce/mapreduce.h"
#include "protocols/mapreduce/stats.h"

namespace dsim::mapreduce {
namespace {
constexpr trace::FieldType kI = trace::FieldType::kInt, kS = trace::FieldType::kString, kB = trace::FieldType::kBool;

std::string text(Duration d) { return scenario::duration_text(d); }
const std::vector<std::string_view> kBugs = {"none", "non_atomic_commit", "never_reassign"};

// The section as read, with the variants `compare_backup` asks for.
struct Section {
  Config config;
  bool compare_backup = false;
};

class Stats final : public RunStats {
 public:
  void consume(const trace::Event& e) override { stats_.consume(e); }
  std::vector<std::string_view> kinds() const override { return stats_.kinds(); }
  void finish() override { report = stats_.finish(); }
  analysis::MapReduceReport report;

 private:
  analysis::MapReduceStats stats_;
};

const analysis::MapReduceReport* report_of(const LabelledStats& l) {
  const auto* s = dynamic_cast<const Stats*>(l.stats);
  return s ? &s->report : nullptr;
}

std::string ms(int64_t ns) {
  if (ns < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fms", static_cast<double>(ns) / 1e6);
  return buf;
}

class Definition final : public Protocol {
 public:
  std::string_view name() const override { return "mapreduce"; }
  std::string_view summary() const override {
    return "MapReduce: a coordinator re-executes the tasks of failed workers and backs up stragglers; word count";
  }
  std::string_view section_schema() const override {
    return R"json({
  "type": "object",
  "additionalProperties": false,
  "patternProperties": {
    "^x-": {}
  },
  "description": "MapReduce parameters",
  "properties": {
    "coordinator": {
      "type": "string",
      "description": "the coordinator node (default: the first); every other node is a worker"
    },
    "jobs": {
      "type": "integer",
      "minimum": 1,
      "description": "jobs run one after another (default 1)"
    },
    "records": {
      "type": "integer",
      "minimum": 1,
      "description": "input records per job (default 400)"
    },
    "map_tasks": {
      "type": "integer",
      "minimum": 1,
      "description": "map tasks (input splits) per job (default 8)"
    },
    "reduce_tasks": {
      "type": "integer",
      "minimum": 1,
      "description": "reduce tasks (word partitions) per job (default 4)"
    },
    "words_per_record": {
      "type": "integer",
      "minimum": 1,
      "description": "words in each record (default 5)"
    },
    "vocab": {
      "type": "integer",
      "minimum": 1,
      "description": "distinct words (default 40)"
    },
    "input_seed": {
      "type": "integer",
      "minimum": 0,
      "description": "which input is generated (default 1)"
    },
    "record_time": {
      "$ref": "#/definitions/duration",
      "description": "a map task's cost per record (default 5ms)"
    },
    "reduce_time": {
      "$ref": "#/definitions/duration",
      "description": "a reduce task's cost (default 150ms)"
    },
    "heartbeat": {
      "$ref": "#/definitions/duration",
      "description": "workers' heartbeat interval (default 50ms)"
    },
    "worker_timeout": {
      "$ref": "#/definitions/duration",
      "description": "a worker not heard from this long is dead (default 300ms)"
    },
    "backup": {
      "type": "boolean",
      "description": "launch backup attempts of stragglers near the end of a phase (default false)"
    },
    "backup_after": {
      "$ref": "#/definitions/duration",
      "description": "an attempt must have run this long to be backed up (default 200ms)"
    },
    "compare_backup": {
      "type": "boolean",
      "description": "dsim run and compare also run the scenario with backup flipped and print both (default false)"
    },
    "start": {
      "$ref": "#/definitions/duration",
      "description": "when the first job starts (default 100ms)"
    },
    "gap": {
      "$ref": "#/definitions/duration",
      "description": "between a job's end and the next one's start (default 200ms)"
    },
    "slow": {
      "type": "object",
      "additionalProperties": {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000
      },
      "description": "stragglers: worker -> slowdown factor of its tasks, e.g. {n4: 10}"
    },
    "bug": {
      "description": "planted bug"
    }
  }
})json";
  }

  std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const override {
    Section s;
    if (section) read_section(r, *section, s);
    if (r.nodes().size() < 2) r.nodes_error("protocol mapreduce needs at least 2 nodes: the coordinator and a worker");
    if (s.config.coordinator >= r.nodes().size()) s.config.coordinator = 0;
    return make_config(s);
  }

  std::string write(const ProtocolConfig& pc, const std::vector<std::string>& nodes) const override {
    const Section& s = config_of<Section>(pc);
    const Config& c = s.config;
    std::string slow;
    for (const auto& [n, f] : c.slow) slow += (slow.empty() ? "" : ", ") + nodes[n] + ": " + std::to_string(f);
    return "mapreduce: {coordinator: " + nodes[c.coordinator] + ", jobs: " + std::to_string(c.jobs) +
           ", records: " + std::to_string(c.records) + ", map_tasks: " + std::to_string(c.map_tasks) +
           ", reduce_tasks: " + std::to_string(c.reduce_tasks) + ", words_per_record: " +
           std::to_string(c.words_per_record) + ", vocab: " + std::to_string(c.vocab) +
           ", input_seed: " + std::to_string(c.input_seed) + ", record_time: " + text(c.record_time) +
           ", reduce_time: " + text(c.reduce_time) + ", heartbeat: " + text(c.heartbeat) +
           ", worker_timeout: " + text(c.worker_timeout) + ", backup: " + (c.backup ? "true" : "false") +
           ", backup_after: " + text(c.backup_after) + ", compare_backup: " + (s.compare_backup ? "true" : "false") +
           ", start: " + text(c.start) + ", gap: " + text(c.gap) + ", slow: {" + slow +
           "}, bug: " + std::string(kBugs[static_cast<size_t>(c.bug)]) + "}\n";
  }

  std::vector<std::string_view> roles() const override { return {"coordinator", "mapper", "reducer", "idle"}; }
  std::vector<std::string_view> bugs() const override { return kBugs; }
  std::string_view message_name(uint32_t type) const override { return message_type_name(type); }
  ReportHints report_hints() const override {
    return {"job",
            "job",
            "J",
            {{"coordinator", "#5c6bc0"}, {"mapper", "#43a047"}, {"reducer", "#fb8c00"}, {"idle", "#b0bec5"}}};
  }

  NodeFactory factory(const ProtocolConfig& pc, uint32_t) const override {
    const Config cfg = config_of<Section>(pc).config;
    return [cfg](NodeId id) { return make_node(cfg, id); };
  }

  std::vector<trace::EventSchema> events() const override {
    return {
        {"role", {{"role", kS}, {"job", kI}}, "the node's role (coordinator, mapper, reducer, idle) during job `job`"},
        {"job_start",
         {{"job", kI}, {"records", kI}, {"map_tasks", kI}, {"reduce_tasks", kI}, {"words_per_record", kI}, {"vocab", kI},
          {"input_seed", kI}},
         "the coordinator started a job of this shape (the checker regenerates its input from it)"},
        {"assign", {{"job", kI}, {"task", kI}, {"phase", kS}, {"worker", kS}, {"attempt", kI}, {"backup", kB}},
         "an attempt of a map or reduce task went to a worker (`backup`: a straggler's second attempt)"},
        {"requeue", {{"job", kI}, {"task", kI}, {"worker", kS}, {"reason", kS}},
         "a task went back to idle, to be re-executed: `worker_dead` or `lost` (the worker is not running it)"},
        {"worker_dead", {{"worker", kS}}, "no heartbeat from the worker for worker_timeout"},
        {"worker_alive", {{"worker", kS}}, "a worker declared dead was heard from again"},
        {"commit",
         {{"job", kI}, {"task", kI}, {"phase", kS}, {"worker", kS}, {"attempt", kI}, {"total", kI}, {"digest", kI},
          {"outputs", kI}},
         "the coordinator committed a task's output (durably): words counted, digest, outputs it holds"},
        {"discard", {{"job", kI}, {"task", kI}, {"worker", kS}, {"reason", kS}},
         "a completion was discarded: its task was committed already (`already_committed`) or its job finished (`job_finished`)"},
        {"coordinator_recovered", {{"job", kI}, {"committed", kI}},
         "a restarted coordinator resumed the job with the committed tasks from its storage"},
        {"job_done", {{"job", kI}, {"total", kI}, {"elapsed_ns", kI}},
         "every reduce task committed: the job's result counts `total` words"},
        {"task_start", {{"job", kI}, {"task", kI}, {"phase", kS}, {"attempt", kI}}, "a worker began an attempt"},
        {"task_done", {{"job", kI}, {"task", kI}, {"phase", kS}, {"attempt", kI}},
         "a worker finished an attempt and reported its output"},
    };
  }

  std::vector<analysis::CheckerInfo> checkers() const override {
    using analysis::CheckKind;
    return {
        {"mapreduce_result", CheckKind::kSafety,
         "every committed task output, and each job's result, equals the sequential word count (each input once)", false,
         false, "a job finished"},
        {"mapreduce_liveness", CheckKind::kLiveness,
         "every job finishes within the bound after max(its start, the last fault)", false, false,
         "a job finished (a started job unfinished once the bound passed is violated)"},
    };
  }
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec& spec) const override {
    if (spec.name == "mapreduce_result") return std::make_unique<analysis::MapReduceResult>();
    DSIM_ASSERT(spec.name == "mapreduce_liveness");
    return std::make_unique<analysis::MapReduceLiveness>(spec.within_ns > 0 ? spec.within_ns : 3'000'000'000);
  }

  std::vector<std::string> variants(const ProtocolConfig& pc) const override {
    const Section& s = config_of<Section>(pc);
    if (!s.compare_backup) return {};
    if (s.config.backup) return {"backup", "no backup"};
    return {"no backup", "backup"};
  }
  std::shared_ptr<const ProtocolConfig> with_variant(const ProtocolConfig& pc, size_t i) const override {
    Section s = config_of<Section>(pc);
    DSIM_ASSERT(s.compare_backup);
    DSIM_ASSERT(i < 2);
    if (i == 1) s.config.backup = !s.config.backup;
    return make_config(s);
  }

  std::unique_ptr<RunStats> stats(const ProtocolConfig&, const std::vector<std::string>&) const override {
    return std::make_unique<Stats>();
  }
  std::string stats_table(const std::vector<LabelledStats>& runs) const override {
    std::string out;
    char line[512];
    std::snprintf(line, sizeof line, "%-32s %6s %11s %11s %9s %8s %9s %9s %6s %7s\n", "run", "jobs", "mean job", "max job",
                  "attempts", "backups", "requeued", "discarded", "dead", "faults");
    out += line;
    for (const auto& run : runs) {
      const auto* m = report_of(run);
      if (!m) continue;
      const std::string jobs = std::to_string(m->jobs_done) + "/" + std::to_string(m->jobs_started);
      std::snprintf(line, sizeof line, "%-32s %6s %11s %11s %9llu %8llu %9llu %9llu %6llu %7llu\n", run.label.c_str(),
                    jobs.c_str(), ms(m->mean_ns).c_str(), ms(m->max_ns).c_str(),
                    static_cast<unsigned long long>(m->attempts), static_cast<unsigned long long>(m->backups),
                    static_cast<unsigned long long>(m->requeued), static_cast<unsigned long long>(m->discarded),
                    static_cast<unsigned long long>(m->workers_dead), static_cast<unsigned long long>(m->faults));
      out += line;
    }
    return out;
  }
  std::string stats_csv(const std::vector<LabelledStats>& runs) const override {
    std::string out = "run,jobs_started,jobs_done,mean_job_ms,max_job_ms,attempts,backups,requeued,discarded,workers_dead,faults\n";
    for (const auto& run : runs) {
      const auto* m = report_of(run);
      if (!m) continue;
      char line[512];
      std::snprintf(line, sizeof line, ",%llu,%llu,%.3f,%.3f,%llu,%llu,%llu,%llu,%llu,%llu\n",
                    static_cast<unsigned long long>(m->jobs_started), static_cast<unsigned long long>(m->jobs_done),
                    static_cast<double>(m->mean_ns) / 1e6, static_cast<double>(m->max_ns) / 1e6,
                    static_cast<unsigned long long>(m->attempts), static_cast<unsigned long long>(m->backups),
                    static_cast<unsigned long long>(m->requeued), static_cast<unsigned long long>(m->discarded),
                    static_cast<unsigned long long>(m->workers_dead), static_cast<unsigned long long>(m->faults));
      std::string label = run.label;
      if (label.find_first_of(",\"\n") != std::string::npos) {
        std::string q = "\"";
        for (char ch : label) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
        label = q + "\"";
      }
      out += label + line;
    }
    return out;
  }

 private:
  static void read_section(SectionReader& r, const YAML::Node& n, Section& s) {
    scenario::YamlReader& y = r.yaml();
    Config& c = s.config;
    if (!y.check_map(n, "mapreduce",
                     {"coordinator", "jobs", "records", "map_tasks", "reduce_tasks", "words_per_record", "vocab",
                      "input_seed", "record_time", "reduce_time", "heartbeat", "worker_timeout", "backup", "backup_after",
                      "compare_backup", "start", "gap", "slow", "bug"})) {
      return;
    }
    if (auto v = n["coordinator"]) {
      if (auto id = r.node(v, "mapreduce.coordinator")) c.coordinator = id->value;
    }
    const auto count = [&](const char* key, int64_t min, int64_t max, int64_t* out) {
      if (auto v = n[key]) *out = y.integer(v, std::string("mapreduce.") + key, min, max).value_or(*out);
    };
    count("jobs", 1, 1000, &c.jobs);
    count("records", 1, 1'000'000, &c.records);
    count("map_tasks", 1, 10'000, &c.map_tasks);
    count("reduce_tasks", 1, 10'000, &c.reduce_tasks);
    count("words_per_record", 1, 1000, &c.words_per_record);
    count("vocab", 1, 1'000'000, &c.vocab);
    count("input_seed", 0, int64_t{1} << 53, &c.input_seed);
    if (c.map_tasks > c.records) {
      y.error(n["map_tasks"] ? n["map_tasks"] : n, "'mapreduce.map_tasks' (" + std::to_string(c.map_tasks) +
                                                        ") must not exceed 'mapreduce.records' (" +
                                                        std::to_string(c.records) + "): every split needs a record");
    }
    if (c.records * c.words_per_record > 10'000'000) {
      y.error(n, "'mapreduce.records' x 'mapreduce.words_per_record' must be at most 10000000 words per job");
    }
    r.positive(n, "mapreduce", "record_time", &c.record_time);
    r.positive(n, "mapreduce", "reduce_time", &c.reduce_time);
    r.positive(n, "mapreduce", "heartbeat", &c.heartbeat);
    r.positive(n, "mapreduce", "worker_timeout", &c.worker_timeout);
    r.positive(n, "mapreduce", "backup_after", &c.backup_after);
    if (c.worker_timeout <= c.heartbeat) {
      y.error(n["worker_timeout"] ? n["worker_timeout"] : n,
              "'mapreduce.worker_timeout' must be longer than 'mapreduce.heartbeat' (" + text(c.heartbeat) +
                  "), or every worker is declared dead between two heartbeats");
    }
    if (auto v = n["start"]) c.start = y.duration(v, "mapreduce.start").value_or(c.start);
    if (auto v = n["gap"]) c.gap = y.duration(v, "mapreduce.gap").value_or(c.gap);
    if (auto v = n["backup"]) c.backup = y.boolean(v, "mapreduce.backup").value_or(c.backup);
    if (auto v = n["compare_backup"]) s.compare_backup = y.boolean(v, "mapreduce.compare_backup").value_or(false);
    if (auto v = n["slow"]) {
      if (y.check_free_map(v, "mapreduce.slow")) {
        for (const auto& kv : v) {
          const auto id = r.node(kv.first, "mapreduce.slow");
          const auto f = y.integer(kv.second, "mapreduce.slow." + kv.first.Scalar(), 1, 1000);
          if (!id || !f) continue;
          bool dup = false;
          for (const auto& [node, factor] : c.slow) dup = dup || node == id->value;
          if (dup) {
            y.error(kv.first, "'mapreduce.slow' names " + kv.first.Scalar() + " twice");
            continue;
          }
          c.slow.emplace_back(id->value, *f);
        }
      }
    }
    if (auto v = n["bug"]) {
      if (auto i = r.one_of(v, "mapreduce.bug", "planted bug for mapreduce", kBugs)) c.bug = static_cast<Config::Bug>(*i);
    }
    for (const auto& [node, factor] : c.slow) {
      if (node == c.coordinator) y.error(n["slow"], "'mapreduce.slow' names the coordinator; only workers run tasks");
    }
  }
};

}  // namespace

std::unique_ptr<Protocol> protocol() { return std::make_unique<Definition>(); }

}  // namespace dsim::mapreduce
