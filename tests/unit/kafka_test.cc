// The Kafka-style log: a broker driven one message at a time (acks, the
// high watermark, min.insync.replicas, truncation by leader epoch), the
// checkers on hand-built traces, and the section's validation.
#include <doctest/doctest.h>

#include <algorithm>

#include "catalogue.h"
#include "dsim/fake_host.h"
#include "protocols/kafka/checkers.h"
#include "protocols/kafka/kafka.h"
#include "protocols/kafka/stats.h"
#include "sim/scenario/loader.h"

using namespace dsim;
using analysis::Status;
using dsim::testing::event;

namespace {

// n1 the controller, n2..n4 the brokers b0..b2, n5 the producer, n6 the
// consumer: the default layout for 6 nodes.
constexpr uint32_t kNodes = 6;
const NodeId kController{0}, kB0{1}, kB1{2}, kB2{3}, kProducer{4};

kafka::Config config() {
  kafka::Config c;
  c.producers = {4};
  c.consumers = {5};
  return c;
}

Message msg(uint32_t type, std::array<int64_t, 6> f) {
  Message m;
  m.type = type;
  m.f = f;
  return m;
}

// Broker b0 (n2) under test.
struct Broker {
  FakeHost host{kNodes, kB0};
  std::unique_ptr<Node> node;
  explicit Broker(const kafka::Config& c) : node(kafka::make_node(c, kNodes, kB0)) { node->on_start(host.context()); }
  void deliver(NodeId from, const Message& m) {
    host.clear();
    node->on_message(host.context(), from, m);
  }
  // The controller makes `leader` lead partition 0 in `epoch` with `isr` (a mask of broker indexes).
  void leader_and_isr(NodeId leader, int64_t epoch, int64_t isr, int64_t version = 0) {
    deliver(kController, msg(kafka::kLeaderAndIsr, {0, leader.value, epoch, isr, version, 0}));
  }
  void produce(int64_t id, int64_t acks) { deliver(kProducer, msg(kafka::kProduce, {0, id, id, acks, 0, 0})); }
  const Message* answer(uint32_t type) const {
    for (const auto& s : host.sent) {
      if (s.message.type == type) return &s.message;
    }
    return nullptr;
  }
  bool emitted(std::string_view kind) const {
    return std::any_of(host.emitted.begin(), host.emitted.end(), [&](const auto& e) { return e.kind == kind; });
  }
};

analysis::CheckResult judge(analysis::Checker& c, const std::vector<trace::Event>& events) {
  for (const auto& e : events) c.consume(e);
  return c.finish();
}

}  // namespace

TEST_CASE("kafka: a leader answers acks=1 at once, acks=all once every ISR member fetched the record") {
  Broker b(config());
  b.leader_and_isr(kB0, 1, 0b111);
  CHECK(b.emitted("become_leader"));
  b.produce(1, 1);
  const Message* r = b.answer(kafka::kProduceResponse);
  REQUIRE(r);
  CHECK(r->f[3] == kafka::kOk);
  CHECK(r->f[4] == 0);  // its offset
  b.produce(2, -1);
  CHECK(b.answer(kafka::kProduceResponse) == nullptr);  // waits for the high watermark
  b.deliver(kB1, msg(kafka::kFetch, {0, 2, 1, 1, 0, 0}));
  CHECK(b.answer(kafka::kProduceResponse) == nullptr);  // b2 has not fetched it: the HW is still 0
  b.deliver(kB2, msg(kafka::kFetch, {0, 2, 1, 1, 0, 0}));
  r = b.answer(kafka::kProduceResponse);
  REQUIRE(r);
  CHECK(r->f[1] == 2);
  CHECK(r->f[3] == kafka::kOk);
  CHECK(r->f[4] == 1);
  CHECK(b.emitted("hw"));
}

TEST_CASE("kafka: acks=all is refused while the ISR is smaller than min.insync.replicas") {
  kafka::Config c = config();
  c.min_insync_replicas = 2;
  Broker b(c);
  b.leader_and_isr(kB0, 1, 0b001);
  b.produce(1, -1);
  const Message* r = b.answer(kafka::kProduceResponse);
  REQUIRE(r);
  CHECK(r->f[3] == kafka::kNotEnoughReplicas);
  CHECK_FALSE(b.emitted("append"));
  b.produce(2, 1);  // acks=1 does not look at the ISR
  CHECK(b.emitted("append"));
}

TEST_CASE("kafka: a follower that lags past replica_lag_time_max is proposed out of the ISR") {
  Broker b(config());
  b.leader_and_isr(kB0, 1, 0b111);
  b.produce(1, 1);
  b.host.advance(milliseconds(200));
  b.deliver(kB1, msg(kafka::kFetch, {0, 1, 1, 1, 0, 0}));  // b1 caught up at 200ms; b2 never fetches
  b.host.advance(milliseconds(200));
  const auto* t = b.host.pending(1);  // the heartbeat tick
  REQUIRE(t);
  b.host.clear();
  b.node->on_timer(b.host.context(), t->id, t->tag);
  const Message* alter = b.answer(kafka::kAlterPartition);
  REQUIRE(alter);
  CHECK(alter->f[2] == 0b011);  // b2 out
}

TEST_CASE("kafka: a follower truncates where its log diverges from the new leader's (leader epoch)") {
  Broker b(config());
  b.leader_and_isr(kB0, 1, 0b111);
  for (int64_t i = 1; i <= 3; ++i) b.produce(i, 1);
  b.leader_and_isr(kB1, 2, 0b110, 1);  // deposed: b1 leads epoch 2
  const Message* f = b.answer(kafka::kFetch);
  REQUIRE(f);
  CHECK(f->f[1] == 3);  // its log end
  CHECK(f->f[2] == 1);  // the epoch of its last record
  CHECK(f->f[3] == 2);
  // The new leader has epoch 1 only up to offset 1.
  b.deliver(kB1, msg(kafka::kFetchResponse, {0, 3, 1, kafka::kDiverging, 1, 1}));
  CHECK(b.emitted("truncate"));
  f = b.answer(kafka::kFetch);
  REQUIRE(f);
  CHECK(f->f[1] == 1);
}

TEST_CASE("kafka: planted bug hw_uses_max answers acks=all before any follower has the record") {
  kafka::Config c = config();
  c.bug = kafka::Config::Bug::kHwUsesMax;
  Broker b(c);
  b.leader_and_isr(kB0, 1, 0b111);
  b.produce(1, -1);
  const Message* r = b.answer(kafka::kProduceResponse);
  REQUIRE(r);
  CHECK(r->f[3] == kafka::kOk);
}

TEST_CASE("kafka: consumer_offsets flags a gap, a step back and a read above the high watermark") {
  auto start = event(1, "c", "consumer_start", {{"partition", int64_t{0}}, {"offset", int64_t{0}}});
  auto hw = event(2, "b", "hw", {{"partition", int64_t{0}}, {"hw", int64_t{3}}, {"epoch", int64_t{1}}});
  auto read = [](int64_t t, int64_t o) {
    return event(t, "c", "consume", {{"partition", int64_t{0}}, {"offset", o}, {"msg", o + 1}});
  };
  SUBCASE("in order below the HW, with a reset") {
    kafka::ConsumerOffsets c;
    auto reset = event(6, "c", "consumer_reset", {{"partition", int64_t{0}}, {"from", int64_t{3}}, {"to", int64_t{1}}});
    CHECK(judge(c, {start, hw, read(3, 0), read(4, 1), read(5, 2), reset, read(7, 1)}).status == Status::kHeld);
  }
  SUBCASE("a gap") {
    kafka::ConsumerOffsets c;
    const auto r = judge(c, {start, hw, read(3, 0), read(4, 2)});
    REQUIRE(r.status == Status::kViolated);
    CHECK(r.violation->message.find("a gap of 1") != std::string::npos);
  }
  SUBCASE("backwards") {
    kafka::ConsumerOffsets c;
    CHECK(judge(c, {start, hw, read(3, 0), read(4, 1), read(5, 0)}).status == Status::kViolated);
  }
  SUBCASE("at the HW") {
    kafka::ConsumerOffsets c;
    const auto r = judge(c, {start, hw, read(3, 0), read(4, 1), read(5, 2), read(6, 3)});
    REQUIRE(r.status == Status::kViolated);
    CHECK(r.violation->message.find("high watermark 3") != std::string::npos);
  }
  SUBCASE("nothing read") {
    kafka::ConsumerOffsets c;
    CHECK(judge(c, {start, hw}).status == Status::kInconclusive);
  }
}

namespace {
trace::Event write(int64_t t, const char* node, const char* kind, int64_t o, int64_t epoch, int64_t m) {
  return event(t, node, kind, {{"partition", int64_t{0}}, {"offset", o}, {"epoch", epoch}, {"msg", m}});
}
trace::Event leads(int64_t t, const char* node, int64_t epoch) {
  return event(t, node, "become_leader", {{"partition", int64_t{0}}, {"epoch", epoch}, {"leo", int64_t{0}}, {"hw", int64_t{0}}});
}
trace::Event hw(int64_t t, const char* node, int64_t h, int64_t epoch) {
  return event(t, node, "hw", {{"partition", int64_t{0}}, {"hw", h}, {"epoch", epoch}});
}
trace::Event ack(int64_t t, int64_t m, int64_t o, int64_t epoch) {
  return event(t, "p", "ack", {{"msg", m}, {"partition", int64_t{0}}, {"offset", o}, {"epoch", epoch}, {"acks", std::string("1")}});
}
}  // namespace

TEST_CASE("kafka: replica_prefix flags a committed offset rewritten in a later epoch, not a deposed leader's old-epoch write") {
  const std::vector<trace::Event> base = {
      leads(1, "b1", 1), write(2, "b1", "append", 0, 1, 10), write(3, "b1", "append", 1, 1, 11),
      write(4, "b2", "replicate", 0, 1, 10), write(5, "b2", "replicate", 1, 1, 11), hw(6, "b1", 2, 1)};
  SUBCASE("held") {
    kafka::ReplicaPrefix c;
    CHECK(judge(c, base).status == Status::kHeld);
  }
  SUBCASE("a deposed leader appending in its old epoch") {
    // b2 led epoch 2 and committed offset 2; b1, not yet told, appends there in epoch 1.
    auto events = base;
    for (auto e : {leads(7, "b2", 2), write(8, "b2", "append", 2, 2, 12), write(9, "b3", "replicate", 0, 1, 10),
                   write(9, "b3", "replicate", 1, 1, 11), write(9, "b3", "replicate", 2, 2, 12), hw(10, "b2", 3, 2),
                   write(11, "b1", "append", 2, 1, 99)}) {
      events.push_back(e);
    }
    kafka::ReplicaPrefix c;
    CHECK(judge(c, events).status == Status::kHeld);
  }
  SUBCASE("a new leader writing below the HW") {
    auto events = base;
    events.push_back(leads(7, "b3", 2));
    events.push_back(write(8, "b3", "append", 1, 2, 12));
    kafka::ReplicaPrefix c;
    const auto r = judge(c, events);
    REQUIRE(r.status == Status::kViolated);
    CHECK(r.violation->node == "b3");
  }
  SUBCASE("nothing committed") {
    kafka::ReplicaPrefix c;
    CHECK(judge(c, {leads(1, "b1", 1), write(2, "b1", "append", 0, 1, 10)}).status == Status::kInconclusive);
  }
}

TEST_CASE("kafka: acked_durable judges acknowledged records against the latest leader's log") {
  const std::vector<trace::Event> base = {leads(1, "b1", 1), write(2, "b1", "append", 0, 1, 10), ack(3, 10, 0, 1),
                                          write(4, "b1", "append", 1, 1, 11), ack(5, 11, 1, 1),
                                          write(6, "b2", "replicate", 0, 1, 10)};
  SUBCASE("the new leader lacks an acknowledged record") {
    auto events = base;
    events.push_back(leads(7, "b2", 2));
    kafka::AckedDurable c;
    const auto r = judge(c, events);
    REQUIRE(r.status == Status::kViolated);
    CHECK(r.violation->t_ns == 7);
    CHECK(r.violation->message.find("acks=1") != std::string::npos);
  }
  SUBCASE("held when it has them, even at another offset (a retried send)") {
    auto events = base;
    events.push_back(write(7, "b2", "replicate", 1, 1, 12));
    events.push_back(write(8, "b2", "replicate", 2, 1, 11));
    events.push_back(leads(9, "b2", 2));
    kafka::AckedDurable c;
    CHECK(judge(c, events).status == Status::kHeld);
  }
  SUBCASE("no acknowledgement: inconclusive, never held") {
    kafka::AckedDurable c;
    CHECK(judge(c, {leads(1, "b1", 1), write(2, "b1", "append", 0, 1, 10)}).status == Status::kInconclusive);
  }
}

TEST_CASE("kafka: the section is validated against the node layout") {
  auto error_of = [](const std::string& section) {
    scenario::Diagnostics diag;
    const auto s = scenario::load_scenario_text(
        dsim::testing::registry(),
        "version: 1\nname: k\nprotocol: kafka\nduration: 1s\nnodes: [ctl, b1, b2, p, c]\nkafka: " + section + "\n", "k.yaml",
        diag);
    CHECK_FALSE(s.has_value());
    return diag.render(false);
  };
  CHECK(error_of("{replication_factor: 3}").find("k.yaml:6:") != std::string::npos);
  CHECK(error_of("{replication_factor: 3}").find("more than the 2 broker(s)") != std::string::npos);
  CHECK(error_of("{replication_factor: 2, min_insync_replicas: 3}").find("acks=all could never succeed") != std::string::npos);
  CHECK(error_of("{replication_factor: 2, acks: most}").find("acks") != std::string::npos);
  CHECK(error_of("{replication_factor: 2, producers: [ctl]}").find("cannot also be a producer") != std::string::npos);
  CHECK(error_of("{replication_factor: 2, heartbeat: 1s, session_timeout: 500ms}").find("shorter") != std::string::npos);
  CHECK(error_of("{replication_factor: 2, bug: hw}").find("unknown planted bug 'hw' for kafka") != std::string::npos);
}

TEST_CASE("kafka: the statistics count lost acknowledged records, unclean elections and time without a leader") {
  kafka::KafkaStats s("1", true, 1);
  auto elect = [](int64_t t, const char* leader, int64_t epoch, bool clean) {
    return event(t, "ctl", "elect",
                 {{"partition", int64_t{0}}, {"leader", std::string(leader)}, {"epoch", epoch}, {"isr", std::string(leader)},
                  {"clean", clean}});
  };
  auto produce = [](int64_t t, int64_t m) {
    return event(t, "p", "produce", {{"msg", m}, {"partition", int64_t{0}}, {"attempt", int64_t{0}}});
  };
  for (const auto& e : {elect(0, "b1", 1, true), leads(1, "b1", 1), produce(2, 10), write(2, "b1", "append", 0, 1, 10),
                        ack(3, 10, 0, 1), produce(4, 11), write(4, "b1", "append", 1, 1, 11), ack(5, 11, 1, 1),
                        write(6, "b2", "replicate", 0, 1, 10), elect(100, "", 2, true), elect(400, "b2", 3, false),
                        leads(401, "b2", 3), produce(500, 12), event(1000, "*", "end")}) {
    s.consume(e);
  }
  s.finish();
  const kafka::KafkaReport& r = s.report();
  CHECK(r.sent == 3);
  CHECK(r.acked == 2);
  CHECK(r.acked_lost == 1);  // 11: only b1 had it
  CHECK(r.in_log == 1);
  CHECK(r.elections == 1);  // leaders chosen after the initial assignment: the unclean one
  CHECK(r.unclean_elections == 1);
  CHECK(r.offline_ns == 300);
  const std::string table = kafka::stats_table({{"run", &s}});
  CHECK(table.find("unclean") != std::string::npos);
}

TEST_CASE("kafka: a restarted producer does not take an answer to a request sent before its crash") {
  kafka::Config c = config();
  c.start = milliseconds(1);
  FakeHost host(kNodes, kProducer);
  auto p = kafka::make_node(c, kNodes, kProducer);
  p->on_start(host.context());
  p->on_message(host.context(), kController, msg(kafka::kMetadata, {0, kB0.value, 1, 0, 0, 0}));
  auto fire = [&](uint64_t tag) {
    const auto* t = host.pending(tag);
    REQUIRE(t);
    host.clear();
    p->on_timer(host.context(), t->id, t->tag);
  };
  fire(1);  // record 1 (id 1) as request 1
  REQUIRE(host.sent.size() == 1);
  CHECK(host.sent[0].message.f[1] == 1);
  CHECK(host.sent[0].message.f[2] == 1);
  // Crash: a new incarnation on the same storage sends record 2, again as request 1.
  p = kafka::make_node(c, kNodes, kProducer);
  host.timers.clear();
  p->on_recover(host.context());
  p->on_message(host.context(), kController, msg(kafka::kMetadata, {0, kB0.value, 1, 0, 0, 0}));
  fire(1);
  REQUIRE(host.sent.size() == 1);
  CHECK(host.sent[0].message.f[1] == 2);
  CHECK(host.sent[0].message.f[2] == 1);
  auto acked = [&] {
    return std::any_of(host.emitted.begin(), host.emitted.end(), [](const auto& e) { return e.kind == "ack"; });
  };
  host.clear();
  p->on_message(host.context(), kB0, msg(kafka::kProduceResponse, {0, 1, 1, kafka::kOk, 0, 1}));  // for record 1
  CHECK_FALSE(acked());
  p->on_message(host.context(), kB0, msg(kafka::kProduceResponse, {0, 2, 1, kafka::kOk, 1, 1}));
  CHECK(acked());
}
