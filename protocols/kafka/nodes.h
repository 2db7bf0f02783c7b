// The four node kinds of the Kafka-style log (kafka.h), each built by its
// own factory; make_node picks by the node's place in the layout.
#pragma once
#include <memory>

#include "dsim/node.h"
#include "protocols/kafka/kafka.h"

namespace dsim::kafka {

std::unique_ptr<Node> make_controller(const Config& cfg, uint32_t nodes);
std::unique_ptr<Node> make_broker(const Config& cfg, uint32_t nodes, NodeId self);
std::unique_ptr<Node> make_producer(const Config& cfg, uint32_t nodes, uint32_t index);
std::unique_ptr<Node> make_consumer(const Config& cfg, uint32_t nodes);

// Partition p's replicas as broker indexes (into Config::brokers()), the
// preferred leader first.
std::vector<uint32_t> replicas_of(const Config& cfg, uint32_t brokers, uint32_t partition);
// A set of broker indexes as a bit mask, and as names for traces ("b1,b2").
std::string mask_names(const Context& ctx, const std::vector<uint32_t>& brokers, uint64_t mask);

}  // namespace dsim::kafka
