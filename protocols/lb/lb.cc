#include "protocols/lb/lb.h"

#include <algorithm>
#include <array>
#include <optional>

#include "dsim/assert.h"

namespace dsim::lb {
namespace {

constexpr uint64_t kDoneTag = 1;     // a backend finishes a request: tag = slot << 8 | 1
constexpr uint64_t kSlowTag = 2;     // tag = index << 8 | 2
constexpr uint64_t kArriveTag = 3;   // a client's next request
constexpr uint64_t kHealthTag = 4;
constexpr uint64_t kTimeoutTag = 5;  // tag = request << 8 | 5

// Requests waiting for an answer, by id. Ids are handed out in increasing
// order and most answers come back roughly in that order, so a window from
// the oldest still waiting to the newest replaces a std::map (a node
// allocation and a tree walk per request). Lookups by id are O(1); memory
// is the span of ids between the oldest and newest outstanding request.
// The first kInline entries live inside the window itself: a client with
// a request or two outstanding (the common case) reads them from its own
// object, not from a buffer elsewhere in memory (a cache miss per request
// in a 100,000-client run).
template <typename T>
class PendingWindow {
 public:
  void add(int64_t id, const T& v) {
    if (live_ == 0) {
      base_ = id;
      head_ = 0;
      size_ = 0;
    }
    DSIM_ASSERT(id == base_ + static_cast<int64_t>(size_));  // ids increase by one, no gaps
    if (size_ == capacity()) grow();
    Entry& e = at(head_ + size_);
    e.value = v;
    e.live = true;
    ++size_;
    ++live_;
  }
  // The entry for `id`, or nullptr if it is not waited for (answered, timed
  // out, or never sent).
  T* find(int64_t id) {
    if (id < base_ || id >= base_ + static_cast<int64_t>(size_)) return nullptr;
    Entry& e = at(head_ + static_cast<size_t>(id - base_));
    return e.live ? &e.value : nullptr;
  }
  // REQUIRES: find(id) != nullptr.
  void erase(int64_t id) {
    Entry& e = at(head_ + static_cast<size_t>(id - base_));
    DSIM_ASSERT(e.live);
    e.live = false;
    --live_;
    while (size_ > 0 && !at(head_).live) {
      head_ = (head_ + 1) & (capacity() - 1);
      --size_;
      ++base_;
    }
  }

 private:
  static constexpr size_t kInline = 2;  // a power of two, as every capacity
  struct Entry {
    T value;
    bool live = false;
  };
  size_t capacity() const { return big_.empty() ? kInline : big_.size(); }
  Entry& at(size_t i) { return (big_.empty() ? small_.data() : big_.data())[i & (capacity() - 1)]; }
  void grow() {
    std::vector<Entry> bigger(capacity() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = at(head_ + i);
    big_ = std::move(bigger);
    head_ = 0;
  }
  std::array<Entry, kInline> small_{};
  std::vector<Entry> big_;  // once more than kInline are outstanding; a power of two long
  size_t head_ = 0, size_ = 0, live_ = 0;
  int64_t base_ = 0;  // the id at head_
};

std::string_view msg_name(uint32_t t) {
  const std::string_view n = message_type_name(t);
  return n.empty() ? "unknown" : n;
}

class Backend final : public Node {
 public:
  Backend(std::shared_ptr<const Config> cfg, uint32_t index) : shared_(std::move(cfg)), cfg_(*shared_), index_(index) {}
  std::string_view role() const override { return "backend"; }
  std::string_view message_name(uint32_t t) const override { return msg_name(t); }
  void on_start(Context& ctx) override {
    for (size_t i = 0; i < cfg_.slowdowns.size(); ++i) {
      if (cfg_.slowdowns[i].backend == index_) ctx.set_timer(cfg_.slowdowns[i].at, (uint64_t{i} << 8) | kSlowTag);
    }
  }
  void on_message(Context& ctx, NodeId from, const Message& m) override {
    if (m.type == kPing) {
      Message r;
      r.type = kPong;
      ctx.send(from, r);
      return;
    }
    DSIM_ASSERT(m.type == kRequest);
    Job j{from, m.f[0], m.f[2]};
    if (busy_ < cfg_.concurrency) {
      serve(ctx, j);
    } else if (queue_.size() < cfg_.queue) {
      queue_.push_back(j);
    } else {
      ctx.emit("rejected", {});
      Message r;
      r.type = kResponse;
      r.f[0] = j.req;
      r.f[1] = 0;
      ctx.send(j.from, r);
    }
  }
  void on_timer(Context& ctx, TimerId, uint64_t tag) override {
    if ((tag & 0xff) == kSlowTag) {
      const Slowdown& s = cfg_.slowdowns[tag >> 8];
      if (factor_ == 1) {
        factor_ = s.factor;
        ctx.emit("slow", {{"factor", s.factor}});
        ctx.set_timer(s.for_, tag);
      } else {
        factor_ = 1;
        ctx.emit("slow", {{"factor", int64_t{1}}});
      }
      return;
    }
    DSIM_ASSERT((tag & 0xff) == kDoneTag);
    const auto slot = static_cast<size_t>(tag >> 8);
    const Job j = jobs_[slot];
    free_.push_back(slot);
    --busy_;
    ctx.emit("served", {{"origin", j.origin}});
    Message r;
    r.type = kResponse;
    r.f[0] = j.req;
    r.f[1] = 1;
    ctx.send(j.from, r);
    if (!queue_.empty()) {
      const Job next = queue_.front();
      queue_.pop_front();
      serve(ctx, next);
    }
  }

 private:
  struct Job {
    NodeId from;
    int64_t req;
    int64_t origin;
  };
  void serve(Context& ctx, const Job& j) {
    ++busy_;
    size_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
      jobs_[slot] = j;
    } else {
      slot = jobs_.size();
      jobs_.push_back(j);
    }
    const double mean = static_cast<double>(cfg_.service.ns) * static_cast<double>(factor_) /
                        static_cast<double>(cfg_.weight(index_));
    const auto t = static_cast<int64_t>(ctx.rng().exponential(mean));
    ctx.set_timer(Duration{std::max<int64_t>(1, t)}, (uint64_t{slot} << 8) | kDoneTag);
  }
  std::shared_ptr<const Config> shared_;
  const Config& cfg_;
  uint32_t index_;
  uint32_t busy_ = 0;
  int64_t factor_ = 1;
  std::deque<Job> queue_;
  std::vector<Job> jobs_;
  std::vector<size_t> free_;
};

// What a balancer does, server side (the proxy) or client side: pick a
// backend, time out, retry elsewhere, keep backends' health.
class Balancer {
 public:
  explicit Balancer(const Config& cfg)
      : cfg_(cfg), policy_(make_policy(cfg.policy, cfg.all_weights(), cfg.vnodes, cfg.bound)), up_(cfg.backends, true),
        ejected_until_(cfg.backends, Time{0}) {
    DSIM_ASSERT(policy_ != nullptr);
  }
  struct Pending {
    int64_t client_req;
    NodeId client;
    uint64_t key;
    uint32_t backend;
    uint32_t retries;
    Time started;
    TimerId timer;
  };
  // Sends request `p` (a new one, or a retry) to a backend; false if none
  // is up. A retry avoids the backend that just failed it, when another is
  // up (as Envoy's previous-hosts retry predicate does): a hash policy
  // then moves on along the ring instead of asking the same owner again.
  bool dispatch(Context& ctx, Pending p, std::optional<uint32_t> avoid = std::nullopt) {
    if (!policy_->any_eligible()) return false;
    const bool skip = avoid && up_[*avoid] && std::count(up_.begin(), up_.end(), true) > 1;
    if (skip) {
      up_[*avoid] = false;
      policy_->set_eligible(up_);
    }
    p.backend = policy_->pick(p.key, ctx.rng());
    if (skip) {
      up_[*avoid] = true;
      policy_->set_eligible(up_);
    }
    policy_->started(p.backend);
    const int64_t id = ++next_;
    Message m;
    m.type = kRequest;
    m.f[0] = id;
    m.f[1] = static_cast<int64_t>(p.key);
    m.f[2] = p.client.value + 1;
    ctx.send(NodeId{p.backend}, m);
    p.timer = ctx.set_timer(cfg_.timeout, (static_cast<uint64_t>(id) << 8) | kTimeoutTag);
    pending_.add(id, p);
    return true;
  }
  // A backend answered: the pending request, if still waited for.
  std::optional<Pending> answer(Context& ctx, const Message& m) {
    const Pending* it = pending_.find(m.f[0]);
    if (!it) return std::nullopt;
    const Pending p = *it;
    pending_.erase(m.f[0]);
    ctx.cancel_timer(p.timer);
    policy_->finished(p.backend);
    return p;
  }
  std::optional<Pending> timed_out(int64_t id) {
    const Pending* it = pending_.find(id);
    if (!it) return std::nullopt;
    const Pending p = *it;
    pending_.erase(id);
    policy_->finished(p.backend);
    return p;
  }
  void set_up(Context& ctx, uint32_t b, bool up) {
    if (up_[b] == up) return;
    up_[b] = up;
    ctx.emit("health", {{"backend", ctx.node_name(NodeId{b})}, {"up", up}});
    policy_->set_eligible(up_);
  }
  const Config& cfg_;
  std::unique_ptr<Policy> policy_;
  std::vector<bool> up_;
  std::vector<Time> ejected_until_;
  PendingWindow<Pending> pending_;
  int64_t next_ = 0;
};

class Proxy final : public Node {
 public:
  explicit Proxy(std::shared_ptr<const Config> cfg)
      : shared_(std::move(cfg)), cfg_(*shared_), lb_(cfg_), last_pong_(cfg_.backends, Time{0}) {}
  std::string_view role() const override { return "proxy"; }
  std::string_view message_name(uint32_t t) const override { return msg_name(t); }
  void on_start(Context& ctx) override { ctx.set_timer(cfg_.health_interval, kHealthTag); }
  void on_message(Context& ctx, NodeId from, const Message& m) override {
    switch (m.type) {
      case kRequest:
        if (!lb_.dispatch(ctx, {m.f[0], from, static_cast<uint64_t>(m.f[1]), 0, cfg_.retries, ctx.now(), {}})) {
          reply(ctx, from, m.f[0], false, 0);
        }
        return;
      case kResponse:
        if (auto p = lb_.answer(ctx, m)) {
          if (m.f[1] || p->retries == 0) {
            reply(ctx, p->client, p->client_req, m.f[1] != 0, cfg_.retries - p->retries);
          } else {
            retry(ctx, *p);
          }
        }
        return;
      case kPong:
        last_pong_[from.value] = ctx.now();
        lb_.set_up(ctx, from.value, true);
        return;
    }
  }
  void on_timer(Context& ctx, TimerId, uint64_t tag) override {
    if (tag == kHealthTag) {
      Message ping;
      ping.type = kPing;
      for (uint32_t b = 0; b < cfg_.backends; ++b) {
        ctx.send(NodeId{b}, ping);
        if (ctx.now() - last_pong_[b] > Duration{cfg_.health_interval.ns * cfg_.health_failures}) lb_.set_up(ctx, b, false);
      }
      ctx.set_timer(cfg_.health_interval, kHealthTag);
      return;
    }
    DSIM_ASSERT((tag & 0xff) == kTimeoutTag);
    if (auto p = lb_.timed_out(static_cast<int64_t>(tag >> 8))) {
      if (p->retries > 0) retry(ctx, *p);
      else reply(ctx, p->client, p->client_req, false, cfg_.retries);
    }
  }

 private:
  void retry(Context& ctx, Balancer::Pending p) {
    --p.retries;
    if (!lb_.dispatch(ctx, p, p.backend)) reply(ctx, p.client, p.client_req, false, cfg_.retries - p.retries);
  }
  void reply(Context& ctx, NodeId client, int64_t req, bool ok, int64_t retries) {
    Message r;
    r.type = kResponse;
    r.f[0] = req;
    r.f[1] = ok;
    r.f[2] = retries;
    ctx.send(client, r);
  }
  std::shared_ptr<const Config> shared_;
  const Config& cfg_;
  Balancer lb_;
  std::vector<Time> last_pong_;
};

class Client final : public Node {
 public:
  Client(std::shared_ptr<const Config> cfg, NodeId proxy) : shared_(std::move(cfg)), cfg_(*shared_), proxy_(proxy) {
    if (cfg_.client_side) lb_ = std::make_unique<Balancer>(cfg_);
  }
  std::string_view role() const override { return "client"; }
  std::string_view message_name(uint32_t t) const override { return msg_name(t); }
  void on_start(Context& ctx) override { ctx.set_timer(cfg_.start + next_gap(ctx), kArriveTag); }
  void on_message(Context& ctx, NodeId, const Message& m) override {
    if (m.type != kResponse) return;
    if (lb_) {
      if (auto p = lb_->answer(ctx, m)) {
        if (m.f[1] || p->retries == 0) done(ctx, p->started, m.f[1] != 0, cfg_.retries - p->retries);
        else retry(ctx, *p);
      }
      return;
    }
    const Time* sent = sent_.find(m.f[0]);
    if (!sent) return;
    done(ctx, *sent, m.f[1] != 0, m.f[2]);
    sent_.erase(m.f[0]);
  }
  void on_timer(Context& ctx, TimerId, uint64_t tag) override {
    if (tag == kArriveTag) {
      const uint64_t key = cfg_.keys ? ctx.rng().below(cfg_.keys) : ctx.rng().next();
      if (lb_) {
        refresh(ctx);
        if (!lb_->dispatch(ctx, {++req_, ctx.self(), key, 0, cfg_.retries, ctx.now(), {}})) done(ctx, ctx.now(), false, 0);
      } else {
        Message m;
        m.type = kRequest;
        m.f[0] = ++req_;
        m.f[1] = static_cast<int64_t>(key);
        ctx.send(proxy_, m);
        sent_.add(req_, ctx.now());
      }
      ctx.set_timer(next_gap(ctx), kArriveTag);
      return;
    }
    DSIM_ASSERT(lb_ && (tag & 0xff) == kTimeoutTag);
    if (auto p = lb_->timed_out(static_cast<int64_t>(tag >> 8))) {
      // Passive health: avoid a backend that did not answer, for a while.
      lb_->ejected_until_[p->backend] = ctx.now() + cfg_.eject;
      lb_->set_up(ctx, p->backend, false);
      if (p->retries > 0) retry(ctx, *p);
      else done(ctx, p->started, false, cfg_.retries);
    }
  }

 private:
  Duration next_gap(Context& ctx) {
    return Duration{std::max<int64_t>(1, static_cast<int64_t>(ctx.rng().exponential(1e9 / cfg_.rate)))};
  }
  void refresh(Context& ctx) {
    for (uint32_t b = 0; b < cfg_.backends; ++b) {
      if (!lb_->up_[b] && ctx.now() >= lb_->ejected_until_[b]) lb_->set_up(ctx, b, true);
    }
  }
  void retry(Context& ctx, Balancer::Pending p) {
    --p.retries;
    refresh(ctx);
    if (!lb_->dispatch(ctx, p, p.backend)) done(ctx, p.started, false, cfg_.retries - p.retries);
  }
  void done(Context& ctx, Time started, bool ok, int64_t retries) {
    ctx.emit("lb_done", {{"latency_ns", (ctx.now() - started).ns}, {"ok", ok}, {"retries", retries}});
  }
  // Shared by every node of the run: a 100,000-client run keeps one copy.
  std::shared_ptr<const Config> shared_;
  const Config& cfg_;
  NodeId proxy_;
  std::unique_ptr<Balancer> lb_;
  PendingWindow<Time> sent_;
  int64_t req_ = 0;
};

}  // namespace

std::vector<int64_t> Config::all_weights() const {
  std::vector<int64_t> w(backends, 1);
  for (uint32_t b = 0; b < backends && b < weights.size(); ++b) w[b] = weights[b];
  return w;
}

std::unique_ptr<Node> make_node(const std::shared_ptr<const Config>& cfg, NodeId id) {
  DSIM_ASSERT(cfg != nullptr);
  if (id.value < cfg->backends) return std::make_unique<Backend>(cfg, id.value);
  if (!cfg->client_side && id.value == cfg->backends) return std::make_unique<Proxy>(cfg);
  return std::make_unique<Client>(cfg, NodeId{cfg->backends});
}

std::string_view message_type_name(uint32_t t) {
  switch (t) {
    case kRequest: return "request";
    case kResponse: return "response";
    case kPing: return "ping";
    case kPong: return "pong";
  }
  return {};
}

}  // namespace dsim::lb
