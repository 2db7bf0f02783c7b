#include "protocols/coord/coord.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "protocols/lock/lock.h"
#include "dsim/assert.h"
#include "dsim/stored_int.h"
#include "dsim/text.h"

namespace dsim::coord {
namespace {

constexpr uint64_t kStartTag = 1;
constexpr uint64_t kHeartbeatTag = 2;
constexpr uint64_t kPollTag = 3;
constexpr uint64_t kWorkTag = 4;
constexpr uint64_t kRetryTag = 5;

const std::string kServices = "/services/svc";
const std::string kLocks = "/locks";

// The leader the Raft node knows of, if any.
std::optional<NodeId> known_leader(const raft::RaftNode& raft) { return raft.leader_hint(); }

NodeId origin(const Message& m, NodeId from) { return m.f[5] > 0 ? NodeId{static_cast<uint32_t>(m.f[5] - 1)} : from; }

std::string_view name_of(uint32_t type) {
  const std::string_view n = message_type_name(type);
  return n.empty() ? "unknown" : n;
}

}  // namespace

// ---- Names

std::string_view message_type_name(uint32_t type) {
  switch (type) {
    case kOpen: return "open";
    case kOpened: return "opened";
    case kHeartbeat: return "heartbeat";
    case kAlive: return "alive";
    case kCreate: return "create";
    case kCreated: return "created";
    case kDelete: return "delete";
    case kDeleted: return "deleted";
    case kChildren: return "children";
    case kChildrenReply: return "children_reply";
    case kWatchEvent: return "watch_event";
  }
  return {};
}

// ---- The state machine ----------------------------------------------------------

std::string CoordMachine::parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? std::string("/") : path.substr(0, slash);
}

void CoordMachine::forward_or_propose(raft::RaftNode& raft, Context& ctx, NodeId client, const Message& m, std::string cmd) {
  if (raft.propose(ctx, cmd)) return;
  if (const std::optional<NodeId> leader = known_leader(raft); leader && *leader != ctx.self() && m.f[5] == 0) {
    Message fwd = m;
    fwd.f[5] = client.value + 1;
    ctx.send(*leader, fwd);
  }
  // No leader known: the client times out and asks again.
}

void CoordMachine::on_message(raft::RaftNode& raft, Context& ctx, NodeId from, const Message& m) {
  const NodeId client = origin(m, from);
  switch (m.type) {
    case kOpen:
      forward_or_propose(raft, ctx, client, m, "open " + std::to_string(client.value) + " " + std::to_string(m.f[0]));
      return;
    case kCreate:
      forward_or_propose(raft, ctx, client, m,
                         "create " + std::to_string(client.value) + " " + std::to_string(m.f[0]) + " " +
                             std::to_string(m.f[1]) + " " + std::to_string(m.f[2]) + " " + m.body);
      return;
    case kDelete:
      forward_or_propose(raft, ctx, client, m,
                         "delete " + std::to_string(client.value) + " " + std::to_string(m.f[0]) + " " + m.body);
      return;
    case kHeartbeat: {
      if (!raft.is_leader()) {
        forward_or_propose(raft, ctx, client, m, "");
        return;
      }
      Message r;
      r.type = kAlive;
      r.f[0] = m.f[0];
      r.f[1] = sessions_.count(m.f[0]) ? 1 : 0;
      if (r.f[1]) heard_[m.f[0]] = ctx.now();
      ctx.send(client, r);
      return;
    }
    case kChildren: {
      // Read from this server's state, as ZooKeeper serves reads; and, as
      // ZooKeeper, not at all while cut off from the leader (the client
      // then sees itself disconnected rather than trusting a stale list).
      if (!raft.in_contact(ctx)) return;
      const std::string parent = m.body;
      Message r;
      r.type = kChildrenReply;
      r.f[0] = m.f[0];
      const std::string prefix = parent + "/";
      for (auto it = nodes_.lower_bound(prefix); it != nodes_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        if (it->first.find('/', prefix.size()) != std::string::npos) continue;  // a grandchild
        r.body.append(it->first.substr(prefix.size())).append(1, '\n');
      }
      if (m.f[1]) watches_[parent].insert(client.value);
      ctx.send(client, r);
      return;
    }
  }
  DSIM_ASSERT_MSG(false, "unknown message at a coordination server");
}

void CoordMachine::fire(Context& ctx, const std::string& parent) {
  auto it = watches_.find(parent);
  if (it == watches_.end()) return;
  Message e;
  e.type = kWatchEvent;
  e.body = parent;
  for (uint32_t c : it->second) ctx.send(NodeId{c}, e);
  watches_.erase(it);  // one-shot
}

void CoordMachine::remove(Context& ctx, raft::RaftNode& raft, const std::string& path, std::string_view why,
                          int64_t index) {
  if (!nodes_.erase(path)) return;
  if (raft.is_leader()) ctx.emit("znode_deleted", {{"path", std::string_view(path)}, {"why", why}, {"index", index}});
  fire(ctx, parent_of(path));
}

void CoordMachine::apply(raft::RaftNode& raft, Context& ctx, LogIndex at, std::string_view cmd) {
  const int64_t index = at.value;  // as events carry it
  const bool leader = raft.is_leader();
  const size_t sp = cmd.find(' ');
  const std::string_view op = cmd.substr(0, sp);
  std::string_view rest = cmd.substr(sp + 1);
  if (op == "open") {
    const auto client = static_cast<uint32_t>(take_stored_int(rest, ' '));
    const int64_t req = parse_stored_int(rest);
    const int64_t s = ++last_session_;
    sessions_[s] = client;
    if (!leader) return;
    heard_[s] = ctx.now();
    ctx.emit("session_opened", {{"session", s}, {"client", ctx.node_name(NodeId{client})}, {"index", index}});
    Message r;
    r.type = kOpened;
    r.f[0] = req;
    r.f[1] = s;
    ctx.send(NodeId{client}, r);
    return;
  }
  if (op == "create") {
    const auto client = static_cast<uint32_t>(take_stored_int(rest, ' '));
    const int64_t req = take_stored_int(rest, ' ');
    const int64_t session = take_stored_int(rest, ' ');
    const int64_t flags = take_stored_int(rest, ' ');
    const size_t tab = rest.find('\t');
    std::string path(rest.substr(0, tab));
    const std::string data(tab == std::string_view::npos ? std::string_view() : rest.substr(tab + 1));
    Message r;
    r.type = kCreated;
    r.f[0] = req;
    const bool ephemeral = (flags & kEphemeral) != 0;
    if (ephemeral && !sessions_.count(session)) {
      r.body = "session expired";
    } else {
      // Parents as needed (persistent), then the node.
      const std::string parent = parent_of(path);
      for (size_t at = 1; at < parent.size(); at = parent.find('/', at + 1)) {
        const size_t end = parent.find('/', at + 1);
        nodes_.try_emplace(parent.substr(0, end));
        if (end == std::string::npos) break;
      }
      if (flags & kSequential) {
        char seq[16];
        std::snprintf(seq, sizeof seq, "%010lld", static_cast<long long>(nodes_[parent].next_seq++));
        path += seq;
      }
      if (nodes_.count(path)) {
        r.body = "exists";
      } else {
        nodes_[path] = ZNode{data, ephemeral ? session : 0, 0};
        r.f[1] = 1;
        r.body = path;
        if (leader) ctx.emit("znode_created", {{"path", std::string_view(path)}, {"session", ephemeral ? session : 0}, {"index", index}});
        fire(ctx, parent);
      }
    }
    if (leader) ctx.send(NodeId{client}, r);
    return;
  }
  if (op == "delete") {
    const auto client = static_cast<uint32_t>(take_stored_int(rest, ' '));
    const int64_t req = take_stored_int(rest, ' ');
    const std::string path(rest);
    Message r;
    r.type = kDeleted;
    r.f[0] = req;
    r.f[1] = nodes_.count(path) ? 1 : 0;
    remove(ctx, raft, path, "deleted", index);
    if (leader) ctx.send(NodeId{client}, r);
    return;
  }
  if (op == "expire") {
    const int64_t s = parse_stored_int(rest);
    auto it = sessions_.find(s);
    heard_.erase(s);
    expiring_.erase(s);
    if (it == sessions_.end()) return;
    if (leader) ctx.emit("session_expired", {{"session", s}, {"client", ctx.node_name(NodeId{it->second})}, {"index", index}});
    sessions_.erase(it);
    if (cfg_.bug == Config::Bug::kKeepEphemerals) return;  // the planted bug: ephemerals outlive their session
    std::vector<std::string> owned;
    for (const auto& [path, node] : nodes_) {
      if (node.session == s) owned.push_back(path);
    }
    for (const auto& path : owned) remove(ctx, raft, path, "session expired", index);
    return;
  }
  DSIM_ASSERT_MSG(false, "unknown coordination command");
}

std::string_view CoordMachine::message_name(uint32_t type) const { return name_of(type); }

void CoordMachine::on_leadership(raft::RaftNode&, Context& ctx, bool leader) {
  heard_.clear();
  expiring_.clear();
  if (!leader) return;
  // A new leader gives every session a full timeout (ZooKeeper does the
  // same on failover): it cannot know when they were last heard.
  for (const auto& [s, client] : sessions_) heard_[s] = ctx.now();
}

void CoordMachine::on_leader_tick(raft::RaftNode& raft, Context& ctx) {
  for (const auto& [s, client] : sessions_) {
    auto h = heard_.find(s);
    if (h == heard_.end()) {
      heard_[s] = ctx.now();
      continue;
    }
    if (ctx.now() - h->second > cfg_.session_timeout && !expiring_.count(s)) {
      expiring_.insert(s);
      raft.propose(ctx, "expire " + std::to_string(s));
    }
  }
}

// ---- Clients --------------------------------------------------------------------

namespace {

// What every client does: a session with heartbeats, requests to its
// server with retries after a timeout.
class ClientBase : public Node {
 public:
  ClientBase(Config cfg, NodeId server) : cfg_(cfg), server_(server) {}
  std::string_view message_name(uint32_t type) const override { return name_of(type); }
  void on_start(Context& ctx) override { ctx.set_timer(milliseconds(5), kStartTag); }

 protected:
  void open(Context& ctx) {
    session_ = 0;
    Message m;
    m.type = kOpen;
    m.f[0] = ++req_;
    send(ctx, m);
  }
  void send(Context& ctx, const Message& m) {
    last_ = m;
    ctx.send(server_, m);
    ctx.cancel_timer(retry_);
    retry_ = ctx.set_timer(cfg_.request_timeout, kRetryTag);
  }
  void answered(Context& ctx) { ctx.cancel_timer(retry_); }
  void heartbeats(Context& ctx) { hb_ = ctx.set_timer(cfg_.heartbeat, kHeartbeatTag); }
  // Common message handling; true when consumed.
  bool common(Context& ctx, const Message& m) {
    if (m.type == kOpened && m.f[0] == req_) {
      answered(ctx);
      session_ = m.f[1];
      on_session(ctx);
      return true;
    }
    if (m.type == kAlive) {
      if (m.f[0] == session_ && m.f[1] == 0) {
        on_expired(ctx);
        open(ctx);
      }
      return true;
    }
    return false;
  }
  bool common_timer(Context& ctx, TimerId id, uint64_t tag) {
    if (tag == kRetryTag) {
      if (id == retry_) ctx.send(server_, last_);  // no answer: ask again
      if (id == retry_) retry_ = ctx.set_timer(cfg_.request_timeout, kRetryTag);
      return true;
    }
    if (tag == kHeartbeatTag) {
      if (session_ > 0) {
        Message m;
        m.type = kHeartbeat;
        m.f[0] = session_;
        ctx.send(server_, m);
      }
      hb_ = ctx.set_timer(cfg_.heartbeat, kHeartbeatTag);
      return true;
    }
    return false;
  }
  virtual void on_session(Context& ctx) = 0;
  virtual void on_expired(Context&) {}

  Config cfg_;
  NodeId server_;
  int64_t session_ = 0;
  int64_t req_ = 0;
  Message last_;
  TimerId retry_, hb_;
};

class Instance final : public ClientBase {
 public:
  using ClientBase::ClientBase;
  std::string_view role() const override { return "instance"; }
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override {
    if (tag == kStartTag) {
      open(ctx);
      heartbeats(ctx);
      return;
    }
    common_timer(ctx, id, tag);
  }
  void on_message(Context& ctx, NodeId, const Message& m) override {
    if (common(ctx, m)) return;
    if (m.type == kCreated && m.f[0] == req_) {
      answered(ctx);
      if (m.f[1]) ctx.emit("registered", {{"path", std::string_view(m.body)}, {"session", session_}});
      // "exists": our node from an earlier attempt is there; fine.
    }
  }

 private:
  void on_session(Context& ctx) override {
    Message m;
    m.type = kCreate;
    m.f[0] = ++req_;
    m.f[1] = session_;
    m.f[2] = kEphemeral;
    m.body = kServices + "/" + std::string(ctx.node_name(ctx.self())) + "\t";
    send(ctx, m);
  }
};

class Watcher final : public ClientBase {
 public:
  using ClientBase::ClientBase;
  std::string_view role() const override { return "watcher"; }
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override {
    if (tag == kStartTag) {
      list(ctx);
      ctx.set_timer(cfg_.poll, kPollTag);
      return;
    }
    if (tag == kPollTag) {
      // Connected means: our server answered within the request timeout.
      if (connected_ && ctx.now() - last_heard_ > cfg_.request_timeout) {
        connected_ = false;
        view_.clear();
        ctx.emit("view", {{"members", std::string_view("")}, {"connected", false}});
      }
      list(ctx);
      ctx.set_timer(cfg_.poll, kPollTag);
      return;
    }
    common_timer(ctx, id, tag);
  }
  void on_message(Context& ctx, NodeId, const Message& m) override {
    if (m.type == kWatchEvent) {
      list(ctx);
      return;
    }
    if (m.type != kChildrenReply) return;
    last_heard_ = ctx.now();
    std::set<std::string> now;
    for (std::string_view child : split(m.body, '\n')) now.emplace(child);
    if (now != view_ || !connected_) {
      view_ = std::move(now);
      connected_ = true;
      std::string members;
      for (const auto& v : view_) members += (members.empty() ? "" : ",") + v;
      ctx.emit("view", {{"members", std::string_view(members)}, {"connected", true}});
    }
  }

 private:
  void on_session(Context&) override {}
  void list(Context& ctx) {
    Message m;
    m.type = kChildren;
    m.f[0] = ++req_;
    m.f[1] = 1;  // and watch
    m.body = kServices;
    ctx.send(server_, m);
  }
  std::set<std::string> view_;
  bool connected_ = false;
  Time last_heard_{0};
};

// The ZooKeeper lock recipe: an ephemeral sequential node under /locks;
// the lowest holds the lock. Its sequence number is the fencing token.
class Locker final : public ClientBase {
 public:
  Locker(Config cfg, NodeId server, NodeId resource) : ClientBase(cfg, server), resource_(resource) {}
  std::string_view role() const override { return holding_ ? "holder" : "client"; }
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override {
    if (tag == kStartTag) {
      if (session_ == 0) {
        open(ctx);
        if (!hb_.valid()) heartbeats(ctx);
      } else {
        enqueue(ctx);
      }
      return;
    }
    if (tag == kWorkTag) {
      if (!holding_) return;
      Message w;
      w.type = lock::kWrite;
      w.f[0] = token_;
      w.f[1] = ++seq_;
      ctx.emit("write", {{"token", token_}, {"seq", seq_}});
      ctx.send(resource_, w);
      if (++written_ < cfg_.writes) {
        ctx.set_timer(Duration{cfg_.work.ns / cfg_.writes}, kWorkTag);
      } else {
        release(ctx);  // done: let go at once
      }
      return;
    }
    common_timer(ctx, id, tag);
  }
  void on_message(Context& ctx, NodeId, const Message& m) override {
    if (common(ctx, m)) return;
    if (m.type == kCreated && m.f[0] == req_) {
      answered(ctx);
      if (m.f[1]) mine_ = m.body;
      check(ctx);
      return;
    }
    if (m.type == kWatchEvent) {
      if (!holding_ && !mine_.empty()) check(ctx);
      return;
    }
    if (m.type == kChildrenReply && m.f[0] == req_) {
      answered(ctx);
      if (holding_ || mine_.empty()) return;
      std::string_view lowest;
      for (std::string_view child : split(m.body, '\n')) {
        if (lowest.empty() || seq_of(child) < seq_of(lowest)) lowest = child;
      }
      if (kLocks + "/" + std::string(lowest) != mine_) return;  // wait for the watch
      holding_ = true;
      token_ = seq_of(lowest) + 1;  // tokens from 1
      written_ = 0;
      ctx.emit("acquired", {{"token", token_}});
      ctx.set_timer(Duration{cfg_.work.ns / cfg_.writes}, kWorkTag);
      return;
    }
    if (m.type == kDeleted && m.f[0] == req_) {
      answered(ctx);
      ctx.set_timer(Duration{ctx.rng().between(milliseconds(50).ns, milliseconds(300).ns)}, kStartTag);
      return;
    }
  }

 private:
  static int64_t seq_of(std::string_view name) {
    return name.size() >= 10 ? parse_stored_int(name.substr(name.size() - 10)) : -1;
  }
  void on_session(Context& ctx) override { enqueue(ctx); }
  void on_expired(Context& ctx) override {
    // Our node went with the session. A holder learns it only now.
    if (holding_) {
      holding_ = false;
      ctx.emit("lapsed", {{"token", token_}});
    }
    mine_.clear();
  }
  void enqueue(Context& ctx) {
    Message m;
    m.type = kCreate;
    m.f[0] = ++req_;
    m.f[1] = session_;
    m.f[2] = kEphemeral | kSequential;
    m.body = kLocks + "/" + std::string(ctx.node_name(ctx.self())) + "-\t";
    send(ctx, m);
  }
  void check(Context& ctx) {
    Message m;
    m.type = kChildren;
    m.f[0] = ++req_;
    m.f[1] = 1;
    m.body = kLocks;
    send(ctx, m);
  }
  void release(Context& ctx) {
    holding_ = false;
    ctx.emit("released", {{"token", token_}});
    Message m;
    m.type = kDelete;
    m.f[0] = ++req_;
    m.body = mine_;
    mine_.clear();
    send(ctx, m);
  }
  NodeId resource_;
  std::string mine_;
  bool holding_ = false;
  int64_t token_ = 0;
  uint32_t written_ = 0;
  int64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Node> make_node(const Config& cfg, NodeId id, uint32_t nodes) {
  const uint32_t i = id.value;
  if (i < cfg.servers) return std::make_unique<raft::RaftNode>(cfg.raft, std::make_unique<CoordMachine>(cfg));
  const NodeId server{i % cfg.servers};
  const NodeId resource{nodes - 1};
  if (i < cfg.servers + cfg.instances) return std::make_unique<Instance>(cfg, server);
  if (i < cfg.servers + cfg.instances + cfg.watchers) return std::make_unique<Watcher>(cfg, server);
  if (cfg.lockers > 0 && i == nodes - 1) {
    lock::Config lc;
    lc.fencing = cfg.fencing;
    lc.server = UINT32_MAX;
    lc.resource = i;
    return std::make_unique<lock::Resource>(lc);
  }
  return std::make_unique<Locker>(cfg, server, resource);
}

}  // namespace dsim::coord
