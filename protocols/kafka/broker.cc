// A broker: for each partition it replicates, either the leader (appends
// produced records, serves fetches, keeps the HW and proposes ISR changes)
// or a follower (fetches from the leader, truncates where its log diverges).
// Logs, HWs and the last leader epoch seen are durable.
#include <algorithm>
#include <bit>
#include <string>
#include <vector>

#include "dsim/assert.h"
#include "dsim/stored_int.h"
#include "protocols/kafka/nodes.h"

namespace dsim::kafka {
namespace {

constexpr uint64_t kHeartbeatTag = 1;
constexpr uint64_t kFetchTag = 2;

class Broker final : public Node {
 public:
  Broker(const Config& cfg, uint32_t nodes, NodeId self) : cfg_(cfg), brokers_(cfg.brokers(nodes)) {
    for (uint32_t b = 0; b < brokers_.size(); ++b) {
      if (brokers_[b] == self.value) me_ = b;
    }
    DSIM_ASSERT(me_ >= 0);
    parts_.resize(cfg_.total_partitions());
    for (uint32_t p = 0; p < parts_.size(); ++p) {
      for (uint32_t r : replicas_of(cfg_, static_cast<uint32_t>(brokers_.size()), p)) {
        if (r == static_cast<uint32_t>(me_)) parts_[p].replica = true;
      }
    }
  }

  void on_start(Context& ctx) override { tick(ctx, true); }

  void on_recover(Context& ctx) override {
    Storage& st = ctx.storage();
    for (uint32_t p = 0; p < parts_.size(); ++p) {
      Part& s = parts_[p];
      if (!s.replica) continue;
      const std::string k = "l" + std::to_string(p) + "/";
      if (auto v = st.get(k + "n")) {
        const int64_t n = parse_stored_int(*v);
        for (int64_t o = 0; o < n; ++o) {
          auto e = st.get(k + std::to_string(o));
          DSIM_ASSERT_MSG(e.has_value(), "a log entry below the stored length");
          std::string_view sv = *e;
          Entry en;
          en.epoch = take_stored_int(sv, ' ');
          en.msg = parse_stored_int(sv);
          s.log.push_back(en);
        }
      }
      if (auto v = st.get("h" + std::to_string(p))) s.hw = std::min<int64_t>(parse_stored_int(*v), leo(s));
      if (auto v = st.get("e" + std::to_string(p))) s.epoch = parse_stored_int(*v);
    }
    tick(ctx, true);
  }

  void on_message(Context& ctx, NodeId from, const Message& m) override {
    if (m.f[0] < 0 || m.f[0] >= static_cast<int64_t>(parts_.size())) return;
    const auto p = static_cast<uint32_t>(m.f[0]);
    if (!parts_[p].replica) return;
    switch (m.type) {
      case kLeaderAndIsr: leader_and_isr(ctx, p, m); break;
      case kProduce: produce(ctx, from, p, m); break;
      case kFetch: fetch(ctx, from, p, m); break;
      case kFetchResponse: fetch_response(ctx, from, p, m); break;
      case kConsumerFetch: consumer_fetch(ctx, from, p, m); break;
      default: break;
    }
  }

  void on_timer(Context& ctx, TimerId, uint64_t tag) override {
    if (tag == kHeartbeatTag) {
      tick(ctx, false);
    } else {
      DSIM_ASSERT(tag == kFetchTag);
      for (uint32_t p = 0; p < parts_.size(); ++p) {
        Part& s = parts_[p];
        if (s.replica && s.known && !s.leading && s.leader >= 0 &&
            (!s.fetching || ctx.now() - s.fetch_sent > cfg_.request_timeout)) {
          send_fetch(ctx, p);
        }
      }
      ctx.set_timer(cfg_.fetch_interval, kFetchTag);
    }
  }

  std::string_view role() const override { return leading_any() ? "leader" : "follower"; }
  std::string_view message_name(uint32_t type) const override {
    const auto n = message_type_name(type);
    return n.empty() ? "unknown" : n;
  }

 private:
  struct Waiter {  // an acks=all produce waiting for the HW
    int64_t offset = 0;
    NodeId producer;
    int64_t request = 0;
    int64_t msg = 0;
    Time since;
  };
  struct Pending {  // an AlterPartition in flight
    uint64_t isr = 0;
    int64_t base_version = 0;
    Time sent;
  };
  struct Part {
    bool replica = false;
    std::vector<Entry> log;
    int64_t hw = 0;
    int64_t epoch = 0;     // the latest leader epoch this broker has seen
    bool known = false;    // the controller told this incarnation its role in `epoch`
    int64_t leader = -1;   // node id
    uint64_t isr = 0;
    int64_t version = -1;
    bool leading = false;
    int64_t epoch_start = 0;  // LEO when this leader's epoch began
    std::vector<int64_t> follower_leo;  // by broker index; -1 unknown
    std::vector<Time> caught_up;        // when each follower last reached the LEO
    std::vector<int64_t> last_fetch_leo;  // the LEO when each follower's previous fetch was served
    std::vector<Time> last_fetch;         // and when
    std::optional<Pending> pending;
    std::vector<Waiter> waiters;
    bool fetching = false;
    Time fetch_sent;
  };

  static int64_t leo(const Part& s) { return static_cast<int64_t>(s.log.size()); }
  bool leading_any() const {
    return std::any_of(parts_.begin(), parts_.end(), [](const Part& s) { return s.leading; });
  }
  int64_t index_of(NodeId n) const {
    for (uint32_t b = 0; b < brokers_.size(); ++b) {
      if (brokers_[b] == n.value) return b;
    }
    return -1;
  }

  void tick(Context& ctx, bool first) {
    ctx.send(NodeId{cfg_.controller}, Message{kHeartbeat, {}, {}});
    ctx.set_timer(cfg_.heartbeat, kHeartbeatTag);
    if (first) {
      ctx.set_timer(cfg_.fetch_interval, kFetchTag);
      return;
    }
    const Time now = ctx.now();
    for (uint32_t p = 0; p < parts_.size(); ++p) {
      Part& s = parts_[p];
      if (!s.leading) continue;
      // Producers gave up on these long ago.
      std::erase_if(s.waiters, [&](const Waiter& w) { return now - w.since > cfg_.request_timeout * 4; });
      if (s.pending) {
        if (now - s.pending->sent > cfg_.request_timeout) send_alter(ctx, p);
        continue;
      }
      for (uint32_t b = 0; b < brokers_.size(); ++b) {
        if (b == static_cast<uint32_t>(me_) || !(s.isr >> b & 1)) continue;
        if (now - s.caught_up[b] > cfg_.replica_lag_time_max) {
          propose(ctx, p, s.isr & ~(uint64_t{1} << b), "lagging");
          break;
        }
      }
    }
  }

  void persist_append(Context& ctx, uint32_t p, int64_t from) {
    Part& s = parts_[p];
    Storage& st = ctx.storage();
    const std::string k = "l" + std::to_string(p) + "/";
    for (int64_t o = from; o < leo(s); ++o) {
      const Entry& e = s.log[static_cast<size_t>(o)];
      st.put(k + std::to_string(o), std::to_string(e.epoch) + " " + std::to_string(e.msg));
    }
    st.put(k + "n", std::to_string(leo(s)));
    st.put("h" + std::to_string(p), std::to_string(s.hw));
    st.sync();
  }

  void update_role(Context& ctx, bool was_leading) {
    const bool now_leading = leading_any();
    if (now_leading == was_leading) return;
    int64_t e = 0;
    for (const Part& s : parts_) e = std::max(e, s.epoch);
    ctx.emit("role", {{"role", std::string_view(now_leading ? "leader" : "follower")}, {"leader_epoch", e}});
  }

  void answer_produce(Context& ctx, NodeId to, uint32_t p, int64_t msg, int64_t request, int64_t error, int64_t offset) {
    Message r;
    r.type = kProduceResponse;
    r.f = {p, msg, request, error, offset, parts_[p].epoch};
    ctx.send(to, r);
  }

  void leader_and_isr(Context& ctx, uint32_t p, const Message& m) {
    Part& s = parts_[p];
    const int64_t epoch = m.f[2];
    if (epoch < s.epoch) return;  // from before an election this broker already saw
    const bool was_leading = leading_any();
    if (epoch > s.epoch || !s.known) {
      for (const Waiter& w : s.waiters) answer_produce(ctx, w.producer, p, w.msg, w.request, kNotLeader, -1);
      s.waiters.clear();
      s.pending.reset();
      s.epoch = epoch;
      s.known = true;
      ctx.storage().put("e" + std::to_string(p), std::to_string(epoch));
      ctx.storage().sync();
      s.leader = m.f[1];
      s.isr = static_cast<uint64_t>(m.f[3]);
      s.version = m.f[4];
      s.fetching = false;
      s.leading = m.f[1] == static_cast<int64_t>(brokers_[static_cast<size_t>(me_)]);
      if (s.leading) {
        s.epoch_start = leo(s);
        s.follower_leo.assign(brokers_.size(), -1);
        s.caught_up.assign(brokers_.size(), ctx.now());
        s.last_fetch_leo.assign(brokers_.size(), 0);
        s.last_fetch.assign(brokers_.size(), ctx.now());
        ctx.emit("become_leader", {{"partition", int64_t{p}}, {"epoch", epoch}, {"leo", leo(s)}, {"hw", s.hw}});
        update_hw(ctx, p);
      } else {
        const std::string_view leader = s.leader < 0 ? std::string_view() : ctx.node_name(NodeId{static_cast<uint32_t>(s.leader)});
        ctx.emit("become_follower", {{"partition", int64_t{p}}, {"epoch", epoch}, {"leader", leader}});
        if (s.leader >= 0) send_fetch(ctx, p);
      }
      update_role(ctx, was_leading);
      return;
    }
    // The same epoch: a newer ISR, or the refusal of this leader's proposal.
    if (m.f[4] > s.version) {
      s.isr = static_cast<uint64_t>(m.f[3]);
      s.version = m.f[4];
      s.pending.reset();
      if (s.leading) update_hw(ctx, p);
    } else if (m.f[5] == 1 && s.pending) {
      s.pending.reset();
    }
  }

  void produce(Context& ctx, NodeId from, uint32_t p, const Message& m) {
    Part& s = parts_[p];
    const int64_t acks = m.f[3];
    if (!s.leading) {
      if (acks != 0) answer_produce(ctx, from, p, m.f[1], m.f[2], kNotLeader, -1);
      return;
    }
    if (acks == -1 && std::popcount(s.isr) < static_cast<int>(cfg_.min_insync_replicas)) {
      ctx.emit("produce_refused", {{"partition", int64_t{p}}, {"msg", m.f[1]}, {"isr_size", int64_t{std::popcount(s.isr)}}});
      answer_produce(ctx, from, p, m.f[1], m.f[2], kNotEnoughReplicas, -1);
      return;
    }
    DSIM_ASSERT(s.log.empty() || s.log.back().epoch <= s.epoch);
    const int64_t offset = leo(s);
    s.log.push_back(Entry{s.epoch, m.f[1]});
    ctx.emit("append", {{"partition", int64_t{p}}, {"offset", offset}, {"epoch", s.epoch}, {"msg", m.f[1]}});
    persist_append(ctx, p, offset);
    if (acks == 1) answer_produce(ctx, from, p, m.f[1], m.f[2], kOk, offset);
    if (acks == -1) s.waiters.push_back(Waiter{offset, from, m.f[2], m.f[1], ctx.now()});
    update_hw(ctx, p);
  }

  // The HW: the smallest LEO over the maximal ISR (the leader's own, and
  // each follower's last fetch offset in this epoch).
  void update_hw(Context& ctx, uint32_t p) {
    Part& s = parts_[p];
    DSIM_ASSERT(s.leading);
    const uint64_t maximal = s.isr | (s.pending ? s.pending->isr : 0) | (uint64_t{1} << me_);
    int64_t hw = cfg_.bug == Config::Bug::kHwUsesMax ? 0 : leo(s);
    for (uint32_t b = 0; b < brokers_.size(); ++b) {
      if (!(maximal >> b & 1)) continue;
      const int64_t end = b == static_cast<uint32_t>(me_) ? leo(s) : s.follower_leo[b];
      hw = cfg_.bug == Config::Bug::kHwUsesMax ? std::max(hw, end) : std::min(hw, end);
    }
    DSIM_ASSERT(hw <= leo(s));
    if (hw <= s.hw) return;  // the HW never goes back within an epoch
    s.hw = hw;
    ctx.storage().put("h" + std::to_string(p), std::to_string(s.hw));
    ctx.emit("hw", {{"partition", int64_t{p}}, {"hw", s.hw}, {"epoch", s.epoch}});
    const bool enough = std::popcount(s.isr) >= static_cast<int>(cfg_.min_insync_replicas);
    std::erase_if(s.waiters, [&](const Waiter& w) {
      if (w.offset >= s.hw) return false;
      answer_produce(ctx, w.producer, p, w.msg, w.request, enough ? kOk : kNotEnoughReplicasAfterAppend, w.offset);
      return true;
    });
  }

  void propose(Context& ctx, uint32_t p, uint64_t isr, std::string_view reason) {
    Part& s = parts_[p];
    DSIM_ASSERT(s.leading);
    DSIM_ASSERT(!s.pending);
    DSIM_ASSERT(isr >> me_ & 1);
    s.pending = Pending{isr, s.version, ctx.now()};
    const std::string names = mask_names(ctx, brokers_, isr);
    ctx.emit("isr_propose", {{"partition", int64_t{p}}, {"epoch", s.epoch}, {"isr", std::string_view(names)}, {"reason", reason}});
    send_alter(ctx, p);
    update_hw(ctx, p);
  }

  void send_alter(Context& ctx, uint32_t p) {
    Part& s = parts_[p];
    s.pending->sent = ctx.now();
    Message m;
    m.type = kAlterPartition;
    m.f = {p, s.epoch, static_cast<int64_t>(s.pending->isr), s.pending->base_version, 0, 0};
    ctx.send(NodeId{cfg_.controller}, m);
  }

  void send_fetch(Context& ctx, uint32_t p) {
    Part& s = parts_[p];
    DSIM_ASSERT(!s.leading);
    DSIM_ASSERT(s.leader >= 0);
    s.fetching = true;
    s.fetch_sent = ctx.now();
    Message m;
    m.type = kFetch;
    m.f = {p, leo(s), s.log.empty() ? -1 : s.log.back().epoch, s.epoch, 0, 0};
    ctx.send(NodeId{static_cast<uint32_t>(s.leader)}, m);
  }

  void fetch(Context& ctx, NodeId from, uint32_t p, const Message& m) {
    Part& s = parts_[p];
    Message r;
    r.type = kFetchResponse;
    r.f = {p, m.f[1], s.hw, kOk, s.epoch, 0};
    const int64_t b = index_of(from);
    if (!s.leading || b < 0) {
      r.f[3] = kNotLeader;
    } else if (m.f[3] != s.epoch) {
      r.f[3] = kFencedEpoch;  // one of the two has not heard of the latest election
    } else {
      const int64_t off = m.f[1];
      const int64_t last_epoch = m.f[2];
      const bool matches = off >= 0 && off <= leo(s) && (off == 0 || s.log[static_cast<size_t>(off - 1)].epoch == last_epoch);
      if (!matches) {
        // The end offset of the largest epoch this log has up to the
        // follower's last one: the follower truncates there (or lower).
        int64_t end = leo(s);
        while (end > 0 && s.log[static_cast<size_t>(end - 1)].epoch > last_epoch) --end;
        r.f[3] = kDiverging;
        r.f[4] = end > 0 ? s.log[static_cast<size_t>(end - 1)].epoch : -1;
        r.f[5] = end;
      } else {
        const auto bi = static_cast<size_t>(b);
        s.follower_leo[bi] = off;
        // Caught up: at the LEO now, or at the LEO as of its previous fetch
        // (under steady load a follower is always a round trip behind).
        if (off >= leo(s)) {
          s.caught_up[bi] = std::max(s.caught_up[bi], ctx.now());
        } else if (off >= s.last_fetch_leo[bi]) {
          s.caught_up[bi] = std::max(s.caught_up[bi], s.last_fetch[bi]);
        }
        s.last_fetch_leo[bi] = leo(s);
        s.last_fetch[bi] = ctx.now();
        const uint64_t maximal = s.isr | (s.pending ? s.pending->isr : 0);
        if (!(maximal >> b & 1) && !s.pending && off >= s.hw && off >= s.epoch_start) {
          propose(ctx, p, s.isr | (uint64_t{1} << b), "caught_up");
        }
        update_hw(ctx, p);
        const int64_t to = std::min<int64_t>(leo(s), off + cfg_.max_fetch_records);
        r.f[2] = s.hw;
        r.body = encode_entries(s.log, off, to);
      }
    }
    ctx.send(from, r);
  }

  void fetch_response(Context& ctx, NodeId from, uint32_t p, const Message& m) {
    Part& s = parts_[p];
    if (s.leading || !s.known || s.leader != static_cast<int64_t>(from.value)) return;
    if (m.f[1] != leo(s)) return;  // an answer to an older fetch
    s.fetching = false;
    if (m.f[3] == kOk) {
      if (m.f[4] != s.epoch) return;
      const std::vector<Entry> got = decode_entries(m.body);
      const int64_t first = leo(s);
      for (const Entry& e : got) {
        DSIM_ASSERT(s.log.empty() || s.log.back().epoch <= e.epoch);
        ctx.emit("replicate", {{"partition", int64_t{p}}, {"offset", leo(s)}, {"epoch", e.epoch}, {"msg", e.msg}});
        s.log.push_back(e);
      }
      s.hw = std::min(m.f[2], leo(s));
      persist_append(ctx, p, first);
      if (!got.empty()) send_fetch(ctx, p);
    } else if (m.f[3] == kDiverging) {
      const int64_t leader_epoch = m.f[4];
      // This log's end offset for that epoch.
      int64_t mine = leo(s);
      while (mine > 0 && s.log[static_cast<size_t>(mine - 1)].epoch > leader_epoch) --mine;
      const int64_t to = std::max<int64_t>(0, std::min({m.f[5], mine, leo(s) - 1}));
      DSIM_ASSERT(to < leo(s));
      ctx.emit("truncate", {{"partition", int64_t{p}}, {"from", leo(s)}, {"to", to}});
      s.log.resize(static_cast<size_t>(to));
      s.hw = std::min(s.hw, leo(s));
      persist_append(ctx, p, to);
      send_fetch(ctx, p);
    }
    // not_leader, fenced: wait for the controller's word (heartbeat answers).
  }

  void consumer_fetch(Context& ctx, NodeId from, uint32_t p, const Message& m) {
    Part& s = parts_[p];
    Message r;
    r.type = kConsumerFetchResponse;
    r.f = {p, m.f[1], s.hw, kOk, m.f[2], 0};
    if (!s.leading) {
      r.f[3] = kNotLeader;
    } else if (m.f[1] < 0 || m.f[1] > leo(s)) {
      r.f[3] = kOutOfRange;
    } else {
      const int64_t visible = cfg_.bug == Config::Bug::kFetchBeyondHw ? leo(s) : s.hw;
      const int64_t to = std::min<int64_t>(visible, m.f[1] + cfg_.max_fetch_records);
      if (to > m.f[1]) r.body = encode_entries(s.log, m.f[1], to);
    }
    ctx.send(from, r);
  }

  Config cfg_;
  std::vector<uint32_t> brokers_;
  int64_t me_ = -1;  // this broker's index
  std::vector<Part> parts_;
};

}  // namespace

std::unique_ptr<Node> make_broker(const Config& cfg, uint32_t nodes, NodeId self) {
  return std::make_unique<Broker>(cfg, nodes, self);
}

}  // namespace dsim::kafka
