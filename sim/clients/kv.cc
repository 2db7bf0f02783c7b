#include "dsim/kv.h"

#include <algorithm>
#include <cmath>

#include "dsim/assert.h"
#include "dsim/stored_int.h"

namespace dsim::kv {
namespace {

constexpr uint64_t kThinkTag = 1;
constexpr uint64_t kTimeoutTag = 2;  // tag = id << 2 | 2

const char* op_name(Op op) { return op == kRead ? "read" : op == kWrite ? "write" : "cas"; }

}  // namespace

Message encode_request(const Request& r) {
  Message m;
  m.type = kKvRequest;
  m.f[0] = r.id;
  m.f[1] = r.op;
  m.body = r.key;
  m.body.append(1, '\t').append(r.value).append(1, '\t').append(r.next);
  return m;
}

Request decode_request(const Message& m) {
  DSIM_ASSERT(m.type == kKvRequest);
  Request r;
  r.id = m.f[0];
  DSIM_ASSERT_MSG(m.f[1] >= kRead && m.f[1] <= kCas, "corrupt kv request");
  r.op = static_cast<Op>(m.f[1]);
  std::string_view s = m.body;
  const size_t a = s.find('\t'), b = s.find('\t', a == std::string_view::npos ? a : a + 1);
  DSIM_ASSERT_MSG(a != std::string_view::npos && b != std::string_view::npos, "corrupt kv request body");
  r.key = std::string(s.substr(0, a));
  r.value = std::string(s.substr(a + 1, b - a - 1));
  r.next = std::string(s.substr(b + 1));
  return r;
}

Message reply(int64_t id, Status status, std::string_view body) {
  Message m;
  m.type = kKvReply;
  m.f[0] = id;
  m.f[1] = status;
  m.body = std::string(body);
  return m;
}

NodeId origin(const Message& m, NodeId from) {
  return m.f[2] > 0 ? NodeId{static_cast<uint32_t>(m.f[2] - 1)} : from;
}

ClientNode::ClientNode(ClientConfig cfg) : cfg_(cfg) {
  DSIM_ASSERT(cfg_.keys > 0 && cfg_.read_pct + cfg_.write_pct + cfg_.cas_pct == 100);
  if (cfg_.zipf > 0) {
    double total = 0;
    for (uint32_t k = 1; k <= cfg_.keys; ++k) total += 1.0 / std::pow(k, cfg_.zipf);
    double acc = 0;
    for (uint32_t k = 1; k <= cfg_.keys; ++k) {
      acc += 1.0 / std::pow(k, cfg_.zipf) / total;
      zipf_cdf_.push_back(acc);
    }
  }
}

std::unique_ptr<Node> make_client(const ClientConfig& cfg) { return std::make_unique<ClientNode>(cfg); }

std::string_view message_type_name(uint32_t type) {
  return type == kKvRequest ? "kv_request" : type == kKvReply ? "kv_reply" : std::string_view();
}

std::string_view ClientNode::message_name(uint32_t type) const {
  const std::string_view n = message_type_name(type);
  return n.empty() ? "unknown" : n;
}

void ClientNode::on_start(Context& ctx) { ctx.set_timer(cfg_.start, kThinkTag); }

std::string ClientNode::pick_key(Context& ctx) {
  uint64_t k = 0;
  if (zipf_cdf_.empty()) {
    k = ctx.rng().below(cfg_.keys);
  } else {
    const double u = ctx.rng().unit();
    k = static_cast<uint64_t>(std::lower_bound(zipf_cdf_.begin(), zipf_cdf_.end(), u) - zipf_cdf_.begin());
    k = std::min<uint64_t>(k, cfg_.keys - 1);
  }
  return std::string("k").append(std::to_string(k));
}

// Written values are unique across clients, so the checker can pin reads
// to writes.
std::string ClientNode::fresh_value() { return std::to_string(++written_ * cfg_.clients + cfg_.index + 1); }

void ClientNode::schedule_next(Context& ctx) {
  if (cfg_.rate == 0) {
    ctx.set_timer(Duration{ctx.rng().between(cfg_.think_min.ns, cfg_.think_max.ns)}, kThinkTag);
  } else {
    const double gap_ns = ctx.rng().exponential(1e9 / cfg_.rate);
    ctx.set_timer(Duration{std::max<int64_t>(1, static_cast<int64_t>(gap_ns))}, kThinkTag);
  }
}

void ClientNode::next_op(Context& ctx, std::optional<std::pair<Op, std::string>> retry, uint32_t retries) {
  Request r;
  r.id = next_id_++;
  if (retry) {
    r.op = retry->first;
    r.key = retry->second;
  } else {
    r.key = pick_key(ctx);
    const uint64_t roll = ctx.rng().below(100);
    r.op = roll < cfg_.read_pct ? kRead : roll < cfg_.read_pct + cfg_.write_pct ? kWrite : kCas;
    if (cfg_.stop_writes && ctx.now() >= Time{0} + *cfg_.stop_writes) r.op = kRead;
    retries = cfg_.retries;
  }
  if (r.op == kWrite) {
    r.value = fresh_value();
    if (auto c = context_.find(r.key); c != context_.end()) r.next = c->second;
  }
  if (r.op == kCas) {
    // Expect a recent value: one this client wrote, or null at first.
    r.value = written_ > 0 && ctx.rng().below(2) ? std::to_string(written_ * cfg_.clients + cfg_.index + 1) : "";
    r.next = fresh_value();
  }
  int64_t process;
  if (!idle_.empty()) {
    process = idle_.back();
    idle_.pop_back();
  } else {
    process = cfg_.index + static_cast<int64_t>(cfg_.clients) * next_process_k_++;
  }
  if (r.op == kCas) {
    Field fields[5] = {{"process", process}, {"f", std::string_view("cas")}, {"key", std::string_view(r.key)}};
    size_t n = 3;
    if (!r.value.empty()) fields[n++] = {"expected", parse_stored_int(r.value)};
    fields[n++] = {"new", parse_stored_int(r.next)};
    ctx.emit_span("invoke", std::span<const Field>(fields, n));
  } else if (r.op == kWrite) {
    ctx.emit("invoke", {{"process", process}, {"f", std::string_view("write")}, {"key", std::string_view(r.key)},
                        {"value", parse_stored_int(r.value)}});
  } else {
    ctx.emit("invoke", {{"process", process}, {"f", std::string_view("read")}, {"key", std::string_view(r.key)}});
  }
  ctx.send(cfg_.server, encode_request(r));
  const int64_t id = r.id;
  const TimerId timer = ctx.set_timer(cfg_.timeout, (static_cast<uint64_t>(id) << 2) | kTimeoutTag);
  in_flight_.emplace(id, InFlight{std::move(r), process, retries, timer});
}

void ClientNode::complete(Context& ctx, int64_t id, std::string_view type, std::string_view read_value) {
  auto it = in_flight_.find(id);
  DSIM_ASSERT(it != in_flight_.end());
  const InFlight op = std::move(it->second);
  in_flight_.erase(it);
  const Request& r = op.req;
  Field fields[6] = {{"process", op.process}, {"f", std::string_view(op_name(r.op))}, {"key", std::string_view(r.key)}};
  size_t n = 3;
  if (r.op == kRead && type == "ok" && !read_value.empty()) fields[n++] = {"value", parse_stored_int(read_value)};
  if (r.op == kWrite) fields[n++] = {"value", parse_stored_int(r.value)};
  if (r.op == kCas) {
    if (!r.value.empty()) fields[n++] = {"expected", parse_stored_int(r.value)};
    fields[n++] = {"new", parse_stored_int(r.next)};
  }
  ctx.emit_span(type, std::span<const Field>(fields, n));
  if (type != "info") idle_.push_back(op.process);  // an indeterminate op retires its process
  const bool stopped = cfg_.stop && ctx.now() >= Time{0} + *cfg_.stop;
  if (type == "fail" && op.retries_left > 0 && !stopped) {
    next_op(ctx, std::make_pair(r.op, r.key), op.retries_left - 1);
    return;
  }
  if (cfg_.rate == 0) schedule_next(ctx);  // closed loop: think, then the next
}

void ClientNode::on_message(Context& ctx, NodeId, const Message& m) {
  if (m.type != kKvReply) return;
  auto it = in_flight_.find(m.f[0]);
  if (it == in_flight_.end()) return;  // a late reply to a timed-out op
  ctx.cancel_timer(it->second.timer);
  const auto status = static_cast<Status>(m.f[1]);
  std::string_view body = m.body;
  if (status == kOk && it->second.req.op == kRead) {
    if (const size_t tab = body.find('\t'); tab != std::string_view::npos) {
      context_[it->second.req.key] = std::string(body.substr(tab + 1));
      body = body.substr(0, tab);
    }
  }
  complete(ctx, m.f[0], status == kOk ? "ok" : status == kFail ? "fail" : "info", body);
}

void ClientNode::on_timer(Context& ctx, TimerId, uint64_t tag) {
  if (tag == kThinkTag) {
    if (cfg_.stop && ctx.now() >= Time{0} + *cfg_.stop) return;
    if (cfg_.rate == 0) {
      if (in_flight_.empty()) next_op(ctx);
      return;
    }
    if (in_flight_.size() < cfg_.max_outstanding) next_op(ctx);
    schedule_next(ctx);  // open loop: arrivals keep coming
    return;
  }
  DSIM_ASSERT((tag & 3) == kTimeoutTag);
  const auto id = static_cast<int64_t>(tag >> 2);
  if (in_flight_.count(id)) complete(ctx, id, "info", "");
}

}  // namespace dsim::kv
