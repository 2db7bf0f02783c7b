#include "protocols/broadcast/broadcast.h"

#include <string>

#include "dsim/assert.h"
#include "dsim/stored_int.h"

namespace dsim::broadcast {
namespace {

constexpr uint64_t kRetransmitTag = 1;

// "d/<origin>/<seq>": short enough to stay in std::string's inline buffer.
std::string delivered_key(uint32_t origin, int64_t seq) {
  std::string k = "d/";
  k += std::to_string(origin);
  k += '/';
  k += std::to_string(seq);
  return k;
}


}  // namespace

std::unique_ptr<Node> make_node(const Config& cfg) { return std::make_unique<BroadcastNode>(cfg); }

std::string_view message_type_name(uint32_t type) {
  switch (type) {
    case kRequest: return "broadcast_request";
    case kData: return "data";
    case kAck: return "ack";
  }
  return {};
}

std::string_view BroadcastNode::message_name(uint32_t type) const {
  const std::string_view n = message_type_name(type);
  return n.empty() ? "unknown" : n;
}

void BroadcastNode::fingerprint(Fingerprint& h) const {
  // What was delivered is in storage (which the host hashes), except with
  // volatile_dedup; cfg_ is the same in every state.
  h(next_seq_, outgoing_, retransmit_timer_.valid(), delivered_in_memory_);
}

void BroadcastNode::on_start(Context& ctx) {
  DSIM_ASSERT(outgoing_.empty());
  (void)ctx;
}

void BroadcastNode::on_recover(Context& ctx) {
  // Storage layout: "next_seq" = next sequence number to assign; "pending" =
  // "seq:payload" items, space separated, of broadcasts not yet fully acked.
  if (auto v = ctx.storage().get("next_seq")) next_seq_ = parse_stored_int(*v);
  if (auto v = ctx.storage().get("pending")) {
    std::string_view rest = *v;
    while (!rest.empty()) {
      const size_t sp = rest.find(' ');
      const std::string_view item = rest.substr(0, sp);
      const size_t colon = item.find(':');
      DSIM_ASSERT(colon != std::string_view::npos);
      const int64_t seq = parse_stored_int(item.substr(0, colon));
      DSIM_ASSERT(seq < next_seq_);
      Outgoing& o = outgoing_[seq];
      o.payload = parse_stored_int(item.substr(colon + 1));
      // Acks were volatile: every peer may still be missing it.
      for (uint32_t p = 0; p < ctx.cluster_size(); ++p) {
        if (p != ctx.self().value) o.unacked.insert(p);
      }
      rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
    }
  }
  for (const auto& [seq, o] : outgoing_) {
    for (uint32_t p : o.unacked) send_data(ctx, p, seq, o.payload);
  }
  arm_retransmit(ctx);
}

void BroadcastNode::originate(Context& ctx, int64_t payload) {
  const int64_t seq = next_seq_++;
  Outgoing& o = outgoing_[seq];
  o.payload = payload;
  for (uint32_t p = 0; p < ctx.cluster_size(); ++p) {
    if (p != ctx.self().value) o.unacked.insert(p);
  }
  ctx.storage().put("next_seq", std::to_string(next_seq_));
  persist_pending(ctx);
  ctx.storage().sync();  // a promise to broadcast must survive a crash
  ctx.emit("bcast", {{"seq", seq}, {"payload", payload}});
  deliver(ctx, ctx.self().value, seq);
  for (uint32_t p : o.unacked) send_data(ctx, p, seq, payload);
  if (o.unacked.empty()) outgoing_.erase(seq);
  arm_retransmit(ctx);
}

void BroadcastNode::deliver(Context& ctx, uint32_t origin, int64_t seq) {
  if (cfg_.bug == Config::Bug::kVolatileDedup) {
    if (!delivered_in_memory_.insert({origin, seq}).second) return;  // forgotten on a crash
    ctx.emit("bdeliver", {{"origin", ctx.node_name(NodeId{origin})}, {"seq", seq}});
    return;
  }
  const std::string key = delivered_key(origin, seq);
  if (ctx.storage().get(key)) return;  // exactly once, across crashes too
  ctx.storage().put(key, "1");
  ctx.storage().sync();
  ctx.emit("bdeliver", {{"origin", ctx.node_name(NodeId{origin})}, {"seq", seq}});
}

void BroadcastNode::send_data(Context& ctx, uint32_t to, int64_t seq, int64_t payload) {
  Message m;
  m.type = kData;
  m.f[0] = ctx.self().value;
  m.f[1] = seq;
  m.f[2] = payload;
  ctx.send(NodeId{to}, m);
}

void BroadcastNode::persist_pending(Context& ctx) {
  std::string v;
  for (const auto& [seq, o] : outgoing_) {
    if (!v.empty()) v += ' ';
    v += std::to_string(seq) + ":" + std::to_string(o.payload);
  }
  ctx.storage().put("pending", v);
}

void BroadcastNode::arm_retransmit(Context& ctx) {
  if (cfg_.bug == Config::Bug::kNoRetransmit) return;
  if (outgoing_.empty() || retransmit_timer_.valid()) return;
  retransmit_timer_ = ctx.set_timer(cfg_.retransmit, kRetransmitTag);
}

void BroadcastNode::on_message(Context& ctx, NodeId from, const Message& m) {
  switch (m.type) {
    case kRequest:
      DSIM_ASSERT(from == kExternal);
      originate(ctx, m.f[0]);
      return;
    case kData: {
      DSIM_ASSERT(from != kExternal);
      const auto origin = static_cast<uint32_t>(m.f[0]);
      DSIM_ASSERT(origin < ctx.cluster_size());
      DSIM_ASSERT(m.f[1] >= 1);
      deliver(ctx, origin, m.f[1]);
      Message ack;
      ack.type = kAck;
      ack.f[0] = m.f[0];
      ack.f[1] = m.f[1];
      ctx.send(from, ack);
      return;
    }
    case kAck: {
      DSIM_ASSERT(m.f[0] == ctx.self().value);  // acks go back to the origin
      auto it = outgoing_.find(m.f[1]);
      if (it == outgoing_.end()) return;  // a late duplicate ack
      it->second.unacked.erase(from.value);
      if (it->second.unacked.empty()) {
        outgoing_.erase(it);
        persist_pending(ctx);  // lazily synced: losing it only causes a resend
      }
      return;
    }
  }
  DSIM_ASSERT_MSG(false, "unknown broadcast message type");
}

void BroadcastNode::on_timer(Context& ctx, TimerId id, uint64_t tag) {
  DSIM_ASSERT(tag == kRetransmitTag);
  DSIM_ASSERT(id == retransmit_timer_);
  retransmit_timer_ = TimerId{};
  for (const auto& [seq, o] : outgoing_) {
    for (uint32_t p : o.unacked) send_data(ctx, p, seq, o.payload);
  }
  arm_retransmit(ctx);
}

}  // namespace dsim::broadcast
