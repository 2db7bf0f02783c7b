// The fields of a `send` trace event: msg, to, type, then what the
// protocol's MessageLayout says the message's integers and body mean. One
// definition for every host that runs nodes (the simulator, the explorer's
// World), so a message is traced the same way wherever it was sent.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "dsim/event_sink.h"
#include "dsim/message.h"
#include "dsim/node.h"

namespace dsim {

using SendFields = std::array<Field, 3 + 6 + 1>;

// Fills `out` and returns how many fields it holds. The fields borrow from
// `m`, `to_name`, `type_name` and the layout: valid while they are.
inline size_t send_fields(const MessageNames* names, uint64_t msg_id, std::string_view to_name,
                          std::string_view type_name, const Message& m, SendFields& out) {
  out[0] = Field{"msg", static_cast<int64_t>(msg_id)};
  out[1] = Field{"to", to_name};
  out[2] = Field{"type", type_name};
  size_t n = 3;
  const MessageLayout* layout = names ? names->message_layout(m.type) : nullptr;
  if (!layout) return n;
  for (size_t i = 0; i < layout->f.size(); ++i) {
    const MessageField& mf = layout->f[i];
    if (mf.name.empty()) continue;
    const int64_t v = m.f[i];
    if (mf.as == MessageField::As::kBool) {
      out[n++] = Field{mf.name, v != 0};
    } else if (mf.as == MessageField::As::kName && v >= 0 && static_cast<uint64_t>(v) < mf.names.size()) {
      out[n++] = Field{mf.name, mf.names[static_cast<size_t>(v)]};
    } else {
      out[n++] = Field{mf.name, v};
    }
  }
  if (!layout->body.empty()) out[n++] = Field{layout->body, std::string_view(m.body)};
  return n;
}

}  // namespace dsim
