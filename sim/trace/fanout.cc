#include "sim/trace/fanout.h"

#include "dsim/assert.h"

namespace dsim::trace {

void Fanout::event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) {
  if (writer_) writer_->event(t, node, kind, fields);
  if (consumers_.empty()) return;
  Event& e = scratch_;
  e.t = t.ns;
  if (node == kGlobal) {
    e.node = "*";
  } else if (node == kExternal) {
    e.node = "$ext";
  } else {
    DSIM_ASSERT(node.value < names_.size());
    e.node = names_[node.value];
  }
  e.kind = kind;
  e.fields.resize(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    e.fields[i].first = fields[i].key;
    const FieldValue& v = fields[i].value;
    if (const auto* n = std::get_if<int64_t>(&v)) {
      e.fields[i].second = *n;
    } else if (const auto* s = std::get_if<std::string_view>(&v)) {
      e.fields[i].second = std::string(*s);
    } else {
      e.fields[i].second = std::get<bool>(v);
    }
  }
  for (Consumer* c : consumers_) c->consume(e);
}

}  // namespace dsim::trace
