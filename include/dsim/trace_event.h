// A trace event as analysis sees it: owned strings, fields in emission order.
// The same struct comes from a live run (Fanout) and from a file (Reader),
// so a checker cannot tell the two apart. Schema: docs/trace-schema.md.
#pragma once
#include <cstdint>
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
