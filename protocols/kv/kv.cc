#include "protocols/kv/kv.h"

#include <algorithm>
#include <cmath>

#include "sim/core/assert.h"
#include "sim/core/stored_int.h"

namespace dsim::kv {
namespace {

constexpr uint64_t kThinkTag = 1;
constexpr uint64_t kTimeoutTag = 2;

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

ClientNode::ClientNode(ClientConfig cfg) : cfg_(cfg), process_(cfg.index) {
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

std::string_view ClientNode::message_name(uint32_t type) const {
  return type == kKvRequest ? "kv_request" : type == kKvReply ? "kv_reply" : "unknown";
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

void ClientNode::next_op(Context& ctx) {
  if (cfg_.stop && ctx.now() >= Time{0} + *cfg_.stop) return;
  Request r;
  r.id = next_id_++;
  r.key = pick_key(ctx);
  const uint64_t roll = ctx.rng().below(100);
  r.op = roll < cfg_.read_pct ? kRead : roll < cfg_.read_pct + cfg_.write_pct ? kWrite : kCas;
  if (cfg_.stop_writes && ctx.now() >= Time{0} + *cfg_.stop_writes) r.op = kRead;
  // Written values are unique across clients, so the checker can pin reads
  // to writes.
  auto fresh = [&] { return std::to_string(++written_ * cfg_.clients + cfg_.index + 1); };
  if (r.op == kWrite) r.value = fresh();
  if (r.op == kCas) {
    // Expect a recent value: one this client wrote, or null at first.
    r.value = written_ > 0 && ctx.rng().below(2) ? std::to_string(written_ * cfg_.clients + cfg_.index + 1) : "";
    r.next = fresh();
  }
  const int64_t process = process_;
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
  open_ = std::move(r);
  timeout_timer_ = ctx.set_timer(cfg_.timeout, kTimeoutTag);
}

void ClientNode::complete(Context& ctx, std::string_view type, std::string_view read_value) {
  DSIM_ASSERT(open_.has_value());
  const Request& r = *open_;
  const int64_t process = process_;
  Field fields[6] = {{"process", process}, {"f", std::string_view(op_name(r.op))}, {"key", std::string_view(r.key)}};
  size_t n = 3;
  if (r.op == kRead && type == "ok" && !read_value.empty()) fields[n++] = {"value", parse_stored_int(read_value)};
  if (r.op == kWrite) fields[n++] = {"value", parse_stored_int(r.value)};
  if (r.op == kCas) {
    if (!r.value.empty()) fields[n++] = {"expected", parse_stored_int(r.value)};
    fields[n++] = {"new", parse_stored_int(r.next)};
  }
  ctx.emit_span(type, std::span<const Field>(fields, n));
  open_.reset();
  if (type == "info") process_ += cfg_.clients;  // an indeterminate op "crashes" the process
  ctx.set_timer(Duration{ctx.rng().between(cfg_.think_min.ns, cfg_.think_max.ns)}, kThinkTag);
}

void ClientNode::on_message(Context& ctx, NodeId, const Message& m) {
  if (m.type != kKvReply || !open_ || m.f[0] != open_->id) return;  // a late reply to a timed-out op
  ctx.cancel_timer(timeout_timer_);
  const auto status = static_cast<Status>(m.f[1]);
  complete(ctx, status == kOk ? "ok" : status == kFail ? "fail" : "info", m.body);
}

void ClientNode::on_timer(Context& ctx, TimerId id, uint64_t tag) {
  if (tag == kThinkTag) {
    if (!open_) next_op(ctx);
    return;
  }
  DSIM_ASSERT(tag == kTimeoutTag);
  if (id != timeout_timer_ || !open_) return;
  complete(ctx, "info", "");
}

}  // namespace dsim::kv
