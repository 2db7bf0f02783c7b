#include "protocols/maelstrom/service.h"

#include <algorithm>

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

namespace {
constexpr size_t kVersionsKept = 256;  // older versions can no longer be read stale
}  // namespace

ServiceNode::History& ServiceNode::history(Context& ctx, const std::string& key) {
  auto it = history_.find(key);
  if (it != history_.end()) return it->second;
  History h;
  if (auto v = ctx.storage().get(key)) h.values.push_back(*v);  // after a restart: only the latest survives
  return history_.emplace(key, std::move(h)).first->second;
}

void ServiceNode::append(History& h, const std::string& value) {
  h.values.push_back(value);
  if (h.values.size() > kVersionsKept) {
    h.values.pop_front();
    ++h.first;
  }
}

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
  const bool stale_reads = self != "lin-kv";
  const std::string client = env.value("src", std::string());
  if (type != "read" && type != "write" && type != "cas") {
    reply = error_body(10, "unsupported operation " + type);
  } else if (!key_of(&key)) {
    reply = error_body(12, "missing key");
  } else if (stale_reads && type == "read") {
    History& h = history(ctx, key);
    int64_t& seen = seen_.try_emplace({client, key}, -1).first->second;
    // Versions before the kept window (or "absent", once it has slid) are gone.
    const int64_t lo = std::max(seen, h.first > 0 ? h.first : int64_t{-1});
    const int64_t hi = h.latest();
    const int64_t idx = hi < lo ? hi : lo + static_cast<int64_t>(ctx.rng().below(static_cast<uint64_t>(hi - lo + 1)));
    seen = idx;
    if (idx < 0) {
      reply = error_body(20, "key does not exist");
    } else {
      reply = {{"type", "read_ok"}, {"value", Json::parse(h.values[static_cast<size_t>(idx - h.first)])}};
    }
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
      if (stale_reads) {
        History& h = history(ctx, key);
        append(h, b["value"].dump());
        seen_[{client, key}] = h.latest();
      }
      reply = {{"type", "write_ok"}};
    }
  } else {
    if (!b.contains("from") || !b.contains("to")) {
      reply = error_body(12, "cas needs from and to");
    } else {
      const auto v = st.get(key);
      const auto c = b.find("create_if_not_exists");
      const bool create = c != b.end() && c->is_boolean() && c->get<bool>();
      // A cas acts on the latest value, and its client has seen it.
      if (stale_reads) seen_[{client, key}] = history(ctx, key).latest();
      if (!v && !create) {
        reply = error_body(20, "key does not exist");
      } else if (v && *v != b["from"].dump()) {
        reply = error_body(22, "expected " + b["from"].dump() + ", but had " + *v);
      } else {
        st.put(key, b["to"].dump());
        st.sync();
        if (stale_reads) {
          History& h = history(ctx, key);
          append(h, b["to"].dump());
          seen_[{client, key}] = h.latest();
        }
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
