// Maelstrom's key-value services (seq-kv, lin-kv, lww-kv) as dsim nodes, so
// messages to them cross the simulated network and suffer its faults.
//
// Each is one register map answering read, write and cas (with
// create_if_not_exists), with Maelstrom's error codes: 20 key does not
// exist, 22 precondition failed (cas mismatch), 12 malformed request, 10 an
// unknown operation. The state is kept in durable storage, so a crashed
// service comes back with its data. All three are a single linearizable
// copy here: stronger than Maelstrom's seq-kv and lww-kv, which may serve
// stale reads (see docs/maelstrom.md).
#pragma once
#include <memory>
#include <string>

#include "dsim/node.h"

namespace dsim::maelstrom {

class ServiceNode final : public Node {
 public:
  void on_start(Context&) override {}
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context&, TimerId, uint64_t) override {}
  std::string_view message_name(uint32_t type) const override;

 private:
  int64_t next_msg_id_ = 1;
};

std::unique_ptr<Node> make_service();

}  // namespace dsim::maelstrom
