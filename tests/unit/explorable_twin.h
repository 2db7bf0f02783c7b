// Drives a node and its clone side by side, for the explorable_*_test.cc
// tests: `orig` runs on host `a`; split() clones it into `copy` on host `b`,
// which starts as a copy of a's storage, random stream, clock and timers,
// except that the TimerIds b hands out from then on are `offset` higher
// than a's. Every step after that goes to both, and check_same() requires
// the same sends, the same timers (delay, tag, cancelled; not ids) and
// equal fingerprints. A fired timer is marked cancelled (no longer pending).
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>

#include "dsim/fake_host.h"
#include "dsim/node.h"

namespace dsim::testing {

inline uint64_t fingerprint_of(const Node& n, Time origin = Time{0}) {
  Fingerprint h;
  h.set_time_origin(origin);
  n.fingerprint(h);
  return h.value();
}

class Twin {
 public:
  Twin(std::unique_ptr<Node> node, uint32_t nodes, NodeId self = NodeId{0}, uint64_t seed = 1)
      : a(nodes, self, seed), b(nodes, self, seed), self_(self), orig(std::move(node)) {}

  FakeHost a, b;

 private:
  NodeId self_;

 public:
  std::unique_ptr<Node> orig, copy;

  uint64_t fp_orig() const { return fingerprint_of(*orig, a.local_time(self_)); }
  uint64_t fp_copy() const { return fingerprint_of(*copy, b.local_time(self_)); }

  void start() { orig->on_start(a.context()); }
  // Before split(): a step on the original only.
  void message_orig(NodeId from, const Message& m) { orig->on_message(a.context(), from, m); }
  void fire_orig(size_t i) {
    const FakeHost::Timer t = a.timers.at(i);
    REQUIRE_FALSE(t.cancelled);
    a.advance(t.after);
    a.timers[i].cancelled = true;  // fired: no longer pending
    orig->on_timer(a.context(), t.id, t.tag);
  }

  void split(uint64_t offset = 5) {
    copy = orig->clone();
    REQUIRE(copy != nullptr);
    REQUIRE(fp_copy() == fp_orig());
    for (uint64_t i = 0; i < a.timers.size() + offset; ++i) b.set_timer(self_, Duration{1}, 0);
    b.timers = a.timers;
    b.rng(self_) = a.rng(self_);
    b.storage(self_) = a.storage(self_);
    b.set_time(a.local_time(self_));
    a.clear();
    b.clear();
  }

  // After split(): the same step on both, then check_same().
  void message(NodeId from, const Message& m) {
    a.clear();
    b.clear();
    orig->on_message(a.context(), from, m);
    copy->on_message(b.context(), from, m);
    check_same();
  }
  // Fires timer i (an index into a.timers, the same as b's) on both.
  void fire(size_t i) {
    const FakeHost::Timer ta = a.timers.at(i);
    const FakeHost::Timer tb = b.timers.at(i);
    REQUIRE_FALSE(ta.cancelled);
    a.clear();
    b.clear();
    a.advance(ta.after);
    b.advance(tb.after);
    a.timers[i].cancelled = true;  // fired: no longer pending
    b.timers[i].cancelled = true;
    orig->on_timer(a.context(), ta.id, ta.tag);
    copy->on_timer(b.context(), tb.id, tb.tag);
    check_same();
  }
  // The index of the newest pending timer with `tag` (REQUIRES: one).
  size_t pending(uint64_t tag) const {
    const FakeHost::Timer* t = a.pending(tag);
    REQUIRE(t != nullptr);
    return static_cast<size_t>(t - a.timers.data());
  }

  void check_same() const {
    REQUIRE(a.sent.size() == b.sent.size());
    for (size_t i = 0; i < a.sent.size(); ++i) {
      CHECK(a.sent[i].to == b.sent[i].to);
      CHECK(a.sent[i].message.type == b.sent[i].message.type);
      CHECK(a.sent[i].message.f == b.sent[i].message.f);
      CHECK(a.sent[i].message.body == b.sent[i].message.body);
    }
    REQUIRE(a.timers.size() == b.timers.size());
    for (size_t i = 0; i < a.timers.size(); ++i) {
      CHECK(a.timers[i].after == b.timers[i].after);
      CHECK(a.timers[i].tag == b.timers[i].tag);
      CHECK(a.timers[i].cancelled == b.timers[i].cancelled);
    }
    REQUIRE(a.emitted.size() == b.emitted.size());
    for (size_t i = 0; i < a.emitted.size(); ++i) CHECK(a.emitted[i].kind == b.emitted[i].kind);
    Fingerprint sa, sb;
    a_storage().fingerprint(sa);
    b_storage().fingerprint(sb);
    CHECK(sa.value() == sb.value());
    CHECK(fp_orig() == fp_copy());
  }
  // Whether a timer set after split() has a different id on the two hosts.
  bool ids_differ() const { return !a.timers.empty() && a.timers.back().id != b.timers.back().id; }

 private:
  const Storage& a_storage() const { return const_cast<FakeHost&>(a).storage(self_); }
  const Storage& b_storage() const { return const_cast<FakeHost&>(b).storage(self_); }
};

}  // namespace dsim::testing
