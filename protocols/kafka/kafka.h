// A Kafka-style replicated log: topics split into partitions, each
// partition replicated on `replication_factor` brokers with one leader and
// followers that fetch from it, an in-sync replica set (ISR), the high
// watermark (HW), producers with acks = 0, 1 or all, consumers that poll and
// commit offsets, and a controller that elects partition leaders.
//
// The replication rules follow Kafka's design:
// - The leader appends a produced record and answers acks=1 at once; acks=all
//   waits until the HW passes the record, and is refused (not_enough_replicas)
//   while the ISR is smaller than min_insync_replicas.
// - The HW is the smallest log end offset (LEO) over the ISR, as the leader
//   last saw it in the followers' fetch offsets. Consumers read only below it.
// - A follower that has not caught up to the leader's LEO within
//   replica_lag_time_max leaves the ISR; one whose fetch offset reaches the
//   HW rejoins it. The leader proposes each change to the controller
//   (AlterPartition) and counts the "maximal ISR" (committed plus a pending
//   addition) for the HW, so the HW never passes a replica the controller
//   might elect.
// - Every log entry carries the leader epoch it was written in. A follower's
//   fetch names the epoch of its last entry; on a mismatch the leader answers
//   with the end offset of the largest epoch it has up to that one, and the
//   follower truncates there (KIP-101/KIP-320): a follower's log converges
//   to a prefix of the leader's without ever truncating to its own HW.
// - The controller declares a broker dead after session_timeout without a
//   heartbeat, drops it from ISRs and elects a new leader from the live ISR
//   (clean), or, with unclean_leader_election, from any live replica when
//   no ISR member is left (data loss); without it the partition stays offline
//   until an ISR member returns (unavailability).
//
// Node layout: the controller (also the consumer group coordinator: it
// stores committed offsets), the brokers, the producers and the consumers.
// Partition p (over all topics: topic t's partition q is t * partitions + q)
// is replicated on brokers p, p+1, ... (mod brokers); the first is its
// preferred leader.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsim/node.h"

namespace dsim::kafka {

struct Config {
  uint32_t controller = 0;          // node ids
  std::vector<uint32_t> producers;  // default: the second last node
  std::vector<uint32_t> consumers;  // default: the last node
  uint32_t topics = 1;
  uint32_t partitions = 1;          // per topic
  uint32_t replication_factor = 3;
  enum class Acks { kZero, kOne, kAll } acks = Acks::kAll;
  uint32_t min_insync_replicas = 1;
  bool unclean_leader_election = false;
  Duration replica_lag_time_max = milliseconds(300);
  Duration fetch_interval = milliseconds(10);   // a follower's fetch rhythm when idle
  uint32_t max_fetch_records = 50;              // records per fetch response
  Duration heartbeat = milliseconds(50);        // broker -> controller; also the leader's ISR check
  Duration session_timeout = milliseconds(300); // controller: a silent broker is dead
  Duration request_timeout = milliseconds(200);
  // Producers: `messages` each, one every `interval`, round robin over the
  // partitions; a failed send is retried `retries` times after retry_backoff.
  uint32_t messages = 100;
  Duration interval_min = milliseconds(10), interval_max = milliseconds(30);
  uint32_t retries = 3;
  Duration retry_backoff = milliseconds(100);
  Duration start = milliseconds(100);           // first produce and poll
  Duration poll_interval = milliseconds(50);    // consumers
  Duration commit_interval = milliseconds(200); // consumers
  // hw_uses_max: the leader takes the largest LEO over the ISR as the HW
  // instead of the smallest, so it counts records no follower has yet.
  // fetch_beyond_hw: the leader serves consumers up to its LEO, not its HW,
  // so consumers read records that are not committed.
  enum class Bug { kNone, kHwUsesMax, kFetchBeyondHw } bug = Bug::kNone;

  std::vector<uint32_t> brokers(uint32_t nodes) const;
  uint32_t total_partitions() const { return topics * partitions; }
};

std::string_view acks_name(Config::Acks a);

// Numbered apart from the other protocols' types.
enum MessageType : uint32_t {
  kHeartbeat = 2001,       // broker -> controller
  kLeaderAndIsr = 2002,    // controller -> broker: f0 partition, f1 leader (-1 none), f2 epoch, f3 ISR mask,
                           // f4 ISR version, f5 1 when it answers an AlterPartition that was refused
  kAlterPartition = 2003,  // leader -> controller: f0 partition, f1 epoch, f2 proposed ISR mask, f3 based on version
  kMetadataRequest = 2004, // client -> controller
  kMetadata = 2005,        // controller -> client: f0 partition, f1 leader (-1 none), f2 epoch
  kProduce = 2006,         // producer -> leader: f0 partition, f1 message id, f2 request id, f3 acks (0, 1, -1)
  kProduceResponse = 2007, // f0 partition, f1 message id, f2 request id, f3 error, f4 offset, f5 epoch
  kFetch = 2008,           // follower -> leader: f0 partition, f1 fetch offset, f2 epoch of the entry before it
                           // (-1 none), f3 the follower's leader epoch
  kFetchResponse = 2009,   // f0 partition, f1 fetch offset, f2 HW, f3 error, f4 leader epoch (diverging: the
                           // largest epoch <= the asked one, -1 none), f5 diverging: its end offset;
                           // body: the records
  kConsumerFetch = 2010,   // consumer -> leader: f0 partition, f1 offset, f2 request id
  kConsumerFetchResponse = 2011,  // f0 partition, f1 offset, f2 HW, f3 error, f4 request id; body: the records
  kOffsetCommit = 2012,    // consumer -> controller: f0 partition, f1 offset
  kOffsetFetch = 2013,     // consumer -> controller
  kOffsetFetchResponse = 2014,  // f0 partition, f1 committed offset
};

// Error codes in responses.
enum Error : int64_t {
  kOk = 0,
  kDiverging = 1,
  kNotLeader = 2,
  kNotEnoughReplicas = 3,
  kNotEnoughReplicasAfterAppend = 4,
  kFencedEpoch = 5,
  kOutOfRange = 6,
};
std::string_view error_name(int64_t e);

// The trace name of a message type, "" for another protocol's.
std::string_view message_type_name(uint32_t type);

struct Entry {
  int64_t epoch = 0;
  int64_t msg = 0;  // producer index * kMsgStride + sequence number (from 1)
};
inline constexpr int64_t kMsgStride = 1'000'000;

// Records in a message body: "epoch msg;" per record.
std::string encode_entries(const std::vector<Entry>& log, int64_t from, int64_t to);
std::vector<Entry> decode_entries(std::string_view body);

std::unique_ptr<Node> make_node(const Config& cfg, uint32_t nodes, NodeId id);

}  // namespace dsim::kafka
