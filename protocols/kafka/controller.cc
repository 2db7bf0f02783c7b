// The controller: broker liveness by heartbeats, partition leadership and
// ISR (the only place either is decided), and the consumer group
// coordinator's committed offsets. Its state is durable, so a restarted
// controller carries on where it stopped.
#include <algorithm>
#include <string>
#include <vector>

#include "dsim/assert.h"
#include "dsim/stored_int.h"
#include "protocols/kafka/nodes.h"

namespace dsim::kafka {
namespace {

constexpr uint64_t kCheckTag = 1;

class Controller final : public Node {
 public:
  Controller(const Config& cfg, uint32_t nodes) : cfg_(cfg), brokers_(cfg.brokers(nodes)) {}

  void on_start(Context& ctx) override {
    init(ctx);
    for (uint32_t p = 0; p < parts_.size(); ++p) {
      Part& s = parts_[p];
      const auto reps = replicas_of(cfg_, static_cast<uint32_t>(brokers_.size()), p);
      for (uint32_t b : reps) s.isr |= uint64_t{1} << b;
      s.leader = reps.front();
      s.epoch = 1;
      persist(ctx, p);
      emit_elect(ctx, p, true);
      publish(ctx, p, false);
    }
    ctx.storage().sync();
  }

  void on_recover(Context& ctx) override {
    init(ctx);
    for (uint32_t p = 0; p < parts_.size(); ++p) {
      auto v = ctx.storage().get("p" + std::to_string(p));
      DSIM_ASSERT_MSG(v.has_value(), "the controller's partition state was synced at start");
      std::string_view s = *v;
      Part& st = parts_[p];
      st.leader = take_stored_int(s, ' ');
      st.epoch = take_stored_int(s, ' ');
      st.isr = static_cast<uint64_t>(take_stored_int(s, ' '));
      st.version = parse_stored_int(s);
    }
  }

  void on_message(Context& ctx, NodeId from, const Message& m) override {
    switch (m.type) {
      case kHeartbeat: heartbeat(ctx, from); return;
      case kAlterPartition: alter_partition(ctx, from, m); return;
      case kMetadataRequest: metadata(ctx, from); return;
      case kOffsetCommit: offset_commit(ctx, from, m); return;
      case kOffsetFetch: offset_fetch(ctx, from); return;
      default: return;  // another node's message type: never sent here
    }
  }

  void on_timer(Context& ctx, TimerId, uint64_t tag) override {
    DSIM_ASSERT(tag == kCheckTag);
    const Time now = ctx.now();
    // A check far later than planned means this controller was stopped (a
    // pause, a clogged link to itself): the heartbeats it missed say nothing
    // about the brokers, so it gives them a fresh session instead of
    // declaring every one dead at once.
    if (now - last_check_ > cfg_.heartbeat * 2) {
      for (Time& t : last_heard_) t = std::max(t, now);
    }
    last_check_ = now;
    for (uint32_t b = 0; b < brokers_.size(); ++b) {
      if (alive_[b] && now - last_heard_[b] > cfg_.session_timeout) broker_down(ctx, b);
    }
    ctx.set_timer(cfg_.heartbeat, kCheckTag);
  }

  std::string_view role() const override { return "controller"; }
  std::string_view message_name(uint32_t type) const override {
    const auto n = message_type_name(type);
    return n.empty() ? "unknown" : n;
  }

 private:
  struct Part {
    int64_t leader = -1;  // broker index, -1: offline
    int64_t epoch = 0;
    uint64_t isr = 0;
    int64_t version = 0;  // of the ISR within the epoch's lifetime; grows on every change
  };

  void init(Context& ctx) {
    DSIM_ASSERT(!brokers_.empty());
    DSIM_ASSERT(brokers_.size() <= 63);
    parts_.assign(cfg_.total_partitions(), Part{});
    alive_.assign(brokers_.size(), true);  // a grace period of one session after (re)start
    last_heard_.assign(brokers_.size(), ctx.now());
    last_check_ = ctx.now();
    ctx.set_timer(cfg_.heartbeat, kCheckTag);
  }

  int64_t index_of(NodeId n) const {
    for (uint32_t b = 0; b < brokers_.size(); ++b) {
      if (brokers_[b] == n.value) return b;
    }
    return -1;
  }

  void persist(Context& ctx, uint32_t p) {
    const Part& s = parts_[p];
    ctx.storage().put("p" + std::to_string(p), std::to_string(s.leader) + " " + std::to_string(s.epoch) + " " +
                                                   std::to_string(s.isr) + " " + std::to_string(s.version));
  }

  Message leader_and_isr(uint32_t p, bool refused) const {
    const Part& s = parts_[p];
    Message m;
    m.type = kLeaderAndIsr;
    m.f = {p, s.leader < 0 ? -1 : static_cast<int64_t>(brokers_[static_cast<size_t>(s.leader)]), s.epoch,
           static_cast<int64_t>(s.isr), s.version, refused ? 1 : 0};
    return m;
  }

  // Tells every replica of p its state (lost messages are repaired by the
  // answers to heartbeats).
  void publish(Context& ctx, uint32_t p, bool skip_dead) {
    for (uint32_t b : replicas_of(cfg_, static_cast<uint32_t>(brokers_.size()), p)) {
      if (skip_dead && !alive_[b]) continue;
      ctx.send(NodeId{brokers_[b]}, leader_and_isr(p, false));
    }
  }

  void emit_elect(Context& ctx, uint32_t p, bool clean) {
    const Part& s = parts_[p];
    const std::string isr = mask_names(ctx, brokers_, s.isr);
    const std::string_view leader = s.leader < 0 ? std::string_view() : ctx.node_name(NodeId{brokers_[static_cast<size_t>(s.leader)]});
    ctx.emit("elect", {{"partition", int64_t{p}}, {"leader", leader}, {"epoch", s.epoch}, {"isr", std::string_view(isr)},
                       {"clean", clean}});
  }

  void emit_isr(Context& ctx, uint32_t p, std::string_view reason) {
    const Part& s = parts_[p];
    const std::string isr = mask_names(ctx, brokers_, s.isr);
    ctx.emit("isr_change", {{"partition", int64_t{p}}, {"epoch", s.epoch}, {"isr", std::string_view(isr)},
                            {"version", s.version}, {"reason", reason}});
  }

  void heartbeat(Context& ctx, NodeId from) {
    const int64_t b = index_of(from);
    if (b < 0) return;
    last_heard_[static_cast<size_t>(b)] = ctx.now();
    if (!alive_[static_cast<size_t>(b)]) broker_up(ctx, static_cast<uint32_t>(b));
    // The answer: the state of every partition the broker replicates.
    for (uint32_t p = 0; p < parts_.size(); ++p) {
      const auto reps = replicas_of(cfg_, static_cast<uint32_t>(brokers_.size()), p);
      for (uint32_t r : reps) {
        if (r == b) ctx.send(from, leader_and_isr(p, false));
      }
    }
  }

  void broker_down(Context& ctx, uint32_t b) {
    DSIM_ASSERT(alive_[b]);
    alive_[b] = false;
    ctx.emit("broker_down", {{"broker", ctx.node_name(NodeId{brokers_[b]})}});
    const uint64_t bit = uint64_t{1} << b;
    for (uint32_t p = 0; p < parts_.size(); ++p) {
      Part& s = parts_[p];
      if (s.leader == b) {
        elect(ctx, p);
      } else if (s.leader >= 0 && (s.isr & bit) && (s.isr & ~bit)) {
        s.isr &= ~bit;
        ++s.version;
        persist(ctx, p);
        emit_isr(ctx, p, "broker_down");
        publish(ctx, p, true);
      }
    }
    ctx.storage().sync();
  }

  void broker_up(Context& ctx, uint32_t b) {
    DSIM_ASSERT(!alive_[b]);
    alive_[b] = true;
    ctx.emit("broker_up", {{"broker", ctx.node_name(NodeId{brokers_[b]})}});
    for (uint32_t p = 0; p < parts_.size(); ++p) {
      if (parts_[p].leader < 0) elect(ctx, p);
    }
    ctx.storage().sync();
  }

  // The leader of p is gone (or p is offline): a live ISR member in replica
  // order, else (unclean) any live replica, else offline.
  void elect(Context& ctx, uint32_t p) {
    Part& s = parts_[p];
    const auto reps = replicas_of(cfg_, static_cast<uint32_t>(brokers_.size()), p);
    int64_t chosen = -1;
    bool clean = true;
    for (uint32_t r : reps) {
      if (alive_[r] && (s.isr >> r & 1)) {
        chosen = r;
        break;
      }
    }
    if (chosen < 0 && cfg_.unclean_leader_election) {
      for (uint32_t r : reps) {
        if (alive_[r]) {
          chosen = r;
          clean = false;
          break;
        }
      }
    }
    if (chosen < 0) {
      if (s.leader < 0) return;  // still offline; the ISR keeps the last leader to come back
      s.leader = -1;
      ++s.epoch;
      persist(ctx, p);
      emit_elect(ctx, p, true);
      publish(ctx, p, true);
      return;
    }
    s.leader = chosen;
    ++s.epoch;
    if (clean) {
      uint64_t live = 0;
      for (uint32_t r : reps) {
        if (alive_[r] && (s.isr >> r & 1)) live |= uint64_t{1} << r;
      }
      DSIM_ASSERT(live >> chosen & 1);
      s.isr = live;
    } else {
      s.isr = uint64_t{1} << chosen;
    }
    ++s.version;
    persist(ctx, p);
    emit_elect(ctx, p, clean);
    publish(ctx, p, true);
  }

  void alter_partition(Context& ctx, NodeId from, const Message& m) {
    const int64_t b = index_of(from);
    if (b < 0 || m.f[0] < 0 || m.f[0] >= static_cast<int64_t>(parts_.size())) return;
    const auto p = static_cast<uint32_t>(m.f[0]);
    Part& s = parts_[p];
    const auto proposed = static_cast<uint64_t>(m.f[2]);
    // Only the current leader, in its epoch, from the ISR it last saw; the
    // leader must stay in it. Anything else is refused with the state.
    if (s.leader != b || m.f[1] != s.epoch || m.f[3] != s.version || !(proposed >> b & 1)) {
      ctx.send(from, leader_and_isr(p, true));
      return;
    }
    const std::string_view reason = (proposed & ~s.isr) ? "expand" : "shrink";
    s.isr = proposed;
    ++s.version;
    persist(ctx, p);
    ctx.storage().sync();
    emit_isr(ctx, p, reason);
    publish(ctx, p, true);
  }

  void metadata(Context& ctx, NodeId from) {
    for (uint32_t p = 0; p < parts_.size(); ++p) {
      const Part& s = parts_[p];
      Message m;
      m.type = kMetadata;
      m.f[0] = p;
      m.f[1] = s.leader < 0 ? -1 : static_cast<int64_t>(brokers_[static_cast<size_t>(s.leader)]);
      m.f[2] = s.epoch;
      ctx.send(from, m);
    }
  }

  static std::string offset_key(NodeId consumer, int64_t p) {
    return "o" + std::to_string(consumer.value) + "/" + std::to_string(p);
  }

  void offset_commit(Context& ctx, NodeId from, const Message& m) {
    if (m.f[0] < 0 || m.f[0] >= static_cast<int64_t>(parts_.size()) || m.f[1] < 0) return;
    ctx.storage().put(offset_key(from, m.f[0]), std::to_string(m.f[1]));
    ctx.storage().sync();
    ctx.emit("offset_commit", {{"consumer", ctx.node_name(from)}, {"partition", m.f[0]}, {"offset", m.f[1]}});
  }

  void offset_fetch(Context& ctx, NodeId from) {
    for (uint32_t p = 0; p < parts_.size(); ++p) {
      Message m;
      m.type = kOffsetFetchResponse;
      m.f[0] = p;
      if (auto v = ctx.storage().get(offset_key(from, p))) m.f[1] = parse_stored_int(*v);
      ctx.send(from, m);
    }
  }

  Config cfg_;
  std::vector<uint32_t> brokers_;
  std::vector<Part> parts_;
  std::vector<bool> alive_;
  std::vector<Time> last_heard_;
  Time last_check_;
};

}  // namespace

std::unique_ptr<Node> make_controller(const Config& cfg, uint32_t nodes) { return std::make_unique<Controller>(cfg, nodes); }

}  // namespace dsim::kafka
