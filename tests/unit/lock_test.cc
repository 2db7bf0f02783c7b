// The lease lock: the server's SET NX PX and compare-and-delete semantics,
// the resource's fencing, the checkers on hand-built traces, and the
// catalogue (unfenced lock flagged under a GC pause, fenced one held).
#include <doctest/doctest.h>

#include "protocols/lock/checkers.h"
#include "catalogue.h"
#include "protocols/lock/lock.h"
#include "sim/net/network.h"
#include "test_support.h"

using namespace dsim;
using analysis::Status;
using dsim::testing::event;
using dsim::testing::ScriptNode;

namespace {

// n1: the lock server (or resource) under test; n2, n3: scripted clients.
struct Bench {
  testing::PeerHarness h;
  Simulator& sim = h.sim;

  explicit Bench(bool resource, lock::Config cfg = {})
      : h(
            [cfg, resource](NodeId id) {
              lock::Config c = cfg;
              c.server = resource ? 1 : 0;
              c.resource = resource ? 0 : 1;
              return lock::make_node(c, id);
            },
            2) {}
  // `from` (1 or 2) sends to n1; returns n1's reply, if any.
  std::optional<Message> send(uint32_t from, uint32_t type, int64_t f0, int64_t f1 = 0) {
    return h.send(from, testing::message(type, f0, f1));
  }
};

}  // namespace

TEST_CASE("lock server: SET NX PX grants a free or expired lock; release only by the owner of the grant") {
  lock::Config cfg;
  cfg.ttl = milliseconds(100);
  Bench b(false, cfg);
  auto r = b.send(1, lock::kAcquire, 1);
  REQUIRE(r);
  CHECK(r->type == lock::kGranted);
  const int64_t t1 = r->f[1];
  CHECK(b.send(2, lock::kAcquire, 1)->type == lock::kBusy);
  // A release by someone else, or with an old token, changes nothing.
  b.send(2, lock::kRelease, t1);
  CHECK(b.send(2, lock::kAcquire, 2)->type == lock::kBusy);
  b.send(1, lock::kRelease, t1 - 1);
  CHECK(b.send(2, lock::kAcquire, 3)->type == lock::kBusy);
  // The owner releases: free at once, with a higher token for the next.
  b.send(1, lock::kRelease, t1);
  r = b.send(2, lock::kAcquire, 4);
  CHECK(r->type == lock::kGranted);
  CHECK(r->f[1] > t1);
  // Not released: expires after the TTL on the server's clock.
  CHECK(b.send(1, lock::kAcquire, 5)->type == lock::kBusy);
  b.sim.run(b.sim.now() + milliseconds(120));
  CHECK(b.send(1, lock::kAcquire, 6)->type == lock::kGranted);
}

TEST_CASE("lock server: the token counter survives a restart; the held lock too, unless the planted bug") {
  for (auto bug : {lock::Config::Bug::kNone, lock::Config::Bug::kVolatileLock}) {
    lock::Config cfg;
    cfg.bug = bug;
    Bench b(false, cfg);
    const int64_t t1 = b.send(1, lock::kAcquire, 1)->f[1];
    b.sim.crash(NodeId{0}, true);
    b.sim.restart(NodeId{0});
    auto r = b.send(2, lock::kAcquire, 1);
    if (bug == lock::Config::Bug::kNone) {
      CHECK(r->type == lock::kBusy);
    } else {
      REQUIRE(r->type == lock::kGranted);
      CHECK(r->f[1] > t1);  // even then the tokens keep growing
    }
  }
}

TEST_CASE("resource: fencing rejects a write with a token below the highest accepted") {
  for (bool fencing : {false, true}) {
    lock::Config cfg;
    cfg.fencing = fencing;
    Bench b(true, cfg);
    CHECK(b.send(1, lock::kWrite, 5, 1)->f[1] == 1);
    CHECK(b.send(2, lock::kWrite, 6, 2)->f[1] == 1);
    CHECK(b.send(1, lock::kWrite, 5, 3)->f[1] == (fencing ? 0 : 1));
    CHECK(b.send(2, lock::kWrite, 6, 4)->f[1] == 1);  // equal: the same holder
  }
}

TEST_CASE("mutual_exclusion and lock_liveness on hand-built traces") {
  auto write = [](int64_t t, const char* client, int64_t token, bool accepted) {
    return event(t, "resource", "resource_write",
                 {{"client", std::string(client)}, {"token", token}, {"seq", int64_t{1}}, {"accepted", accepted}});
  };
  analysis::MutualExclusion me;
  me.consume(write(1, "c1", 5, true));
  me.consume(write(2, "c1", 5, true));
  me.consume(write(3, "c2", 6, true));
  me.consume(write(4, "c1", 5, false));  // fenced
  CHECK_FALSE(me.violated());
  me.consume(write(5, "c1", 5, true));
  const auto r = me.finish();
  REQUIRE(r.status == Status::kViolated);
  CHECK(r.violation->message.find("from c1 with token 5") != std::string::npos);
  CHECK(r.violation->message.find("c2's write with token 6") != std::string::npos);

  analysis::LockLiveness live(1'000'000'000);
  live.consume(event(0, "server", "grant", {{"client", std::string("c1")}, {"ttl_ns", int64_t{1'000'000'000}}}));
  live.consume(event(500'000'000, "server", "release", {{"client", std::string("c1")}}));
  live.consume(event(600'000'000, "server", "grant", {{"client", std::string("c2")}, {"ttl_ns", int64_t{1'000'000'000}}}));
  live.consume(event(900'000'000, "server", "release", {{"client", std::string("c2")}}));
  live.consume(event(3'000'000'000, "server", "grant", {{"client", std::string("c3")}, {"ttl_ns", int64_t{1'000'000'000}}}));
  live.consume(event(3'100'000'000, "*", "end"));
  const auto l = live.finish();
  REQUIRE(l.status == Status::kViolated);
  CHECK(l.violation->message.find("c2 released it") != std::string::npos);
}

TEST_CASE("lock catalogue: unfenced flagged under the GC pause and clock drift, fenced held, planted bug caught") {
  struct Case {
    const char* rel;
    Status mutual_exclusion;
  };
  for (const Case& c : {Case{"scenarios/teaching/lock-gc-pause.yaml", Status::kViolated},
                        Case{"scenarios/teaching/lock-gc-pause-fenced.yaml", Status::kHeld},
                        Case{"scenarios/teaching/lock-clock-drift.yaml", Status::kViolated},
                        Case{"scenarios/bugs/lock-volatile-lock.yaml", Status::kViolated}}) {
    CAPTURE(c.rel);
    const auto s = dsim::testing::load_catalogue(c.rel);
    scenario::RunOptions opt;
    opt.seed = *s.seed;
    const auto r = scenario::run_scenario(s, opt);
    CHECK(r.as_expected);
    for (const auto& ch : r.checks) {
      CAPTURE(ch.name);
      if (ch.name == "mutual_exclusion") CHECK(ch.status == c.mutual_exclusion);
      if (ch.name == "lock_liveness") CHECK(ch.status == Status::kHeld);
    }
  }
  // The drift scenario with fencing holds.
  const auto fenced = dsim::testing::load_catalogue("scenarios/teaching/lock-clock-drift.yaml", "fencing: false", "fencing: true");
  scenario::RunOptions opt;
  opt.seed = 1;
  for (const auto& ch : scenario::run_scenario(fenced, opt).checks) {
    if (ch.name == "mutual_exclusion") CHECK(ch.status == Status::kHeld);
  }
}
