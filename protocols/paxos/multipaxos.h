// Multi-Paxos: a replicated log of slots, each decided by one instance of
// Paxos, with a distinguished proposer (the leader) that runs phase 1 once
// for every slot from its first undecided one onwards and then only phase 2
// per client command. Every node is an acceptor, a learner and a replica of
// a key-value state machine, and can become leader.
//
// Leader election: a node that hears nothing from a leader for a randomized
// election timeout picks a ballot above every one it has seen and sends
// prepare(ballot, from_slot). Acceptors promise it and return what they
// accepted at slots >= from_slot. With a majority of promises the node is
// leader: for each slot up to the highest one reported it re-proposes the
// value accepted in the highest ballot, and fills holes with no-ops; then it
// assigns new client commands to the next free slots. It sends heartbeats
// carrying how far its log is decided, so followers that missed decisions
// ask for them, and steps down when a higher ballot is reported or when it
// has not heard from a majority for an election timeout (check quorum).
//
// Trace events: role {role, ballot} (leader changes); propose {slot, value};
// prepare {slot, ballot} (slot = from_slot); promise {slot, ballot};
// nack {slot, ballot, promised}; accept {slot, ballot, value};
// accepted {slot, ballot, value}; learned {slot, ballot, value};
// apply {slot, value}; client_request {req, slot}; client_response
// {req, ok, slot | reason}; recover {promised, accepted}.
// Values are "r<req> <command>" for client commands and "noop".
//
// Planted bug (Config::Bug): ignore_accepted — a new leader fills every
// slot it has not learned with a no-op instead of re-proposing what the
// promises report, so a value already chosen there is overwritten.
// drop_requests — every replica silently drops client requests: nothing a
// client asks is ever committed (multipaxos_liveness, which judges the
// requests the harness sent, catches it; nothing a node says would).
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "dsim/node.h"

namespace dsim::multipaxos {

struct Config {
  Duration heartbeat = milliseconds(20);
  Duration election_min = milliseconds(100);
  Duration election_max = milliseconds(200);
  uint32_t catchup_batch = 64;  // decisions per catch-up reply
  // Before phase 1 a node asks whether a majority would take part: only
  // acceptors that have not heard from a leader for an election timeout
  // say yes. A node cut off in a minority then never raises its ballot,
  // and does not depose the majority's leader when the partition heals.
  bool prevote = false;
  enum class Bug { kNone, kIgnoreAccepted, kDropRequests } bug = Bug::kNone;
};

enum MessageType : uint32_t {
  kClientRequest = 1,  // external; f0 request id, f1 forward hops; body command
  kPrepare = 2,        // f0 ballot, f1 from_slot
  kPromise = 3,        // f0 ballot; body accepted entries at slots >= from_slot
  kNack = 4,           // f0 ballot, f1 promised
  kAccept = 5,         // f0 ballot, f1 slot; body value
  kAccepted = 6,       // f0 ballot, f1 slot (acceptor -> leader)
  kDecide = 7,         // body decided entries (leader -> replicas)
  kHeartbeat = 8,      // f0 ballot, f1 decided prefix (slots below it are decided at the leader)
  kHeartbeatAck = 9,   // f0 ballot, f1 the acker's decided prefix
  kPreVote = 10,       // f0 the ballot the sender would use
  kPreVoteReply = 11,  // f0 that ballot, f1 1 granted / 0 not, f2 the replier's promise
};

enum class Role { kFollower, kCandidate, kLeader };
const char* role_name(Role r);

class MultiPaxosNode final : public Cloneable<MultiPaxosNode> {
 public:
  explicit MultiPaxosNode(Config cfg) : cfg_(cfg) {}
  void fingerprint(Fingerprint& h) const override;
  void on_start(Context& ctx) override;
  void on_recover(Context& ctx) override;
  void on_message(Context& ctx, NodeId from, const Message& m) override;
  void on_timer(Context& ctx, TimerId id, uint64_t tag) override;
  std::string_view role() const override { return role_name(role_); }
  std::string_view message_name(uint32_t type) const override;

  struct Accepted {
    Ballot ballot = kNoBallot;
    std::string value;

    void fingerprint(Fingerprint& h) const { h(ballot, value); }
  };
  // For tests.
  Role paxos_role() const { return role_; }
  Ballot ballot() const { return ballot_; }
  Ballot promised() const { return promised_; }
  const std::map<Slot, Accepted>& accepted() const { return accepted_; }
  const std::map<Slot, Accepted>& decided() const { return decided_; }
  Slot decided_prefix() const { return prefix_; }
  const std::map<std::string, std::string>& kv() const { return kv_; }

 private:
  struct Proposal {
    std::string value;
    std::set<uint32_t> acks;

    void fingerprint(Fingerprint& h) const { h(value, acks); }
  };
  uint32_t majority(const Context& ctx) const { return ctx.cluster_size() / 2 + 1; }
  void load(Context& ctx);
  void persist_promise(Context& ctx);
  void persist_accepted(Context& ctx, Slot slot);
  void set_role(Context& ctx, Role r);
  void arm_election(Context& ctx);
  void start_election(Context& ctx);
  void start_prevote(Context& ctx);
  Ballot next_ballot(const Context& ctx) const;
  void become_leader(Context& ctx);
  void step_down(Context& ctx, Ballot higher);  // kNoBallot: none reported
  void propose(Context& ctx, Slot slot, const std::string& value);
  void send_accept(Context& ctx, Slot slot, const Proposal& p);
  void learn(Context& ctx, Slot slot, Ballot ballot, const std::string& value);
  void apply(Context& ctx, Slot slot, const std::string& value);
  void send_decided(Context& ctx, NodeId to, Slot from, Slot to_slot);
  void client_request(Context& ctx, int64_t req, int64_t hops, const std::string& cmd);
  void assign(Context& ctx, int64_t req, const std::string& cmd);
  void heartbeat(Context& ctx);
  void follow(Context& ctx, NodeId leader);

  Config cfg_;
  Role role_ = Role::kFollower;
  // Acceptor (durable).
  Ballot promised_ = kNoBallot;
  std::map<Slot, Accepted> accepted_;
  // Learner and replica (volatile; relearned from the leader after a restart).
  std::map<Slot, Accepted> decided_;  // slot -> (ballot it was chosen in, value)
  Slot prefix_{0};  // slots < prefix_ are decided and applied
  std::map<std::string, std::string> kv_;
  // Proposer / leader (volatile).
  Ballot highest_seen_ = kNoBallot;
  Ballot ballot_ = kNoBallot;
  std::optional<NodeId> leader_;  // who this node believes leads, if anyone
  TimerId election_timer_, heartbeat_timer_;
  std::set<uint32_t> promises_;
  std::set<uint32_t> prevotes_;
  Ballot prevote_ballot_ = kNoBallot;
  Time heard_leader_at_{INT64_MIN / 2};  // the last message from a leader
  std::map<Slot, Accepted> reported_;  // phase 1: highest-ballot accepted per slot
  Slot next_slot_{0};
  std::map<Slot, Proposal> proposals_;      // undecided slots this leader proposed
  std::deque<std::pair<int64_t, std::string>> queued_;  // requests held while phase 1 runs
  std::set<int64_t> clients_;  // requests this leader took from clients and has not answered
  std::map<uint32_t, Time> heard_;             // leader: last contact per acceptor
};

std::unique_ptr<Node> make_node(const Config& cfg);

// The trace name of one of this protocol's message types, "" for another's.
std::string_view message_type_name(uint32_t type);


}  // namespace dsim::multipaxos
