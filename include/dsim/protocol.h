// A protocol as dsim sees it: one object that says everything the loader,
// the runner, the checkers, the report and the command line need to know.
//
// Every built-in protocol is a Protocol in its own folder (protocols/<name>/
// definition.cc) and one line in the registration list; a user's program
// adds its own the same way (Registry::add), and gets the whole command line
// for it. Nothing outside the protocol's folder names it.
//
// A Protocol is stateless and shared by every run: what a scenario says about
// the protocol is its ProtocolConfig, read once by read() and immutable after.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsim/checker.h"
#include "dsim/ids.h"
#include "dsim/message.h"
#include "dsim/node.h"
#include "dsim/prng.h"
#include "dsim/report_hints.h"
#include "dsim/time.h"
#include "dsim/trace_event.h"
#include "dsim/trace_schema.h"
#include "dsim/yaml_reader.h"

namespace dsim {

// A protocol's own section of a scenario, after validation. Protocols derive
// their config from it; dsim only stores and hands it back.
class ProtocolConfig {
 public:
  virtual ~ProtocolConfig() = default;
};

// What a protocol's read() gets: the strict YAML reader (every error with
// file:line:col) plus what the rest of the scenario already settled.
class SectionReader {
 public:
  SectionReader(scenario::YamlReader& yaml, const std::vector<std::string>& nodes, const YAML::Node& nodes_key)
      : yaml_(yaml), nodes_(nodes), nodes_key_(nodes_key) {}

  scenario::YamlReader& yaml() { return yaml_; }
  // The scenario's nodes (servers), in order: NodeId{i} is nodes()[i].
  const std::vector<std::string>& nodes() const { return nodes_; }

  void error(const YAML::Node& at, const std::string& msg) { yaml_.error(at, msg); }
  // An error about the node list (counts, layout): reported at `nodes:`.
  void nodes_error(const std::string& msg) { yaml_.error(nodes_key_, msg); }

  // A node named by a scalar; an error (with the closest name) otherwise.
  std::optional<NodeId> node(const YAML::Node& n, std::string_view where);
  // `section.key`: a positive duration, into *out when present.
  void positive(const YAML::Node& section, std::string_view name, const char* key, Duration* out);
  // `section.key`: a number in [min, max], into *out when present.
  void number(const YAML::Node& section, std::string_view name, const char* key, double min, double max, double* out,
              std::string_view hint = "");
  // A scalar that must be one of `names`: its index, or an error naming the
  // closest one. `what` reads "planted bug for raft" etc.
  std::optional<size_t> one_of(const YAML::Node& v, std::string_view where, std::string_view what,
                               const std::vector<std::string_view>& names);

 private:
  scenario::YamlReader& yaml_;
  const std::vector<std::string>& nodes_;
  const YAML::Node& nodes_key_;
};

// How the scenario's `workload:` section feeds this protocol.
struct WorkloadInputs {
  enum class Kind {
    kNone,     // no workload section
    kPerNode,  // inputs scheduled up front to a node (`from`, or a random one)
    kToLeader  // inputs sent when due to the current leader (`to: leader`), else a random node
  };
  Kind kind = Kind::kNone;
  std::string_view count_key;  // the YAML key that counts inputs ("requests", ...)
  uint32_t max_count = 10'000'000;
  bool keys = false;           // the section accepts `keys` (commands write k0..k(keys-1))
  // The k-th input (k from 0). `keys` is workload.keys. Draws from `rng` must
  // be the same on every run: they are part of the trace.
  std::function<Message(uint32_t k, uint32_t keys, Rng& rng)> make;
};

// Statistics a protocol keeps over a run, beside the checkers.
class RunStats : public trace::Consumer {
 public:
  virtual void finish() = 0;
};

// One labelled run of a scenario (a variant, or one scenario of many).
struct LabelledStats {
  std::string label;
  const RunStats* stats;
};

// What an experiment may ask of the command line around it.
struct ExperimentIo {
  // Writes a whole output file the way every dsim output is written (never
  // a partial file; devices and FIFOs written into). Returns 0, or after
  // printing the error, the exit code to return (6 no space, 74 I/O).
  std::function<int(const std::string& path, const std::string& text)> write;
  // Prints a command-line error the way dsim does; returns the exit code (2).
  std::function<int(const std::string& message)> usage_error;
};

// A protocol experiment (`dsim experiment NAME ...`): its own command line,
// output and exit code (0 done, 2 bad arguments, as the rest of dsim).
struct Experiment {
  std::string_view name;
  std::string_view summary;
  std::function<int(const std::vector<std::string>& args, const ExperimentIo& io)> run;
};

class Protocol : public MessageNames {
 public:
  virtual ~Protocol() = default;

  virtual std::string_view name() const = 0;
  virtual std::string_view summary() const = 0;

  // ---- Scenario YAML
  // The protocol's section (`raft:`), or nullptr when the scenario has none:
  // defaults, then the checks that involve the node layout (node counts).
  // Returns nullptr after reporting an error.
  virtual std::shared_ptr<const ProtocolConfig> read(SectionReader& r, const YAML::Node* section) const = 0;
  // The section as YAML that read() gives back equal ("raft: {...}\n"), or "".
  virtual std::string write(const ProtocolConfig& c, const std::vector<std::string>& nodes) const = 0;
  // The section's JSON Schema (draft 7) for editors, as JSON text; it may
  // refer to #/definitions/duration, signed_duration, probability and
  // latency. `dsim schema --scenario` assembles the scenario schema from
  // every protocol's. "" (the default): any mapping.
  virtual std::string_view section_schema() const { return {}; }
  // Key-value clients (`clients:`) may be attached to the servers.
  virtual bool accepts_clients() const { return false; }
  virtual WorkloadInputs workload() const { return {}; }

  // ---- Nodes and faults
  // Roles a fault may target (`crash: leader`), as the nodes report them.
  virtual std::vector<std::string_view> roles() const { return {}; }
  // Planted-bug names (the first is "none"), for listings and docs.
  virtual std::vector<std::string_view> bugs() const { return {}; }
  virtual NodeFactory factory(const ProtocolConfig& c, uint32_t nodes) const = 0;
  // The protocol's group (ctx.cluster_size()): the first N nodes.
  virtual uint32_t cluster_size(const ProtocolConfig&, uint32_t nodes) const { return nodes; }
  // The trace's name for a message type, or "" to ask the sending node.
  std::string_view message_name(uint32_t /*type*/) const override { return {}; }

  // ---- Checkers
  virtual std::vector<analysis::CheckerInfo> checkers() const = 0;
  // REQUIRES: spec.name is one of checkers().
  virtual std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec& spec) const = 0;

  // ---- Variants: runs of one scenario that differ in one setting (the load
  // balancer's policies); `dsim run` and `compare` run each.
  virtual std::vector<std::string> variants(const ProtocolConfig&) const { return {}; }
  virtual std::shared_ptr<const ProtocolConfig> with_variant(const ProtocolConfig& c, size_t) const;

  // ---- Statistics and tables
  virtual std::unique_ptr<RunStats> stats(const ProtocolConfig&, const std::vector<std::string>& /*nodes*/) const {
    return nullptr;
  }
  // A table for people, CSV for tools, and a per-second series as CSV.
  virtual std::string stats_table(const std::vector<LabelledStats>&) const { return {}; }
  virtual std::string stats_csv(const std::vector<LabelledStats>&) const { return {}; }
  virtual std::string stats_series_csv(const std::vector<LabelledStats>&) const { return {}; }

  // ---- Trace schema: the kinds this protocol's nodes emit (ctx.emit) and
  // their keys. `dsim check` then refuses a trace of this protocol with a
  // kind it does not know, a missing key or a key of the wrong type. Empty
  // (the default): the protocol's own events are not checked.
  virtual std::vector<trace::EventSchema> events() const { return {}; }

  virtual ReportHints report_hints() const { return {}; }
  virtual std::vector<Experiment> experiments() const { return {}; }
  // Whether a run of this configuration replays exactly from its seed.
  // Protocols whose nodes depend on something outside dsim's control (a
  // child process without the deterministic extension, real time) say
  // false: the trace header then carries "reproducible": false and
  // `dsim run` says so.
  virtual bool reproducible(const ProtocolConfig&) const { return true; }
};

// A protocol judged exactly as another one: a student's implementation of
// a lab, or a rewrite of a built-in, that emits the reference's trace events
// and serves the reference's workload. Workload inputs, trace schema,
// checkers and report hints are the reference's; the derived class gives
// its name, YAML section, roles, nodes and message names.
class JudgedLike : public Protocol {
 public:
  explicit JudgedLike(const Protocol& reference) : ref_(reference) {}
  const Protocol& reference() const { return ref_; }

  WorkloadInputs workload() const override { return ref_.workload(); }
  std::vector<trace::EventSchema> events() const override { return ref_.events(); }
  std::vector<analysis::CheckerInfo> checkers() const override { return ref_.checkers(); }
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec& spec) const override {
    return ref_.make_checker(spec);
  }
  ReportHints report_hints() const override { return ref_.report_hints(); }

 private:
  const Protocol& ref_;
};

// A typed config: `Config<raft::Config>` holds a raft::Config.
template <typename T>
class Config final : public ProtocolConfig {
 public:
  explicit Config(T v) : value(std::move(v)) {}
  T value;
};

template <typename T>
const T& config_of(const ProtocolConfig& c) {
  return static_cast<const Config<T>&>(c).value;
}

template <typename T>
std::shared_ptr<const ProtocolConfig> make_config(T v) {
  return std::make_shared<const Config<T>>(std::move(v));
}

}  // namespace dsim
