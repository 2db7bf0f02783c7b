// The trace schema in code: the engine's and the harness's event kinds
// (this file), plus a protocol's own (Protocol::events()). The reader
// validates a trace against it in strict mode; docs/trace-schema.md is
// compared with these tables by a test (`dsim schema --trace` prints them).
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dsim/trace_schema.h"

namespace dsim::trace {

// Kinds every trace may hold: the engine's (send, deliver, ...), the
// faults', the end, and the key-value clients' (invoke, ok, fail, info).
const std::vector<EventSchema>& engine_events();
const std::vector<EventSchema>& fault_events();
const std::vector<EventSchema>& client_events();

// One protocol's whole schema: the kinds above plus its own.
class Schema {
 public:
  // `protocol_events` empty: the protocol's own kinds are not checked
  // (any kind not in the tables above is accepted).
  Schema(std::string protocol, std::vector<EventSchema> protocol_events);
  // nullptr when the kind is unknown.
  const EventSchema* find(std::string_view kind) const;
  bool checks_protocol_kinds() const { return !own_.empty(); }
  const std::string& protocol() const { return protocol_; }
  // The protocol's kinds, for messages ("known: role, vote, ...").
  std::string own_kinds() const;

 private:
  std::string protocol_;
  std::vector<EventSchema> own_;
  std::map<std::string, const EventSchema*, std::less<>> by_kind_;
};

// A Markdown table of kinds (| kind | keys | meaning |), the form
// docs/trace-schema.md uses; an optional key is marked `key`?.
std::string markdown_table(const std::vector<EventSchema>& events);
// "`a`, `b` or `c`"-style key list of one kind, as in the doc's tables.
std::string keys_text(const EventSchema& e);

}  // namespace dsim::trace
