// Checkers under `dsim explore`'s API: cloned mid-stream, a copy fed the
// same events reaches the same verdict with the same fingerprint; fed a
// violating event that the other is not, verdicts and fingerprints differ;
// a checker that saw nothing is inconclusive, clone or not; and times that
// only label a violation are not part of a safety checker's fingerprint.
#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analysis/generic_checkers.h"
#include "catalogue.h"
#include "protocols/broadcast/checkers.h"
#include "protocols/paxos/checkers.h"
#include "protocols/raft/checkers.h"

using namespace dsim;
using analysis::Checker;
using analysis::Status;

namespace {

using Fields = std::vector<std::pair<std::string, trace::Value>>;

trace::Event ev(int64_t t, std::string node, std::string kind, Fields fields = {}) {
  return dsim::testing::event(t, std::move(node), std::move(kind), std::move(fields));
}

uint64_t fp(const Checker& c) {
  Fingerprint h;
  c.fingerprint(h);
  return h.value();
}

// The verdict, taken from a copy so that `c` can go on.
Status verdict(const Checker& c) {
  auto copy = c.clone();
  REQUIRE(copy != nullptr);
  return copy->finish().status;
}

void feed(Checker& c, const std::vector<trace::Event>& events) {
  for (const auto& e : events) c.consume(e);
}

struct Case {
  std::function<std::unique_ptr<Checker>()> make;
  std::vector<trace::Event> before;     // fed before the clone
  std::vector<trace::Event> after;      // fed to both after it
  std::vector<trace::Event> violating;  // fed to the original only
  bool safety = true;                   // violated() is set at once
};

// The events shifted by `dt`: the same history at other times.
std::vector<trace::Event> shifted(std::vector<trace::Event> events, int64_t dt) {
  for (auto& e : events) e.t += dt;
  return events;
}

void check(const Case& c) {
  // Nothing happened: inconclusive, never held, for the checker and its copy.
  auto empty = c.make();
  auto empty_copy = empty->clone();
  REQUIRE(empty_copy != nullptr);
  CHECK(empty->finish().status == Status::kInconclusive);
  CHECK(empty_copy->finish().status == Status::kInconclusive);

  auto a = c.make();
  feed(*a, c.before);
  auto b = a->clone();
  REQUIRE(b != nullptr);
  CHECK(fp(*a) == fp(*b));
  feed(*a, c.after);
  feed(*b, c.after);
  CHECK(fp(*a) == fp(*b));
  CHECK(verdict(*a) == Status::kHeld);
  CHECK(verdict(*b) == Status::kHeld);
  // The clone is independent: events fed to the original alone do not
  // reach it.
  feed(*a, c.violating);
  CHECK(verdict(*a) == Status::kViolated);
  CHECK(verdict(*b) == Status::kHeld);
  CHECK(fp(*a) != fp(*b));
  if (c.safety) {
    CHECK(a->violated());
    CHECK_FALSE(b->violated());
    // Times only label a safety violation: the same history at other times
    // has the same fingerprint.
    auto x = c.make();
    auto y = c.make();
    feed(*x, c.before);
    feed(*x, c.after);
    feed(*y, shifted(c.before, 1000));
    feed(*y, shifted(c.after, 5000));
    CHECK(fp(*x) == fp(*y));
  }
}

Fields role(const char* r, int64_t term) { return {{"role", std::string(r)}, {"term", term}}; }
Fields entry(int64_t index, int64_t term, const char* cmd) {
  return {{"index", index}, {"term", term}, {"cmd", std::string(cmd)}};
}
Fields slot_value(int64_t ballot, const char* value) {
  return {{"slot", int64_t{0}}, {"ballot", ballot}, {"value", std::string(value)}};
}

}  // namespace

TEST_CASE("explorable checkers: election_safety") {
  check({[] { return std::make_unique<analysis::ElectionSafety>(); },
         {ev(1, "n1", "role", role("leader", 1))},
         {ev(2, "n2", "role", role("leader", 2))},
         {ev(3, "n3", "role", role("leader", 2))}});
}

TEST_CASE("explorable checkers: log_matching") {
  check({[] { return std::make_unique<analysis::LogMatching>(); },
         {ev(1, "n1", "append", entry(1, 1, "a")), ev(2, "n2", "append", entry(1, 1, "a"))},
         {ev(3, "n1", "append", entry(2, 1, "b"))},
         {ev(4, "n3", "append", entry(1, 2, "z")), ev(5, "n3", "append", entry(2, 1, "b"))}});
}

TEST_CASE("explorable checkers: leader_completeness") {
  check({[] { return std::make_unique<analysis::LeaderCompleteness>(); },
         {ev(1, "n1", "role", role("leader", 1)), ev(2, "n1", "append", entry(1, 1, "a")),
          ev(3, "n2", "append", entry(1, 1, "a")), ev(4, "n1", "commit", {{"index", int64_t{1}}})},
         {ev(5, "n2", "role", role("leader", 2))},
         {ev(6, "n3", "role", role("leader", 3))}});
}

TEST_CASE("explorable checkers: state_machine_safety") {
  check({[] { return std::make_unique<analysis::StateMachineSafety>(); },
         {ev(0, "n1", "start"), ev(0, "n2", "start"), ev(1, "n1", "apply", entry(1, 1, "a"))},
         {ev(2, "n2", "apply", entry(1, 1, "a")), ev(3, "n1", "apply", entry(2, 1, "b"))},
         {ev(4, "n2", "apply", entry(2, 1, "c"))}});
}

TEST_CASE("explorable checkers: paxos_agreement") {
  check({[] { return std::make_unique<analysis::PaxosAgreement>(); },
         {ev(0, "n1", "start"), ev(0, "n2", "start"), ev(0, "n3", "start"),
          ev(1, "n1", "propose", {{"slot", int64_t{0}}, {"value", std::string("x")}}),
          ev(1, "n2", "propose", {{"slot", int64_t{0}}, {"value", std::string("y")}}),
          ev(2, "n1", "accepted", slot_value(101, "x"))},
         {ev(3, "n2", "accepted", slot_value(101, "x")), ev(4, "n3", "accepted", slot_value(101, "x"))},
         {ev(5, "n1", "accepted", slot_value(202, "y")), ev(6, "n2", "accepted", slot_value(202, "y"))}});
}

TEST_CASE("explorable checkers: learner_consistency") {
  check({[] { return std::make_unique<analysis::LearnerConsistency>(); },
         {ev(1, "n1", "learned", slot_value(101, "x"))},
         {ev(2, "n2", "learned", slot_value(101, "x"))},
         {ev(3, "n3", "learned", slot_value(202, "y"))}});
}

TEST_CASE("explorable checkers: no_duplicate_delivery") {
  Fields m = {{"origin", std::string("n1")}, {"seq", int64_t{1}}};
  check({[] { return std::make_unique<analysis::NoDuplicateDelivery>(); },
         {ev(1, "n1", "bdeliver", m)},
         {ev(2, "n2", "bdeliver", m)},
         {ev(3, "n2", "bdeliver", m)}});
  // The same deliveries seen in another order (so other interned ids) are
  // the same state.
  analysis::NoDuplicateDelivery x, y;
  Fields m2 = {{"origin", std::string("n2")}, {"seq", int64_t{1}}};
  x.consume(ev(1, "n1", "bdeliver", m));
  x.consume(ev(2, "n2", "bdeliver", m2));
  y.consume(ev(1, "n2", "bdeliver", m2));
  y.consume(ev(2, "n1", "bdeliver", m));
  CHECK(fp(x) == fp(y));
}

TEST_CASE("explorable checkers: all_delivered (liveness; finish() runs on copies at quiescent states)") {
  Fields m = {{"origin", std::string("n1")}, {"seq", int64_t{1}}};
  // Here the original is the one that completes: the copy, which never
  // hears n3 deliver, is violated once the bound has passed.
  Case c{[] { return std::make_unique<analysis::AllDelivered>(1'000'000'000); },
         {ev(0, "n1", "start"), ev(0, "n2", "start"), ev(0, "n3", "start"),
          ev(1, "n1", "bcast", {{"seq", int64_t{1}}, {"payload", int64_t{7}}}), ev(1, "n1", "bdeliver", m)},
         {ev(2, "n2", "bdeliver", m)},
         {ev(3, "n3", "bdeliver", m)},
         false};
  auto a = c.make();
  auto empty = a->clone();
  CHECK(empty->finish().status == Status::kInconclusive);
  feed(*a, c.before);
  auto b = a->clone();
  feed(*a, c.after);
  feed(*b, c.after);
  CHECK(fp(*a) == fp(*b));
  feed(*a, c.violating);
  CHECK(fp(*a) != fp(*b));
  const auto late = ev(5'000'000'000, "n1", "tick");  // the run goes on past the bound
  a->consume(late);
  b->consume(late);
  CHECK(verdict(*a) == Status::kHeld);
  CHECK(verdict(*b) == Status::kViolated);
}

TEST_CASE("explorable checkers: linearizable (generic)") {
  auto op = [](int64_t t, const char* type, int64_t process, const char* f, std::optional<int64_t> value) {
    Fields fields = {{"process", process}, {"f", std::string(f)}, {"key", std::string("k")}};
    if (value) fields.emplace_back("value", *value);
    return ev(t, "c1", type, fields);
  };
  analysis::CheckSpec spec;
  spec.name = "linearizable";
  check({[spec] { return analysis::make_generic_checker(spec); },
         {op(1, "invoke", 0, "write", 1), op(2, "ok", 0, "write", 1)},
         {op(3, "invoke", 1, "read", std::nullopt), op(4, "ok", 1, "read", 1)},
         {op(5, "invoke", 1, "read", std::nullopt), op(6, "ok", 1, "read", 2)},
         false});
  // Events other than the clients' do not change its fingerprint.
  auto c = analysis::make_generic_checker(spec);
  const uint64_t before = fp(*c);
  c->consume(ev(1, "n1", "role", role("leader", 1)));
  CHECK(fp(*c) == before);
  c->consume(op(2, "invoke", 0, "read", std::nullopt));
  CHECK(fp(*c) != before);
}

TEST_CASE("explorable checkers: paxos_liveness (a copy finishes on its own)") {
  auto a = std::make_unique<analysis::PaxosLiveness>(1'000'000'000);
  auto empty = a->clone();
  REQUIRE(empty != nullptr);
  feed(*a, {ev(0, "n1", "start"), ev(0, "n2", "start"), ev(0, "n3", "start"),
            ev(1, "n1", "accepted", slot_value(101, "x"))});
  auto b = a->clone();
  CHECK(fp(*a) == fp(*b));
  a->consume(ev(2, "n2", "accepted", slot_value(101, "x")));  // chosen, on the original only
  CHECK(fp(*a) != fp(*b));
  const auto late = ev(5'000'000'000, "n1", "tick");
  a->consume(late);
  b->consume(late);
  CHECK(verdict(*a) == Status::kHeld);
  CHECK(verdict(*b) == Status::kViolated);
  // Nothing happened, and the run ended before the bound: not held.
  CHECK(empty->finish().status == Status::kInconclusive);
}
