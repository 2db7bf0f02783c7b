// The lab's helpers: messages with their trace events, persistence,
// timers. You need not change this file; read it to see what each records.

#include <string>

#include "paxos_lab.h"

namespace paxoslab {
namespace {

constexpr uint64_t kRetryTag = 1;
constexpr int64_t kSlot = 0;  // single-decree: the checkers' one slot

int64_t stored_int(const std::optional<std::string>& v, int64_t dflt) {
  if (!v || v->empty()) return dflt;
  int64_t out = 0;
  bool neg = (*v)[0] == '-';
  for (size_t i = neg ? 1 : 0; i < v->size(); ++i) out = out * 10 + ((*v)[i] - '0');
  return neg ? -out : out;
}

dsim::Message message(uint32_t type, int64_t a, int64_t b, std::string body) {
  dsim::Message m;
  m.type = type;
  m.f = {a, b, 0, 0, 0, 0};
  m.body = std::move(body);
  return m;
}

}  // namespace

std::string_view message_name(uint32_t type) {
  switch (type) {
    case kPrepare: return "Prepare";
    case kPromise: return "Promise";
    case kNack: return "Nack";
    case kAccept: return "Accept";
    case kAccepted: return "Accepted";
  }
  return "";
}

void PaxosLab::on_start(dsim::Context& ctx) {
  is_proposer_ = cfg_.proposers.count(ctx.self().value) > 0;
  load_persistent_state(ctx);
  start(ctx);
}

void PaxosLab::on_recover(dsim::Context& ctx) {
  is_proposer_ = cfg_.proposers.count(ctx.self().value) > 0;
  load_persistent_state(ctx);
  ctx.emit("recover", {{"promised", promised_}, {"accepted_ballot", accepted_ballot_}});
  start(ctx);
}

void PaxosLab::on_message(dsim::Context& ctx, dsim::NodeId from, const dsim::Message& m) {
  switch (m.type) {
    case kPrepare: handle_prepare(ctx, from, {m.f[0]}); return;
    case kPromise: handle_promise(ctx, from, {m.f[0], m.f[1], m.body}); return;
    case kNack: handle_nack(ctx, from, {m.f[0], m.f[1]}); return;
    case kAccept: handle_accept(ctx, from, {m.f[0], m.body}); return;
    case kAccepted: handle_accepted(ctx, from, {m.f[0], m.body}); return;
  }
}

void PaxosLab::on_timer(dsim::Context& ctx, dsim::TimerId id, uint64_t tag) {
  if (tag == kRetryTag && id == retry_timer_) {
    retry_timer_ = {};
    on_retry_timeout(ctx);
  }
}

std::string PaxosLab::my_value(const dsim::Context& ctx) const {
  return "value-from-" + std::string(ctx.node_name(ctx.self()));
}

void PaxosLab::propose(dsim::Context& ctx, const std::string& value) {
  ctx.emit("propose", {{"slot", kSlot}, {"value", std::string_view(value)}});
}

int64_t PaxosLab::make_ballot(const dsim::Context& ctx, int64_t above) const {
  // round * 100 + node + 1: unique per node, and above `above`.
  const int64_t round = above < 0 ? 1 : above / 100 + 1;
  return round * 100 + ctx.self().value + 1;
}

void PaxosLab::send_prepare(dsim::Context& ctx, int64_t ballot) {
  ctx.emit("prepare", {{"slot", kSlot}, {"ballot", ballot}});
  for (uint32_t p = 0; p < cluster_size(ctx); ++p) ctx.send(dsim::NodeId{p}, message(kPrepare, ballot, 0, ""));
}

void PaxosLab::send_accept(dsim::Context& ctx, int64_t ballot, const std::string& value) {
  ctx.emit("accept", {{"slot", kSlot}, {"ballot", ballot}, {"value", std::string_view(value)}});
  for (uint32_t p = 0; p < cluster_size(ctx); ++p) ctx.send(dsim::NodeId{p}, message(kAccept, ballot, 0, value));
}

void PaxosLab::promise(dsim::Context& ctx, dsim::NodeId to, int64_t ballot) {
  if (ballot < promised_) {
    ctx.fail("promise(" + std::to_string(ballot) + ") would move the promise backwards from " + std::to_string(promised_));
  }
  promised_ = ballot;
  ctx.storage().put("promised", std::to_string(promised_));
  ctx.storage().sync();
  ctx.emit("promise", {{"slot", kSlot}, {"ballot", ballot}, {"accepted_ballot", accepted_ballot_},
                       {"accepted_value", std::string_view(accepted_value_)}});
  ctx.send(to, message(kPromise, ballot, accepted_ballot_, accepted_value_));
}

void PaxosLab::accept(dsim::Context& ctx, int64_t ballot, const std::string& value) {
  promised_ = std::max(promised_, ballot);
  accepted_ballot_ = ballot;
  accepted_value_ = value;
  ctx.storage().put("promised", std::to_string(promised_));
  ctx.storage().put("accepted_ballot", std::to_string(accepted_ballot_));
  ctx.storage().put("accepted_value", accepted_value_);
  ctx.storage().sync();
  ctx.emit("accepted", {{"slot", kSlot}, {"ballot", ballot}, {"value", std::string_view(value)}});
  for (uint32_t p = 0; p < cluster_size(ctx); ++p) ctx.send(dsim::NodeId{p}, message(kAccepted, ballot, 0, value));
}

void PaxosLab::nack(dsim::Context& ctx, dsim::NodeId to, int64_t ballot) {
  ctx.emit("nack", {{"slot", kSlot}, {"ballot", ballot}, {"promised", promised_}});
  ctx.send(to, message(kNack, ballot, promised_, ""));
}

void PaxosLab::load_persistent_state(dsim::Context& ctx) {
  promised_ = stored_int(ctx.storage().get("promised"), kNoBallot);
  accepted_ballot_ = stored_int(ctx.storage().get("accepted_ballot"), kNoBallot);
  accepted_value_ = ctx.storage().get("accepted_value").value_or("");
}

void PaxosLab::learn(dsim::Context& ctx, int64_t ballot, const std::string& value) {
  if (!learned_.empty()) return;
  learned_ = value;
  ctx.emit("learned", {{"slot", kSlot}, {"ballot", ballot}, {"value", std::string_view(value)}});
}

void PaxosLab::set_retry_timer(dsim::Context& ctx, dsim::Duration after) {
  stop_retry_timer(ctx);
  retry_timer_ = ctx.set_timer(after, kRetryTag);
}

void PaxosLab::stop_retry_timer(dsim::Context& ctx) {
  if (retry_timer_.valid()) ctx.cancel_timer(retry_timer_);
  retry_timer_ = {};
}

}  // namespace paxoslab
