// A Maelstrom server: a dsim node that owns one child process running the
// user's program and translates between the two worlds.
//
// - Every message the program writes to another node or to a service goes
//   through ctx.send, so the scenario's network and faults apply to it.
// - The node is also the program's client (Maelstrom's c1, c2, ...): each
//   workload input from the harness becomes one client request written to
//   the program, recorded as "m_invoke", and its reply as "m_complete"
//   (ok, fail for a definite error, info for an indefinite error or no reply
//   within `timeout`). Client links have no latency, as in Maelstrom.
// - A crash destroys the node, which kills the process; a restart starts a
//   new process and sends init again.
//
// Deterministic mode (the program announces the dsim extension in init_ok):
// after each input the program writes every message the input caused, then
// a dsim_sync marker; the node reads synchronously up to the marker, so the
// simulation advances only when the program has finished with an input.
// Timers are requests to dsim, answered at virtual time. Best-effort mode
// (plain Maelstrom programs): output is collected until the program has been
// silent for `quiet_ms` of real time; such a run is not reproducible.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>

#include "dsim/node.h"
#include "protocols/maelstrom/config.h"
#include "protocols/maelstrom/process.h"

namespace dsim::maelstrom {

inline constexpr uint32_t kClientOp = 2;  // harness input: f[0] = op number + 1, f[1] = a random draw
// Message.type of a Maelstrom envelope (JSON in the body): kEnvelopeBase plus
// the index of its body type's name in a table shared by every node, so a
// trace names each message by its Maelstrom type ("gossip", "read_ok").
inline constexpr uint32_t kEnvelopeBase = 1u << 20;
inline bool is_envelope(uint32_t type) { return type >= kEnvelopeBase; }
uint32_t envelope_type(std::string_view body_type);
// The name of an envelope type (the table keeps names for the program's life).
std::string_view envelope_name(uint32_t type);

class ServerNode final : public Node {
 public:
  ServerNode(std::shared_ptr<const Config> cfg, std::shared_ptr<const std::vector<std::string>> names)
      : cfg_(std::move(cfg)), names_(std::move(names)) {}

  void on_start(Context& ctx) override;
  void on_recover(Context& ctx) override;
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override;
  std::string_view message_name(uint32_t type) const override;

 private:
  struct Pending {
    int64_t op = 0;
    TimerId timeout;
    std::string f;
  };

  void start_process(Context& ctx);
  void feed(Context& ctx, const std::string& line);
  // Reads the program's output for the current input; `init` while waiting for init_ok.
  void collect(Context& ctx, bool init);
  void handle_line(Context& ctx, const std::string& line, bool* synced, bool* init_ok);
  void client_request(Context& ctx, int64_t op, const std::string& client, const std::string& f,
                      const std::string& body_json, bool final_read);
  void complete(Context& ctx, const std::string& client, const std::string& type, const std::string& body_json,
                int64_t code);
  void final_reads(Context& ctx);
  std::string who() const;
  std::string envelope(Context& ctx, const std::string& src, const std::string& body_json);
  std::optional<NodeId> lookup(std::string_view name) const;

  std::shared_ptr<const Config> cfg_;
  std::shared_ptr<const std::vector<std::string>> names_;
  std::string self_;
  ChildProcess proc_;
  bool deterministic_ = false;
  bool initialized_ = false;
  bool restarted_ = false;
  int64_t next_msg_id_ = 1;
  std::map<int64_t, TimerId> child_timers_;   // the program's timer id -> dsim timer
  std::map<std::string, Pending> pending_;    // client id -> its open request
  std::set<std::string> clients_;             // every client id this node used
  std::map<std::string, int64_t> kafka_next_;  // key -> next offset to poll from
};

std::unique_ptr<Node> make_server(std::shared_ptr<const Config> cfg,
                                  std::shared_ptr<const std::vector<std::string>> names);

// Error codes (Maelstrom's doc/protocol.md): definite ones mean the
// operation did not and will not happen.
bool definite_error(int64_t code);

}  // namespace dsim::maelstrom
