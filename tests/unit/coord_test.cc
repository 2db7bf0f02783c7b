// The coordination service and discovery: the catalogue runs (partitions,
// the planted bug, the recipe lock with and without fencing), what the
// service does (sessions expire, ephemerals go with them, watchers follow),
// and the discovery checkers on hand-built traces.
#include <doctest/doctest.h>

#include <map>

#include "protocols/coord/checkers.h"
#include "catalogue.h"

using namespace dsim;
using analysis::Status;
using dsim::testing::event;

namespace {

struct Kinds : trace::Consumer {
  std::vector<trace::Event> events;
  void consume(const trace::Event& e) override {
    if (e.kind == "session_expired" || e.kind == "znode_created" || e.kind == "znode_deleted" || e.kind == "view" ||
        e.kind == "registered") {
      events.push_back(e);
    }
  }
  int count(std::string_view kind) const {
    return static_cast<int>(std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.kind == kind; }));
  }
};

scenario::RunReport run(const scenario::Scenario& s, std::vector<trace::Consumer*> obs = {}) {
  scenario::RunOptions opt;
  opt.seed = *s.seed;
  opt.observers = std::move(obs);
  return scenario::run_scenario(s, opt);
}

Status status(const scenario::RunReport& r, std::string_view name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return c.status;
  }
  FAIL("no check " << name);
  return Status::kInconclusive;
}

}  // namespace

TEST_CASE("discovery: an instance cut off loses its session and node, comes back, and watchers follow") {
  const auto s = dsim::testing::load_catalogue("scenarios/teaching/discovery-partitions.yaml");
  Kinds k;
  const auto r = run(s, {&k});
  CHECK(r.as_expected);
  CHECK(status(r, "discovery_safety") == Status::kHeld);
  CHECK(status(r, "discovery_liveness") == Status::kHeld);
  // svc1: registered, expired during the partition (2s-4s), registered again.
  int expired = 0;
  for (const auto& e : k.events) {
    if (e.kind == "session_expired" && e.get_str("client") == "svc1") {
      ++expired;
      CHECK(e.t > 2'500'000'000);  // 600 ms after its last heartbeat
      CHECK(e.t < 2'800'000'000);
    }
  }
  CHECK(expired == 1);
  CHECK(k.count("registered") == 3);
  CHECK(k.count("znode_deleted") == 1);
  // w1, cut off at 5s, reports itself disconnected and then recovers.
  bool disconnected = false, back = false;
  for (const auto& e : k.events) {
    if (e.kind != "view" || e.node != "w1") continue;
    const bool c = std::get<bool>(*e.find("connected"));
    if (!c) disconnected = true;
    if (disconnected && c && e.get_str("members") == "svc1,svc2") back = true;
  }
  CHECK(disconnected);
  CHECK(back);
}

TEST_CASE("discovery: the planted bug (ephemerals outlive their session) is caught") {
  const auto r = run(dsim::testing::load_catalogue("scenarios/bugs/discovery-keep-ephemerals.yaml"));
  CHECK(r.as_expected);
  for (const auto& c : r.checks) {
    if (c.name != "discovery_safety") continue;
    REQUIRE(c.violation.has_value());
    CHECK(c.violation->message.find("still lists svc1") != std::string::npos);
  }
}

TEST_CASE("ZooKeeper lock recipe: a GC pause breaks it like the lease lock; fencing by sequence number holds") {
  const auto plain = run(dsim::testing::load_catalogue("scenarios/teaching/zk-lock-gc-pause.yaml"));
  CHECK(plain.as_expected);
  CHECK(status(plain, "mutual_exclusion") == Status::kViolated);
  const auto fenced = run(dsim::testing::load_catalogue("scenarios/teaching/zk-lock-gc-pause-fenced.yaml"));
  CHECK(fenced.as_expected);
  CHECK(status(fenced, "mutual_exclusion") == Status::kHeld);
  CHECK(status(fenced, "election_safety") == Status::kHeld);
}

TEST_CASE("discovery_safety and discovery_liveness on hand-built traces") {
  auto created = [](int64_t t, const char* name, int64_t session) {
    return event(t, "z1", "znode_created", {{"path", std::string("/services/svc/") + name}, {"session", session}});
  };
  auto view = [](int64_t t, const char* w, const char* members, bool connected = true) {
    return event(t, w, "view", {{"members", std::string(members)}, {"connected", connected}});
  };
  const int64_t ms = 1'000'000;
  {
    analysis::DiscoverySafety s(300 * ms);
    s.consume(created(10 * ms, "a", 1));
    s.consume(view(20 * ms, "w1", "a"));
    s.consume(event(1000 * ms, "z1", "session_expired", {{"session", int64_t{1}}}));
    s.consume(view(1200 * ms, "w1", ""));  // dropped 200 ms after: within the bound
    CHECK(s.finish().status == Status::kHeld);
  }
  {
    analysis::DiscoverySafety s(300 * ms);
    s.consume(created(10 * ms, "a", 1));
    s.consume(view(20 * ms, "w1", "a"));
    s.consume(event(1000 * ms, "z1", "session_expired", {{"session", int64_t{1}}}));
    s.consume(view(1500 * ms, "w1", ""));  // 500 ms: too late
    const auto r = s.finish();
    REQUIRE(r.status == Status::kViolated);
    CHECK(r.violation->message == "w1's view still lists a at 1.3s, 300ms after its session expired or its node was deleted (at 1s; bound 300ms)");
  }
  {
    // Re-registered in time: the old view is fine again.
    analysis::DiscoverySafety s(300 * ms);
    s.consume(created(10 * ms, "a", 1));
    s.consume(view(20 * ms, "w1", "a"));
    s.consume(event(1000 * ms, "z1", "znode_deleted", {{"path", std::string("/services/svc/a")}}));
    s.consume(created(1100 * ms, "a", 2));
    s.consume(event(3000 * ms, "*", "end"));
    CHECK(s.finish().status == Status::kHeld);
  }
  {
    // Liveness: w2 never sees b.
    analysis::DiscoveryLiveness l(500 * ms);
    l.consume(created(10 * ms, "a", 1));
    l.consume(created(20 * ms, "b", 2));
    l.consume(view(30 * ms, "w1", "a,b"));
    l.consume(view(30 * ms, "w2", "a"));
    l.consume(event(2000 * ms, "*", "end"));
    const auto r = l.finish();
    REQUIRE(r.status == Status::kViolated);
    CHECK(r.violation->message.find("w2 does not list b") != std::string::npos);
  }
}
