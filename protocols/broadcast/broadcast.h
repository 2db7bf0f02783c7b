// Reliable broadcast over a lossy network: the first protocol, small but
// real, that proves the pipeline end to end.
//
// A node asked to broadcast (an input from the workload) assigns the next
// sequence number, records the message durably, delivers it to itself and
// sends it to every peer. Peers deliver each (origin, seq) exactly once,
// remember that durably, and always acknowledge (also duplicates, since the
// first ack may have been lost). The origin retransmits to every peer that
// has not acknowledged, every `retransmit` interval, until all have. After a
// crash the origin reloads its unfinished broadcasts from storage and
// resends them to everyone.
//
// Trace events: "bcast" {origin, seq} when a node originates a message,
// "bdeliver" {origin, seq} on each delivery (the origin's own included).
//
// Planted bugs:
// - `no_retransmit`: messages are sent once and never again, so one lost
//   copy means a node never delivers it (all_delivered catches it).
// - `volatile_dedup`: the set of delivered messages lives in memory only.
//   A node that crashes after delivering a message whose acknowledgement was
//   lost delivers it again when the origin retransmits
//   (no_duplicate_delivery catches it): exactly-once needs durable state.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "dsim/node.h"

namespace dsim::broadcast {

struct Config {
  Duration retransmit = milliseconds(100);
  enum class Bug { kNone, kNoRetransmit, kVolatileDedup } bug = Bug::kNone;
};

enum MessageType : uint32_t {
  kRequest = 1,  // external input: please broadcast; f[0] = payload
  kData = 2,     // f[0] = origin, f[1] = seq, f[2] = payload
  kAck = 3,      // f[0] = origin, f[1] = seq
};

class BroadcastNode final : public Cloneable<BroadcastNode> {
 public:
  explicit BroadcastNode(Config cfg) : cfg_(cfg) {}
  void fingerprint(Fingerprint& h) const override;

  void on_start(Context& ctx) override;
  void on_recover(Context& ctx) override;
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override;
  std::string_view message_name(uint32_t type) const override;

 private:
  struct Outgoing {
    int64_t payload = 0;
    std::set<uint32_t> unacked;  // peer node ids

    void fingerprint(Fingerprint& h) const { h(payload, unacked); }
  };

  void originate(Context& ctx, int64_t payload);
  void deliver(Context& ctx, uint32_t origin, int64_t seq);
  void send_data(Context& ctx, uint32_t to, int64_t seq, int64_t payload);
  void arm_retransmit(Context& ctx);
  void persist_pending(Context& ctx);

  Config cfg_;
  int64_t next_seq_ = 1;
  std::map<int64_t, Outgoing> outgoing_;  // seq -> what is still unacknowledged
  TimerId retransmit_timer_;
  std::set<std::pair<uint32_t, int64_t>> delivered_in_memory_;  // volatile_dedup only
};

std::unique_ptr<Node> make_node(const Config& cfg);

// The trace name of one of this protocol's message types, "" for another's.
std::string_view message_type_name(uint32_t type);


}  // namespace dsim::broadcast
