#include "sim/trace/schema.h"

#include "dsim/assert.h"

namespace dsim::trace {
namespace {
constexpr FieldType kI = FieldType::kInt;
constexpr FieldType kS = FieldType::kString;
constexpr FieldType kB = FieldType::kBool;
constexpr bool kOptional = false;
}  // namespace

const std::vector<EventSchema>& engine_events() {
  static const std::vector<EventSchema> kAll = {
      {"start", {}, "the node started (time 0)"},
      {"send", {{"msg", kI}, {"to", kS}, {"type", kS}},
       "a message left; `msg` is unique per send (both copies of a duplicate share it); then the message's contents, "
       "as its protocol describes them (e.g. `term`, `granted`, `prev_index`)"},
      {"duplicate", {{"msg", kI}}, "the network will deliver `msg` twice"},
      {"drop", {{"msg", kI}, {"reason", kS}},
       "lost: `loss` (random), `partition` (cut at send or on arrival), `node_down` (receiver crashed)"},
      {"deliver", {{"msg", kI}, {"from", kS}}, "handed to the node"},
      {"input", {{"msg", kI}, {"type", kS}}, "a request from outside (workload, client)"},
      {"harness_input", {{"to", kS}, {"req", kI}},
       "the harness sent workload input `req` to node `to` (on the global line): evidence liveness checkers count"},
      {"timer", {{"tag", kI}}, "a timer fired; `tag` is the protocol's own"},
      {"storage_write", {{"syncs", kI}, {"busy_ns", kI}},
       "the callback's `syncs` durable writes keep the node busy for `busy_ns` (scenario `storage.write_latency`)"},
      {"node_failure", {{"reason", kS}},
       "the node's own code reported that it broke a rule (Context::fail): the run stopped here; the next line is `end`"},
      {"end",
       {{"events", kI}, {"sent", kI}, {"delivered", kI}, {"dropped", kI}, {"duplicated", kI}, {"budget_exhausted", kB}},
       "the last line of a finished run; a trace without it is incomplete"},
  };
  return kAll;
}

const std::vector<EventSchema>& fault_events() {
  static const std::vector<EventSchema> kAll = {
      {"crash", {{"lose_unsynced", kB}, {"unsynced_writes", kI}},
       "volatile state gone; storage kept (minus unsynced writes if `lose_unsynced`)"},
      {"restart", {}, "a fresh node object recovers from storage"},
      {"pause", {{"for_ns", kI}}, "process stopped: its messages and timers wait"},
      {"resume", {{"held", kI}}, "pause over; `held` events are handed over now, in arrival order"},
      {"partition", {{"groups", kS}}, "e.g. `\"n1,n2|n3,n4,n5\"`: only nodes in the same group can talk"},
      {"isolate", {{"groups", kS}}, "a partition of one node from the rest"},
      {"cut", {{"from", kS}, {"to", kS}}, "one way: `from` can no longer reach `to`"},
      {"heal", {}, "the network is whole again: no partition, cut or disconnection (`heal: all`, or the last timed fault ended)"},
      {"clog", {{"target", kS, kOptional}, {"from", kS, kOptional}, {"to", kS, kOptional}, {"for_ns", kI}},
       "messages held back (not lost) for the duration: of `target`, or from `from` to `to`"},
      {"clock_jump", {{"by_ns", kI}, {"local_ns", kI}}, "the node's clock stepped"},
      {"clock_drift", {{"ppm", kI}}, "the node's clock rate changed"},
      {"disconnect", {{"nodes", kS}, {"disconnected", kS}},
       "`nodes` cut off from every other node; `disconnected`: all nodes cut off now"},
      {"reconnect", {{"nodes", kS}, {"disconnected", kS}},
       "`nodes` reachable again (unless another disconnection still holds them); `disconnected`: those still cut off"},
      {"restore", {{"fault", kS}},
       "a timed fault (`partition`, `isolate`, `cut`) ended while other faults still split the network"},
      {"network", {{"changes", kS}},
       "the default link parameters changed mid-run, e.g. `drop=0.1 latency=5ms`"},
      {"fault_skipped", {{"fault", kS}, {"reason", kS}},
       "a scripted fault could not apply (node already down, no node has the role)"},
  };
  return kAll;
}

const std::vector<EventSchema>& client_events() {
  // Values are integers (the clients write unique integers); absent is null.
  static const std::vector<EventSchema> kAll = {
      {"invoke",
       {{"process", kI}, {"f", kS}, {"key", kS}, {"value", kI, kOptional}, {"expected", kI, kOptional},
        {"new", kI, kOptional}},
       "the client sent the request: `value` for a write, `expected` (absent: null) and `new` for a cas"},
      {"ok",
       {{"process", kI}, {"f", kS}, {"key", kS}, {"value", kI, kOptional}, {"expected", kI, kOptional},
        {"new", kI, kOptional}},
       "it took effect; a read's `value` (absent: null)"},
      {"fail",
       {{"process", kI}, {"f", kS}, {"key", kS}, {"value", kI, kOptional}, {"expected", kI, kOptional},
        {"new", kI, kOptional}},
       "it definitely did not take effect"},
      {"info",
       {{"process", kI}, {"f", kS}, {"key", kS}, {"value", kI, kOptional}, {"expected", kI, kOptional},
        {"new", kI, kOptional}},
       "unknown (timed out); the client continues as process + clients"},
  };
  return kAll;
}

Schema::Schema(std::string protocol, std::vector<EventSchema> protocol_events)
    : protocol_(std::move(protocol)), own_(std::move(protocol_events)) {
  for (const auto* table : {&engine_events(), &fault_events(), &client_events()}) {
    for (const EventSchema& e : *table) by_kind_.emplace(std::string(e.kind), &e);
  }
  // A protocol kind with an engine kind's name would be ambiguous: the
  // engine's wins, and a protocol must not declare one (checked in tests).
  for (const EventSchema& e : own_) by_kind_.emplace(std::string(e.kind), &e);
}

const EventSchema* Schema::find(std::string_view kind) const {
  const auto it = by_kind_.find(kind);
  return it == by_kind_.end() ? nullptr : it->second;
}

std::string Schema::own_kinds() const {
  std::string out;
  for (const EventSchema& e : own_) out += (out.empty() ? "" : ", ") + std::string(e.kind);
  return out;
}

std::string keys_text(const EventSchema& e) {
  std::string out;
  for (const FieldSchema& f : e.fields) {
    if (!out.empty()) out += ", ";
    out += "`" + std::string(f.name) + "`";
    if (!f.required) out += "?";
  }
  return out;
}

std::string markdown_table(const std::vector<EventSchema>& events) {
  std::string out = "| kind | keys | meaning |\n|------|------|---------|\n";
  for (const EventSchema& e : events) {
    std::string meaning;
    for (char c : e.meaning) {
      if (c == '|') meaning += '\\';  // a bar inside a table cell
      meaning += c;
    }
    out += "| `" + std::string(e.kind) + "` | " + keys_text(e) + " | " + meaning + " |\n";
  }
  return out;
}

}  // namespace dsim::trace
