// Maelstrom's key-value services (seq-kv, lin-kv, lww-kv) as dsim nodes, so
// messages to them cross the simulated network and suffer its faults.
//
// Each is one register map answering read, write and cas (with
// create_if_not_exists), with Maelstrom's error codes: 20 key does not
// exist, 22 precondition failed (cas mismatch), 12 malformed request, 10 an
// unknown operation. The latest values are kept in durable storage, so a
// crashed service comes back with its data.
//
// lin-kv is linearizable: every operation sees the latest value. seq-kv and
// lww-kv are sequentially consistent per key: writes and cas act on the
// latest value, but a read may return any version from the last one its
// client (the calling node) has seen onwards, drawn from the service's
// random stream; a client's reads never go back. (Maelstrom's lww-kv is
// weaker still.)
#pragma once
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "dsim/node.h"

namespace dsim::maelstrom {

class ServiceNode final : public Node {
 public:
  void on_start(Context&) override {}
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context&, TimerId, uint64_t) override {}
  std::string_view message_name(uint32_t type) const override;

 private:
  struct History {
    int64_t first = 0;              // the version number of values.front()
    std::deque<std::string> values; // recent versions (JSON), oldest first
    int64_t latest() const { return first + static_cast<int64_t>(values.size()) - 1; }  // -1: absent
  };
  History& history(Context& ctx, const std::string& key);
  void append(History& h, const std::string& value);

  int64_t next_msg_id_ = 1;
  std::map<std::string, History> history_;                   // seq-kv, lww-kv: key -> versions
  std::map<std::pair<std::string, std::string>, int64_t> seen_;  // (client, key) -> least version it may read
};

std::unique_ptr<Node> make_service();

}  // namespace dsim::maelstrom
