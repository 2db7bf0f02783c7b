// Paxos: the acceptor's rules one message at a time (a scripted peer sends,
// records the replies), and the checkers on hand-built traces.
#include <doctest/doctest.h>

#include <algorithm>
#include <concepts>
#include <type_traits>

#include "protocols/paxos/checkers.h"
#include "catalogue.h"
#include "protocols/paxos/paxos.h"
#include "test_support.h"

using namespace dsim;
using dsim::testing::event;
using dsim::testing::ScriptNode;

namespace {

// n1 is an acceptor under test (it proposes nothing); n2 is a scripted peer.
struct Acceptor {
  paxos::PaxosNode* node = nullptr;
  testing::PeerHarness h;
  Simulator& sim = h.sim;

  explicit Acceptor(paxos::Config cfg = {})
      : h([this, cfg](NodeId) {
          auto n = std::make_unique<paxos::PaxosNode>(cfg);
          node = n.get();
          return n;
        }, 1) {}
  Message send(uint32_t type, int64_t ballot, std::string value = {}) {
    auto r = h.send(1, testing::message(type, ballot, 0, std::move(value)));
    REQUIRE(r.has_value());
    return *r;
  }
};

}  // namespace

TEST_CASE("paxos acceptor: promise a higher ballot, refuse a lower one (phase 1b)") {
  Acceptor a;
  const Message p = a.send(paxos::kPrepare, 5);
  CHECK(p.type == paxos::kPromise);
  CHECK(p.f[1] == -1);  // nothing accepted yet
  CHECK(a.send(paxos::kPrepare, 3).type == paxos::kNack);
  CHECK(a.send(paxos::kPrepare, 5).type == paxos::kNack);  // not strictly higher
  CHECK(a.node->promised() == Ballot{5});
}

TEST_CASE("paxos acceptor: accept at or above the promise only; a promise reports what was accepted") {
  Acceptor a;
  a.send(paxos::kPrepare, 5);
  CHECK(a.send(paxos::kAccept, 4, "old").type == paxos::kNack);
  CHECK(a.send(paxos::kAccept, 5, "x").type == paxos::kAccepted);
  CHECK(a.node->accepted_ballot() == Ballot{5});
  const Message p = a.send(paxos::kPrepare, 7);
  CHECK(p.type == paxos::kPromise);
  CHECK(p.f[1] == 5);
  CHECK(p.body == "x");
}

TEST_CASE("paxos acceptor: promise and accepted value survive a crash; the planted bugs lose them") {
  SUBCASE("correct") {
    Acceptor a;
    a.send(paxos::kPrepare, 5);
    a.send(paxos::kAccept, 5, "x");
    a.send(paxos::kPrepare, 9);
    a.sim.crash(NodeId{0}, true);
    a.sim.restart(NodeId{0});
    CHECK(a.node->promised() == Ballot{9});
    CHECK(a.node->accepted_value() == "x");
  }
  SUBCASE("forget_promise") {
    paxos::Config c;
    c.bug = paxos::Config::Bug::kForgetPromise;
    Acceptor a(c);
    a.send(paxos::kPrepare, 9);
    a.sim.crash(NodeId{0}, false);
    a.sim.restart(NodeId{0});
    CHECK(a.node->promised() == kNoBallot);
    CHECK(a.send(paxos::kAccept, 4, "late").type == paxos::kAccepted);  // the broken promise
  }
  SUBCASE("forget_accepted") {
    paxos::Config c;
    c.bug = paxos::Config::Bug::kForgetAccepted;
    Acceptor a(c);
    a.send(paxos::kPrepare, 5);
    a.send(paxos::kAccept, 5, "x");
    a.sim.crash(NodeId{0}, false);
    a.sim.restart(NodeId{0});
    CHECK(a.node->accepted_ballot() == kNoBallot);
    CHECK(a.send(paxos::kPrepare, 7).f[1] == -1);  // reports nothing accepted
  }
}

TEST_CASE("paxos_agreement: two values chosen in one slot are named with ballots and acceptors") {
  analysis::PaxosAgreement c;
  for (const char* n : {"a", "b", "c", "d", "e"}) c.consume(event(0, n, "start"));
  c.consume(event(1, "a", "propose", {{"slot", int64_t{0}}, {"value", std::string("x")}}));
  c.consume(event(1, "e", "propose", {{"slot", int64_t{0}}, {"value", std::string("y")}}));
  auto acc = [&](int64_t t, const char* n, int64_t b, const char* v) {
    c.consume(event(t, n, "accepted", {{"slot", int64_t{0}}, {"ballot", b}, {"value", std::string(v)}}));
  };
  acc(2, "a", 101, "x");
  acc(2, "b", 101, "x");
  acc(2, "c", 101, "x");  // x chosen
  acc(3, "c", 205, "x");  // re-proposing the chosen value is fine
  CHECK_FALSE(c.violated());
  acc(4, "d", 305, "y");
  acc(4, "e", 305, "y");
  acc(4, "c", 305, "y");  // y chosen too
  const auto r = c.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->message ==
        "slot 0: two values chosen: 'x' in ballot 101 (accepted by a, b, c at 2ns) and 'y' in ballot 305 (accepted by c, d, e)");
}

TEST_CASE("paxos_agreement: a chosen value nobody proposed breaks validity") {
  analysis::PaxosAgreement c;
  for (const char* n : {"a", "b", "c"}) c.consume(event(0, n, "start"));
  for (const char* n : {"a", "b"}) {
    c.consume(event(1, n, "accepted", {{"slot", int64_t{0}}, {"ballot", int64_t{1}}, {"value", std::string("ghost")}}));
  }
  CHECK(c.finish().violation->message.find("no proposer ever proposed it") != std::string::npos);
}

TEST_CASE("learner_consistency and paxos_liveness") {
  analysis::LearnerConsistency l;
  l.consume(event(1, "a", "learned", {{"slot", int64_t{0}}, {"ballot", int64_t{1}}, {"value", std::string("x")}}));
  l.consume(event(2, "a", "learned", {{"slot", int64_t{0}}, {"ballot", int64_t{2}}, {"value", std::string("x")}}));
  CHECK_FALSE(l.violated());
  l.consume(event(3, "a", "learned", {{"slot", int64_t{0}}, {"ballot", int64_t{3}}, {"value", std::string("y")}}));
  CHECK(l.finish().status == analysis::Status::kViolated);

  analysis::PaxosLiveness live(1'000'000'000);
  for (const char* n : {"a", "b", "c"}) live.consume(event(0, n, "start"));
  live.consume(event(1, "a", "prepare", {{"slot", int64_t{0}}, {"ballot", int64_t{101}}}));
  live.consume(event(5'000'000'000, "*", "end"));
  const auto r = live.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->message.find("tried 1 ballots") != std::string::npos);
}

TEST_CASE("paxos planted bugs are caught on their scenarios") {
  for (const char* rel : {"scenarios/bugs/paxos-forget-promise.yaml", "scenarios/bugs/paxos-forget-accepted.yaml",
                          "scenarios/bugs/paxos-ignore-accepted.yaml", "scenarios/bugs/paxos-accept-any-ballot.yaml"}) {
    CAPTURE(rel);
    const auto s = dsim::testing::load_catalogue(rel);
    scenario::RunOptions opt;
    opt.seed = *s.seed;
    CHECK(scenario::run_scenario(s, opt).as_expected);
  }
}

TEST_CASE("ids: ballots, slots, terms and log indices are distinct types with only the arithmetic protocols use") {
  static_assert(!std::is_convertible_v<int64_t, Ballot>);
  static_assert(!std::is_convertible_v<Ballot, int64_t>);
  static_assert(!std::is_convertible_v<Slot, Ballot>);
  static_assert(!std::is_convertible_v<Term, LogIndex>);
  static_assert(!std::equality_comparable_with<Ballot, Slot>);
  static_assert(kNoBallot < Ballot{0} && !kNoBallot.valid() && Ballot{0}.valid());
  static_assert(Slot{3}.next() == Slot{4} && Slot{3}.prev() == Slot{2} && Slot{3} + 5 == Slot{8} && Slot{8} - Slot{3} == 5);
  static_assert(LogIndex{1}.next() == LogIndex{2} && LogIndex{7} - 2 == LogIndex{5} && Term{4}.next() == Term{5});
  Slot s{0};
  ++s;
  CHECK(s == Slot{1});
  CHECK(std::max({Ballot{101}, kNoBallot, Ballot{202}}) == Ballot{202});
}
