// RaftNode (with its key-value state machine) under `dsim explore`'s API: a
// clone continues exactly as the original does, shares nothing with it,
// and the fingerprint follows the state that decides what the node does.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "explorable_twin.h"
#include "protocols/raft/raft.h"
#include "registry.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/writer.h"

using namespace dsim;
using dsim::testing::fingerprint_of;
using dsim::testing::Twin;

namespace {

constexpr uint64_t kElection = 1, kHeartbeat = 2;

Message request_vote(int64_t term, int64_t last_index = 0, int64_t last_term = 0) {
  Message m;
  m.type = raft::kRequestVote;
  m.f = {term, last_index, last_term, 0, 0, 0};
  return m;
}

// One entry in the wire format "<term> <req> <len>:<cmd>".
std::string entry(int64_t term, const std::string& cmd) {
  return std::to_string(term) + " 0 " + std::to_string(cmd.size()) + ":" + cmd;
}

Message append(int64_t term, int64_t prev, int64_t prev_term, int64_t commit, int64_t count, std::string body = "",
               int64_t round = 0) {
  Message m;
  m.type = raft::kAppendEntries;
  m.f = {term, prev, prev_term, commit, count, round};
  m.body = std::move(body);
  return m;
}

Message vote_reply(int64_t term, bool granted) {
  Message m;
  m.type = raft::kVoteReply;
  m.f = {term, granted ? 1 : 0, 0, 0, 0, 0};
  return m;
}

Message append_reply(int64_t term, int64_t match, int64_t round) {
  Message m;
  m.type = raft::kAppendReply;
  m.f = {term, 1, match, round, 0, 0};
  return m;
}

}  // namespace

TEST_CASE("explorable raft: a clone replays the original step for step, and its fingerprint follows the state") {
  Twin t(raft::make_node(raft::Config{}), 3);
  t.start();
  // A refused vote from term 1 moves n1 to term 1, with no vote yet.
  t.message_orig(NodeId{2}, vote_reply(1, false));
  const uint64_t unvoted = t.fp_orig();

  // A vote is state: it changes the fingerprint (and nothing else changed).
  t.message_orig(NodeId{1}, request_vote(1));
  const uint64_t voted = t.fp_orig();
  CHECK(voted != unvoted);
  CHECK(dynamic_cast<const raft::RaftNode&>(*t.orig).voted_for() == NodeId{1});

  t.split();
  CHECK(t.fp_copy() == voted);

  // A heartbeat from the leader of term 1; then an appended entry, which
  // changes the fingerprint; the copy appends the same.
  t.message(NodeId{1}, append(1, 0, 0, 0, 0));
  const uint64_t heard = t.fp_orig();
  t.message(NodeId{1}, append(1, 0, 0, 0, 1, entry(1, "x=1")));
  const uint64_t appended = t.fp_orig();
  CHECK(appended != heard);
  // A commit (and the key-value store applying it) changes it.
  t.message(NodeId{1}, append(1, 1, 1, 1, 0));
  CHECK(t.fp_orig() != appended);
  const auto& copy = dynamic_cast<const raft::RaftNode&>(*t.copy);
  CHECK(copy.kv().at("x") == "1");

  // The election timer fires on both: candidates of term 2, each on its own
  // host, whose TimerIds now differ; the fingerprints do not.
  t.fire(t.pending(kElection));
  CHECK(t.ids_differ());
  CHECK(t.orig->role() == "candidate");
  CHECK(t.copy->role() == "candidate");
  // A granted vote makes both leaders (the no-op, a probe to each peer).
  t.message(NodeId{1}, vote_reply(2, true));
  CHECK(t.copy->role() == "leader");
  CHECK(t.a.sent.size() == 2);
  // Heartbeats, acknowledgements, and a client request, on both.
  t.fire(t.pending(kHeartbeat));
  t.message(NodeId{1}, append_reply(2, 2, 1));
  Message req;
  req.type = raft::kClientRequest;
  req.f[0] = 7;
  req.body = "y=2";
  t.message(NodeId{1}, req);
  t.message(NodeId{2}, append_reply(2, 3, 2));
  CHECK(copy.commit_index() == LogIndex{3});
  t.fire(t.pending(kHeartbeat));
  t.fire(t.pending(kElection));
}

TEST_CASE("explorable raft: the clone is a deep copy (the state machine too)") {
  Twin t(raft::make_node(raft::Config{}), 3);
  t.start();
  t.message_orig(NodeId{1}, append(1, 0, 0, 0, 1, entry(1, "x=1")));
  t.split();
  const uint64_t before = t.fp_copy();
  // Only the original commits: its store changes, the copy's does not.
  t.orig->on_message(t.a.context(), NodeId{1}, append(1, 1, 1, 1, 0));
  const auto& orig = dynamic_cast<const raft::RaftNode&>(*t.orig);
  const auto& copy = dynamic_cast<const raft::RaftNode&>(*t.copy);
  CHECK(orig.kv().at("x") == "1");
  CHECK(copy.kv().empty());
  CHECK(copy.commit_index() == LogIndex{0});
  CHECK(t.fp_copy() == before);
  CHECK(t.fp_orig() != before);
}

TEST_CASE("explorable raft: the fingerprint ignores TimerId values, and sees whether a timer is armed") {
  // Two nodes given the same steps on hosts whose timer ids differ.
  FakeHost a(3), b(3);
  for (int i = 0; i < 7; ++i) b.set_timer(NodeId{0}, Duration{1}, 99);
  auto x = raft::make_node(raft::Config{});
  auto y = raft::make_node(raft::Config{});
  x->on_start(a.context());
  y->on_start(b.context());
  REQUIRE(a.pending(kElection)->id != b.pending(kElection)->id);
  CHECK(fingerprint_of(*x) == fingerprint_of(*y));
  // The election timer fired on x only (its clock as y's): x campaigns.
  x->on_timer(a.context(), a.pending(kElection)->id, kElection);
  CHECK(fingerprint_of(*x) != fingerprint_of(*y));
}

TEST_CASE("explorable raft: a state machine that cannot be copied makes the node not explorable") {
  class Opaque final : public raft::StateMachine {
   public:
    void on_message(raft::RaftNode&, Context&, NodeId, const Message&) override {}
    void apply(raft::RaftNode&, Context&, LogIndex, std::string_view) override {}
  };
  raft::RaftNode with(raft::Config{}, std::make_unique<Opaque>());
  CHECK(with.clone() == nullptr);
  raft::RaftNode pure(raft::Config{});
  CHECK(pure.clone() != nullptr);
}

TEST_CASE("explorable raft: heartbeat_rounds false keeps every round 0; rounds count only where reads use them") {
  auto leader = [](raft::Config cfg, FakeHost& host) {
    auto n = raft::make_node(cfg);
    n->on_start(host.context());
    n->on_timer(host.context(), host.pending(kElection)->id, kElection);
    n->on_message(host.context(), NodeId{1}, vote_reply(1, true));
    REQUIRE(n->role() == "leader");
    return n;
  };
  auto heartbeat = [](Node& n, FakeHost& host) {
    host.clear();
    n.on_timer(host.context(), host.pending(kHeartbeat)->id, kHeartbeat);
    REQUIRE(host.sent.size() == 2);
    return host.sent[0].message.f[5];
  };
  raft::Config numbered;
  FakeHost h1(3);
  auto n1 = leader(numbered, h1);
  CHECK(heartbeat(*n1, h1) == 2);
  CHECK(heartbeat(*n1, h1) == 3);
  // With reads through the log the round numbers decide nothing: a
  // heartbeat leaves the fingerprint as it was (the messages differ).
  const uint64_t fp = fingerprint_of(*n1);
  heartbeat(*n1, h1);
  CHECK(fingerprint_of(*n1) == fp);

  raft::Config unnumbered;
  unnumbered.heartbeat_rounds = false;
  FakeHost h2(3);
  auto n2 = leader(unnumbered, h2);
  CHECK(heartbeat(*n2, h2) == 0);
  CHECK(heartbeat(*n2, h2) == 0);

  // ReadIndex reads are confirmed by rounds: there a heartbeat is state.
  raft::Config read_index;
  read_index.reads = raft::Config::Reads::kReadIndex;
  FakeHost h3(3);
  auto n3 = leader(read_index, h3);
  const uint64_t before = fingerprint_of(*n3);
  CHECK(heartbeat(*n3, h3) == 2);
  CHECK(fingerprint_of(*n3) != before);
}

TEST_CASE("explorable raft: raft.heartbeat_rounds is read, written back, and refused with reads that need rounds") {
  const std::string base = "version: 1\nname: r\nprotocol: raft\nduration: 1s\nnodes: 3\n";
  scenario::Diagnostics ok_diag;
  const auto ok = scenario::load_scenario_text(dsim::testing::registry(), base + "raft: {heartbeat_rounds: false}\n",
                                               "hr.yaml", ok_diag);
  REQUIRE(ok.has_value());
  const std::string yaml = scenario::scenario_to_yaml(*ok);
  CHECK(yaml.find("heartbeat_rounds: false") != std::string::npos);
  scenario::Diagnostics again;
  CHECK(scenario::load_scenario_text(dsim::testing::registry(), yaml, "again.yaml", again).has_value());
  // The default is not written: scenarios written before stay byte for byte.
  scenario::Diagnostics def_diag;
  const auto def = scenario::load_scenario_text(dsim::testing::registry(), base, "d.yaml", def_diag);
  REQUIRE(def.has_value());
  CHECK(scenario::scenario_to_yaml(*def).find("heartbeat_rounds") == std::string::npos);

  scenario::Diagnostics diag;
  const auto bad = scenario::load_scenario_text(dsim::testing::registry(),
                                                base + "raft: {reads: lease, heartbeat_rounds: false}\n", "hr.yaml", diag);
  CHECK_FALSE(bad.has_value());
  const std::string text = diag.render();
  CHECK(text.find("hr.yaml:6:") != std::string::npos);
  CHECK(text.find("needs 'raft.reads: log'") != std::string::npos);
}

TEST_CASE("explorable raft: a fixed election timeout draws nothing from the random stream; a range does") {
  auto draws = [](raft::Config cfg) {
    FakeHost host(3);
    const Rng fresh = host.rng(NodeId{0});
    auto n = raft::make_node(cfg);
    n->on_start(host.context());
    n->on_message(host.context(), NodeId{1}, request_vote(1));  // granting resets the timer
    CHECK(host.timers.back().after >= cfg.election_min);
    CHECK(host.timers.back().after <= cfg.election_max);
    const uint64_t* now = host.rng(NodeId{0}).state();
    return !std::equal(now, now + 4, fresh.state());
  };
  raft::Config fixed;
  fixed.election_min = fixed.election_max = milliseconds(200);
  CHECK_FALSE(draws(fixed));
  CHECK(draws(raft::Config{}));
}
