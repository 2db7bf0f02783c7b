// Producers and consumers. A producer sends `messages` records, round robin
// over the partitions, to each partition's leader as the controller's
// metadata names it, and retries a failed or unanswered send. A consumer
// starts each partition at its committed offset, polls the leaders, and
// commits its position periodically to the controller.
#include <map>
#include <string>
#include <vector>

#include "dsim/assert.h"
#include "dsim/stored_int.h"
#include "protocols/kafka/nodes.h"

namespace dsim::kafka {
namespace {

constexpr uint64_t kNextTag = 1;
constexpr uint64_t kMetadataTag = 2;
constexpr uint64_t kRequestTag = uint64_t{1} << 40;  // | request id

class Producer final : public Node {
 public:
  Producer(const Config& cfg, uint32_t index) : cfg_(cfg), index_(index) {}

  void on_start(Context& ctx) override {
    begin(ctx);
    ctx.set_timer(cfg_.start, kNextTag);
  }
  void on_recover(Context& ctx) override {
    if (auto v = ctx.storage().get("seq")) seq_ = parse_stored_int(*v);
    begin(ctx);
    if (seq_ < cfg_.messages) ctx.set_timer(cfg_.retry_backoff, kNextTag);
  }

  void on_message(Context& ctx, NodeId, const Message& m) override {
    if (m.type == kMetadata) {
      if (m.f[0] >= 0 && m.f[0] < static_cast<int64_t>(leaders_.size())) leaders_[static_cast<size_t>(m.f[0])] = m.f[1];
      return;
    }
    if (m.type != kProduceResponse) return;
    auto it = inflight_.find(m.f[2]);
    if (it == inflight_.end() || it->second.backoff) return;  // late: timed out already
    // Request ids start again after a restart; the record id does not, so
    // an answer to a request sent before a crash is not taken for one since.
    if (m.f[1] != it->second.msg || m.f[0] != it->second.partition) return;
    ctx.cancel_timer(it->second.timer);
    if (m.f[3] == kOk) {
      ctx.emit("ack", {{"msg", it->second.msg}, {"partition", it->second.partition}, {"offset", m.f[4]},
                       {"epoch", m.f[5]}, {"acks", acks_name(cfg_.acks)}});
      inflight_.erase(it);
      return;
    }
    fail(ctx, it->first, error_name(m.f[3]));
  }

  void on_timer(Context& ctx, TimerId, uint64_t tag) override {
    if (tag == kNextTag) {
      next(ctx);
    } else if (tag == kMetadataTag) {
      ask_metadata(ctx);
      ctx.set_timer(cfg_.request_timeout, kMetadataTag);
    } else {
      DSIM_ASSERT(tag & kRequestTag);
      const auto req = static_cast<int64_t>(tag & ~kRequestTag);
      auto it = inflight_.find(req);
      DSIM_ASSERT(it != inflight_.end());  // its timer is cancelled when it leaves
      if (it->second.backoff) {
        it->second.backoff = false;
        send(ctx, req);
      } else {
        fail(ctx, req, "timeout");
      }
    }
  }

  std::string_view role() const override { return "producer"; }
  std::string_view message_name(uint32_t type) const override {
    const auto n = message_type_name(type);
    return n.empty() ? "unknown" : n;
  }

 private:
  struct Request {
    int64_t msg = 0;
    int64_t partition = 0;
    uint32_t attempt = 0;
    bool backoff = false;  // waiting to be sent again
    TimerId timer;
  };

  void begin(Context& ctx) {
    leaders_.assign(cfg_.total_partitions(), -1);
    ask_metadata(ctx);
    ctx.set_timer(cfg_.request_timeout, kMetadataTag);
  }
  void ask_metadata(Context& ctx) { ctx.send(NodeId{cfg_.controller}, Message{kMetadataRequest, {}, {}}); }

  void next(Context& ctx) {
    DSIM_ASSERT(seq_ < cfg_.messages);
    ++seq_;
    ctx.storage().put("seq", std::to_string(seq_));
    ctx.storage().sync();  // a message id is never reused, even after a restart
    const int64_t req = ++request_;
    inflight_[req] = Request{static_cast<int64_t>(index_) * kMsgStride + seq_, (seq_ - 1) % cfg_.total_partitions(), 0, false, {}};
    send(ctx, req);
    if (seq_ < cfg_.messages) {
      ctx.set_timer(Duration{ctx.rng().between(cfg_.interval_min.ns, cfg_.interval_max.ns)}, kNextTag);
    }
  }

  void send(Context& ctx, int64_t req) {
    Request& r = inflight_.at(req);
    const int64_t leader = leaders_[static_cast<size_t>(r.partition)];
    ctx.emit("produce", {{"msg", r.msg}, {"partition", r.partition}, {"attempt", int64_t{r.attempt}}});
    if (leader < 0) {
      fail(ctx, req, "no_leader");
      return;
    }
    Message m;
    m.type = kProduce;
    m.f = {r.partition, r.msg, req, cfg_.acks == Config::Acks::kAll ? -1 : cfg_.acks == Config::Acks::kOne ? 1 : 0, 0, 0};
    ctx.send(NodeId{static_cast<uint32_t>(leader)}, m);
    if (cfg_.acks == Config::Acks::kZero) {  // fire and forget
      inflight_.erase(req);
      return;
    }
    r.timer = ctx.set_timer(cfg_.request_timeout, kRequestTag | static_cast<uint64_t>(req));
  }

  void fail(Context& ctx, int64_t req, std::string_view error) {
    Request& r = inflight_.at(req);
    ctx.emit("produce_error", {{"msg", r.msg}, {"partition", r.partition}, {"error", error}, {"attempt", int64_t{r.attempt}}});
    ask_metadata(ctx);
    if (r.attempt < cfg_.retries) {
      ++r.attempt;
      r.backoff = true;
      r.timer = ctx.set_timer(cfg_.retry_backoff, kRequestTag | static_cast<uint64_t>(req));
      return;
    }
    ctx.emit("gave_up", {{"msg", r.msg}, {"partition", r.partition}});
    inflight_.erase(req);
  }

  Config cfg_;
  uint32_t index_;
  int64_t seq_ = 0;      // messages started
  int64_t request_ = 0;
  std::vector<int64_t> leaders_;  // node id by partition, -1 unknown
  std::map<int64_t, Request> inflight_;
};

constexpr uint64_t kPollTag = 1;
constexpr uint64_t kCommitTag = 2;

class Consumer final : public Node {
 public:
  explicit Consumer(const Config& cfg) : cfg_(cfg) {}

  void on_start(Context& ctx) override {
    const uint32_t n = cfg_.total_partitions();
    leaders_.assign(n, -1);
    positions_.assign(n, -1);
    fetch_.assign(n, Fetch{});
    ask(ctx);
    ctx.set_timer(cfg_.start, kPollTag);
    ctx.set_timer(cfg_.commit_interval, kCommitTag);
  }

  void on_message(Context& ctx, NodeId, const Message& m) override {
    if (m.f[0] < 0 || m.f[0] >= static_cast<int64_t>(leaders_.size())) return;
    const auto p = static_cast<size_t>(m.f[0]);
    if (m.type == kMetadata) {
      leaders_[p] = m.f[1];
    } else if (m.type == kOffsetFetchResponse) {
      if (positions_[p] >= 0) return;
      positions_[p] = m.f[1];
      ctx.emit("consumer_start", {{"partition", m.f[0]}, {"offset", m.f[1]}});
    } else if (m.type == kConsumerFetchResponse) {
      if (!fetch_[p].busy || fetch_[p].request != m.f[4]) return;
      fetch_[p].busy = false;
      if (m.f[1] != positions_[p]) return;
      if (m.f[3] == kOk) {
        for (const Entry& e : decode_entries(m.body)) {
          ctx.emit("consume", {{"partition", m.f[0]}, {"offset", positions_[p]}, {"msg", e.msg}});
          ++positions_[p];
        }
      } else if (m.f[3] == kOutOfRange) {
        // The log is shorter than the position (its end was lost in a
        // leader change): start again at the leader's HW.
        ctx.emit("consumer_reset", {{"partition", m.f[0]}, {"from", positions_[p]}, {"to", m.f[2]}});
        positions_[p] = m.f[2];
      } else {
        ctx.send(NodeId{cfg_.controller}, Message{kMetadataRequest, {}, {}});
      }
    }
  }

  void on_timer(Context& ctx, TimerId, uint64_t tag) override {
    if (tag == kCommitTag) {
      for (uint32_t p = 0; p < positions_.size(); ++p) {
        if (positions_[p] < 0) continue;
        Message m;
        m.type = kOffsetCommit;
        m.f[0] = p;
        m.f[1] = positions_[p];
        ctx.send(NodeId{cfg_.controller}, m);
      }
      ctx.set_timer(cfg_.commit_interval, kCommitTag);
      return;
    }
    DSIM_ASSERT(tag == kPollTag);
    bool unknown = false;
    for (uint32_t p = 0; p < positions_.size(); ++p) {
      if (positions_[p] < 0 || leaders_[p] < 0) {
        unknown = true;
        continue;
      }
      Fetch& f = fetch_[p];
      if (f.busy && ctx.now() - f.sent <= cfg_.request_timeout) continue;
      if (f.busy) unknown = true;  // no answer: the leader may be gone, ask who leads now
      f = Fetch{true, ++request_, ctx.now()};
      Message m;
      m.type = kConsumerFetch;
      m.f = {p, positions_[p], f.request, 0, 0, 0};
      ctx.send(NodeId{static_cast<uint32_t>(leaders_[p])}, m);
    }
    if (unknown && ctx.now() - asked_ > cfg_.request_timeout) ask(ctx);
    ctx.set_timer(cfg_.poll_interval, kPollTag);
  }

  std::string_view role() const override { return "consumer"; }
  std::string_view message_name(uint32_t type) const override {
    const auto n = message_type_name(type);
    return n.empty() ? "unknown" : n;
  }

 private:
  struct Fetch {
    bool busy = false;
    int64_t request = 0;
    Time sent;
  };

  void ask(Context& ctx) {
    asked_ = ctx.now();
    ctx.send(NodeId{cfg_.controller}, Message{kMetadataRequest, {}, {}});
    ctx.send(NodeId{cfg_.controller}, Message{kOffsetFetch, {}, {}});
  }

  Config cfg_;
  std::vector<int64_t> leaders_;    // node id by partition, -1 unknown
  std::vector<int64_t> positions_;  // next offset to read, -1 until the committed one is known
  std::vector<Fetch> fetch_;
  int64_t request_ = 0;
  Time asked_;
};

}  // namespace

std::unique_ptr<Node> make_producer(const Config& cfg, uint32_t, uint32_t index) {
  return std::make_unique<Producer>(cfg, index);
}
std::unique_ptr<Node> make_consumer(const Config& cfg, uint32_t) { return std::make_unique<Consumer>(cfg); }

}  // namespace dsim::kafka
