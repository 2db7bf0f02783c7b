#include "protocols/maelstrom/service.h"

#include <nlohmann/json.hpp>

#include "dsim/assert.h"
#include "protocols/maelstrom/server.h"

namespace dsim::maelstrom {
namespace {
using Json = nlohmann::json;

Json error_body(int64_t code, const std::string& text) { return {{"type", "error"}, {"code", code}, {"text", text}}; }
}  // namespace

std::unique_ptr<Node> make_service() { return std::make_unique<ServiceNode>(); }

std::string_view ServiceNode::message_name(uint32_t type) const { return envelope_name(type); }

void ServiceNode::on_message(Context& ctx, NodeId from, const Message& m) {
  if (from == kExternal || !is_envelope(m.type)) return;  // services take no workload inputs
  // The sender's node validated the envelope before it entered the network.
  const Json env = Json::parse(m.body, nullptr, false);
  DSIM_ASSERT(env.is_object());
  const Json& b = env["body"];
  const std::string self(ctx.node_name(ctx.self()));
  Json reply;
  const std::string type = b.value("type", "");
  auto key_of = [&](std::string* out) {
    const auto k = b.find("key");
    if (k == b.end()) return false;
    *out = "kv/" + k->dump();  // keys compare as JSON: 1 and "1" differ
    return true;
  };
  std::string key;
  Storage& st = ctx.storage();
  if (type != "read" && type != "write" && type != "cas") {
    reply = error_body(10, "unsupported operation " + type);
  } else if (!key_of(&key)) {
    reply = error_body(12, "missing key");
  } else if (type == "read") {
    if (auto v = st.get(key)) {
      reply = {{"type", "read_ok"}, {"value", Json::parse(*v)}};
    } else {
      reply = error_body(20, "key does not exist");
    }
  } else if (type == "write") {
    if (!b.contains("value")) {
      reply = error_body(12, "missing value");
    } else {
      st.put(key, b["value"].dump());
      st.sync();
      reply = {{"type", "write_ok"}};
    }
  } else {
    if (!b.contains("from") || !b.contains("to")) {
      reply = error_body(12, "cas needs from and to");
    } else {
      const auto v = st.get(key);
      const bool create = b.value("create_if_not_exists", false);
      if (!v && !create) {
        reply = error_body(20, "key does not exist");
      } else if (v && *v != b["from"].dump()) {
        reply = error_body(22, "expected " + b["from"].dump() + ", but had " + *v);
      } else {
        st.put(key, b["to"].dump());
        st.sync();
        reply = {{"type", "cas_ok"}};
      }
    }
  }
  if (b.contains("msg_id")) reply["in_reply_to"] = b["msg_id"];
  reply["msg_id"] = next_msg_id_++;
  Message out;
  out.type = envelope_type(reply.value("type", std::string("error")));
  out.body = Json({{"src", self}, {"dest", env["src"]}, {"body", reply}}).dump();
  ctx.send(from, out);
}

}  // namespace dsim::maelstrom
