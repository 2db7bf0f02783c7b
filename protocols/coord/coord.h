// A ZooKeeper-style coordination service replicated on the Raft log, and
// its clients: service instances that register ephemeral nodes, discovery
// clients that watch them, and the lock recipe on ephemeral sequential
// nodes.
//
// Servers (raft::RaftNode with CoordMachine): hierarchical paths (parents
// are created as needed), sessions opened through the log and kept alive
// by heartbeats to the leader, which proposes their expiry after
// `session_timeout` without one (a new leader restarts every session's
// clock, as ZooKeeper does on failover); ephemeral nodes, deleted with
// their session; sequential nodes (a per-parent counter appended to the
// name); one-shot watches on a node's children, registered at the server
// the client talks to and fired when that server applies a change. Writes
// go to the leader (forwarded) and are answered once applied; children
// lists are read from the contacted server's state, as in ZooKeeper, and
// only while that server is in contact with the leader (a leader: with a
// majority).
//
// Nodes of the scenario: the first `servers` run the service; then
// `instances` service instances (each registers /services/svc/<name>),
// `watchers` discovery clients (each keeps a view of /services/svc), and
// `lockers` clients of the lock recipe, writing to a resource node (the
// last node) as in protocols/lock, with the lock node's sequence number as
// a fencing token when `fencing` is on.
//
// Trace events: servers (on the leader, when applied; `index` is the log
// entry, so a deposed leader applying it late can be told apart):
// session_opened {session, client, index}, session_expired {session,
// client, index}, znode_created {path, session, index}, znode_deleted
// {path, why, index}. Instances: registered {path,
// session}. Watchers: view {members, connected}. Lockers: acquired
// {token}, released {token}, lapsed {token}; resource: resource_write
// (as protocols/lock).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "protocols/raft/raft.h"
#include "dsim/node.h"

namespace dsim::coord {

struct Config {
  Config() { raft.check_quorum = true; }  // a cut-off leader steps down, so its clients look elsewhere
  uint32_t servers = 3;
  uint32_t instances = 2, watchers = 2, lockers = 0;
  raft::Config raft;
  Duration session_timeout = milliseconds(600);
  Duration heartbeat = milliseconds(150);  // clients' session heartbeats
  Duration request_timeout = milliseconds(300);
  Duration poll = milliseconds(200);       // watchers' liveness ping to their server
  bool fencing = false;                    // lock recipe: the resource checks tokens
  Duration work = milliseconds(800);       // lock recipe critical section
  uint32_t writes = 8;
  enum class Bug { kNone, kKeepEphemerals } bug = Bug::kNone;
};

enum MessageType : uint32_t {
  kOpen = 200,       // client -> server: f0 request
  kOpened = 201,     // f0 request, f1 session
  kHeartbeat = 202,  // f0 session
  kAlive = 203,      // f0 session, f1 1 alive / 0 expired
  kCreate = 204,     // f0 request, f1 session, f2 flags (1 ephemeral, 2 sequential); body path\tdata
  kCreated = 205,    // f0 request, f1 ok; body the path created (or why not)
  kDelete = 206,     // f0 request; body path
  kDeleted = 207,    // f0 request, f1 ok
  kChildren = 208,   // f0 request, f1 watch; body parent
  kChildrenReply = 209,  // f0 request; body children, '\n'-separated
  kWatchEvent = 210,     // body parent
  kResourceWrite = 211,  // locker -> resource: f0 token, f1 seq
  kResourceAck = 212,
};
inline constexpr int64_t kEphemeral = 1, kSequential = 2;

// The replicated state machine.
class CoordMachine final : public raft::StateMachine {
 public:
  explicit CoordMachine(Config cfg) : cfg_(cfg) {}
  void on_message(raft::RaftNode& raft, Context& ctx, NodeId from, const Message& m) override;
  void apply(raft::RaftNode& raft, Context& ctx, LogIndex at, std::string_view cmd) override;
  void on_leader_tick(raft::RaftNode& raft, Context& ctx) override;
  void on_leadership(raft::RaftNode& raft, Context& ctx, bool leader) override;
  std::string_view message_name(uint32_t type) const override;

 private:
  struct ZNode {
    std::string data;
    int64_t session = 0;  // ephemeral owner, 0: persistent
    int64_t next_seq = 0;  // for sequential children
  };
  void forward_or_propose(raft::RaftNode& raft, Context& ctx, NodeId client, const Message& m, std::string cmd);
  void remove(Context& ctx, raft::RaftNode& raft, const std::string& path, std::string_view why, int64_t index);
  void fire(Context& ctx, const std::string& parent);
  static std::string parent_of(const std::string& path);

  Config cfg_;
  std::map<std::string, ZNode> nodes_;  // "/" is implicit
  std::map<int64_t, uint32_t> sessions_;  // session -> client node
  int64_t last_session_ = 0;
  // Leader only: when each session was last heard from, and expiries proposed.
  std::map<int64_t, Time> heard_;
  std::set<int64_t> expiring_;
  // This server: child watches (parent -> clients).
  std::map<std::string, std::set<uint32_t>> watches_;
};

std::unique_ptr<Node> make_node(const Config& cfg, NodeId id, uint32_t nodes);

// The trace name of one of this protocol's message types, "" for another's.
std::string_view message_type_name(uint32_t type);


}  // namespace dsim::coord
