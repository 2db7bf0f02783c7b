#include <algorithm>

#include "dsim/assert.h"
#include "dsim/stored_int.h"
#include "protocols/kafka/kafka.h"
#include "protocols/kafka/nodes.h"

namespace dsim::kafka {

std::vector<uint32_t> Config::brokers(uint32_t nodes) const {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < nodes; ++i) {
    if (i == controller) continue;
    if (std::find(producers.begin(), producers.end(), i) != producers.end()) continue;
    if (std::find(consumers.begin(), consumers.end(), i) != consumers.end()) continue;
    out.push_back(i);
  }
  return out;
}

std::string_view acks_name(Config::Acks a) {
  switch (a) {
    case Config::Acks::kZero: return "0";
    case Config::Acks::kOne: return "1";
    case Config::Acks::kAll: return "all";
  }
  return "?";
}

std::string_view error_name(int64_t e) {
  switch (e) {
    case kOk: return "none";
    case kDiverging: return "diverging_epoch";
    case kNotLeader: return "not_leader";
    case kNotEnoughReplicas: return "not_enough_replicas";
    case kNotEnoughReplicasAfterAppend: return "not_enough_replicas_after_append";
    case kFencedEpoch: return "fenced_leader_epoch";
    case kOutOfRange: return "offset_out_of_range";
  }
  return "unknown_error";
}

std::string_view message_type_name(uint32_t type) {
  switch (type) {
    case kHeartbeat: return "heartbeat";
    case kLeaderAndIsr: return "leader_and_isr";
    case kAlterPartition: return "alter_partition";
    case kMetadataRequest: return "metadata_request";
    case kMetadata: return "metadata";
    case kProduce: return "produce";
    case kProduceResponse: return "produce_response";
    case kFetch: return "fetch";
    case kFetchResponse: return "fetch_response";
    case kConsumerFetch: return "consumer_fetch";
    case kConsumerFetchResponse: return "consumer_fetch_response";
    case kOffsetCommit: return "offset_commit";
    case kOffsetFetch: return "offset_fetch";
    case kOffsetFetchResponse: return "offset_fetch_response";
  }
  return {};
}

std::string encode_entries(const std::vector<Entry>& log, int64_t from, int64_t to) {
  DSIM_ASSERT(from >= 0);
  DSIM_ASSERT(to <= static_cast<int64_t>(log.size()));
  std::string out;
  for (int64_t o = from; o < to; ++o) {
    const Entry& e = log[static_cast<size_t>(o)];
    out += std::to_string(e.epoch);
    out += ' ';
    out += std::to_string(e.msg);
    out += ';';
  }
  return out;
}

std::vector<Entry> decode_entries(std::string_view body) {
  std::vector<Entry> out;
  while (!body.empty()) {
    Entry e;
    e.epoch = take_stored_int(body, ' ');
    e.msg = take_stored_int(body, ';');
    out.push_back(e);
  }
  return out;
}

std::vector<uint32_t> replicas_of(const Config& cfg, uint32_t brokers, uint32_t partition) {
  DSIM_ASSERT(brokers > 0);
  DSIM_ASSERT(cfg.replication_factor <= brokers);
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < cfg.replication_factor; ++i) out.push_back((partition + i) % brokers);
  return out;
}

std::string mask_names(const Context& ctx, const std::vector<uint32_t>& brokers, uint64_t mask) {
  std::string out;
  for (uint32_t b = 0; b < brokers.size(); ++b) {
    if (!(mask >> b & 1)) continue;
    if (!out.empty()) out += ',';
    out += ctx.node_name(NodeId{brokers[b]});
  }
  return out;
}

std::unique_ptr<Node> make_node(const Config& cfg, uint32_t nodes, NodeId id) {
  if (id.value == cfg.controller) return make_controller(cfg, nodes);
  for (uint32_t i = 0; i < cfg.producers.size(); ++i) {
    if (cfg.producers[i] == id.value) return make_producer(cfg, nodes, i);
  }
  for (uint32_t c : cfg.consumers) {
    if (c == id.value) return make_consumer(cfg, nodes);
  }
  return make_broker(cfg, nodes, id);
}

}  // namespace dsim::kafka
