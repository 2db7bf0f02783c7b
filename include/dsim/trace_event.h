// A trace event as analysis sees it: owned strings, fields in emission order.
// The same struct comes from a live run (Fanout) and from a file (Reader),
// so a checker cannot tell the two apart. Schema: docs/trace-schema.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "dsim/bytes.h"
#include "dsim/event_sink.h"

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
  // A live run's number for `node` (its NodeId), kNoSource from a file. A
  // hint for checkers that key state by node (analysis::NodeIds): the name
  // decides, the hint only saves the search.
  static constexpr uint32_t kNoSource = UINT32_MAX;
  uint32_t source = kNoSource;
  // The event's number in its stream (1, 2, ...: the fan-out counts the
  // events it converts, the reader gives the line number), so state shared
  // by several consumers (SharedState) applies each event once, whichever
  // consumer hands it over first. 0: not numbered (hand-built events).
  uint64_t seq = 0;

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

// An event as a live run emits it, borrowed for the duration of one call:
// the same content as the Event the fan-out would build from it (node by
// name, fields in emission order), without copying a string. Consumers that
// take views (Consumer::takes_views) read the busiest kinds this way.
struct EventView {
  int64_t t = 0;
  std::string_view node;
  std::string_view kind;
  std::span<const Field> fields;
  uint32_t source = Event::kNoSource;  // as Event::source
  uint64_t seq = 0;                    // as Event::seq

  const FieldValue* find(std::string_view key) const {
    for (const Field& f : fields) {
      if (f.key == key) return &f.value;
    }
    return nullptr;
  }
  // The Event with the same content, built in `out` (its buffers reused).
  const Event& to_event(Event& out) const {
    out.t = t;
    out.node.assign(node);
    out.kind.assign(kind);
    out.source = source;
    out.seq = seq;
    out.meta_json.clear();
    out.fields.resize(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) {
      out.fields[i].first.assign(fields[i].key);
      const FieldValue& v = fields[i].value;
      if (const auto* n = std::get_if<int64_t>(&v)) {
        out.fields[i].second = *n;
      } else if (const auto* str = std::get_if<std::string_view>(&v)) {
        out.fields[i].second = std::string(*str);
      } else {
        out.fields[i].second = std::get<bool>(v);
      }
    }
    return out;
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
  // Inlined always: a call returning std::optional through memory costs a
  // store-forwarding stall per read (measured: 3% of a Raft run).
  [[gnu::always_inline]] const Value* find(const Event& e) const {
    if (pos_ < e.fields.size() && same(e.fields[pos_].first)) [[likely]] {
      return &e.fields[pos_].second;
    }
    return search(e);
  }
  [[gnu::always_inline]] std::optional<int64_t> get_int(const Event& e) const {
    const Value* v = find(e);
    const int64_t* n = v ? std::get_if<int64_t>(v) : nullptr;
    if (!n) return std::nullopt;
    return *n;
  }
  [[gnu::always_inline]] std::optional<std::string_view> get_str(const Event& e) const {
    const Value* v = find(e);
    const std::string* s = v ? std::get_if<std::string>(v) : nullptr;
    if (!s) return std::nullopt;
    return std::string_view(*s);
  }
  // The same for a view (same answers as for the Event built from it).
  [[gnu::always_inline]] const FieldValue* find(const EventView& e) const {
    if (pos_ < e.fields.size() && same(e.fields[pos_].key)) [[likely]] {
      return &e.fields[pos_].value;
    }
    return search(e);
  }
  [[gnu::always_inline]] std::optional<int64_t> get_int(const EventView& e) const {
    const FieldValue* v = find(e);
    const int64_t* n = v ? std::get_if<int64_t>(v) : nullptr;
    if (!n) return std::nullopt;
    return *n;
  }
  [[gnu::always_inline]] std::optional<std::string_view> get_str(const EventView& e) const {
    const FieldValue* v = find(e);
    const std::string_view* s = v ? std::get_if<std::string_view>(v) : nullptr;
    if (!s) return std::nullopt;
    return *s;
  }

 private:
  // Keys are short ("index", "term"): compared inline, a word at a time
  // (same_bytes), not by a call to memcmp.
  [[gnu::always_inline]] bool same(std::string_view k) const {
    return k.size() == key_.size() && same_bytes(k.data(), key_.data(), k.size());
  }
  // Not where it was last time: a search (kept out of line, so the
  // common case above stays small enough to inline).
  [[gnu::noinline]] const Value* search(const Event& e) const {
    for (size_t i = 0; i < e.fields.size(); ++i) {
      if (same(e.fields[i].first)) {
        pos_ = i;
        return &e.fields[i].second;
      }
    }
    return nullptr;
  }
  [[gnu::noinline]] const FieldValue* search(const EventView& e) const {
    for (size_t i = 0; i < e.fields.size(); ++i) {
      if (same(e.fields[i].key)) {
        pos_ = i;
        return &e.fields[i].value;
      }
    }
    return nullptr;
  }
  std::string_view key_;
  mutable size_t pos_ = 0;
};

// What the consumers of one stream may keep once between them (Raft's
// per-node logs, read by two of its checkers): one object per type, made on
// first request. Whoever feeds the stream offers it to every consumer
// (Consumer::share) before the first event and numbers the events
// (Event::seq). Not for copying between streams.
class SharedState {
 public:
  template <class T>
  std::shared_ptr<T> get() {
    std::shared_ptr<void>& slot = items_[std::type_index(typeid(T))];
    if (!slot) slot = std::make_shared<T>();
    return std::static_pointer_cast<T>(slot);
  }

 private:
  std::map<std::type_index, std::shared_ptr<void>> items_;
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
  // A consumer that reads views says so; a live run then hands it every
  // event as a view (consume_view), and builds an Event only for the
  // others. It must judge a view exactly as the Event built from it (a file
  // gives Events).
  virtual bool takes_views() const { return false; }
  virtual void consume_view(const EventView& v) {
    Event e;
    consume(v.to_event(e));
  }
  // Called once, before the first event, by a feeder that numbers its
  // events: a consumer may take its state from `s` to keep it once with
  // others of the same stream. Its verdicts must be those it gives alone.
  virtual void share(SharedState& /*s*/) {}
};

}  // namespace dsim::trace
