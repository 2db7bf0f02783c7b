// What a lab must be able to say about faults: targets relative to roles
// (resolved when the fault fires, the leader of the highest epoch),
// disconnections that add up, timed faults that undo only themselves,
// network phases, heavy-tailed latency, latency on the harness's inputs and
// time spent writing to stable storage.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_files.h"
#include "registry.h"
#include "sim/core/simulator.h"
#include "sim/net/network.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/writer.h"

using namespace dsim;
using namespace dsim::net;

namespace {

std::optional<scenario::Scenario> load(const std::string& text, std::string* errors = nullptr) {
  scenario::Diagnostics diag;
  auto s = scenario::load_scenario_text(dsim::testing::registry(), text, "t.yaml", diag);
  if (errors) {
    std::ostringstream out;
    for (const auto& d : diag.items()) out << d.line << ":" << d.column << ": " << d.message << "\n";
    *errors = out.str();
  }
  return s;
}

// The trace of one run, one line per element.
std::vector<std::string> run_lines(const scenario::Scenario& s, uint64_t seed, NodeFactory factory = {}) {
  // A directory of its own: ctest runs test cases in parallel, and the same
  // seed in two of them must not share a file.
  const std::string dir = testing::temp_dir("faults");
  const std::string path = dir + "/trace.jsonl";
  scenario::RunOptions opt;
  opt.seed = seed;
  opt.trace_path = path;
  opt.node_factory = std::move(factory);
  const auto r = scenario::run_scenario(s, opt);
  REQUIRE(r.trace_error.empty());
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::filesystem::remove_all(dir);
  return lines;
}

std::vector<std::string> of_kind(const std::vector<std::string>& lines, const std::string& kind) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    if (l.find("\"kind\":\"" + kind + "\"") != std::string::npos) out.push_back(l);
  }
  return out;
}

const char* kRaftHead = R"(version: 1
name: t
protocol: raft
duration: 6s
nodes: 5
network: {latency: {dist: uniform, min: 1ms, max: 5ms}}
workload: {requests: 100, start: 500ms, interval: 50ms}
)";

}  // namespace

// ---- Heavy-tailed latency ---------------------------------------------------

TEST_CASE("latency: pareto draws are at least the scale, have the analytic median, and respect the cap") {
  const LatencyModel m = LatencyModel::pareto(milliseconds(2), 1.5);
  REQUIRE(m.validate().empty());
  Rng rng(7);
  std::vector<int64_t> xs;
  for (int i = 0; i < 100'000; ++i) xs.push_back(m.sample(rng).ns);
  CHECK(*std::min_element(xs.begin(), xs.end()) >= milliseconds(2).ns);
  std::nth_element(xs.begin(), xs.begin() + 50'000, xs.end());
  const double median = 2e6 * std::pow(2.0, 1 / 1.5);
  CHECK(static_cast<double>(xs[50'000]) == doctest::Approx(median).epsilon(0.02));
  CHECK(m.mean_ns() == doctest::Approx(6e6));
  CHECK(std::isinf(m.variance_ns2()));

  const LatencyModel capped = LatencyModel::pareto(milliseconds(1), 0.5, milliseconds(50));
  int at_cap = 0;
  for (int i = 0; i < 10'000; ++i) {
    const Duration x = capped.sample(rng);
    CHECK(x <= milliseconds(50));
    at_cap += x == milliseconds(50) ? 1 : 0;
  }
  // P(X > 50 x_m) = 50^-0.5 ~ 0.14: the tail piles up at the cap.
  CHECK(at_cap > 1000);
  CHECK(at_cap < 1800);
}

TEST_CASE("latency: a mixture draws its components by weight") {
  const LatencyModel m = LatencyModel::mixture({{9, LatencyModel::constant(milliseconds(1))},
                                                {1, LatencyModel::constant(milliseconds(100))}});
  REQUIRE(m.validate().empty());
  Rng rng(3);
  int slow = 0;
  for (int i = 0; i < 100'000; ++i) slow += m.sample(rng) == milliseconds(100) ? 1 : 0;
  CHECK(slow == doctest::Approx(10'000).epsilon(0.05));
  CHECK(m.mean_ns() == doctest::Approx(10.9e6));
  CHECK(m.variance_ns2() == doctest::Approx(0.09 * 99e6 * 99e6));
}

TEST_CASE("latency: validate() rejects impossible pareto and mixture parameters") {
  CHECK(LatencyModel::pareto(Duration{0}, 1).validate() == "scale must be positive");
  CHECK(LatencyModel::pareto(milliseconds(1), 0).validate() == "shape must be in [0.1, 100]");
  CHECK(LatencyModel::pareto(milliseconds(5), 1, milliseconds(1)).validate() == "max must be >= scale");
  CHECK(LatencyModel::mixture({}).validate() == "a mixture needs at least one component");
  CHECK(LatencyModel::mixture({{0, LatencyModel::constant(milliseconds(1))}}).validate() == "a mixture weight must be positive");
  const LatencyModel inner = LatencyModel::mixture({{1, LatencyModel::constant(milliseconds(1))}});
  CHECK(LatencyModel::mixture({{1, inner}}).validate() == "a mixture component cannot be a mixture");
}

// ---- The network: disconnections, reorder, defaults --------------------------

TEST_CASE("network: disconnections add up and each undo removes only its own") {
  Network net(4, 1, LinkSpec{});
  const NodeId n0{0}, n1{1}, n2{2}, n3{3};
  net.disconnect(n0, 1);
  net.disconnect(n1, 2);
  CHECK_FALSE(net.can_reach(n0, n2));
  CHECK_FALSE(net.can_reach(n2, n1));
  net.reconnect(n0);  // by hand: every disconnection of n0
  CHECK(net.can_reach(n0, n2));
  CHECK_FALSE(net.can_reach(n1, n2));  // n1 still cut off
  // Twice disconnected: back only when both end.
  net.disconnect(n3, 3);
  net.disconnect(n3, 4);
  CHECK(net.reconnect(n3, 3));
  CHECK_FALSE(net.can_reach(n3, n2));
  CHECK_FALSE(net.reconnect(n3, 3));  // already undone
  CHECK(net.reconnect(n3, 4));
  CHECK(net.can_reach(n3, n2));
  CHECK_FALSE(net.whole());
  net.reconnect(n1);
  CHECK(net.whole());
  // A partition and a cut each make the network not whole; undoing one
  // leaves the other.
  net.partition({{n0}});
  net.cut(n1, n2);
  net.clear_partition();
  CHECK(net.can_reach(n0, n1));
  CHECK_FALSE(net.can_reach(n1, n2));
  CHECK_FALSE(net.whole());
  CHECK(net.uncut(n1, n2));
  CHECK_FALSE(net.uncut(n1, n2));
  CHECK(net.whole());
}

TEST_CASE("network: reorder holds some messages back by its delay; probability 0 draws nothing") {
  LinkSpec plain;
  plain.latency = LatencyModel::uniform(milliseconds(1), milliseconds(5));
  LinkSpec off = plain;
  off.reorder = Ratio{0, 1};
  off.reorder_delay = LatencyModel::constant(milliseconds(500));
  Network a(2, 9, plain), b(2, 9, off);
  for (int i = 0; i < 200; ++i) {
    Route ra, rb;
    a.route(Time{0}, NodeId{0}, NodeId{1}, &ra);
    b.route(Time{0}, NodeId{0}, NodeId{1}, &rb);
    CHECK(ra.deliver_at[0] == rb.deliver_at[0]);  // same stream, same fates
  }
  LinkSpec on = plain;
  on.reorder = Ratio{1, 4};
  on.reorder_delay = LatencyModel::constant(milliseconds(500));
  Network c(2, 9, on);
  int held = 0;
  for (int i = 0; i < 4000; ++i) {
    Route r;
    c.route(Time{0}, NodeId{0}, NodeId{1}, &r);
    held += r.deliver_at[0] >= Time{0} + milliseconds(501) ? 1 : 0;
  }
  CHECK(held == doctest::Approx(1000).epsilon(0.1));
}

// ---- Loading, validating and writing back ------------------------------------

TEST_CASE("scenario: role expressions, disconnect, network phases, pareto, mixture, client latency and storage load") {
  const std::string text = std::string(kRaftHead) + R"(storage: {write_latency: 2ms, nodes: {n3: 10ms}}
faults:
  - {at: 1s, partition: [[leader, {random: follower}], rest], for: 1s}
  - {at: 2500ms, disconnect: {all_but: leader}, for: 500ms}
  - {at: 3s, crash: {random: follower}, restart_after: 200ms}
  - {at: 3100ms, disconnect: n1}
  - {at: 3200ms, reconnect: n1}
  - {at: 3300ms, network: {drop: 0.1, reorder: {probability: 0.2, delay: {dist: pareto, scale: 10ms, shape: 1.5, max: 1s}}}, for: 1s}
  - {at: 4500ms, network: {latency: {dist: mixture, of: [{weight: 9, latency: 1ms}, {weight: 1, latency: {dist: uniform, min: 10ms, max: 20ms}}]}}}
)";
  std::string errors;
  auto s = load(text, &errors);
  INFO(errors);
  REQUIRE(s);
  REQUIRE(s->faults.size() == 7);
  const auto& p = s->faults[0];
  CHECK(p.groups.empty());
  REQUIRE(p.group_targets.size() == 1);
  CHECK(p.group_targets[0][0].role == "leader");
  CHECK(p.group_targets[0][1].pick == scenario::Target::Pick::kRandom);
  CHECK(s->faults[1].target.pick == scenario::Target::Pick::kOthers);
  CHECK(s->storage.of(NodeId{2}) == milliseconds(10));
  CHECK(s->storage.of(NodeId{0}) == milliseconds(2));
  CHECK(s->faults[5].network.reorder_delay->kind == LatencyModel::Kind::kPareto);
  CHECK(s->faults[6].network.latency->kind == LatencyModel::Kind::kMixture);

  // Written back, it loads to a scenario that writes the same text.
  const std::string once = scenario::scenario_to_yaml(*s);
  auto again = load(once, &errors);
  INFO(once);
  INFO(errors);
  REQUIRE(again);
  CHECK(scenario::scenario_to_yaml(*again) == once);
  CHECK(once.find("partition: [[leader, {random: follower}]]") != std::string::npos);
  CHECK(once.find("disconnect: {all_but: leader}") != std::string::npos);
  CHECK(once.find("{dist: pareto, scale: 10ms, shape: 1.5, max: 1000ms}") != std::string::npos);
  CHECK(once.find("storage:\n  write_latency: 2ms\n  nodes: {n3: 10ms}") != std::string::npos);
}

TEST_CASE("scenario: client_latency and network reorder load and write back") {
  const std::string text = std::string(kRaftHead).replace(
      std::string(kRaftHead).find("workload: {"), 11, "workload: {client_latency: {dist: exponential, mean: 3ms}, ") +
      "network: {reorder: {probability: 0.05, delay: 200ms}}\n";
  // network appears twice in that text: rebuild it without the first line.
  std::string t2;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("network: {latency", 0) == 0) continue;
    t2 += line + "\n";
  }
  std::string errors;
  auto s = load(t2, &errors);
  INFO(errors);
  REQUIRE(s);
  REQUIRE(s->workload.client_latency);
  CHECK(s->network.reorder == Ratio{5, 100});
  const std::string once = scenario::scenario_to_yaml(*s);
  CHECK(once.find("client_latency: {dist: exponential, mean: 3ms}") != std::string::npos);
  CHECK(once.find("reorder: {probability: 0.05, delay: 200ms}") != std::string::npos);
  auto again = load(once, &errors);
  REQUIRE(again);
  CHECK(scenario::scenario_to_yaml(*again) == once);
}

TEST_CASE("scenario: bad fault targets and new keys are refused at their line and column") {
  struct Case {
    const char* fault;
    const char* want;
  };
  const Case cases[] = {
      {"{at: 1s, crash: boss}", "9:21: unknown node or role 'boss' in 'faults[0].crash' (roles of raft: leader, follower, candidate, pre_candidate)"},
      {"{at: 1s, crash: {random: n1}}", "9:30: 'faults[0].crash.random' must be a role"},
      {"{at: 1s, isolate: {all: follower}}", "9:23: 'faults[0].isolate' hits one node here"},
      {"{at: 1s, partition: [[leader], [leader]]}", "9:37: 'leader' appears twice in the partition"},
      {"{at: 1s, partition: [rest]}", "needs at least one group besides 'rest'"},
      {"{at: 1s, crash: {random: follower, all: leader}}", "takes one of role, random, all or all_but"},
      {"{at: 1s, network: {}}", "changes nothing"},
      {"{at: 1s, network: {drop: 2}}", "9:30: invalid probability"},
      {"{at: 1s, reconnect: n1, for: 1s}", "'for' does not apply to a reconnect fault"},
      {"{at: 1s, network: {latency: {dist: mixture, of: [{weight: 1, latency: {dist: mixture, of: []}}]}}}",
       "a mixture component cannot itself be a mixture"},
      {"{at: 1s, network: {latency: {dist: pareto, scale: 1ms, shape: 0}}}", "shape must be in [0.1, 100]"},
      {"{at: 1s, network: {latency: {dist: pareto, scale: 1ms}}}", "missing required key 'shape'"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.fault);
    std::string errors;
    const auto s = load(std::string(kRaftHead) + "faults:\n  - " + c.fault + "\n", &errors);
    CHECK(!s);
    CAPTURE(errors);
    CHECK(errors.find(c.want) != std::string::npos);
  }
  std::string errors;
  CHECK(!load(std::string(kRaftHead) + "storage: {write_latency: 1ms, nodes: {n9: 1ms}}\n", &errors));
  CHECK(errors.find("unknown node 'n9'") != std::string::npos);
  CHECK(!load(std::string(kRaftHead) + "storage: {write_latncy: 1ms}\n", &errors));
  CHECK(errors.find("write_latency") != std::string::npos);
}

// ---- Resolving targets when the fault fires ----------------------------------

namespace {

// Node i becomes "leader" of epoch (i + 1) at (i + 1) * 100ms and says so
// in a `role` event; the others never hear of it, so every earlier leader
// stays a stale leader of an older term.
struct EpochNode final : Node {
  explicit EpochNode(NodeId self) : self_(self) {}
  void on_start(Context& c) override {
    c.emit("role", {{"role", std::string_view("follower")}, {"term", int64_t{0}}});
    c.set_timer(milliseconds(100) * (self_.value + 1), 1);
  }
  void on_message(Context&, NodeId, const Message&) override {}
  void on_timer(Context& c, TimerId, uint64_t) override {
    leader_ = true;
    c.emit("role", {{"role", std::string_view("leader")}, {"term", static_cast<int64_t>(self_.value + 1)}});
  }
  std::string_view role() const override { return leader_ ? "leader" : "follower"; }
  NodeId self_;
  bool leader_ = false;
};

scenario::Scenario epoch_scenario(const std::string& faults) {
  auto s = load(std::string("version: 1\nname: t\nprotocol: raft\nduration: 1s\nnodes: 4\nchecks: []\nfaults:\n") + faults);
  REQUIRE(s);
  return *s;
}

}  // namespace

TEST_CASE("faults: 'leader' is the leader of the highest epoch, never a stale one of an older term") {
  // At 350ms n1, n2 and n3 all say they lead (terms 1, 2, 3): n3 is the leader.
  // After n3 crashes, n2 (term 2) is the newest one left.
  const auto s = epoch_scenario("  - {at: 350ms, crash: leader}\n  - {at: 360ms, crash: leader}\n");
  const auto lines = run_lines(s, 1, [](NodeId id) { return std::make_unique<EpochNode>(id); });
  const auto crashes = of_kind(lines, "crash");
  REQUIRE(crashes.size() == 2);
  CHECK(crashes[0].find("\"node\":\"n3\"") != std::string::npos);
  CHECK(crashes[1].find("\"node\":\"n2\"") != std::string::npos);
}

TEST_CASE("faults: {all: role}, {all_but: leader} and {random: role} resolve when the fault fires") {
  const auto s = epoch_scenario(
      "  - {at: 50ms, pause: {all: follower}, for: 10ms}\n"
      "  - {at: 250ms, disconnect: {all_but: leader}}\n"
      "  - {at: 260ms, reconnect: {all: follower}}\n"
      "  - {at: 270ms, crash: {random: leader}}\n"
      "  - {at: 280ms, crash: {random: candidate}}\n");
  const auto factory = [](NodeId id) { return std::make_unique<EpochNode>(id); };
  const auto lines = run_lines(s, 1, factory);
  CHECK(of_kind(lines, "pause").size() == 4);  // all four follow at 50ms
  const auto disc = of_kind(lines, "disconnect");
  REQUIRE(disc.size() == 1);
  CHECK(disc[0].find("\"nodes\":\"n1,n3,n4\"") != std::string::npos);  // n2 leads (term 2) at 250ms
  const auto rec = of_kind(lines, "reconnect");
  REQUIRE(rec.size() == 1);
  CHECK(rec[0].find("\"nodes\":\"n3,n4\",\"disconnected\":\"n1\"") != std::string::npos);  // n1 leads (stale) by then
  const auto skipped = of_kind(lines, "fault_skipped");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].find("no node has role candidate") != std::string::npos);
  // The random pick is one of the two leaders, the same one for the same seed.
  const auto crashes = of_kind(lines, "crash");
  REQUIRE(crashes.size() == 1);
  CHECK((crashes[0].find("\"node\":\"n1\"") != std::string::npos || crashes[0].find("\"node\":\"n2\"") != std::string::npos));
  CHECK(of_kind(run_lines(s, 1, factory), "crash") == crashes);
  // Over seeds, both are picked.
  std::set<std::string> picked;
  for (uint64_t seed = 1; seed <= 20; ++seed) picked.insert(of_kind(run_lines(s, seed, factory), "crash")[0].substr(0, 40));
  CHECK(picked.size() == 2);
}

TEST_CASE("faults: the leader cut off with one follower; the majority elects a new leader (raft)") {
  const auto s = load(std::string(kRaftHead) + "faults:\n  - {at: 2s, partition: [[leader, {random: follower}], rest], for: 2s}\n");
  REQUIRE(s);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    CAPTURE(seed);
    const auto lines = run_lines(*s, seed);
    // The leader at 2s: the last `leader` role event before the partition.
    std::string leader;
    const auto part = of_kind(lines, "partition");
    REQUIRE(part.size() == 1);
    for (const auto& l : lines) {
      if (&l == &part[0] || l == part[0]) break;
      if (l.find("\"kind\":\"role\"") != std::string::npos && l.find("\"role\":\"leader\"") != std::string::npos) {
        leader = l.substr(l.find("\"node\":\"") + 8, 2);
      }
    }
    REQUIRE(!leader.empty());
    // groups "a,b|c,d,e": the leader's group has two nodes.
    const auto g = part[0].find("\"groups\":\"") + 10;
    const std::string groups = part[0].substr(g, part[0].find('"', g) - g);
    const std::string first = groups.substr(0, groups.find('|'));
    CHECK(first.size() == 5);
    CHECK(first.find(leader) != std::string::npos);
    // A new leader of a higher term in the majority before the heal.
    bool new_leader = false;
    bool past = false;
    for (const auto& l : lines) {
      if (l == part[0]) past = true;
      if (!past || l.find("\"role\":\"leader\"") == std::string::npos) continue;
      const std::string who = l.substr(l.find("\"node\":\"") + 8, 2);
      if (first.find(who) == std::string::npos) new_leader = true;
    }
    CHECK(new_leader);
    const auto heals = of_kind(lines, "heal");
    REQUIRE(heals.size() == 1);
    CHECK(heals[0].find("\"t\":4000000000") != std::string::npos);
  }
}

// ---- Timed faults undo only themselves ----------------------------------------

TEST_CASE("faults: a timed partition does not heal a later one, a timed cut only its cut, a timed disconnect only its own") {
  const auto s = load(
      "version: 1\nname: t\nprotocol: broadcast\nduration: 3s\nnodes: 4\nchecks: []\nfaults:\n"
      "  - {at: 100ms, partition: [[n1], [n2]], for: 200ms}\n"
      "  - {at: 200ms, partition: [[n3]]}\n"           // replaces the first: its timed end undoes nothing
      "  - {at: 400ms, cut: {from: n1, to: n2}, for: 100ms}\n"
      "  - {at: 450ms, heal: all}\n"                   // the cut's timed end then has nothing to undo
      "  - {at: 600ms, disconnect: n1, for: 300ms}\n"
      "  - {at: 700ms, disconnect: n2}\n"
      "  - {at: 800ms, disconnect: n1, for: 400ms}\n"  // n1 twice
      "  - {at: 1000ms, reconnect: n2}\n"
      "  - {at: 1500ms, cut: {from: n3, to: n4}, for: 100ms}\n"
      "  - {at: 1520ms, partition: [[n4]], for: 10ms}\n");
  REQUIRE(s);
  const auto lines = run_lines(*s, 1);
  std::vector<std::string> net;
  for (const auto& l : lines) {
    for (const char* k : {"partition", "heal", "restore", "cut", "disconnect", "reconnect"}) {
      if (l.find(std::string("\"kind\":\"") + k + "\"") == std::string::npos) continue;
      const auto t = l.find("\"t\":") + 4;
      net.push_back(l.substr(t, l.find(',', t) - t) + " " + k);
    }
  }
  const std::vector<std::string> want = {
      "100000000 partition", "200000000 partition",
      // 300ms: the first partition's end: replaced already, nothing.
      "400000000 cut", "450000000 heal",
      // 500ms: the cut's end: healed already, nothing.
      "600000000 disconnect", "700000000 disconnect", "800000000 disconnect",
      "900000000 reconnect",  // n1's first disconnection ends; the second holds it
      "1000000000 reconnect",  // n2 back; n1 still out
      "1200000000 reconnect", "1200000000 heal",  // n1's second ends: whole again
      "1500000000 cut", "1520000000 partition", "1530000000 restore",  // the cut still splits
      "1600000000 heal"};
  CHECK(net == want);
  const auto rec = of_kind(lines, "reconnect");
  REQUIRE(rec.size() == 3);
  CHECK(rec[0].find("\"nodes\":\"n1\",\"disconnected\":\"n1,n2\"") != std::string::npos);
  CHECK(rec[1].find("\"nodes\":\"n2\",\"disconnected\":\"n1\"") != std::string::npos);
  CHECK(rec[2].find("\"nodes\":\"n1\",\"disconnected\":\"\"") != std::string::npos);
}

TEST_CASE("faults: a disconnected node's messages are lost both ways; reconnecting brings it back") {
  // Broadcast: every node forwards; n1 disconnected from 0 to 1s sends and
  // receives nothing, then catches up.
  const auto s = load(
      "version: 1\nname: t\nprotocol: broadcast\nduration: 2s\nnodes: 3\nchecks: []\n"
      "workload: {broadcasts: 1, from: n2, start: 100ms}\n"
      "faults:\n  - {at: 0s, disconnect: n1}\n  - {at: 1s, reconnect: n1}\n");
  REQUIRE(s);
  const auto lines = run_lines(*s, 1);
  int to_n1_before = 0, to_n1_after = 0;
  for (const auto& l : lines) {
    if (l.find("\"kind\":\"deliver\"") == std::string::npos || l.find("\"node\":\"n1\"") == std::string::npos) continue;
    const auto t = std::stoll(l.substr(l.find("\"t\":") + 4));
    (t < 1'000'000'000 ? to_n1_before : to_n1_after)++;
  }
  CHECK(to_n1_before == 0);
  CHECK(to_n1_after > 0);
  int partition_drops = 0;
  for (const auto& l : of_kind(lines, "drop")) partition_drops += l.find("\"reason\":\"partition\"") != std::string::npos;
  CHECK(partition_drops > 0);
}

// ---- Network phases ---------------------------------------------------------------

TEST_CASE("faults: a network phase changes the defaults for its duration, then restores them") {
  const auto s = load(
      "version: 1\nname: t\nprotocol: broadcast\nduration: 3s\nnodes: 3\nchecks: []\n"
      "network: {latency: 1ms}\nbroadcast: {retransmit: 50ms}\n"
      "workload: {broadcasts: 30, start: 0s, interval: 100ms}\n"
      "faults:\n  - {at: 1s, network: {drop: 1}, for: 1s}\n");
  REQUIRE(s);
  const auto lines = run_lines(*s, 1);
  int loss_in = 0, loss_out = 0;
  for (const auto& l : of_kind(lines, "drop")) {
    if (l.find("\"reason\":\"loss\"") == std::string::npos) continue;
    const auto t = std::stoll(l.substr(l.find("\"t\":") + 4));
    (t >= 1'000'000'000 && t <= 2'000'000'000 ? loss_in : loss_out)++;
  }
  CHECK(loss_in > 0);
  CHECK(loss_out == 0);
  int delivered_in = 0;
  for (const auto& l : of_kind(lines, "deliver")) {
    const auto t = std::stoll(l.substr(l.find("\"t\":") + 4));
    delivered_in += t > 1'001'000'000 && t < 2'000'000'000;
  }
  CHECK(delivered_in == 0);
  const auto phases = of_kind(lines, "network");
  REQUIRE(phases.size() == 2);
  CHECK(phases[0].find("\"changes\":\"drop=1\"") != std::string::npos);
  CHECK(phases[1].find("drop=0 ") != std::string::npos);
}

// ---- Client latency ---------------------------------------------------------------

TEST_CASE("workload: client_latency delays each input after the harness records it; unset, inputs arrive at once") {
  auto lines_for = [](const std::string& extra) {
    const auto s = load("version: 1\nname: t\nprotocol: broadcast\nduration: 1s\nnodes: 3\nchecks: []\n"
                        "workload: {broadcasts: 3, from: n1, start: 100ms, interval: 100ms" + extra + "}\n");
    REQUIRE(s);
    return run_lines(*s, 1);
  };
  auto times = [](const std::vector<std::string>& ls, const std::string& kind) {
    std::vector<int64_t> out;
    for (const auto& l : of_kind(ls, kind)) out.push_back(std::stoll(l.substr(l.find("\"t\":") + 4)));
    return out;
  };
  const auto plain = lines_for("");
  CHECK(times(plain, "harness_input") == times(plain, "input"));
  const auto slow = lines_for(", client_latency: 7ms");
  const auto sent = times(slow, "harness_input"), got = times(slow, "input");
  REQUIRE(sent.size() == 3);
  REQUIRE(got.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(got[i] - sent[i] == 7'000'000);
}

// ---- Storage write latency -----------------------------------------------------

namespace {

// On a message: write, sync, then send to node 1. A second message that
// arrives while it writes waits.
struct Writer final : Node {
  void on_start(Context&) override {}
  void on_message(Context& c, NodeId, const Message& m) override {
    if (c.self() == NodeId{1}) return;
    c.send(NodeId{1}, Message{1, {m.f[0]}, {}});  // before the sync: leaves at once
    c.storage().put("k", "v");
    c.storage().sync();
    c.storage().sync();  // nothing pending: free
    c.send(NodeId{1}, Message{2, {m.f[0]}, {}});  // after: leaves when the write is done
  }
  void on_timer(Context&, TimerId, uint64_t) override {}
};

struct Log final : EventSink {
  std::vector<std::string> lines;
  void event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) override {
    std::string l = std::to_string(t.ns) + " n" + std::to_string(node.value) + " " + std::string(kind);
    for (const auto& f : fields) {
      if (const auto* v = std::get_if<int64_t>(&f.value)) l += " " + std::string(f.key) + "=" + std::to_string(*v);
    }
    lines.push_back(l);
  }
};

std::vector<std::string> run_writer(Duration write_latency) {
  Simulator sim(1);
  LinkSpec spec;
  spec.latency = LatencyModel::constant(milliseconds(1));
  Network net(2, 1, spec);
  sim.set_network(&net);
  Log log;
  sim.set_sink(&log);
  for (const char* name : {"a", "b"}) sim.add_node(name, [](NodeId) { return std::make_unique<Writer>(); });
  sim.set_write_latency(NodeId{0}, write_latency);
  sim.inject(Time{0} + milliseconds(10), NodeId{0}, Message{0, {1}, {}});
  sim.inject(Time{0} + milliseconds(11), NodeId{0}, Message{0, {2}, {}});  // arrives while node 0 writes
  sim.run(Time{0} + seconds(1));
  std::vector<std::string> out;
  for (const auto& l : log.lines) {
    if (l.find(" deliver") != std::string::npos || l.find(" input") != std::string::npos ||
        l.find("storage_write") != std::string::npos || l.find("resume") != std::string::npos) {
      out.push_back(l);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("storage: a durable write keeps the node busy; what it sends after the sync leaves when the write is done") {
  const std::vector<std::string> want = {
      "10000000 n0 input msg=1",
      "10000000 n0 storage_write syncs=1 busy_ns=5000000",
      "11000000 n1 deliver msg=3",  // sent before the sync
      "15000000 n0 input msg=2",    // waited for the write
      "15000000 n0 storage_write syncs=1 busy_ns=5000000",
      "16000000 n1 deliver msg=4",  // sent after the first sync: 10 + 5 + 1
      "16000000 n1 deliver msg=5",
      "21000000 n1 deliver msg=6"};
  CHECK(run_writer(milliseconds(5)) == want);
  // Free by default: no busy time, no storage_write event, nothing waits.
  const std::vector<std::string> free = {"10000000 n0 input msg=1", "11000000 n0 input msg=2", "11000000 n1 deliver msg=3",
                                         "11000000 n1 deliver msg=4", "12000000 n1 deliver msg=5",
                                         "12000000 n1 deliver msg=6"};
  CHECK(run_writer(Duration{0}) == free);
}

TEST_CASE("storage: write latency in a raft scenario slows commits but keeps every check holding") {
  auto run = [](const std::string& extra) {
    const auto s = load(std::string(kRaftHead) + extra);
    REQUIRE(s);
    scenario::RunOptions opt;
    opt.seed = 3;
    return scenario::run_scenario(*s, opt);
  };
  const auto fast = run("");
  const auto slow = run("storage: {write_latency: 4ms}\n");
  CHECK(fast.as_expected);
  CHECK(slow.as_expected);
  CHECK(fast.trace_sha256 != slow.trace_sha256);
  CHECK(run("storage: {write_latency: 0}\n").trace_sha256 == fast.trace_sha256);
}

TEST_CASE("clients: clients.latency sets the client links' latency both ways; servers' links keep the network's") {
  const auto s = load(
      "version: 1\nname: t\nprotocol: raft\nduration: 3s\nnodes: 3\n"
      "network: {latency: 1ms}\nclients: {count: 2, latency: 40ms, think: 10ms}\n");
  REQUIRE(s);
  REQUIRE(s->clients.latency);
  const std::string once = scenario::scenario_to_yaml(*s);
  CHECK(once.find("  latency: 40ms\n") != std::string::npos);
  const auto lines = run_lines(*s, 1);
  // Each send's delivery time minus its send time, by whether a client is on it.
  std::map<std::string, std::pair<int64_t, std::string>> sent;  // msg -> (t, from,to)
  std::set<int64_t> client_gaps, server_gaps;
  for (const auto& l : lines) {
    const auto t = std::stoll(l.substr(l.find("\"t\":") + 4));
    const auto node = l.substr(l.find("\"node\":\"") + 8, 2);
    const auto mpos = l.find("\"msg\":");
    if (mpos == std::string::npos) continue;
    const std::string msg = l.substr(mpos + 6, l.find_first_of(",}", mpos) - mpos - 6);
    if (l.find("\"kind\":\"send\"") != std::string::npos) {
      const auto to = l.substr(l.find("\"to\":\"") + 6, 2);
      sent[msg] = {t, node + to};
    } else if (l.find("\"kind\":\"deliver\"") != std::string::npos && sent.count(msg)) {
      const auto& [t0, ends] = sent[msg];
      (ends.find('c') != std::string::npos ? client_gaps : server_gaps).insert(t - t0);
    }
  }
  CHECK(client_gaps == std::set<int64_t>{40'000'000});
  CHECK(server_gaps == std::set<int64_t>{1'000'000});
}

TEST_CASE("determinism: the new fault kinds give the same trace for the same seed, and seeds differ") {
  for (const char* name : {"raft-leader-plus-one", "raft-disconnect-majority", "raft-unreliable-phases", "raft-slow-disk"}) {
    CAPTURE(name);
    scenario::Diagnostics diag;
    const auto path = std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios/teaching" / (std::string(name) + ".yaml");
    const auto s = scenario::load_scenario_file(dsim::testing::registry(), path.string(), diag);
    REQUIRE(s);
    auto hash = [&](uint64_t seed) {
      scenario::RunOptions opt;
      opt.seed = seed;
      const auto r = scenario::run_scenario(*s, opt);
      CHECK(r.as_expected);
      return r.trace_sha256;
    };
    const std::string a = hash(11);
    CHECK(a == hash(11));
    CHECK(a != hash(12));
  }
}

TEST_CASE("nemesis: disconnect faults stay within max_down, each ends itself, all over by until; replayed as a script they match") {
  const auto s = load(
      "version: 1\nname: t\nprotocol: raft\nduration: 8s\nnodes: 5\n"
      "workload: {requests: 100, start: 500ms, interval: 50ms}\n"
      "nemesis: {faults: [disconnect], interval: [100ms, 300ms], duration: [200ms, 800ms], max_down: 2, until: 5s}\n");
  REQUIRE(s);
  scenario::RunOptions opt;
  opt.seed = 4;
  const auto r = scenario::run_scenario(*s, opt);
  REQUIRE(!r.nemesis_faults.empty());
  const auto lines = run_lines(*s, 4);
  int max_cut = 0;
  int64_t last = 0;
  for (const auto& l : lines) {
    if (l.find("\"kind\":\"disconnect\"") == std::string::npos && l.find("\"kind\":\"reconnect\"") == std::string::npos) continue;
    const auto d = l.find("\"disconnected\":\"") + 16;
    const std::string cut = l.substr(d, l.find('"', d) - d);
    max_cut = std::max(max_cut, cut.empty() ? 0 : static_cast<int>(std::count(cut.begin(), cut.end(), ',')) + 1);
    last = std::stoll(l.substr(l.find("\"t\":") + 4));
  }
  CHECK(max_cut == 2);
  CHECK(last <= 5'000'000'000);
  CHECK(of_kind(lines, "disconnect").size() == of_kind(lines, "reconnect").size());
  // The shrinker's replay: the nemesis's faults as scripted ones.
  scenario::Scenario replay = *s;
  replay.nemesis.reset();
  replay.faults = r.nemesis_faults;
  const auto replayed = run_lines(replay, 4);
  CHECK(of_kind(replayed, "disconnect") == of_kind(lines, "disconnect"));
  CHECK(of_kind(replayed, "reconnect") == of_kind(lines, "reconnect"));
  // And the writer writes it back.
  CHECK(scenario::scenario_to_yaml(*s).find("faults: [disconnect]") != std::string::npos);
}
