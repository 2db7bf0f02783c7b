// Client operation histories (docs/history-format.md): the key-value
// register model Jepsen, Knossos and Porcupine check. An operation is an
// invoke plus its completion (ok, fail, info); a missing completion counts
// as info. Histories come from a standalone JSON Lines file or from the
// client events of a dsim trace (kinds invoke/ok/fail/info), through the
// same Builder, so both get the same validation.
#pragma once
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dsim/trace_event.h"

namespace dsim::analysis::history {

enum class F : uint8_t { kRead, kWrite, kCas };
enum class Type : uint8_t { kInvoke, kOk, kFail, kInfo };

const char* to_string(F f);
const char* to_string(Type t);

inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();  // completion of info / pending ops

// Register values are compared by type and value; they are kept as
// canonical JSON text: null, 5, "5".
inline constexpr std::string_view kNull = "null";

struct Op {
  uint32_t process = 0;
  F f = F::kRead;
  Type status = Type::kInfo;  // kOk, kFail or kInfo (pending ops are kInfo)
  std::string key;
  std::string value;     // write: the value; cas: expected; read (ok): the value read
  std::string cas_new;   // cas: the new value
  int64_t invoke = 0;
  int64_t complete = kNever;
  uint64_t line = 0;     // where the invoke was (file line or trace line), for messages
};

// Assembles operations from events in order and enforces the format's
// rules: nondecreasing time, invoke/completion alternation per process,
// matching f and key, no invoke after info, no null written.
class Builder {
 public:
  // `value` is canonical JSON text; for cas, `value` is expected and
  // `cas_new` the new value. Returns an error message, or "".
  std::string add(uint32_t process, Type type, F f, std::string_view key, std::string_view value,
                  std::string_view cas_new, int64_t time, uint64_t line);
  // Operations in invoke order; open invokes become info.
  std::vector<Op> finish();

 private:
  std::vector<Op> ops_;
  std::map<uint32_t, size_t> open_;  // process -> index of its open invoke
  std::map<uint32_t, bool> crashed_;
  int64_t last_time_ = std::numeric_limits<int64_t>::min();
};

// Reads a history file. On error returns "path:line:col: message" and
// leaves `out` empty.
std::string read_file(const std::string& path, std::vector<Op>* out);

// True when the first non-blank line of `path` looks like a history event
// (has "process" and "type") rather than a dsim trace header.
bool looks_like_history(const std::string& path);

// The client operations in a trace: events of kind invoke/ok/fail/info with
// fields process, f, key and value (absent = null) and, for cas, expected
// and new. Values in the trace are integers or strings.
class TraceCollector {
 public:
  void consume(const trace::Event& e);
  const std::string& error() const { return error_; }
  std::vector<Op> finish() { return builder_.finish(); }

 private:
  Builder builder_;
  std::string error_;
  uint64_t line_ = 0;
};

// Writes one event line of the format.
std::string event_line(uint32_t process, Type type, F f, std::string_view key, std::string_view value_json,
                       int64_t time);

}  // namespace dsim::analysis::history
