// The trace schema as data: which event kinds exist and which keys, of which
// JSON type, each one carries. One table is the schema: the engine's kinds
// (sim/trace/schema.cc) plus each protocol's own (Protocol::events()).
// `dsim check` validates every line against it, and docs/trace-schema.md
// is compared with it by a test.
#pragma once
#include <string_view>
#include <vector>

namespace dsim::trace {

enum class FieldType { kInt, kString, kBool, kArray };

struct FieldSchema {
  std::string_view name;
  FieldType type = FieldType::kInt;
  bool required = true;  // false: present only in some cases (e.g. `reason` when not ok)
};

struct EventSchema {
  std::string_view kind;
  std::vector<FieldSchema> fields;  // keys beyond `t`, `node`, `kind`; others are allowed and ignored
  std::string_view meaning = {};
};

inline std::string_view to_string(FieldType t) {
  switch (t) {
    case FieldType::kInt: return "integer";
    case FieldType::kString: return "string";
    case FieldType::kBool: return "boolean";
    case FieldType::kArray: return "array";
  }
  return "?";
}

}  // namespace dsim::trace
