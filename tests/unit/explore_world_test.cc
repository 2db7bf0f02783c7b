// The explored model (sim/explore/world.h) with a toy node: which steps are
// enabled, what each does, and what the fingerprint treats as the same
// state.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "sim/explore/world.h"

using namespace dsim;
using explore::StepResult;
using explore::World;
using explore::WorldConfig;
using K = scenario::ScheduleStep::Kind;

namespace {

// Node 0 sends its value to everyone at start; a node that receives one
// stores it (synced) and answers with an ack. Each node keeps two timers:
// a short one (tag 1, 5ms) and a long one (tag 2, 10ms); the short one
// re-arms itself and records the node's clock.
class Toy final : public Cloneable<Toy> {
 public:
  explicit Toy(NodeId self) : self_(self) {}
  void on_start(Context& ctx) override {
    if (self_.value == 0) {
      for (uint32_t i = 1; i < ctx.cluster_size(); ++i) {
        Message m;
        m.type = 1;
        m.f[0] = 42;
        ctx.send(NodeId{i}, m);
      }
    }
    ctx.set_timer(Duration{5'000'000}, 1);
    ctx.set_timer(Duration{10'000'000}, 2);
  }
  void on_recover(Context& ctx) override {
    if (auto v = ctx.storage().get("v")) value_ = std::stoll(*v);
    ctx.set_timer(Duration{5'000'000}, 1);
  }
  void on_message(Context& ctx, NodeId from, const Message& m) override {
    if (m.type == 1) {
      value_ = m.f[0];
      ctx.storage().put("v", std::to_string(value_));
      ctx.storage().sync();
      Message ack;
      ack.type = 2;
      ctx.send(from, ack);
    } else if (m.type == 2) {
      ++acks_;
    } else if (m.type == 9) {
      inputs_.push_back(m.f[0]);
    }
  }
  void on_timer(Context& ctx, TimerId, uint64_t tag) override {
    fired_.push_back(tag);
    last_fire_ = ctx.now();
    if (tag == 1) ctx.set_timer(Duration{5'000'000}, 1);
  }
  void fingerprint(Fingerprint& h) const override { h(value_, acks_, inputs_, fired_.size()); }

  int64_t value_ = 0;
  int acks_ = 0;
  std::vector<int64_t> inputs_;
  std::vector<uint64_t> fired_;
  Time last_fire_{0};

 private:
  NodeId self_;
};

std::shared_ptr<WorldConfig> config(uint32_t n) {
  auto c = std::make_shared<WorldConfig>();
  for (uint32_t i = 0; i < n; ++i) c->names.push_back("n" + std::to_string(i + 1));
  c->factory = [](NodeId id) { return std::make_unique<Toy>(id); };
  c->seed = 7;
  return c;
}

const Toy& toy(const World& w, uint32_t i) { return static_cast<const Toy&>(*w.node(NodeId{i})); }

uint64_t fp(const World& w) {
  Fingerprint h;
  w.fingerprint(h);
  return h.value();
}

scenario::ScheduleStep deliver(uint32_t from, uint32_t to, uint32_t nth) {
  return scenario::ScheduleStep{K::kDeliver, NodeId{from}, NodeId{to}, nth, 0, false, 0};
}
scenario::ScheduleStep timer(uint32_t node, uint64_t tag) {
  return scenario::ScheduleStep{K::kTimer, NodeId{node}, NodeId{}, 0, tag, false, 0};
}
scenario::ScheduleStep simple(K kind, uint32_t node) {
  return scenario::ScheduleStep{kind, NodeId{node}, NodeId{}, 0, 0, false, 0};
}

bool has(const std::vector<scenario::ScheduleStep>& steps, const scenario::ScheduleStep& s) {
  for (const auto& x : steps) {
    if (x == s) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("explore world: enabled steps are every delivery and each node's first-due timer") {
  World w(config(3));
  REQUIRE(w.start().ok());
  std::vector<scenario::ScheduleStep> steps;
  w.enabled(&steps);
  CHECK(has(steps, deliver(0, 1, 1)));
  CHECK(has(steps, deliver(0, 2, 1)));
  CHECK(has(steps, timer(0, 1)));
  CHECK_FALSE(has(steps, timer(0, 2)));  // due after tag 1 on the same node
  CHECK(steps.size() == 2 + 3);          // no budgets: no faults, no inputs
  const StepResult bad = w.apply(timer(0, 2));
  CHECK(bad.kind == StepResult::Kind::kNotEnabled);
  CHECK(bad.text.find("not due first") != std::string::npos);
  CHECK(w.apply(deliver(1, 0, 1)).text == "no message n2 -> n1 #1 in flight");
}

TEST_CASE("explore world: a timer moves only its node's clock, to its due time") {
  World w(config(2));
  REQUIRE(w.start().ok());
  REQUIRE(w.apply(timer(1, 1)).ok());
  CHECK(toy(w, 1).last_fire_ == Time{0} + Duration{5'000'000});
  CHECK(w.local_time(NodeId{0}) == Time{0});
  // Re-armed at 5ms for 5ms: due at 10ms, tied with tag 2, so both may fire.
  std::vector<scenario::ScheduleStep> steps;
  w.enabled(&steps);
  CHECK(has(steps, timer(1, 1)));
  CHECK(has(steps, timer(1, 2)));
  REQUIRE(w.apply(timer(1, 2)).ok());
  CHECK(toy(w, 1).last_fire_ == Time{0} + Duration{10'000'000});
}

TEST_CASE("explore world: a copy goes on exactly as the original") {
  World a(config(3));
  REQUIRE(a.start().ok());
  REQUIRE(a.apply(deliver(0, 1, 1)).ok());
  World b(a);
  CHECK(fp(a) == fp(b));
  REQUIRE(a.apply(deliver(1, 0, 1)).ok());
  CHECK(fp(a) != fp(b));
  REQUIRE(b.apply(deliver(1, 0, 1)).ok());
  CHECK(fp(a) == fp(b));
  CHECK(toy(b, 0).acks_ == 1);
  CHECK(toy(a, 1).value_ == 42);
  // The copy's node is its own: changing one leaves the other.
  REQUIRE(a.apply(deliver(0, 2, 1)).ok());
  CHECK(toy(a, 2).value_ == 42);
  CHECK(toy(b, 2).value_ == 0);
}

TEST_CASE("explore world: the order messages were delivered in does not make states differ when they end the same") {
  World a(config(3)), b(config(3));
  REQUIRE(a.start().ok());
  REQUIRE(b.start().ok());
  REQUIRE(a.apply(deliver(0, 1, 1)).ok());
  REQUIRE(a.apply(deliver(0, 2, 1)).ok());
  REQUIRE(b.apply(deliver(0, 2, 1)).ok());
  REQUIRE(b.apply(deliver(0, 1, 1)).ok());
  // Both acks are in flight, sent in opposite orders.
  CHECK(fp(a) == fp(b));
}

TEST_CASE("explore world: budgets bound faults; a crash keeps synced storage and drops the node's timers") {
  auto c = config(2);
  c->crashes = 1;
  c->restarts = 1;
  c->drops = 1;
  c->duplicates = 1;
  World w(c);
  REQUIRE(w.start().ok());
  std::vector<scenario::ScheduleStep> steps;
  w.enabled(&steps);
  CHECK(has(steps, simple(K::kCrash, 0)));
  CHECK(has(steps, scenario::ScheduleStep{K::kDrop, NodeId{0}, NodeId{1}, 1, 0, false, 0}));
  REQUIRE(w.apply(scenario::ScheduleStep{K::kDuplicate, NodeId{0}, NodeId{1}, 1, 0, false, 0}).ok());
  CHECK(w.in_flight() == 2);
  REQUIRE(w.apply(deliver(0, 1, 1)).ok());
  REQUIRE(w.apply(simple(K::kCrash, 1)).ok());
  w.enabled(&steps);
  CHECK_FALSE(has(steps, simple(K::kCrash, 0)));  // budget spent
  CHECK_FALSE(has(steps, deliver(0, 1, 1)));     // the duplicate waits: n2 is down
  CHECK_FALSE(has(steps, timer(1, 1)));
  CHECK(w.apply(deliver(0, 1, 1)).text.find("which is down") != std::string::npos);
  REQUIRE(w.apply(simple(K::kRestart, 1)).ok());
  CHECK(toy(w, 1).value_ == 42);  // recovered from storage
  w.enabled(&steps);
  CHECK_FALSE(has(steps, simple(K::kRestart, 1)));
  CHECK(has(steps, deliver(0, 1, 1)));
}

TEST_CASE("explore world: workload inputs go in order, to leaders only when asked") {
  auto c = config(2);
  c->inputs = 2;
  c->make_input = [](uint32_t k, uint32_t, Rng&) {
    Message m;
    m.type = 9;
    m.f[0] = 100 + k;
    return m;
  };
  World w(c);
  REQUIRE(w.start().ok());
  REQUIRE(w.apply(simple(K::kInput, 1)).ok());
  REQUIRE(w.apply(simple(K::kInput, 1)).ok());
  CHECK(toy(w, 1).inputs_ == std::vector<int64_t>{100, 101});
  CHECK(w.apply(simple(K::kInput, 0)).kind == StepResult::Kind::kNotEnabled);
  auto leaders = config(2);
  leaders->inputs = 1;
  leaders->make_input = c->make_input;
  leaders->inputs_to_leader = true;  // Toy never leads
  World l(leaders);
  REQUIRE(l.start().ok());
  std::vector<scenario::ScheduleStep> steps;
  l.enabled(&steps);
  CHECK_FALSE(has(steps, simple(K::kInput, 0)));
  CHECK(l.apply(simple(K::kInput, 0)).text == "n1 is not a leader");
}
