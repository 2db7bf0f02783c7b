// Storage's record log, and Raft's durable log, snapshots and log
// compaction built on it (Raft paper, section 7 and Figure 13): a snapshot
// at the threshold, recovery from it, InstallSnapshot to a follower behind
// a compacted leader, and a crash that loses a snapshot not yet synced.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "catalogue.h"
#include "dsim/kv.h"
#include "dsim/node.h"
#include "dsim/prng.h"
#include "dsim/storage.h"
#include "protocols/raft/kv_machine.h"
#include "protocols/raft/raft.h"
#include "sim/core/simulator.h"
#include "sim/net/network.h"

using namespace dsim;

namespace {

// The record log as the contract states it: visible records from a begin
// position, and a durable copy that sync() takes and a crash restores.
struct LogModel {
  uint64_t begin = 0;
  std::vector<std::string> recs;  // positions begin .. begin + size
  uint64_t end() const { return begin + recs.size(); }
};

void expect_same(const Storage& st, const LogModel& m) {
  REQUIRE(st.log_begin() == m.begin);
  REQUIRE(st.log_end() == m.end());
  std::string all;
  for (uint64_t p = m.begin; p < m.end(); ++p) {
    REQUIRE(st.log_record(p) == m.recs[p - m.begin]);
    all += m.recs[p - m.begin];
  }
  // Consecutive records as one view: the whole log, and the log without
  // its first and last record.
  REQUIRE(st.log_records(m.begin, m.end()) == all);
  REQUIRE(st.log_records(m.end(), m.end()).empty());
  if (m.recs.size() >= 2) {
    const size_t inner = all.size() - m.recs.front().size() - m.recs.back().size();
    REQUIRE(st.log_records(m.begin + 1, m.end() - 1) == all.substr(m.recs.front().size(), inner));
  }
}

}  // namespace

TEST_CASE("storage record log: appends, truncations and compactions are visible at once, durable on sync, undone by a crash that loses unsynced writes") {
  Storage st;
  LogModel visible, durable;
  Rng rng(11);
  uint64_t syncs = 0;
  for (int step = 0; step < 40000; ++step) {
    const uint64_t op = rng.below(100);
    if (op < 55) {
      const std::string r = std::string(rng.below(30), 'r') + std::to_string(step);
      st.log_append(r);
      visible.recs.push_back(r);
    } else if (op < 65 && !visible.recs.empty()) {
      const uint64_t end = visible.begin + rng.below(visible.recs.size() + 1);
      st.log_truncate(end);
      visible.recs.resize(end - visible.begin);
    } else if (op < 72) {
      // Compaction, sometimes past the end (a snapshot newer than the log).
      const uint64_t to = visible.begin + rng.below(visible.recs.size() + 4);
      st.log_compact(to);
      if (to <= visible.end()) {
        visible.recs.erase(visible.recs.begin(), visible.recs.begin() + static_cast<std::ptrdiff_t>(to - visible.begin));
      } else {
        visible.recs.clear();
      }
      visible.begin = to;
    } else if (op < 90) {
      st.sync();
      durable = visible;
      ++syncs;
    } else if (op < 95) {
      st.on_crash(/*lose_unsynced=*/true);
      visible = durable;
      CHECK(st.unsynced() == 0);
    } else {
      st.on_crash(/*lose_unsynced=*/false);
      durable = visible;
    }
    expect_same(st, visible);
  }
  CHECK(syncs > 1000);
  CHECK(st.writing_syncs() > 0);
}

TEST_CASE("storage record log: unsynced log writes are counted and fingerprinted; a sync with only log writes is a writing sync") {
  Storage a, b;
  a.log_append("x");
  CHECK(a.unsynced() == 1);
  Fingerprint fa, fb;
  a.fingerprint(fa);
  b.fingerprint(fb);
  CHECK(fa.value() != fb.value());
  a.sync();
  CHECK(a.unsynced() == 0);
  CHECK(a.writing_syncs() == 1);
  a.sync();  // nothing pending: free
  CHECK(a.writing_syncs() == 1);
  // Same visible log, one synced and one not: different states.
  b.log_append("x");
  Fingerprint fa2, fb2;
  a.fingerprint(fa2);
  b.fingerprint(fb2);
  CHECK(fa2.value() != fb2.value());
  b.sync();
  Fingerprint fa3, fb3;
  a.fingerprint(fa3);
  b.fingerprint(fb3);
  CHECK(fa3.value() == fb3.value());
}

TEST_CASE("storage record log: allocated on first use; a never-used log fingerprints as an empty one; copies are deep") {
  // An idle node's storage does not carry the log's buffers (the engine's
  // memory per idle node counts them).
  CHECK(sizeof(Storage) <= 160);
  Storage fresh, used;
  CHECK(fresh.log_begin() == 0);
  CHECK(fresh.log_end() == 0);
  CHECK(fresh.unsynced() == 0);
  fresh.log_truncate(0);  // nothing to do, and no allocation needed
  fresh.log_compact(0);
  used.log_append("x");
  used.on_crash(/*lose_unsynced=*/true);  // allocated, and empty again
  Fingerprint f_fresh, f_used;
  fresh.fingerprint(f_fresh);
  used.fingerprint(f_used);
  CHECK(f_fresh.value() == f_used.value());

  Storage a;
  a.log_append("one");
  a.sync();
  Storage b = a;
  b.log_append("two");
  CHECK(a.log_end() == 1);
  CHECK(b.log_end() == 2);
  CHECK(b.log_record(0) == "one");
  a.log_truncate(0);
  CHECK(b.log_record(0) == "one");
  b = fresh;
  CHECK(b.log_end() == 0);
  Fingerprint f_b;
  b.fingerprint(f_b);
  CHECK(f_b.value() == f_fresh.value());
  b = a;
  CHECK(b.log_end() == 0);
  CHECK(b.unsynced() == 1);  // a's truncation, not yet synced, came along
  b.on_crash(/*lose_unsynced=*/true);
  CHECK(b.log_end() == 1);
  CHECK(b.log_record(0) == "one");
}

TEST_CASE("storage record log: a record appended as head + tail is the concatenation") {
  Storage st;
  st.log_append("head:", "tail");
  st.log_append("", "");
  st.log_append("whole");
  REQUIRE(st.log_end() == 3);
  CHECK(st.log_record(0) == "head:tail");
  CHECK(st.log_record(1).empty());
  CHECK(st.log_record(2) == "whole");
  CHECK(st.unsynced() == 3);
  CHECK(st.log_records(0, 3) == "head:tailwhole");
  CHECK(st.log_records(1, 3) == "whole");
  CHECK(st.log_records(0, 0).empty());
  // Compacted records are gone from the view, synced or not.
  st.log_compact(2);
  CHECK(st.log_records(2, 3) == "whole");
  st.sync();
  CHECK(st.log_records(2, 3) == "whole");
}

TEST_CASE("KvMachine: key=value commands land in the machine's own store after restores, copies and client writes") {
  raft::Config cfg;
  raft::RaftNode raft(cfg);  // a follower: nothing is answered
  Context ctx(nullptr, NodeId{0});  // "key=value" commands reach neither the node nor the world
  int64_t index = 0;
  auto put = [&](raft::KvMachine& m, const std::string& cmd) { m.apply_entry(raft, ctx, LogIndex{++index}, raft::Entry{Term{1}, 0, cmd}); };
  raft::KvMachine a(cfg);
  std::map<std::string, std::string> model;
  // Enough keys for the index to grow several times, overwritten twice.
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 100; ++k) {
      const std::string key = "key" + std::to_string(k * 7919 % 1000);
      const std::string value = std::to_string(round * 1000 + k);
      put(a, key + "=" + value);
      model[key] = value;
    }
    REQUIRE(a.kv() == model);
  }
  put(a, "=empty key");
  put(a, "no equals sign: ignored");
  model[""] = "empty key";
  CHECK(a.kv() == model);

  // restore() frees every node the index pointed to, also when the store
  // has as many keys afterwards as before.
  raft::KvMachine one(cfg);
  put(one, "k=1");
  one.restore(raft, ctx, "1:j1:z");
  put(one, "j=2");
  CHECK(one.kv() == std::map<std::string, std::string>{{"j", "2"}});
  a.restore(raft, ctx, "3:key1:z");
  put(a, "key=after restore");
  CHECK(a.kv() == std::map<std::string, std::string>{{"key", "after restore"}});

  // A copy writes into its own map, never into the original's.
  raft::KvMachine b(a);
  put(b, "key=in the copy");
  CHECK(a.kv().at("key") == "after restore");
  CHECK(b.kv().at("key") == "in the copy");
  b = a;
  put(b, "key=assigned");
  CHECK(a.kv().at("key") == "after restore");
  CHECK(b.kv().at("key") == "assigned");

  // A client write (kv::apply) adds a key behind the index's back; a later
  // "key=value" command for it updates it.
  kv::Request r;
  r.op = kv::kWrite;
  r.id = 5;
  r.key = "client";
  r.value = "v1";
  const Message m = kv::encode_request(r);
  const std::string cmd = "@1 " + std::to_string(m.f[0]) + " " + std::to_string(m.f[1]) + " " + m.body;
  a.apply_entry(raft, ctx, LogIndex{++index}, raft::Entry{Term{1}, 7, cmd});
  CHECK(a.kv().at("client") == "v1");
  put(a, "client=v2");
  CHECK(a.kv().at("client") == "v2");
  CHECK(a.kv().size() == 2);
}

namespace {

// Raft events with their integer fields, in order.
struct Ev {
  int64_t t;
  uint32_t node;
  std::string kind;
  std::map<std::string, int64_t> f;
};

struct Sink : EventSink {
  std::vector<Ev> events;
  void event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) override {
    if (kind != "snapshot" && kind != "install_snapshot" && kind != "recover" && kind != "apply" && kind != "role") return;
    Ev e{t.ns, node.value, std::string(kind), {}};
    for (const Field& f : fields) {
      if (const auto* v = std::get_if<int64_t>(&f.value)) e.f[std::string(f.key)] = *v;
    }
    events.push_back(std::move(e));
  }
  bool wants(std::string_view kind) override {
    return kind != "send" && kind != "deliver" && kind != "timer" && kind != "input";
  }
  std::vector<Ev> of(std::string_view kind, uint32_t node) const {
    std::vector<Ev> out;
    for (const Ev& e : events) {
      if (e.kind == kind && e.node == node) out.push_back(e);
    }
    return out;
  }
};

// Three KV Raft nodes on a 1 ms network, snapshots every 20 entries.
struct Cluster {
  Simulator sim{3};
  net::Network net;
  Sink sink;
  std::vector<raft::RaftNode*> nodes{3, nullptr};
  int64_t next_req = 1;

  explicit Cluster(uint64_t snapshot_every = 20) : net(3, 3, link()) {
    sim.set_network(&net);
    sim.set_sink(&sink);
    raft::Config cfg;
    cfg.snapshot_every = snapshot_every;
    for (uint32_t i = 0; i < 3; ++i) {
      sim.add_node("n" + std::to_string(i + 1), [this, cfg, i](NodeId) {
        auto n = std::make_unique<raft::RaftNode>(cfg, std::make_unique<raft::KvMachine>(cfg));
        nodes[i] = n.get();
        return n;
      });
    }
    run_for(seconds(2));
  }
  static net::LinkSpec link() {
    net::LinkSpec s;
    s.latency = net::LatencyModel::constant(milliseconds(1));
    return s;
  }
  void run_for(Duration d) { sim.run(sim.now() + d); }
  int leader() const {
    for (uint32_t i = 0; i < 3; ++i) {
      if (sim.is_up(NodeId{i}) && nodes[i]->is_leader()) return static_cast<int>(i);
    }
    return -1;
  }
  // `count` client writes to the leader, 5 ms apart, then 1 s to settle.
  void write(int count) {
    const int l = leader();
    REQUIRE(l >= 0);
    for (int k = 0; k < count; ++k) {
      Message m;
      m.type = raft::kClientRequest;
      m.f[0] = next_req;
      m.body = "k" + std::to_string(next_req % 7) + "=" + std::to_string(next_req);
      ++next_req;
      sim.inject(sim.now() + milliseconds(5 * (k + 1)), NodeId{static_cast<uint32_t>(l)}, m);
    }
    run_for(milliseconds(5 * count) + seconds(1));
  }
  const std::map<std::string, std::string>& kv(int i) const { return nodes[static_cast<size_t>(i)]->kv(); }
};

}  // namespace

TEST_CASE("raft snapshot: taken when snapshot_every entries have been applied, then the log is compacted with a margin") {
  Cluster c;
  const int l = c.leader();
  REQUIRE(l >= 0);
  c.write(15);  // no-op + 15 entries: 16 applied, below the threshold
  for (uint32_t i = 0; i < 3; ++i) CHECK(c.sink.of("snapshot", i).empty());
  c.write(10);  // 26 applied: one snapshot at 20 on every node
  for (uint32_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    const auto snaps = c.sink.of("snapshot", i);
    REQUIRE(snaps.size() == 1);
    CHECK(snaps[0].f.at("index") == 20);
    CHECK(snaps[0].f.at("term") == c.nodes[i]->term().value);
    CHECK(c.nodes[i]->snapshot_index() == LogIndex{20});
    CHECK(c.nodes[i]->base_index() == LogIndex{10});  // the margin: snapshot_every / 2 entries stay
    CHECK(c.nodes[i]->last_index() == LogIndex{26});  // the logical log is unchanged
    CHECK(c.nodes[i]->log().size() == 16);
    CHECK(c.sim.storage(NodeId{i}).log_begin() == 10);
    CHECK(c.sim.storage(NodeId{i}).log_end() == 26);
    CHECK(c.kv(static_cast<int>(i)) == c.kv(l));
  }
  CHECK(c.kv(l).size() == 7);
}

TEST_CASE("raft snapshot: a restarted node restores its state machine from the snapshot and applies from snapshot + 1") {
  Cluster c;
  c.write(45);  // 46 applied: snapshots at 20 and 40
  const int l = c.leader();
  const uint32_t f = static_cast<uint32_t>((l + 1) % 3);
  REQUIRE(c.nodes[f]->snapshot_index() == LogIndex{40});
  const auto before = c.kv(static_cast<int>(f));
  c.sim.crash(NodeId{f}, /*lose_unsynced=*/true);
  c.sim.restart(NodeId{f});
  const auto rec = c.sink.of("recover", f);
  REQUIRE(rec.size() == 1);
  CHECK(rec[0].f.at("snapshot") == 40);
  CHECK(rec[0].f.at("log_len") == 46);
  // Before any leader contact: the machine holds the snapshot's state.
  CHECK(c.nodes[f]->applied_index() == LogIndex{40});
  CHECK(c.nodes[f]->commit_index() == LogIndex{40});
  CHECK(!c.kv(static_cast<int>(f)).empty());
  const size_t applies_before = c.sink.of("apply", f).size();
  c.write(3);
  const auto applies = c.sink.of("apply", f);
  REQUIRE(applies.size() > applies_before);
  CHECK(applies[applies_before].f.at("index") == 41);  // not 1
  CHECK(c.kv(static_cast<int>(f)) == c.kv(l));
  CHECK(c.kv(static_cast<int>(f)) != before);  // it did apply the new writes
}

TEST_CASE("raft InstallSnapshot: a follower far behind a compacted leader catches up from the snapshot, then applies the same commands") {
  Cluster c;
  const int l = c.leader();
  const uint32_t f = static_cast<uint32_t>((l + 1) % 3);
  c.write(5);
  c.sim.crash(NodeId{f}, /*lose_unsynced=*/false);
  c.write(60);  // the leader snapshots at 20, 40, 60 and compacts to 50
  REQUIRE(c.nodes[static_cast<size_t>(l)]->base_index() > LogIndex{6});
  c.sim.restart(NodeId{f});
  c.run_for(seconds(1));
  const auto inst = c.sink.of("install_snapshot", f);
  REQUIRE(inst.size() == 1);
  CHECK(inst[0].f.at("index") == 60);
  CHECK(c.nodes[f]->snapshot_index() == LogIndex{60});
  CHECK(c.nodes[f]->base_index() == LogIndex{60});
  CHECK(c.kv(static_cast<int>(f)) == c.kv(l));
  // The install comes before any later apply, which continues at index + 1.
  size_t at = 0;
  for (size_t i = 0; i < c.sink.events.size(); ++i) {
    if (c.sink.events[i].kind == "install_snapshot" && c.sink.events[i].node == f) at = i;
  }
  c.write(4);
  std::vector<int64_t> after;
  for (size_t i = at; i < c.sink.events.size(); ++i) {
    if (c.sink.events[i].kind == "apply" && c.sink.events[i].node == f) after.push_back(c.sink.events[i].f.at("index"));
  }
  // The leader's entries after its snapshot (61..66), then the 4 writes.
  REQUIRE(after.size() == 10);
  for (size_t i = 0; i < after.size(); ++i) CHECK(after[i] == 61 + static_cast<int64_t>(i));
  CHECK(c.nodes[f]->last_index() == c.nodes[static_cast<size_t>(l)]->last_index());
  CHECK(c.kv(static_cast<int>(f)) == c.kv(l));
  // Its storage holds only what the snapshot does not.
  CHECK(c.sim.storage(NodeId{f}).log_begin() == 60);
}

TEST_CASE("raft snapshot: a crash that loses unsynced writes right after a snapshot recovers the previous consistent state") {
  Cluster c;
  const int l = c.leader();
  const uint32_t f = static_cast<uint32_t>((l + 1) % 3);
  c.write(10);
  // Step event by event to the follower's snapshot at 20 (taken after its
  // entries were synced, and itself not synced yet), and crash it there.
  c.write(0);
  for (int k = 0; k < 10; ++k) {
    Message m;
    m.type = raft::kClientRequest;
    m.f[0] = c.next_req++;
    m.body = "s" + std::to_string(k) + "=1";
    c.sim.inject(c.sim.now() + milliseconds(5 * (k + 1)), NodeId{static_cast<uint32_t>(l)}, m);
  }
  int guard = 0;
  while (c.sink.of("snapshot", f).empty() && guard++ < 100000) {
    c.sim.run(c.sim.now() + seconds(1), c.sim.counters().events + 1);  // one event
  }
  REQUIRE(c.sink.of("snapshot", f).size() == 1);
  SUBCASE("lost: back to the whole log, no snapshot") {
    CHECK(c.sim.storage(NodeId{f}).unsynced() > 0);
    c.sim.crash(NodeId{f}, /*lose_unsynced=*/true);
    c.sim.restart(NodeId{f});
    const auto rec = c.sink.of("recover", f);
    REQUIRE(rec.size() == 1);
    CHECK(rec[0].f.count("snapshot") == 0);
    CHECK(c.nodes[f]->snapshot_index() == LogIndex{0});
    CHECK(c.nodes[f]->base_index() == LogIndex{0});
    CHECK(c.nodes[f]->last_index() >= LogIndex{20});
    CHECK(c.sim.storage(NodeId{f}).log_begin() == 0);
  }
  SUBCASE("kept: the crash flushes, the node recovers from the snapshot") {
    c.sim.crash(NodeId{f}, /*lose_unsynced=*/false);
    c.sim.restart(NodeId{f});
    const auto rec = c.sink.of("recover", f);
    REQUIRE(rec.size() == 1);
    CHECK(rec[0].f.at("snapshot") == 20);
    CHECK(c.nodes[f]->base_index() == LogIndex{10});
  }
  c.run_for(seconds(1));
  c.write(3);
  CHECK(c.kv(static_cast<int>(f)) == c.kv(l));
  CHECK(c.nodes[f]->applied_index() == c.nodes[static_cast<size_t>(l)]->applied_index());
}

TEST_CASE("raft snapshot: snapshot_every 0 never snapshots, and a state machine without snapshot hooks disables them") {
  Cluster c(0);
  c.write(30);
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(c.sink.of("snapshot", i).empty());
    CHECK(c.nodes[i]->base_index() == LogIndex{0});
  }
  struct Plain final : raft::StateMachine {
    void on_message(raft::RaftNode&, Context&, NodeId, const Message&) override {}
    void apply(raft::RaftNode&, Context&, LogIndex, std::string_view) override {}
  };
  CHECK(!Plain{}.can_snapshot());
  CHECK(raft::KvMachine(raft::Config{}).can_snapshot());
}

TEST_CASE("raft snapshot: KvMachine's snapshot restores the same store, and restoring replaces what was there") {
  Cluster c;
  c.write(12);
  const int l = c.leader();
  std::string data;
  c.nodes[static_cast<size_t>(l)]->machine()->snapshot(data);
  CHECK(!data.empty());
  raft::Config cfg;
  raft::RaftNode fresh(cfg);
  Context ctx(nullptr, NodeId{0});  // restore reaches neither the node nor the world
  raft::KvMachine b(cfg);
  b.restore(fresh, ctx, "3:old1:x");
  CHECK(b.kv() == std::map<std::string, std::string>{{"old", "x"}});
  b.restore(fresh, ctx, data);
  CHECK(b.kv() == c.kv(l));
  std::string again;
  b.snapshot(again);
  CHECK(again == data);
}

TEST_CASE("raft snapshot regression scenario: snapshots, installs and recoveries under a nemesis, every Raft check holds") {
  const auto s = dsim::testing::load_catalogue("scenarios/regression/raft-snapshot-nemesis.yaml");
  struct Count : trace::Consumer {
    std::map<std::string, int> n;
    void consume(const trace::Event& e) override {
      if (e.kind == "snapshot" || e.kind == "install_snapshot") ++n[e.kind];
      if (e.kind == "recover" && e.get_int("snapshot")) ++n["recover_snapshot"];
    }
  } count;
  scenario::RunOptions opt;
  opt.seed = *s.seed;
  opt.observers = {&count};
  const auto r = scenario::run_scenario(s, opt);
  CHECK(count.n["snapshot"] > 20);
  CHECK(count.n["install_snapshot"] > 0);
  CHECK(count.n["recover_snapshot"] > 0);
  for (const auto& ch : r.checks) {
    CAPTURE(ch.name);
    CHECK(ch.status == analysis::Status::kHeld);
  }
  CHECK(r.as_expected);
}
