// A Redis-style lease lock and the resource it protects.
//
// Lock server: the semantics of SET key owner NX PX ttl (grant only when
// the lock is free, or its lease has expired by the server's own clock) and
// of the compare-and-delete release script (only the owner of the current
// grant may release). With fencing, every grant carries a token from a
// counter that only grows (kept in durable storage).
// Resource: a node that takes writes from clients and records each with
// its writer and token; with fencing it rejects a write whose token is
// lower than the highest it has accepted.
// Clients: acquire (retrying with random backoff when busy), then, holding
// the lease as granted (on their own clock, less a drift margin), write to
// the resource `writes` times spread over `work`, release (or notice that
// the lease lapsed), rest, repeat. As in the classic example, the lease is
// trusted for the whole critical section: a process pause in its middle,
// longer than the TTL, is the hazard the scenarios show.
//
// Trace events: server: grant {client, token, ttl_ns}, busy {client,
// holder}, expire {client, token}, release {client, token}; client:
// acquired {token}, write {token, seq}, released {token}, lapsed {token}
// (the client noticed its lease ran out); resource: resource_write
// {client, token, seq, accepted}.
// Roles (for fault targets): "server", "resource", "holder" (a client that
// believes it holds the lock), "client".
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "dsim/node.h"

namespace dsim::lock {

struct Config {
  uint32_t server = 0;    // node ids
  uint32_t resource = 1;
  Duration ttl = seconds(1);
  bool fencing = false;   // tokens checked by the resource
  Duration work = milliseconds(200);    // a holder's critical section
  uint32_t writes = 3;                  // writes to the resource per critical section
  Duration rest_min = milliseconds(50), rest_max = milliseconds(300);  // between critical sections
  Duration retry_min = milliseconds(20), retry_max = milliseconds(100);  // after "busy"
  Duration drift_margin = milliseconds(10);  // clients treat the lease as ending this much early
  Duration start = milliseconds(10);
  // volatile_lock: the server keeps the holder and expiry in memory only
  // (Redis without fsync): after a restart it grants a lock that is still
  // held. The token counter stays durable.
  // never_expire: the server ignores lease expiry, so a holder that crashes
  // keeps the lock for ever and no one is granted it again.
  enum class Bug { kNone, kVolatileLock, kNeverExpire } bug = Bug::kNone;
};

// Numbered apart from Raft's and the coordination service's types, since
// coord's lock clients write to this resource: one table names them all.
enum MessageType : uint32_t {
  kAcquire = 301,   // client -> server; f0 request id
  kGranted = 302,   // f0 request id, f1 token, f2 ttl ns
  kBusy = 303,      // f0 request id
  kRelease = 304,   // f0 token
  kWrite = 305,     // client -> resource; f0 token, f1 seq
  kWriteAck = 306,  // f0 seq, f1 accepted
};

// The trace name of a message type, "" for another protocol's.
std::string_view message_type_name(uint32_t type);

class LockServer final : public Node {
 public:
  explicit LockServer(Config cfg) : cfg_(cfg) {}
  void on_start(Context& ctx) override;
  void on_recover(Context& ctx) override;
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context&, TimerId, uint64_t) override {}
  std::string_view role() const override { return "server"; }
  std::string_view message_name(uint32_t type) const override;

 private:
  Config cfg_;
  std::optional<NodeId> holder_;  // of the current grant; none when the lock is free
  int64_t token_ = 0;    // of the current grant
  int64_t counter_ = 0;  // the last token handed out
  Time expires_{0};
};

class Resource final : public Node {
 public:
  explicit Resource(Config cfg) : cfg_(cfg) {}
  void on_start(Context&) override {}
  void on_recover(Context& ctx) override;
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context&, TimerId, uint64_t) override {}
  std::string_view role() const override { return "resource"; }
  std::string_view message_name(uint32_t type) const override;

 private:
  Config cfg_;
  int64_t highest_ = 0;  // the highest token accepted
};

class LockClient final : public Node {
 public:
  explicit LockClient(Config cfg) : cfg_(cfg) {}
  void on_start(Context& ctx) override;
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override;
  std::string_view role() const override { return holding_ ? "holder" : "client"; }
  std::string_view message_name(uint32_t type) const override;

 private:
  void acquire(Context& ctx);
  void finish(Context& ctx, bool lapsed);

  Config cfg_;
  int64_t request_ = 0;
  bool holding_ = false;
  int64_t token_ = 0;
  Time lease_end_{0};   // on this client's clock
  uint32_t written_ = 0;
  int64_t seq_ = 0;
};

std::unique_ptr<Node> make_node(const Config& cfg, NodeId id);

}  // namespace dsim::lock
