// The key-value wire protocol between client nodes and stores (the CP store
// on Raft, the AP Dynamo-style store), and the client node that records
// every operation as a history (../docs/history-format.md) in the trace.
//
// Request (client -> any server): type kKvRequest; f0 operation id (unique
// per client), f1 op (kRead, kWrite, kCas), f2 client node id + 1 (set by
// the first server that forwards it); body "key\texpected-or-value\tnew".
// Reply (server -> client): type kKvReply; f0 operation id, f1 status;
// body: the value read (then, for stores with contexts, a tab and the
// context to send back with the next write of the key), or why it failed.
// Values are integers, or "" for null (never written).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsim/node.h"

namespace dsim::kv {

inline constexpr uint32_t kKvRequest = 100;
inline constexpr uint32_t kKvReply = 101;

enum Op : int64_t { kRead = 0, kWrite = 1, kCas = 2 };
enum Status : int64_t {
  kOk = 0,       // took effect (cas: compared equal and set)
  kFail = 1,     // definitely did not take effect (cas mismatch, no leader, unsupported)
  kUnknown = 2,  // may or may not have taken effect (a quorum was not reached in time)
};

struct Request {
  int64_t id = 0;
  Op op = kRead;
  std::string key;
  std::string value;  // write: value; cas: expected ("" = null)
  std::string next;   // cas: new value; write: the context of the client's last read of the key, if the store gives one
};

Message encode_request(const Request& r);
// REQUIRES: m.type == kKvRequest (the body is dsim's own encoding).
Request decode_request(const Message& m);
Message reply(int64_t id, Status status, std::string_view body);
// The client a request came from: f2 - 1 when a server forwarded it.
NodeId origin(const Message& m, NodeId from);

// Executes a request on a map-backed register store: the state machine of
// both stores. Returns the status and, for reads, the value.
struct Result {
  Status status = kOk;
  std::string value;
};
template <typename Map>
Result apply(Map& kv, const Request& r) {
  auto it = kv.find(r.key);
  const std::string cur = it == kv.end() ? std::string() : it->second;
  switch (r.op) {
    case kRead: return {kOk, cur};
    case kWrite: kv[r.key] = r.value; return {kOk, {}};
    case kCas:
      if (cur != r.value) return {kFail, "cas mismatch"};
      kv[r.key] = r.next;
      return {kOk, {}};
  }
  return {kFail, "unknown op"};
}

// A client node attached to one server. Closed loop (rate 0): one
// operation at a time, a think time between them. Open loop (rate > 0):
// operations arrive at `rate` per second (exponential gaps) whether or not
// earlier ones finished, each on a free process of this client (process
// numbers index + clients * k). Each operation is an invoke event, then
// ok / fail on a reply or info at the timeout; a process that got info is
// retired (the history format's rule). A failed operation (definitely not
// applied) is retried up to `retries` times as a new operation.
struct ClientConfig {
  uint32_t index = 0;    // 0-based among clients: the first process number
  uint32_t clients = 1;  // how many clients there are (process stride)
  NodeId server;         // where requests go
  uint32_t keys = 1;
  double zipf = 0;       // 0: uniform keys; > 0: Zipf exponent
  uint32_t read_pct = 50, write_pct = 50, cas_pct = 0;
  Duration think_min = milliseconds(1), think_max = milliseconds(10);
  Duration timeout = milliseconds(500);
  Duration start{0};
  std::optional<Duration> stop;         // no new operations after this (node clock)
  std::optional<Duration> stop_writes;  // only reads after this (to see what survived)
  uint32_t rate = 0;                    // open loop: operations per second; 0: closed loop
  uint32_t retries = 0;                 // retries of a failed operation
  uint32_t max_outstanding = 64;        // open loop: arrivals beyond this many in flight are skipped
};

class ClientNode final : public Node {
 public:
  explicit ClientNode(ClientConfig cfg);
  void on_start(Context& ctx) override;
  void on_recover(Context& ctx) override { on_start(ctx); }
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override;
  std::string_view role() const override { return "client"; }
  std::string_view message_name(uint32_t type) const override;

 private:
  struct InFlight {
    Request req;
    int64_t process;
    uint32_t retries_left;
    TimerId timer;
  };
  void next_op(Context& ctx, std::optional<std::pair<Op, std::string>> retry = std::nullopt, uint32_t retries = 0);
  void complete(Context& ctx, int64_t id, std::string_view type, std::string_view read_value);
  void schedule_next(Context& ctx);
  std::string pick_key(Context& ctx);
  std::string fresh_value();

  ClientConfig cfg_;
  std::vector<double> zipf_cdf_;
  std::vector<int64_t> idle_;  // processes free for the next operation
  int64_t next_process_k_ = 0;
  int64_t next_id_ = 1;
  int64_t written_ = 0;  // values written are unique: index + 1 + clients * k
  std::map<int64_t, InFlight> in_flight_;
  std::map<std::string, std::string> context_;  // per key: the context the last read returned (vector clocks)
};

std::unique_ptr<Node> make_client(const ClientConfig& cfg);

// The trace name of one of this protocol's message types, "" for another's.
std::string_view message_type_name(uint32_t type);


}  // namespace dsim::kv
