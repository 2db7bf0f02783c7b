// A trace event as analysis sees it: owned strings, fields in emission order.
// The same struct comes from a live run (Fanout) and from a file (Reader),
// so a checker cannot tell the two apart. Schema: docs/trace-schema.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace dsim::trace {

inline constexpr std::string_view kSchema = "dsim.trace/1";

using Value = std::variant<int64_t, std::string, bool>;

struct Event {
  int64_t t = 0;
  std::string node;
  std::string kind;
  std::vector<std::pair<std::string, Value>> fields;
  // The raw header object for kind == "meta" (JSON text); empty otherwise.
  std::string meta_json;

  const Value* find(std::string_view key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return &v;
    }
    return nullptr;
  }
  std::optional<int64_t> get_int(std::string_view key) const {
    const Value* v = find(key);
    if (!v || !std::holds_alternative<int64_t>(*v)) return std::nullopt;
    return std::get<int64_t>(*v);
  }
  std::optional<std::string_view> get_str(std::string_view key) const {
    const Value* v = find(key);
    if (!v || !std::holds_alternative<std::string>(*v)) return std::nullopt;
    return std::string_view(std::get<std::string>(*v));
  }
};

// `text == literal`, with the literal's length known when compiling: the
// comparison becomes a length test and a few loads, not a call to memcmp.
// Checkers dispatch on e.kind with it (`is(e.kind, "append")`).
template <size_t N>
inline bool is(std::string_view text, const char (&literal)[N]) {
  return text.size() == N - 1 && std::memcmp(text.data(), literal, N - 1) == 0;
}

// A field a checker reads from every event of a kind: remembers the
// position where it was last found, so events from one emitter (whose
// fields always come in the same order) cost one key comparison, not a
// search. Same answers as Event::find (an event's keys are unique: the
// reader refuses a line with a key twice); only faster.
class FieldRef {
 public:
  explicit constexpr FieldRef(std::string_view key) : key_(key) {}
  const Value* find(const Event& e) const {
    if (pos_ < e.fields.size() && same(e.fields[pos_].first)) return &e.fields[pos_].second;
    for (size_t i = 0; i < e.fields.size(); ++i) {
      if (same(e.fields[i].first)) {
        pos_ = i;
        return &e.fields[i].second;
      }
    }
    return nullptr;
  }
  std::optional<int64_t> get_int(const Event& e) const {
    const Value* v = find(e);
    if (!v || !std::holds_alternative<int64_t>(*v)) return std::nullopt;
    return std::get<int64_t>(*v);
  }
  std::optional<std::string_view> get_str(const Event& e) const {
    const Value* v = find(e);
    if (!v || !std::holds_alternative<std::string>(*v)) return std::nullopt;
    return std::string_view(std::get<std::string>(*v));
  }

 private:
  bool same(const std::string& k) const {
    return k.size() == key_.size() && std::memcmp(k.data(), key_.data(), key_.size()) == 0;
  }
  std::string_view key_;
  mutable size_t pos_ = 0;
};

// Anything that reads a stream of events: checkers, statistics, exporters.
class Consumer {
 public:
  virtual ~Consumer() = default;
  virtual void consume(const Event& e) = 0;
  // The event kinds consume() reads. A live run hands a consumer only the
  // events of the kinds it declares, so one that names a few pays nothing
  // for the rest (most of a run is send, deliver and timer events). Empty,
  // the default: every event. A consumer that declares kinds must ignore
  // every other kind: a file is read with every event handed to every
  // consumer, and the verdict must be the same.
  virtual std::vector<std::string_view> kinds() const { return {}; }
};

}  // namespace dsim::trace
