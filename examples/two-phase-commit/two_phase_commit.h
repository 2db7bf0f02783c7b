// Two-phase commit (2PC): one coordinator, the other nodes participants.
//
// A transaction request (a workload input) reaches the coordinator, which
// logs the transaction durably, sends Prepare to every participant and
// waits for their votes. A participant votes yes only after it has made its
// vote durable (it is then "prepared": it may no longer abort on its own);
// it may vote no, which aborts its part at once. The coordinator commits
// when every vote is yes and aborts on a no or when a vote does not come
// within `vote_timeout`; it logs the decision durably before telling anyone,
// and resends it every `retry` until each participant has acknowledged.
// A prepared participant that hears nothing asks the coordinator every
// `retry` (it is blocked: the classic weakness of 2PC).
//
// Crash and restart: the coordinator aborts every transaction it had not
// decided (presumed abort: nobody can have committed it) and resends the
// decisions still unacknowledged; a participant keeps its prepared and
// decided transactions and forgets the ones it had not voted on, which it
// therefore aborts if a decision ever names them.
//
// Trace events (ctx.emit): coordinator `tx_begin` {tx, participants},
// `decide` {tx, decision, reason}; participant `vote` {tx, vote},
// `outcome` {tx, decision}; both `recover` {open} after a restart.
//
// Planted bug `commit_on_timeout`: the coordinator commits when a vote
// times out, as if silence meant yes. A participant that voted no (or never
// saw the Prepare) has aborted; the others commit: atomicity is violated.
//
// Written only against the installed dsim package (<dsim/...>).
#pragma once
#include <dsim/node.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string_view>

namespace tpc {

struct Config {
  dsim::NodeId coordinator{0};
  dsim::Duration vote_timeout = dsim::milliseconds(100);
  dsim::Duration retry = dsim::milliseconds(100);
  uint32_t vote_no_percent = 10;  // how often a participant refuses a transaction
  enum class Bug { kNone, kCommitOnTimeout } bug = Bug::kNone;
};

enum MessageType : uint32_t {
  kBegin = 1,     // external input: please run a transaction; f[0] = request number
  kPrepare = 2,   // f[0] = tx
  kVote = 3,      // f[0] = tx, f[1] = 1 yes / 0 no
  kDecision = 4,  // f[0] = tx, f[1] = 1 commit / 0 abort
  kAck = 5,       // f[0] = tx
  kQuery = 6,     // f[0] = tx: a prepared participant asks for the decision
};

std::string_view message_name(uint32_t type);

class Coordinator final : public dsim::Node {
 public:
  explicit Coordinator(Config cfg) : cfg_(cfg) {}
  void on_start(dsim::Context& ctx) override;
  void on_recover(dsim::Context& ctx) override;
  void on_message(dsim::Context& ctx, dsim::NodeId from, const dsim::Message& m) override;
  void on_timer(dsim::Context& ctx, dsim::TimerId id, uint64_t tag) override;
  std::string_view role() const override { return "coordinator"; }
  std::string_view message_name(uint32_t type) const override { return tpc::message_name(type); }

 private:
  struct Tx {
    enum class State { kPreparing, kCommitted, kAborted } state = State::kPreparing;
    std::set<uint32_t> yes;      // participants that voted yes
    std::set<uint32_t> unacked;  // participants that have not acknowledged the decision
    dsim::TimerId vote_timer;
  };
  void begin(dsim::Context& ctx);
  void decide(dsim::Context& ctx, int64_t tx, bool commit, std::string_view reason);
  void send_decision(dsim::Context& ctx, int64_t tx, bool commit, uint32_t to);
  void persist_open(dsim::Context& ctx);
  void arm_retry(dsim::Context& ctx);

  Config cfg_;
  int64_t next_tx_ = 1;
  std::map<int64_t, Tx> open_;  // transactions not yet acknowledged by everyone
  dsim::TimerId retry_timer_;
};

class Participant final : public dsim::Node {
 public:
  explicit Participant(Config cfg) : cfg_(cfg) {}
  void on_start(dsim::Context& ctx) override;
  void on_recover(dsim::Context& ctx) override;
  void on_message(dsim::Context& ctx, dsim::NodeId from, const dsim::Message& m) override;
  void on_timer(dsim::Context& ctx, dsim::TimerId id, uint64_t tag) override;
  std::string_view role() const override { return "participant"; }
  std::string_view message_name(uint32_t type) const override { return tpc::message_name(type); }

 private:
  void prepare(dsim::Context& ctx, dsim::NodeId from, int64_t tx);
  void learn(dsim::Context& ctx, int64_t tx, bool commit);
  void persist_in_doubt(dsim::Context& ctx);
  void arm_query(dsim::Context& ctx);

  Config cfg_;
  std::set<int64_t> in_doubt_;  // prepared (voted yes), decision not yet known
  dsim::TimerId query_timer_;
};

std::unique_ptr<dsim::Node> make_node(const Config& cfg, dsim::NodeId id);

}  // namespace tpc
