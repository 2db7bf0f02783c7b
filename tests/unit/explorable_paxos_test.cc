// Single-decree Paxos and Multi-Paxos nodes under `dsim explore`'s API:
// clones continue as the originals do, fingerprints follow the state that
// decides behaviour (and leave out what cannot matter any more), and
// paxos.max_rounds bounds how many ballots a proposer tries.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "explorable_twin.h"
#include "test_support.h"
#include "protocols/paxos/multipaxos.h"
#include "protocols/paxos/paxos.h"
#include "registry.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/writer.h"

using namespace dsim;
using dsim::testing::fingerprint_of;
using dsim::testing::Twin;

namespace {

constexpr uint64_t kStart = 1, kRetry = 2;

Message msg(uint32_t type, int64_t f0, int64_t f1 = 0, std::string body = "") {
  return dsim::testing::message(type, f0, f1, std::move(body));
}

paxos::Config proposer_n1() {
  paxos::Config c;
  c.proposers = {0};
  return c;
}

// Fires the newest pending timer with `tag`, marked as no longer pending
// first (FakeHost keeps fired timers in its list); false if there is none.
bool fire(Node& n, FakeHost& host, uint64_t tag) {
  const FakeHost::Timer* t = host.pending(tag);
  if (!t) return false;
  const size_t i = static_cast<size_t>(t - host.timers.data());
  host.timers[i].cancelled = true;
  const FakeHost::Timer fired = host.timers[i];
  n.on_timer(host.context(), fired.id, fired.tag);
  return true;
}

// How many prepares a lone proposer sends when every retry timer fires and
// nobody answers.
int prepares_until_quiet(paxos::Config cfg, int limit) {
  FakeHost host(3);
  auto n = paxos::make_node(cfg);
  n->on_start(host.context());
  int rounds = 0;
  for (int i = 0; i < limit; ++i) {
    host.clear();
    if (!fire(*n, host, i == 0 ? kStart : kRetry)) break;
    rounds += host.sent.empty() ? 0 : 1;
  }
  return rounds;
}

}  // namespace

TEST_CASE("explorable paxos: a clone replays the original, and the fingerprint follows promises and accepts") {
  Twin t(paxos::make_node(proposer_n1()), 3);
  t.start();
  const uint64_t fresh = t.fp_orig();
  t.fire_orig(t.pending(kStart));  // round 1: prepare(101) to all
  REQUIRE(t.a.sent.size() == 3);
  CHECK(t.fp_orig() != fresh);

  t.split();
  // n1's own acceptor promises: acceptor state, so a new fingerprint.
  const uint64_t before_promise = t.fp_orig();
  t.message(NodeId{0}, msg(paxos::kPrepare, 101));
  CHECK(t.fp_orig() != before_promise);
  REQUIRE(t.a.sent.size() == 1);
  CHECK(t.a.sent[0].message.type == paxos::kPromise);
  // Promises from n1 and n2 (a majority): accept(101, own value) to all.
  t.message(NodeId{0}, msg(paxos::kPromise, 101, -1));
  t.message(NodeId{1}, msg(paxos::kPromise, 101, -1));
  REQUIRE(t.a.sent.size() == 3);
  CHECK(t.a.sent[0].message.type == paxos::kAccept);
  // The retry timer fires on both (a new round, ids differ from here on).
  t.fire(t.pending(kRetry));
  CHECK(t.ids_differ());
  t.message(NodeId{0}, msg(paxos::kPromise, 201, -1));
  t.message(NodeId{2}, msg(paxos::kPromise, 201, -1));
  // Two acceptors accept ballot 201: learned.
  t.message(NodeId{0}, msg(paxos::kAccept, 201, 0, "value-from-n1"));
  t.message(NodeId{1}, msg(paxos::kAccepted, 201, 0, "value-from-n1"));
  t.message(NodeId{2}, msg(paxos::kAccepted, 201, 0, "value-from-n1"));
  const auto& copy = dynamic_cast<const paxos::PaxosNode&>(*t.copy);
  CHECK(copy.learned() == "value-from-n1");
  // Once learned, late acceptances change nothing the node will do, so they
  // do not change the fingerprint either.
  const uint64_t learned = t.fp_orig();
  t.message(NodeId{0}, msg(paxos::kAccepted, 201, 0, "value-from-n1"));
  CHECK(t.fp_orig() == learned);
  // An acceptor's promise still does.
  t.message(NodeId{2}, msg(paxos::kPrepare, 303));
  CHECK(t.fp_orig() != learned);
}

TEST_CASE("explorable paxos: the clone is a deep copy, and an acceptor that only heard ballots is unchanged") {
  paxos::Config cfg = proposer_n1();
  Twin t(paxos::make_node(cfg), 3, NodeId{2});  // n3: an acceptor only
  t.start();
  t.split();
  const uint64_t before = t.fp_copy();
  t.orig->on_message(t.a.context(), NodeId{0}, msg(paxos::kAccept, 101, 0, "v"));
  CHECK(dynamic_cast<const paxos::PaxosNode&>(*t.orig).accepted_value() == "v");
  CHECK(dynamic_cast<const paxos::PaxosNode&>(*t.copy).accepted_value().empty());
  CHECK(t.fp_copy() == before);
  CHECK(t.fp_orig() != before);
  // A nack an acceptor overhears raises its highest ballot seen, which only
  // a proposer reads: same fingerprint.
  auto x = paxos::make_node(cfg);
  FakeHost h(3, NodeId{2});
  x->on_start(h.context());
  const uint64_t quiet = fingerprint_of(*x);
  x->on_message(h.context(), NodeId{1}, msg(paxos::kNack, 101, 505));
  CHECK(fingerprint_of(*x) == quiet);
}

TEST_CASE("explorable paxos: max_rounds bounds the ballots a proposer tries; 0 leaves it unbounded") {
  paxos::Config cfg = proposer_n1();
  cfg.max_rounds = 3;
  CHECK(prepares_until_quiet(cfg, 50) == 3);
  cfg.max_rounds = 0;
  CHECK(prepares_until_quiet(cfg, 50) == 50);

  // A nack reporting a ballot beyond the bound ends the proposer's tries.
  cfg.max_rounds = 3;
  FakeHost host(3);
  auto n = paxos::make_node(cfg);
  n->on_start(host.context());
  REQUIRE(fire(*n, host, kStart));
  n->on_message(host.context(), NodeId{1}, msg(paxos::kNack, 101, 502));  // round 5 promised
  host.clear();
  REQUIRE(fire(*n, host, kRetry));  // the backoff after the rejection
  CHECK(host.sent.empty());
  CHECK(host.pending(kRetry) == nullptr);
}

TEST_CASE("explorable paxos: acceptors send what they accepted to the learners only") {
  paxos::Config cfg = proposer_n1();
  cfg.learners = {0, 2};
  FakeHost host(3, NodeId{1});
  auto n = paxos::make_node(cfg);
  n->on_start(host.context());
  n->on_message(host.context(), NodeId{0}, msg(paxos::kAccept, 101, 0, "v"));
  REQUIRE(host.sent.size() == 2);
  CHECK(host.sent[0].to == NodeId{0});
  CHECK(host.sent[1].to == NodeId{2});
  CHECK(host.sent[0].message.type == paxos::kAccepted);
  // By default every node learns.
  FakeHost all(3, NodeId{1});
  auto d = paxos::make_node(proposer_n1());
  d->on_start(all.context());
  d->on_message(all.context(), NodeId{0}, msg(paxos::kAccept, 101, 0, "v"));
  CHECK(all.sent.size() == 3);
}

TEST_CASE("explorable paxos: paxos.max_rounds and paxos.learners are read, written back only when set, and validated") {
  const std::string base = "version: 1\nname: p\nprotocol: paxos\nduration: 1s\nnodes: 3\n";
  scenario::Diagnostics d1;
  const auto s = scenario::load_scenario_text(dsim::testing::registry(), base + "paxos: {max_rounds: 4}\n", "p.yaml", d1);
  REQUIRE(s.has_value());
  CHECK(scenario::scenario_to_yaml(*s).find("max_rounds: 4") != std::string::npos);
  scenario::Diagnostics d2;
  const auto def = scenario::load_scenario_text(dsim::testing::registry(), base, "p.yaml", d2);
  REQUIRE(def.has_value());
  CHECK(scenario::scenario_to_yaml(*def).find("max_rounds") == std::string::npos);
  scenario::Diagnostics d4;
  const auto l = scenario::load_scenario_text(dsim::testing::registry(), base + "paxos: {learners: [n1, n3]}\n",
                                              "p.yaml", d4);
  REQUIRE(l.has_value());
  CHECK(scenario::scenario_to_yaml(*l).find("learners: [n1, n3]") != std::string::npos);
  CHECK(scenario::scenario_to_yaml(*def).find("learners") == std::string::npos);
  scenario::Diagnostics d5;
  CHECK_FALSE(scenario::load_scenario_text(dsim::testing::registry(), base + "paxos: {learners: [n9]}\n", "p.yaml", d5)
                  .has_value());
  CHECK(d5.render().find("p.yaml:6:") != std::string::npos);
  scenario::Diagnostics d3;
  CHECK_FALSE(scenario::load_scenario_text(dsim::testing::registry(), base + "paxos: {max_rounds: -1}\n", "p.yaml", d3)
                  .has_value());
  CHECK(d3.render().find("p.yaml:6:") != std::string::npos);
}

TEST_CASE("explorable multipaxos: a clone replays the original through an election, a command and heartbeats") {
  namespace mp = multipaxos;
  constexpr uint64_t kElection = 1, kHeartbeat = 2;
  Twin t(mp::make_node(mp::Config{}), 3);
  t.start();
  const uint64_t fresh = t.fp_orig();
  t.fire_orig(t.pending(kElection));  // prepare(101, from slot 0) to all
  CHECK(t.orig->role() == "candidate");
  CHECK(t.fp_orig() != fresh);
  t.split();

  const uint64_t before_promise = t.fp_orig();
  t.message(NodeId{0}, msg(mp::kPrepare, 101, 0));  // n1's own acceptor promises
  CHECK(t.fp_orig() != before_promise);
  t.message(NodeId{0}, msg(mp::kPromise, 101));
  t.message(NodeId{1}, msg(mp::kPromise, 101));
  CHECK(t.copy->role() == "leader");
  t.message(kExternal, msg(mp::kClientRequest, 1, 0, "k=v"));
  t.message(NodeId{0}, msg(mp::kAccept, 101, 0, "r1 k=v"));
  const uint64_t before_decide = t.fp_orig();
  t.message(NodeId{0}, msg(mp::kAccepted, 101, 0));
  t.message(NodeId{1}, msg(mp::kAccepted, 101, 0));
  CHECK(t.fp_orig() != before_decide);
  const auto& copy = dynamic_cast<const mp::MultiPaxosNode&>(*t.copy);
  CHECK(copy.kv().at("k") == "v");
  CHECK(copy.decided_prefix() == Slot{1});
  t.fire(t.pending(kHeartbeat));
  CHECK(t.ids_differ());
  t.message(NodeId{2}, msg(mp::kHeartbeatAck, 101, 0));  // n3 missed slot 0: sent the decision
  t.fire(t.pending(kElection));                          // check quorum: n2 heard, stays leader
  CHECK(t.copy->role() == "leader");

  // Deep copy: a step on the original alone leaves the copy as it was.
  const uint64_t copy_before = t.fp_copy();
  t.orig->on_message(t.a.context(), NodeId{2}, msg(mp::kPrepare, 203, 0));
  CHECK(t.orig->role() == "follower");
  CHECK(t.copy->role() == "leader");
  CHECK(t.fp_copy() == copy_before);
}

TEST_CASE("explorable paxos: fixed timeouts and backoffs draw nothing from the random stream") {
  auto advanced = [](const Rng& fresh, FakeHost& host) {
    const uint64_t* now = host.rng(NodeId{0}).state();
    return !std::equal(now, now + 4, fresh.state());
  };
  {
    multipaxos::Config fixed;
    fixed.election_min = fixed.election_max = milliseconds(150);
    FakeHost host(3);
    const Rng fresh = host.rng(NodeId{0});
    auto n = multipaxos::make_node(fixed);
    n->on_start(host.context());
    CHECK(host.timers.back().after == milliseconds(150));
    CHECK_FALSE(advanced(fresh, host));
    auto ranged = multipaxos::make_node(multipaxos::Config{});
    ranged->on_start(host.context());
    CHECK(advanced(fresh, host));
  }
  {
    paxos::Config cfg = proposer_n1();
    cfg.backoff_min = cfg.backoff_max = milliseconds(30);
    FakeHost host(3);
    const Rng fresh = host.rng(NodeId{0});
    auto n = paxos::make_node(cfg);
    n->on_start(host.context());
    REQUIRE(fire(*n, host, kStart));
    CHECK(host.pending(kRetry)->after == cfg.retry + milliseconds(30));
    CHECK_FALSE(advanced(fresh, host));
    cfg.backoff_max = milliseconds(40);
    auto ranged = paxos::make_node(cfg);
    ranged->on_start(host.context());
    REQUIRE(fire(*ranged, host, kStart));
    CHECK(advanced(fresh, host));
  }
}
