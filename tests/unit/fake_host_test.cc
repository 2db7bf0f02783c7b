// A node driven by hand through dsim::FakeHost: no simulator, every message
// and timer visible. This is how a protocol (or a student's) is unit-tested
// one step at a time.
#include <doctest/doctest.h>

#include "dsim/fake_host.h"
#include "protocols/raft/raft.h"

using namespace dsim;

TEST_CASE("fake host: a Raft follower arms its election timer, grants a vote, and campaigns when it fires") {
  FakeHost host(3);  // n1 under test, peers n2 and n3
  raft::Config cfg;
  auto node = raft::make_node(cfg);
  node->on_start(host.context());
  REQUIRE(host.timers.size() == 1);
  CHECK(host.timers[0].after >= cfg.election_min);
  CHECK(host.timers[0].after <= cfg.election_max);
  CHECK(host.sent.empty());

  // n2 asks for n1's vote in term 1 with an empty log: granted, and persisted.
  host.clear();
  Message rv;
  rv.type = raft::kRequestVote;
  rv.f = {1, 0, 0, 0, 0, 0};
  node->on_message(host.context(), NodeId{1}, rv);
  REQUIRE(host.sent.size() == 1);
  CHECK(host.sent[0].to == NodeId{1});
  CHECK(host.sent[0].message.type == raft::kVoteReply);
  CHECK(host.sent[0].message.f[0] == 1);  // term
  CHECK(host.sent[0].message.f[1] == 1);  // granted
  CHECK(host.storage(NodeId{0}).get("term").has_value());

  // A second candidate in the same term is refused: one vote per term.
  host.clear();
  node->on_message(host.context(), NodeId{2}, rv);
  REQUIRE(host.sent.size() == 1);
  CHECK(host.sent[0].message.f[1] == 0);

  // Exactly one election timer is pending; when it fires, n1 becomes a
  // candidate of term 2 and asks both peers.
  size_t pending = 0;
  for (const auto& t : host.timers) pending += t.cancelled ? 0 : 1;
  CHECK(pending == 1);
  const FakeHost::Timer timer = host.timers.back();
  REQUIRE_FALSE(timer.cancelled);
  host.clear();
  host.advance(timer.after);
  node->on_timer(host.context(), timer.id, timer.tag);
  REQUIRE(host.sent.size() == 2);
  for (const auto& s : host.sent) {
    CHECK(s.message.type == raft::kRequestVote);
    CHECK(s.message.f[0] == 2);
  }
  CHECK(node->role() == "candidate");
}
