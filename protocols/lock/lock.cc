#include "protocols/lock/lock.h"

#include "dsim/assert.h"
#include "dsim/stored_int.h"

namespace dsim::lock {
namespace {

constexpr uint64_t kStartTag = 1;   // acquire (first, after busy, after rest)
constexpr uint64_t kWriteTag = 2;   // the next write of the critical section
constexpr uint64_t kReleaseTag = 3; // end of the critical section

std::string_view name_of(uint32_t type) {
  const std::string_view n = message_type_name(type);
  return n.empty() ? "unknown" : n;
}

}  // namespace

std::unique_ptr<Node> make_node(const Config& cfg, NodeId id) {
  if (id.value == cfg.server) return std::make_unique<LockServer>(cfg);
  if (id.value == cfg.resource) return std::make_unique<Resource>(cfg);
  return std::make_unique<LockClient>(cfg);
}

// ---- Server -------------------------------------------------------------------

std::string_view message_type_name(uint32_t type) {
  switch (type) {
    case kAcquire: return "acquire";
    case kGranted: return "granted";
    case kBusy: return "busy";
    case kRelease: return "release";
    case kWrite: return "write";
    case kWriteAck: return "write_ack";
  }
  return {};
}

std::string_view LockServer::message_name(uint32_t type) const { return name_of(type); }

void LockServer::on_start(Context&) {}

void LockServer::on_recover(Context& ctx) {
  Storage& st = ctx.storage();
  if (auto v = st.get("counter")) counter_ = parse_stored_int(*v);
  if (cfg_.bug == Config::Bug::kVolatileLock) return;
  if (auto v = st.get("holder")) {
    std::string_view s = *v;
    holder_ = NodeId{static_cast<uint32_t>(take_stored_int(s, ' '))};
    token_ = take_stored_int(s, ' ');
    // The expiry is stored as time left on the server's clock at the grant;
    // a restarted server restarts the lease in full, the safe side.
    expires_ = ctx.now() + Duration{parse_stored_int(s)};
  }
}

void LockServer::on_message(Context& ctx, NodeId from, const Message& m) {
  if (m.type == kAcquire) {
    const Time now = ctx.now();
    if (holder_ && now >= expires_ && cfg_.bug != Config::Bug::kNeverExpire) {
      ctx.emit("expire", {{"client", ctx.node_name(*holder_)}, {"token", token_}});
      holder_.reset();
    }
    Message r;
    r.f[0] = m.f[0];
    if (holder_ && *holder_ != from) {  // SET NX fails
      r.type = kBusy;
      ctx.emit("busy", {{"client", ctx.node_name(from)}, {"holder", ctx.node_name(*holder_)}});
      ctx.send(from, r);
      return;
    }
    holder_ = from;
    token_ = ++counter_;
    expires_ = now + cfg_.ttl;
    Storage& st = ctx.storage();
    st.put("counter", std::to_string(counter_));
    st.put("holder", std::to_string(from.value) + " " + std::to_string(token_) + " " + std::to_string(cfg_.ttl.ns));
    st.sync();
    ctx.emit("grant", {{"client", ctx.node_name(from)}, {"token", token_}, {"ttl_ns", cfg_.ttl.ns}});
    r.type = kGranted;
    r.f[1] = token_;
    r.f[2] = cfg_.ttl.ns;
    ctx.send(from, r);
    return;
  }
  if (m.type == kRelease) {
    // The compare-and-delete script: only the current grant's owner.
    if (holder_ == from && token_ == m.f[0]) {
      ctx.emit("release", {{"client", ctx.node_name(from)}, {"token", token_}});
      holder_.reset();
      ctx.storage().erase("holder");
      ctx.storage().sync();
    }
    return;
  }
  DSIM_ASSERT_MSG(false, "unexpected message at the lock server");
}

// ---- Resource -----------------------------------------------------------------

std::string_view Resource::message_name(uint32_t type) const { return name_of(type); }

void Resource::on_recover(Context& ctx) {
  if (auto v = ctx.storage().get("highest")) highest_ = parse_stored_int(*v);
}

void Resource::on_message(Context& ctx, NodeId from, const Message& m) {
  DSIM_ASSERT_MSG(m.type == kWrite, "unexpected message at the resource");
  const int64_t token = m.f[0];
  const bool accepted = !cfg_.fencing || token >= highest_;
  if (accepted && token > highest_) {
    highest_ = token;
    ctx.storage().put("highest", std::to_string(highest_));
    ctx.storage().sync();
  }
  ctx.emit("resource_write", {{"client", ctx.node_name(from)}, {"token", token}, {"seq", m.f[1]}, {"accepted", accepted}});
  Message r;
  r.type = kWriteAck;
  r.f[0] = m.f[1];
  r.f[1] = accepted;
  ctx.send(from, r);
}

// ---- Client -------------------------------------------------------------------

std::string_view LockClient::message_name(uint32_t type) const { return name_of(type); }

void LockClient::on_start(Context& ctx) { ctx.set_timer(cfg_.start, kStartTag); }

void LockClient::acquire(Context& ctx) {
  Message m;
  m.type = kAcquire;
  m.f[0] = ++request_;
  ctx.send(NodeId{cfg_.server}, m);
  // No answer (server down, message lost): ask again later.
  ctx.set_timer(cfg_.ttl, kStartTag);
}

void LockClient::finish(Context& ctx, bool lapsed) {
  if (!holding_) return;
  holding_ = false;
  ctx.emit(lapsed ? "lapsed" : "released", {{"token", token_}});
  if (!lapsed) {
    Message m;
    m.type = kRelease;
    m.f[0] = token_;
    ctx.send(NodeId{cfg_.server}, m);
  }
  ++request_;  // answers to earlier acquires are stale now
  ctx.set_timer(Duration{ctx.rng().between(cfg_.rest_min.ns, cfg_.rest_max.ns)}, kStartTag);
}

void LockClient::on_message(Context& ctx, NodeId, const Message& m) {
  if (m.type == kGranted) {
    if (m.f[0] != request_ || holding_) return;  // a stale answer
    holding_ = true;
    token_ = m.f[1];
    // The lease as this client sees it: from when it asked (it cannot know
    // better), less a margin for clock drift.
    lease_end_ = ctx.now() + Duration{m.f[2]} - cfg_.drift_margin;
    written_ = 0;
    ctx.emit("acquired", {{"token", token_}});
    const uint32_t n = std::max<uint32_t>(cfg_.writes, 1);
    ctx.set_timer(Duration{cfg_.work.ns / n}, kWriteTag);
    return;
  }
  if (m.type == kBusy) {
    if (m.f[0] != request_ || holding_) return;
    ++request_;
    ctx.set_timer(Duration{ctx.rng().between(cfg_.retry_min.ns, cfg_.retry_max.ns)}, kStartTag);
    return;
  }
  if (m.type == kWriteAck) return;
  DSIM_ASSERT_MSG(false, "unexpected message at a lock client");
}

void LockClient::on_timer(Context& ctx, TimerId, uint64_t tag) {
  switch (tag) {
    case kStartTag:
      if (!holding_) acquire(ctx);
      return;
    case kWriteTag: {
      if (!holding_) return;
      // As in the classic example, the lease was checked when the critical
      // section began (the grant); a pause in the middle of the work is
      // invisible to the client, which goes on writing.
      Message w;
      w.type = kWrite;
      w.f[0] = token_;
      w.f[1] = ++seq_;
      ctx.emit("write", {{"token", token_}, {"seq", seq_}});
      ctx.send(NodeId{cfg_.resource}, w);
      const uint32_t n = std::max<uint32_t>(cfg_.writes, 1);
      if (++written_ < n) {
        ctx.set_timer(Duration{cfg_.work.ns / n}, kWriteTag);
      } else {
        ctx.set_timer(Duration{cfg_.work.ns / n}, kReleaseTag);
      }
      return;
    }
    case kReleaseTag:
      // Only now does the client look at its clock again.
      finish(ctx, /*lapsed=*/ctx.now() >= lease_end_);
      return;
  }
}

}  // namespace dsim::lock
