// Your single-decree Paxos node (Lamport, "Paxos Made Simple"). Every
// server is an acceptor and a learner; the scenario names the proposers.
// The class, its messages and its helpers are given; the algorithm
// (paxos_lab.cc, every "TODO") is yours. Add fields and methods as needed.
//
// The helpers (lab_support.cc) send each message together with the trace
// event the checkers read, and persist what an acceptor must not forget.
#pragma once
#include <dsim/node.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace paxoslab {

struct Config {
  std::set<uint32_t> proposers;                 // node ids that propose
  dsim::Duration start = dsim::milliseconds(10);  // when proposers begin
  dsim::Duration retry = dsim::milliseconds(100); // a round not decided by then starts over
};

enum MessageType : uint32_t {
  kPrepare = 1,   // phase 1a
  kPromise = 2,   // phase 1b
  kNack = 3,      // a refusal (prepare or accept below the promise)
  kAccept = 4,    // phase 2a
  kAccepted = 5,  // phase 2b, to every learner
};
std::string_view message_name(uint32_t type);

// Ballots are integers; kNoBallot means "none yet". make_ballot gives this
// node a ballot higher than `above` that no other node can pick.
inline constexpr int64_t kNoBallot = -1;

struct Prepare { int64_t ballot = 0; };
struct Promise {
  int64_t ballot = 0;
  int64_t accepted_ballot = kNoBallot;  // the acceptor's accepted proposal, if any
  std::string accepted_value;
};
struct Nack { int64_t ballot = 0; int64_t promised = 0; };
struct Accept { int64_t ballot = 0; std::string value; };
struct Accepted { int64_t ballot = 0; std::string value; };

class PaxosLab final : public dsim::Node {
 public:
  explicit PaxosLab(Config cfg) : cfg_(std::move(cfg)) {}

  void on_start(dsim::Context& ctx) override;
  void on_recover(dsim::Context& ctx) override;
  void on_message(dsim::Context& ctx, dsim::NodeId from, const dsim::Message& m) override;
  void on_timer(dsim::Context& ctx, dsim::TimerId id, uint64_t tag) override;
  std::string_view role() const override { return is_proposer_ ? "proposer" : "acceptor"; }
  std::string_view message_name(uint32_t type) const override { return paxoslab::message_name(type); }

 private:
  // ================= YOUR CODE: paxos_lab.cc =================
  void start(dsim::Context& ctx);
  void on_retry_timeout(dsim::Context& ctx);
  void handle_prepare(dsim::Context& ctx, dsim::NodeId from, const Prepare& m);
  void handle_promise(dsim::Context& ctx, dsim::NodeId from, const Promise& m);
  void handle_nack(dsim::Context& ctx, dsim::NodeId from, const Nack& m);
  void handle_accept(dsim::Context& ctx, dsim::NodeId from, const Accept& m);
  void handle_accepted(dsim::Context& ctx, dsim::NodeId from, const Accepted& m);

  // ================= Helpers: lab_support.cc =================
  // Proposer. my_value() is this proposer's own value; announce it once
  // with propose() before proposing it.
  std::string my_value(const dsim::Context& ctx) const;
  void propose(dsim::Context& ctx, const std::string& value);
  int64_t make_ballot(const dsim::Context& ctx, int64_t above) const;
  void send_prepare(dsim::Context& ctx, int64_t ballot);                     // to every server
  void send_accept(dsim::Context& ctx, int64_t ballot, const std::string& value);  // to every server
  // Acceptor: each records its state durably (synced) before replying.
  void promise(dsim::Context& ctx, dsim::NodeId to, int64_t ballot);  // promised_ = ballot; replies with accepted_*
  void accept(dsim::Context& ctx, int64_t ballot, const std::string& value);  // promised_ = accepted_ballot_ = ballot; tells every learner
  void nack(dsim::Context& ctx, dsim::NodeId to, int64_t ballot);     // replies with promised_
  void load_persistent_state(dsim::Context& ctx);
  // Learner: records the value learned (once).
  void learn(dsim::Context& ctx, int64_t ballot, const std::string& value);
  // The retry timer (one at a time; setting it again replaces it).
  void set_retry_timer(dsim::Context& ctx, dsim::Duration after);
  void stop_retry_timer(dsim::Context& ctx);
  uint32_t cluster_size(const dsim::Context& ctx) const { return ctx.cluster_size(); }
  uint32_t majority(const dsim::Context& ctx) const { return ctx.cluster_size() / 2 + 1; }

  // ================= State =================
  Config cfg_;
  bool is_proposer_ = false;
  // Acceptor (persistent: change only through promise/accept).
  int64_t promised_ = kNoBallot;
  int64_t accepted_ballot_ = kNoBallot;
  std::string accepted_value_;
  // Learner.
  std::string learned_;  // "" until learned
  dsim::TimerId retry_timer_;
  // TODO: your proposer's and learner's state: the current ballot, the
  // promises received, the highest accepted proposal among them, the
  // Accepted messages counted per (ballot, value), ...
};

}  // namespace paxoslab
