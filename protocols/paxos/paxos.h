// Single-decree Paxos (Lamport, "Paxos Made Simple"), as sans-IO nodes.
// Every node is an acceptor and (unless the scenario names the learners) a
// learner; the scenario names which nodes also propose. Events carry a slot (0 here) so the checkers already speak
// the language of Multi-Paxos.
//
// Proposer: picks a ballot unique to it (round * 100 + node + 1), sends
// prepare(b); on promises from a majority adopts the value of the highest
// accepted proposal among them, else its own, and sends accept(b, v). If
// no value is learned by `retry` (plus a random backoff) it starts a new
// round with a higher ballot, and after a rejection it pauses a random
// backoff and tries again (up to round `max_rounds`, if set). With backoff off it keeps a fixed rhythm, and two
// proposers in lockstep can preempt each other forever.
// Acceptor: promises b > promised, accepts (b, v) when b >= promised; both
// persisted and synced before replying. Accepted proposals go to every
// learner (every node, or the scenario's `learners`), which learns v once a
// majority accepted it in one ballot.
//
// Trace events: propose {slot, value}; prepare {slot, ballot}; promise
// {slot, ballot, accepted_ballot, accepted_value}; nack {slot, ballot,
// promised}; accept {slot, ballot, value}; accepted {slot, ballot, value};
// learned {slot, ballot, value}.
//
// Planted bugs (Config::Bug): forget_promise (promise kept in memory only),
// forget_accepted (accepted proposal in memory only), ignore_accepted (the
// proposer proposes its own value whatever the promises say),
// accept_any_ballot (an acceptor accepts a proposal even below the ballot
// it promised, so a stale proposer can overwrite a chosen value).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "dsim/node.h"

namespace dsim::paxos {

struct Config {
  std::set<uint32_t> proposers;  // node ids that propose
  // Node ids that learn (acceptors send them what they accepted); empty:
  // every node. Fewer learners, fewer messages: `dsim explore` searches a
  // smaller space.
  std::set<uint32_t> learners;
  Duration start = milliseconds(10);
  Duration stagger{0};  // the k-th proposer (in node order) starts k * stagger later
  Duration retry = milliseconds(100);  // a round that has not succeeded by then (+ backoff) starts over
  bool backoff = true;
  Duration backoff_min = milliseconds(10), backoff_max = milliseconds(100);
  // The highest round a proposer starts (0: no bound). Past it the proposer
  // stops retrying, so the ballots of a run are bounded: what an exhaustive
  // search (`dsim explore`) needs to finish.
  int64_t max_rounds = 0;
  enum class Bug { kNone, kForgetPromise, kForgetAccepted, kIgnoreAccepted, kAcceptAnyBallot } bug = Bug::kNone;
};

enum MessageType : uint32_t {
  kPrepare = 1,   // f0 ballot
  kPromise = 2,   // f0 ballot, f1 accepted ballot (kNoBallot, -1, if none); body accepted value
  kNack = 3,      // f0 ballot, f1 promised
  kAccept = 4,    // f0 ballot; body value
  kAccepted = 5,  // f0 ballot; body value (acceptor -> every learner)
};

class PaxosNode final : public Cloneable<PaxosNode> {
 public:
  explicit PaxosNode(Config cfg) : cfg_(std::move(cfg)) {}
  void fingerprint(Fingerprint& h) const override;
  void on_start(Context& ctx) override;
  void on_recover(Context& ctx) override;
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override;
  std::string_view role() const override { return proposer_ ? "proposer" : "acceptor"; }
  std::string_view message_name(uint32_t type) const override;

  // For tests.
  Ballot promised() const { return promised_; }
  Ballot accepted_ballot() const { return accepted_ballot_; }
  const std::string& accepted_value() const { return accepted_value_; }
  const std::string& learned() const { return learned_; }

 private:
  void load(Context& ctx);
  void persist(Context& ctx);
  void start_round(Context& ctx);
  void schedule_retry(Context& ctx, bool preempted);
  uint32_t majority(const Context& ctx) const { return ctx.cluster_size() / 2 + 1; }

  Config cfg_;
  bool proposer_ = false;
  // Acceptor (durable unless a bug says otherwise).
  Ballot promised_ = kNoBallot;
  Ballot accepted_ballot_ = kNoBallot;
  std::string accepted_value_;
  // Proposer (volatile).
  int64_t round_ = 0;
  Ballot ballot_ = kNoBallot;
  Ballot highest_seen_ = kNoBallot;
  enum class Phase { kIdle, kPrepare, kAccept } phase_ = Phase::kIdle;
  std::set<uint32_t> promises_;
  Ballot best_ballot_ = kNoBallot;
  std::string best_value_;
  std::string value_;  // what this round proposes
  TimerId retry_timer_;
  // Learner (volatile).
  std::map<std::pair<Ballot, std::string>, std::set<uint32_t>> accepts_;
  std::string learned_;
};

std::unique_ptr<Node> make_node(const Config& cfg);

// The trace name of one of this protocol's message types, "" for another's.
std::string_view message_type_name(uint32_t type);


}  // namespace dsim::paxos
