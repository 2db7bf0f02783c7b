// Multi-Paxos: the acceptor's per-slot rules against a scripted peer, a new
// leader's phase 1 recovery (adopt the highest-ballot value per slot, no-op
// in holes, and the planted bug that skips it), and the catalogue runs.
#include <doctest/doctest.h>

#include "registry.h"
#include "dsim/checker.h"
#include "protocols/paxos/checkers.h"
#include "catalogue.h"
#include "protocols/paxos/multipaxos.h"
#include "sim/net/network.h"
#include "test_support.h"

using namespace dsim;
using dsim::testing::event;
using dsim::testing::ScriptNode;
namespace mp = dsim::multipaxos;

namespace {

net::LinkSpec one_ms() { return testing::PeerHarness::link(); }

// n1 is the acceptor under test, with timers so long it never campaigns;
// n2 is a scripted peer.
struct Acceptor {
  mp::MultiPaxosNode* node = nullptr;
  testing::PeerHarness h;
  Simulator& sim = h.sim;

  Acceptor()
      : h([this](NodeId) {
          mp::Config cfg;
          cfg.heartbeat = seconds(100);
          cfg.election_min = cfg.election_max = seconds(1000);
          auto n = std::make_unique<mp::MultiPaxosNode>(cfg);
          node = n.get();
          return n;
        }, 1) {}
  Message send(uint32_t type, int64_t ballot, int64_t slot, std::string body = {}) {
    auto r = h.send(1, testing::message(type, ballot, slot, std::move(body)));
    REQUIRE(r.has_value());
    return *r;
  }
};

}  // namespace

TEST_CASE("multipaxos acceptor: one promise covers every slot from from_slot; accepts per slot at or above it") {
  Acceptor a;
  Message r = a.send(mp::kPrepare, 102, 0);
  CHECK(r.type == mp::kPromise);
  CHECK(r.body.empty());
  r = a.send(mp::kPrepare, 101, 0);
  CHECK(r.type == mp::kNack);
  CHECK(r.f[1] == 102);
  // Phase 2 for two slots under the one promise, no new prepare needed.
  r = a.send(mp::kAccept, 102, 3, "r1 x=1");
  CHECK(r.type == mp::kAccepted);
  CHECK(r.f[1] == 3);
  r = a.send(mp::kAccept, 102, 7, "r2 y=2");
  CHECK(r.type == mp::kAccepted);
  CHECK(a.node->accepted().size() == 2);
  // A stale leader's accept is refused.
  r = a.send(mp::kAccept, 101, 8, "r3 z=3");
  CHECK(r.type == mp::kNack);
  CHECK(a.node->accepted().count(Slot{8}) == 0);
  // A higher prepare from slot 5 hears only of slots >= 5.
  r = a.send(mp::kPrepare, 202, 5);
  REQUIRE(r.type == mp::kPromise);
  CHECK(r.body == "7\t102\tr2 y=2\n");
  r = a.send(mp::kPrepare, 302, 0);
  CHECK(r.body == "3\t102\tr1 x=1\n7\t102\tr2 y=2\n");
}

TEST_CASE("multipaxos acceptor: promise and accepted slots survive a crash") {
  Acceptor a;
  a.send(mp::kPrepare, 102, 0);
  a.send(mp::kAccept, 102, 4, "r9 k=9");
  a.sim.crash(NodeId{0}, /*lose_unsynced=*/true);
  a.sim.restart(NodeId{0});
  CHECK(a.node->promised() == Ballot{102});
  REQUIRE(a.node->accepted().count(Slot{4}) == 1);
  CHECK(a.node->accepted().at(Slot{4}).ballot == Ballot{102});
  CHECK(a.node->accepted().at(Slot{4}).value == "r9 k=9");
  CHECK(a.send(mp::kPrepare, 101, 0).type == mp::kNack);
}

namespace {

// n1 campaigns; n2 and n3 are scripted acceptors that promise with the
// entries the test gives them and accept whatever comes; n4 is silent, so
// the majority (3 of 4) needs both reports. Returns the values n1 proposed
// per slot once it leads.
std::map<int64_t, std::string> takeover(mp::Config::Bug bug) {
  Simulator sim{1};
  net::Network net{4, 1, one_ms()};
  sim.set_network(&net);
  mp::MultiPaxosNode* leader = nullptr;
  std::map<int64_t, std::string> proposed;
  sim.add_node("n1", [&](NodeId) {
    mp::Config cfg;
    cfg.election_min = cfg.election_max = milliseconds(10);
    cfg.heartbeat = milliseconds(5);
    cfg.bug = bug;
    auto n = std::make_unique<mp::MultiPaxosNode>(cfg);
    leader = n.get();
    return n;
  });
  const std::string reports[] = {"0\t101\tr1 a=1\n2\t102\tr2 b=2\n", "2\t103\tr3 c=3\n"};
  for (int i = 0; i < 2; ++i) {
    sim.add_node(i == 0 ? "n2" : "n3", [&, i](NodeId) {
      auto n = std::make_unique<ScriptNode>();
      n->message = [&, i](Context& c, NodeId from, const Message& m) {
        Message r;
        r.f[0] = m.f[0];
        if (m.type == mp::kPrepare) {
          r.type = mp::kPromise;
          r.body = reports[i];
          c.send(from, r);
        } else if (m.type == mp::kAccept) {
          if (i == 0) proposed[m.f[1]] = m.body;
          r.type = mp::kAccepted;
          r.f[1] = m.f[1];
          c.send(from, r);
        }
      };
      return n;
    });
  }
  sim.add_node("n4", [](NodeId) { return std::make_unique<ScriptNode>(); });
  sim.run(Time{0} + milliseconds(30));
  REQUIRE(leader->paxos_role() == mp::Role::kLeader);
  CHECK(leader->decided_prefix() == Slot{3});  // all three slots decided and applied
  return proposed;
}

}  // namespace

TEST_CASE("multipaxos leader takeover: highest-ballot value per slot, no-op in holes") {
  const auto p = takeover(mp::Config::Bug::kNone);
  REQUIRE(p.size() == 3);
  CHECK(p.at(0) == "r1 a=1");
  CHECK(p.at(1) == "noop");
  CHECK(p.at(2) == "r3 c=3");  // ballot 103 beats 102
}

TEST_CASE("multipaxos planted bug ignore_accepted: the new leader no-ops over reported values") {
  const auto p = takeover(mp::Config::Bug::kIgnoreAccepted);
  REQUIRE(p.size() == 3);
  for (const auto& [slot, v] : p) CHECK(v == "noop");
}

TEST_CASE("learner_consistency: two learners learning different values for a slot") {
  analysis::LearnerConsistency l;
  l.consume(event(1, "n3", "learned", {{"slot", int64_t{4}}, {"ballot", int64_t{303}}, {"value", std::string("r5 k=5")}}));
  l.consume(event(2, "n4", "learned", {{"slot", int64_t{4}}, {"ballot", int64_t{303}}, {"value", std::string("r5 k=5")}}));
  CHECK_FALSE(l.violated());
  l.consume(event(3, "n1", "learned", {{"slot", int64_t{4}}, {"ballot", int64_t{501}}, {"value", std::string("noop")}}));
  const auto r = l.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->message == "n1 learned 'noop' for slot 4, but n3 learned 'r5 k=5' there at 1ns");
}

TEST_CASE("multipaxos_liveness is the shared leader-liveness checker under its own name") {
  const auto c = dsim::testing::registry().make_checker({"multipaxos_liveness", 500'000'000, 0}, "multipaxos");
  CHECK(c->name() == "multipaxos_liveness");
  CHECK(c->kind() == analysis::CheckKind::kLiveness);
  // A request taken by a leader after the bound and never answered.
  c->consume(event(0, "n1", "role", {{"role", std::string("leader")}, {"ballot", int64_t{101}}}));
  c->consume(event(1'000'000'000, "n1", "client_request", {{"req", int64_t{7}}, {"slot", int64_t{3}}}));
  c->consume(event(3'000'000'000, "*", "end"));
  const auto r = c->finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->message.find("request 7") != std::string::npos);
  // paxos_agreement is both Paxos protocols' checker, and only theirs.
  const auto all = dsim::testing::registry().all_checkers();
  const auto it = std::find_if(all.begin(), all.end(), [](const auto& l) { return l.info.name == "paxos_agreement"; });
  REQUIRE(it != all.end());
  CHECK(it->protocols == std::vector<std::string_view>{"paxos", "multipaxos"});
}

TEST_CASE("multipaxos catalogue: leader crash and minority partition hold; the planted bug is caught") {
  for (const char* rel : {"scenarios/teaching/multipaxos-leader-crash.yaml", "scenarios/regression/multipaxos-nemesis.yaml",
                          "scenarios/bugs/multipaxos-ignore-accepted.yaml"}) {
    CAPTURE(rel);
    const auto s = dsim::testing::load_catalogue(rel);
    scenario::RunOptions opt;
    opt.seed = *s.seed;
    const auto rep = scenario::run_scenario(s, opt);
    CHECK(rep.as_expected);
    for (const auto& c : rep.checks) {
      CAPTURE(c.name);
      if (c.kind == analysis::CheckKind::kLiveness) CHECK(c.status == analysis::Status::kHeld);
    }
  }
}

namespace {
struct Leaders : trace::Consumer {
  std::vector<std::pair<int64_t, std::string>> elected;
  void consume(const trace::Event& e) override {
    if (e.kind == "role" && e.get_str("role") == "leader") elected.emplace_back(e.t, e.node);
  }
};
}  // namespace

TEST_CASE("multipaxos prevote: a node cut off in the minority does not depose the leader after the heal") {
  for (bool prevote : {false, true}) {
    CAPTURE(prevote);
    const auto s = prevote ? dsim::testing::load_catalogue("scenarios/teaching/multipaxos-leader-crash.yaml",
                                                           "  election_timeout: [100ms, 200ms]\n",
                                                           "  election_timeout: [100ms, 200ms]\n  prevote: true\n")
                           : dsim::testing::load_catalogue("scenarios/teaching/multipaxos-leader-crash.yaml");
    REQUIRE(dsim::config_of<multipaxos::Config>(*s.config).prevote == prevote);
    Leaders l;
    scenario::RunOptions opt;
    opt.seed = *s.seed;
    opt.observers = {&l};
    const auto r = scenario::run_scenario(s, opt);
    CHECK(r.as_expected);
    // The partition (6s-8s) and its heal: without prevote the minority's
    // escalated ballots take the leadership after the heal.
    int after_heal = 0;
    for (const auto& [t, node] : l.elected) after_heal += t >= 8'000'000'000;
    if (prevote) CHECK(after_heal == 0);
    else CHECK(after_heal > 0);
  }
}
