// The broadcast node under `dsim explore`'s API: a clone continues as the
// original does, and the fingerprint follows what is still to be sent and
// (with volatile_dedup) what was delivered.
#include <doctest/doctest.h>

#include "explorable_twin.h"
#include "protocols/broadcast/broadcast.h"

using namespace dsim;
using dsim::testing::fingerprint_of;
using dsim::testing::Twin;

namespace {

constexpr uint64_t kRetransmit = 1;

Message msg(uint32_t type, int64_t f0, int64_t f1 = 0, int64_t f2 = 0) {
  Message m;
  m.type = type;
  m.f[0] = f0;
  m.f[1] = f1;
  m.f[2] = f2;
  return m;
}

}  // namespace

TEST_CASE("explorable broadcast: a clone replays the original; acks and broadcasts change the fingerprint") {
  Twin t(broadcast::make_node(broadcast::Config{}), 3);
  t.start();
  const uint64_t fresh = t.fp_orig();
  t.message_orig(kExternal, msg(broadcast::kRequest, 7));  // seq 1 to n2 and n3, retransmit armed
  REQUIRE(t.a.sent.size() == 2);
  CHECK(t.fp_orig() != fresh);
  t.split();

  const uint64_t before_ack = t.fp_orig();
  t.message(NodeId{1}, msg(broadcast::kAck, 0, 1));
  CHECK(t.fp_orig() != before_ack);
  // A duplicate ack changes nothing.
  const uint64_t acked = t.fp_orig();
  t.message(NodeId{1}, msg(broadcast::kAck, 0, 1));
  CHECK(t.fp_orig() == acked);
  // The retransmit timer fires on both: only n3 is sent seq 1 again.
  t.fire(t.pending(kRetransmit));
  REQUIRE(t.a.sent.size() == 1);
  CHECK(t.a.sent[0].to == NodeId{2});
  CHECK(t.ids_differ());
  // n2's own broadcast arrives: delivered (in storage) and acknowledged.
  t.message(NodeId{1}, msg(broadcast::kData, 1, 1, 9));
  t.message(NodeId{2}, msg(broadcast::kAck, 0, 1));
  // Nothing left to send: the timer that fires next re-arms nothing.
  t.fire(t.pending(kRetransmit));
  CHECK(t.a.sent.empty());
  CHECK(t.a.pending(kRetransmit) == nullptr);

  // Deep copy: the original alone broadcasts again.
  const uint64_t copy_before = t.fp_copy();
  t.orig->on_message(t.a.context(), kExternal, msg(broadcast::kRequest, 8));
  CHECK(t.fp_copy() == copy_before);
  CHECK(t.fp_orig() != copy_before);
}

TEST_CASE("explorable broadcast: with volatile_dedup what was delivered is node state, so it is hashed") {
  broadcast::Config cfg;
  cfg.bug = broadcast::Config::Bug::kVolatileDedup;
  FakeHost host(3);
  auto n = broadcast::make_node(cfg);
  n->on_start(host.context());
  const uint64_t fresh = fingerprint_of(*n);
  n->on_message(host.context(), NodeId{1}, msg(broadcast::kData, 1, 1, 5));
  CHECK(fingerprint_of(*n) != fresh);
  CHECK(host.storage(NodeId{0}).get("d/1/1") == std::nullopt);  // memory only
  auto copy = n->clone();
  REQUIRE(copy != nullptr);
  CHECK(fingerprint_of(*copy) == fingerprint_of(*n));
}
