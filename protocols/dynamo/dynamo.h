// An AP key-value store in the style of Dynamo / Cassandra: each key lives
// on N replicas, the first N distinct servers clockwise from the key's hash
// on a consistent-hash ring with virtual nodes. Any server coordinates a
// client's request: a write is stamped with a last-writer-wins version
// (the coordinator's clock, then its id) and sent to the N replicas, and
// succeeds with W acknowledgements; a read asks the N replicas and returns
// the newest of the first R answers, repairing replicas that answered with
// an older version (read repair). When replicas do not answer in time, a
// write goes to the next servers on the ring with a hint naming the
// replica it stands in for (sloppy quorum + hinted handoff); hints are
// handed back when the replica answers again. Every `anti_entropy` period
// each server exchanges its data with a random fellow replica (push-pull,
// newest wins). Under a partition both sides keep answering as far as R and W
// allow: that is the "A" of CAP, paid for in consistency.
//
// With hinted_handoff, a read whose replicas do not answer in time asks
// the stand-ins as well (sloppy read). Client replies: ok; fail (a read
// that did not reach R answers even so, cas, which this store does not
// offer); unknown (a write that did not reach W
// acknowledgements in time: it may have landed on some replicas).
//
// Trace events: store {key, value, version, siblings} when a replica's
// state for a key changes; siblings {key, count} when a read resolves a
// conflict; hint {key, for}; handoff {key, to}; repair {key, to}.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "dsim/kv.h"
#include "dsim/node.h"

namespace dsim::dynamo {

struct Config {
  uint32_t n = 3, r = 2, w = 2;
  uint32_t vnodes = 16;
  Duration request_timeout = milliseconds(100);
  Duration handoff_interval = milliseconds(200);
  Duration anti_entropy = seconds(1);  // 0: off
  bool read_repair = true;
  bool hinted_handoff = true;
  enum class Versioning { kLww, kVectorClock } versioning = Versioning::kLww;
};

// Siblings on the wire: "value\ttime\tnode\tclock\n" each, clock "n=c,n=c".
enum MessageType : uint32_t {
  kPut = 1,        // f0 op id (-1: handoff or repair), f1/f2 newest version (time, node), f3 hint-for + 1 (0 none); body key\n siblings
  kPutAck = 2,     // f0 op id, f1/f2 the newest version put; body key
  kGet = 3,        // f0 op id; body key
  kGetReply = 4,   // f0 op id; body siblings (none: absent)
  kSync = 5,       // f0 1 = please answer; body "key\tvalue\ttime\tnode\tclock\n" per sibling
};

struct Version {
  int64_t time = -1;
  int64_t node = -1;
  bool operator<(const Version& o) const { return time != o.time ? time < o.time : node < o.node; }
  bool operator==(const Version& o) const = default;
};

using Clock = std::map<uint32_t, int64_t>;  // server -> counter
// True when `a` has seen everything `b` has (a >= b entrywise).
bool descends(const Clock& a, const Clock& b);

struct Sibling {
  std::string value;
  Version version;  // last-writer-wins order, and the tie-break among siblings
  Clock clock;      // vector clocks only
};

// A key's state on a replica: one sibling with last-writer-wins; with
// vector clocks, every version no other descends from.
struct Item {
  std::vector<Sibling> siblings;
  const Sibling& newest() const;
};

// The ring: a key's preference list, and the servers after it (fallbacks).
class Ring {
 public:
  Ring(uint32_t servers, uint32_t vnodes);
  // Every server, in ring order from the key's position (no repeats).
  std::vector<uint32_t> walk(std::string_view key) const;

 private:
  std::vector<std::pair<uint64_t, uint32_t>> points_;
  uint32_t servers_;
};

class DynamoNode final : public Node {
 public:
  explicit DynamoNode(Config cfg) : cfg_(cfg) {}
  void on_start(Context& ctx) override;
  void on_recover(Context& ctx) override;
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override;
  std::string_view message_name(uint32_t type) const override;

  const std::map<std::string, Item>& data() const { return data_; }

 private:
  struct Pending {
    NodeId client;
    kv::Request req;
    Version version;             // writes
    std::vector<uint32_t> pref;  // the N replicas asked first
    std::set<uint32_t> asked, acked;
    std::map<uint32_t, Item> answers;  // reads
    Clock context;                     // writes: the client's context
    bool fallback = false;
    TimerId timer;
  };
  void coordinate(Context& ctx, NodeId client, const kv::Request& r);
  void send_put(Context& ctx, uint32_t to, int64_t op, const std::string& key, const Item& item, int64_t hint_for);
  // Merges `item` into the key's state (newest wins, or vector-clock
  // dominance). Returns true when the state changed.
  bool store(Context& ctx, const std::string& key, const Item& item);
  bool merge_into(Item& into, const Item& incoming) const;
  void finish_read(Context& ctx, int64_t op, Pending& p);
  void timeout(Context& ctx, int64_t op);
  void handoff(Context& ctx);
  void anti_entropy(Context& ctx);
  std::string entries_for(uint32_t peer) const;
  void merge(Context& ctx, std::string_view body);

  Config cfg_;
  std::unique_ptr<Ring> ring_;
  std::map<std::string, Item> data_;
  std::map<uint32_t, std::map<std::string, Item>> hints_;  // held for another replica
  int64_t counter_ = 0;  // this coordinator's vector-clock counter
  std::map<int64_t, Pending> pending_;
  int64_t next_op_ = 1;
};

std::unique_ptr<Node> make_node(const Config& cfg);

// The trace name of one of this protocol's message types, "" for another's.
std::string_view message_type_name(uint32_t type);


}  // namespace dsim::dynamo
