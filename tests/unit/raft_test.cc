// Raft, one rule of Figure 2 at a time: a node in a known state receives a
// crafted message from a scripted peer; the test asserts the reply and the
// node's new state. Then the checkers on hand-built traces, and the
// catalogue's planted bugs on their stated seeds.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "registry.h"
#include "analysis/leader_liveness.h"
#include "protocols/raft/catch_up.h"
#include "protocols/raft/checkers.h"
#include "protocols/raft/raft.h"
#include "dsim/fake_host.h"
#include "dsim/kv.h"
#include "protocols/raft/kv_machine.h"
#include "sim/net/network.h"
#include "protocols/raft/experiment.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "catalogue.h"
#include "test_support.h"

using namespace dsim;
using dsim::testing::ScriptNode;

namespace {

// n1 is the Raft node under test; n2 and n3 are scripted peers that send
// what the test says and record what they receive.
struct Harness {
  Simulator sim{1};
  net::Network net;
  raft::RaftNode* node = nullptr;
  std::vector<std::pair<uint32_t, Message>> received;  // (peer, message)
  std::vector<std::pair<uint32_t, Message>> outbox;

  explicit Harness(raft::Config cfg = quiet()) : net(3, 1, link()) {
    sim.set_network(&net);
    sim.add_node("n1", [this, cfg](NodeId) {
      auto n = std::make_unique<raft::RaftNode>(cfg, std::make_unique<raft::KvMachine>(cfg));
      node = n.get();
      return n;
    });
    for (uint32_t p = 1; p <= 2; ++p) {
      sim.add_node("n" + std::to_string(p + 1), [this, p](NodeId) {
        auto n = std::make_unique<ScriptNode>();
        n->message = [this, p](Context& c, NodeId from, const Message& m) {
          if (from == kExternal) {  // a cue to send the next scripted message
            for (auto& [who, msg] : outbox) {
              if (who == p) c.send(NodeId{0}, msg);
            }
            std::erase_if(outbox, [p](const auto& o) { return o.first == p; });
            return;
          }
          received.emplace_back(p, m);
        };
        return n;
      });
    }
    sim.run(Time{0} + milliseconds(1));
  }

  static raft::Config quiet() {
    raft::Config c;
    c.election_min = seconds(100);  // no elections unless a test wants one
    c.election_max = seconds(100);
    c.heartbeat = seconds(1);
    return c;
  }
  static net::LinkSpec link() {
    net::LinkSpec s;
    s.latency = net::LatencyModel::constant(milliseconds(1));
    return s;
  }

  // Peer p sends m to n1; runs until the reply is back.
  Message exchange(uint32_t p, const Message& m) {
    received.clear();
    outbox.emplace_back(p, m);
    sim.inject(sim.now(), NodeId{p}, Message{});
    sim.run(sim.now() + milliseconds(5));
    REQUIRE(!received.empty());
    return received.back().second;
  }

  static Message vote_request(int64_t term, int64_t last_index, int64_t last_term) {
    Message m;
    m.type = raft::kRequestVote;
    m.f = {term, last_index, last_term, 0, 0, 0};
    return m;
  }
  static Message append(int64_t term, int64_t prev, int64_t prev_term, int64_t commit,
                        const std::vector<raft::Entry>& entries) {
    Message m;
    m.type = raft::kAppendEntries;
    m.f = {term, prev, prev_term, commit, static_cast<int64_t>(entries.size()), 0};
    for (const auto& e : entries) {
      m.body += std::to_string(e.term.value) + " " + std::to_string(e.req) + " " + std::to_string(e.cmd.size()) + ":" + e.cmd;
    }
    return m;
  }
};

}  // namespace

TEST_CASE("raft fig2 RequestVote: grant to a candidate of a newer term whose log is up to date") {
  Harness h;
  const Message r = h.exchange(1, Harness::vote_request(1, 0, 0));
  CHECK(r.type == raft::kVoteReply);
  CHECK(r.f[0] == 1);
  CHECK(r.f[1] == 1);
  CHECK(h.node->term() == Term{1});
  CHECK(h.node->voted_for() == NodeId{1});
}

TEST_CASE("raft fig2 RequestVote: at most one vote per term") {
  Harness h;
  CHECK(h.exchange(1, Harness::vote_request(1, 0, 0)).f[1] == 1);
  CHECK(h.exchange(2, Harness::vote_request(1, 0, 0)).f[1] == 0);
  CHECK(h.exchange(1, Harness::vote_request(1, 0, 0)).f[1] == 1);  // the same candidate asking again
}

TEST_CASE("raft fig2 RequestVote: reply false if term < currentTerm") {
  Harness h;
  h.exchange(1, Harness::vote_request(5, 0, 0));
  const Message r = h.exchange(2, Harness::vote_request(4, 0, 0));
  CHECK(r.f[0] == 5);
  CHECK(r.f[1] == 0);
}

TEST_CASE("raft 5.4.1: deny the vote to a candidate whose log is less up to date") {
  Harness h;
  h.exchange(1, Harness::append(2, 0, 0, 0, {{Term{1}, 0, "a=1"}, {Term{2}, 0, "b=2"}}));  // log: (1), (2)
  SUBCASE("lower last term") { CHECK(h.exchange(2, Harness::vote_request(3, 5, 1)).f[1] == 0); }
  SUBCASE("same last term, shorter log") { CHECK(h.exchange(2, Harness::vote_request(3, 1, 2)).f[1] == 0); }
  SUBCASE("same last term, as long") { CHECK(h.exchange(2, Harness::vote_request(3, 2, 2)).f[1] == 1); }
  SUBCASE("higher last term, shorter log") { CHECK(h.exchange(2, Harness::vote_request(3, 1, 3)).f[1] == 1); }
}

TEST_CASE("raft fig2 AppendEntries: reply false if term < currentTerm") {
  Harness h;
  h.exchange(1, Harness::vote_request(3, 0, 0));
  const Message r = h.exchange(2, Harness::append(2, 0, 0, 0, {{Term{2}, 0, "x=1"}}));
  CHECK(r.f[0] == 3);
  CHECK(r.f[1] == 0);
  CHECK(h.node->last_index() == LogIndex{0});
}

TEST_CASE("raft fig2 AppendEntries: reply false if the log has no entry at prevLogIndex with prevLogTerm") {
  Harness h;
  h.exchange(1, Harness::append(1, 0, 0, 0, {{Term{1}, 0, "a=1"}}));
  SUBCASE("missing entry") { CHECK(h.exchange(1, Harness::append(1, 3, 1, 0, {{Term{1}, 0, "b=1"}})).f[1] == 0); }
  SUBCASE("term mismatch") { CHECK(h.exchange(1, Harness::append(2, 1, 2, 0, {{Term{2}, 0, "b=1"}})).f[1] == 0); }
  CHECK(h.node->last_index() == LogIndex{1});
}

TEST_CASE("raft fig2 AppendEntries: a conflicting entry and all that follow it are deleted") {
  Harness h;
  h.exchange(1, Harness::append(1, 0, 0, 0, {{Term{1}, 0, "a=1"}, {Term{1}, 0, "b=1"}, {Term{1}, 0, "c=1"}}));
  const Message r = h.exchange(2, Harness::append(2, 1, 1, 0, {{Term{2}, 0, "b=2"}}));
  CHECK(r.f[1] == 1);
  CHECK(r.f[2] == 2);  // match index
  REQUIRE(h.node->last_index() == LogIndex{2});
  CHECK(h.node->log()[1].term == Term{2});
  CHECK(h.node->log()[1].cmd == "b=2");
}

TEST_CASE("raft fig2 AppendEntries: entries already present are not truncated by a stale, shorter request") {
  Harness h;
  h.exchange(1, Harness::append(1, 0, 0, 0, {{Term{1}, 0, "a=1"}, {Term{1}, 0, "b=1"}}));
  h.exchange(1, Harness::append(1, 0, 0, 0, {{Term{1}, 0, "a=1"}}));  // delayed duplicate of an older request
  CHECK(h.node->last_index() == LogIndex{2});
}

TEST_CASE("raft fig2 AppendEntries: commitIndex = min(leaderCommit, index of last new entry); applied in order") {
  Harness h;
  h.exchange(1, Harness::append(1, 0, 0, 5, {{Term{1}, 0, "a=1"}, {Term{1}, 0, "b=2"}}));
  CHECK(h.node->commit_index() == LogIndex{2});
  CHECK(h.node->kv().at("a") == "1");
  CHECK(h.node->kv().at("b") == "2");
}

TEST_CASE("raft fig2 persistence: term, vote and log survive a crash; the state machine is rebuilt") {
  Harness h;
  h.exchange(1, Harness::append(1, 0, 0, 1, {{Term{1}, 0, "a=1"}}));
  h.exchange(2, Harness::vote_request(2, 1, 1));
  h.sim.crash(NodeId{0}, /*lose_unsynced=*/true);
  h.sim.restart(NodeId{0});
  CHECK(h.node->term() == Term{2});
  CHECK(h.node->voted_for() == NodeId{2});
  CHECK(h.node->last_index() == LogIndex{1});
  CHECK(h.node->kv().empty());  // volatile until the leader's commit index comes back
}

TEST_CASE("raft log records: entries are stored in their wire encoding; a leader sends them as stored, entries it got as a follower included; a restart reads them back") {
  // The encoding, "<term> <req> <len>:<cmd>" per entry, built independently.
  auto wire = [](int64_t term, int64_t req, const std::string& cmd) {
    return std::to_string(term) + " " + std::to_string(req) + " " + std::to_string(cmd.size()) + ":" + cmd;
  };
  FakeHost host(3);
  Context& ctx = host.context();
  const raft::Config cfg = Harness::quiet();
  raft::RaftNode node(cfg, std::make_unique<raft::KvMachine>(cfg));
  node.on_start(ctx);
  // From leader n2 in term 1: two entries, one with a request id and a
  // command longer than a short string's buffer.
  const std::string long_cmd = "key-with-a-long-name=" + std::string(40, 'v');
  node.on_message(ctx, NodeId{1}, Harness::append(1, 0, 0, 0, {{Term{1}, 0, "a=1"}, {Term{1}, 77, long_cmd}}));
  Storage& st = host.storage(NodeId{0});
  REQUIRE(st.log_end() == 2);
  CHECK(st.log_record(0) == wire(1, 0, "a=1"));
  CHECK(st.log_record(1) == wire(1, 77, long_cmd));

  // n1 times out (tag 1: the election timer), wins term 2 with n2's vote
  // and appends its no-op, encoded by itself.
  const auto* t = host.pending(1);
  REQUIRE(t != nullptr);
  host.advance(t->after);
  node.on_timer(ctx, t->id, t->tag);
  Message vote;
  vote.type = raft::kVoteReply;
  vote.f = {2, 1, 0, 0, 0, 0};
  host.clear();
  node.on_message(ctx, NodeId{1}, vote);
  REQUIRE(node.raft_role() == raft::Role::kLeader);
  CHECK(st.log_record(2) == wire(2, 0, ""));
  REQUIRE(!host.sent.empty());
  CHECK(host.sent[0].message.type == raft::kAppendEntries);
  CHECK(host.sent[0].message.f[4] == 1);
  CHECK(host.sent[0].message.body == wire(2, 0, ""));

  // n3 rejects with a hint that it holds nothing: the probe from index 1
  // carries the whole log, byte for byte the encoding of each entry.
  Message reject;
  reject.type = raft::kAppendReply;
  reject.f = {2, 0, 2, 1, 0, 0};
  host.clear();
  node.on_message(ctx, NodeId{2}, reject);
  REQUIRE(host.sent.size() == 1);
  const Message& probe = host.sent[0].message;
  CHECK(host.sent[0].to == NodeId{2});
  CHECK(probe.f[1] == 0);  // prev_index
  CHECK(probe.f[4] == 3);  // entries
  CHECK(probe.body == wire(1, 0, "a=1") + wire(1, 77, long_cmd) + wire(2, 0, ""));

  // A restart rebuilds the log from the records.
  st.sync();
  raft::RaftNode back(cfg, std::make_unique<raft::KvMachine>(cfg));
  back.on_recover(ctx);
  REQUIRE(back.log().size() == 3);
  CHECK(back.log()[1].term == Term{1});
  CHECK(back.log()[1].req == 77);
  CHECK(back.log()[1].cmd == long_cmd);
  CHECK(back.log()[2].term == Term{2});
  CHECK(back.log()[2].cmd.empty());
  CHECK(back.term() == Term{2});
}

TEST_CASE("raft planted bug volatile_vote: after a restart the node votes again in the same term") {
  raft::Config cfg = Harness::quiet();
  cfg.bug = raft::Config::Bug::kVolatileVote;
  Harness h(cfg);
  CHECK(h.exchange(1, Harness::vote_request(1, 0, 0)).f[1] == 1);
  h.sim.crash(NodeId{0}, false);
  h.sim.restart(NodeId{0});
  CHECK(h.exchange(2, Harness::vote_request(1, 0, 0)).f[1] == 1);  // the second vote in term 1
}

TEST_CASE("raft: a lone node elects itself and commits its no-op") {
  Simulator sim(1);
  net::Network net(1, 1, Harness::link());
  sim.set_network(&net);
  raft::RaftNode* node = nullptr;
  sim.add_node("solo", [&](NodeId) {
    auto n = std::make_unique<raft::RaftNode>(raft::Config{});
    node = n.get();
    return n;
  });
  sim.run(Time{0} + seconds(1));
  CHECK(node->raft_role() == raft::Role::kLeader);
  CHECK(node->term() == Term{1});
  CHECK(node->commit_index() == LogIndex{1});
}

TEST_CASE("raft: make_node carries the key-value store as a KvMachine; a RaftNode without a machine is pure Raft") {
  auto made = raft::make_node(raft::Config{});
  const auto* with = dynamic_cast<const raft::RaftNode*>(made.get());
  REQUIRE(with != nullptr);
  CHECK(dynamic_cast<const raft::KvMachine*>(with->machine()) != nullptr);
  CHECK(with->message_name(kv::kKvRequest) == "kv_request");
  const raft::RaftNode pure{raft::Config{}};
  CHECK(pure.machine() == nullptr);
  CHECK(pure.kv().empty());
  CHECK(pure.message_name(kv::kKvRequest) == "unknown");
}

// ---- Checkers on hand-built traces ----------------------------------------------

namespace {
using dsim::testing::event;
trace::Event role(int64_t t, std::string node, std::string r, int64_t term) {
  return event(t, std::move(node), "role", {{"role", r}, {"term", term}});
}
trace::Event app(int64_t t, std::string node, int64_t index, int64_t term, std::string cmd) {
  return event(t, std::move(node), "append", {{"index", index}, {"term", term}, {"cmd", cmd}});
}
}  // namespace

TEST_CASE("election_safety: two leaders in one term are named; leaders of different terms are fine") {
  analysis::ElectionSafety c;
  c.consume(role(1, "n1", "leader", 1));
  c.consume(role(2, "n2", "leader", 2));
  CHECK_FALSE(c.violated());
  c.consume(role(3, "n3", "leader", 2));
  const auto r = c.finish();
  CHECK(r.status == analysis::Status::kViolated);
  CHECK(r.violation->message.find("two leaders in term 2: n2") != std::string::npos);
  CHECK(r.violation->message.find("n3") != std::string::npos);
}

TEST_CASE("log_matching: same (index, term) over different prefixes is caught and located") {
  analysis::LogMatching c;
  c.consume(app(1, "n1", 1, 1, "a"));
  c.consume(app(2, "n1", 2, 2, "b"));
  c.consume(app(3, "n2", 1, 3, "x"));  // another term at index 1: allowed on its own
  CHECK_FALSE(c.violated());
  c.consume(app(4, "n2", 2, 2, "b"));
  const auto r = c.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->message.find("entry 2 (term 2)") != std::string::npos);
  CHECK(r.violation->message.find("first differ at index 1") != std::string::npos);
  analysis::LogMatching ok;
  ok.consume(app(1, "n1", 1, 1, "a"));
  ok.consume(app(2, "n2", 1, 1, "a"));
  ok.consume(event(3, "n2", "truncate", {{"from", int64_t{1}}}));
  ok.consume(app(4, "n2", 1, 2, "z"));
  CHECK(ok.finish().status == analysis::Status::kHeld);
}

TEST_CASE("leader_completeness: a later leader without a committed entry is caught; an older-term leader is not") {
  auto base = [](analysis::LeaderCompleteness& c) {
    c.consume(role(0, "n1", "leader", 2));
    c.consume(app(1, "n1", 1, 2, "a"));
    c.consume(event(2, "n1", "commit", {{"index", int64_t{1}}}));
  };
  analysis::LeaderCompleteness bad;
  base(bad);
  bad.consume(role(3, "n2", "leader", 3));
  const auto r = bad.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->message.find("n2 became leader of term 3 without entry 1 (term 2), committed by n1") !=
        std::string::npos);
  analysis::LeaderCompleteness old;
  base(old);
  old.consume(role(3, "n2", "leader", 1));  // a paused candidate of an older term
  CHECK(old.finish().status == analysis::Status::kHeld);
}

TEST_CASE("state_machine_safety: different commands applied at one index are caught") {
  analysis::StateMachineSafety c;
  c.consume(event(1, "n1", "apply", {{"index", int64_t{4}}, {"term", int64_t{2}}, {"cmd", std::string("x=1")}}));
  c.consume(event(2, "n2", "apply", {{"index", int64_t{4}}, {"term", int64_t{2}}, {"cmd", std::string("x=1")}}));
  CHECK_FALSE(c.violated());
  c.consume(event(3, "n3", "apply", {{"index", int64_t{4}}, {"term", int64_t{3}}, {"cmd", std::string("x=9")}}));
  const auto r = c.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->message == "n1 applied 'x=1' (term 2) at index 4, but n3 applied 'x=9' (term 3) there");
}

TEST_CASE("state_machine_safety: state stays bounded on a long run, and a restarted node is still checked") {
  // Cost per event must not grow with the run's length (a 10,000 s nemesis
  // run applies tens of millions of entries): only entries not yet applied
  // by every live node are held in full.
  auto apply = [](int64_t t, const std::string& n, int64_t i, const std::string& cmd) {
    return event(t, n, "apply", {{"index", i}, {"term", int64_t{1}}, {"cmd", cmd}});
  };
  auto cmd = [](int64_t i) { return "k=" + std::to_string(i); };
  analysis::StateMachineSafety c;
  const std::vector<std::string> nodes = {"n1", "n2", "n3"};
  for (const auto& n : nodes) c.consume(event(0, n, "start"));
  size_t most = 0;
  int64_t t = 1;
  for (int64_t i = 1; i <= 100'000; ++i) {
    for (const auto& n : nodes) {
      if (n == "n3" && i > 99'990) continue;  // n3 lags by 10 at the end
      c.consume(apply(t++, n, i, cmd(i)));
    }
    most = std::max(most, c.retained());
  }
  CHECK(most <= 11);  // the lag, not the 100,000 entries
  CHECK(c.retained() <= 11);
  // n1 restarts and applies its log again from 1: still agreeing.
  c.consume(event(t++, "n1", "crash"));
  c.consume(event(t++, "n1", "restart"));
  for (int64_t i = 1; i <= 100'000; ++i) c.consume(apply(t++, "n1", i, cmd(i)));
  CHECK_FALSE(c.violated());
  CHECK(c.retained() <= 11);
  // n2 restarts and applies something else at an old index: caught when
  // its prefix reaches the watermark, though the old command is forgotten.
  c.consume(event(t++, "n2", "crash"));
  c.consume(event(t++, "n2", "restart"));
  for (int64_t i = 1; i <= 99'990; ++i) c.consume(apply(t++, "n2", i, i == 500 ? "k=bad" : cmd(i)));
  const auto r = c.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->node == "n2");
  CHECK(r.violation->message.find("applied indexes 1..99990 again after a restart") != std::string::npos);
}

TEST_CASE("raft_catch_up: a live node still behind the leader's commit index after the bound is a violation") {
  const int64_t s = 1'000'000'000;
  auto commit = [](int64_t t, const std::string& n, int64_t i) { return event(t, n, "commit", {{"index", i}}); };
  auto base = [&](analysis::RaftCatchUp& c) {
    for (const char* n : {"n1", "n2", "n3"}) c.consume(event(0, n, "start"));
    c.consume(commit(s / 2, "n1", 10));
    c.consume(commit(s / 2 + 5, "n2", 10));
    c.consume(event(s, "n3", "crash"));
    c.consume(event(2 * s, "n3", "restart"));  // the last fault: the bound runs from 2 s
    c.consume(commit(2 * s + s / 2, "n3", 10));
    c.consume(commit(3 * s, "n1", 50));
    c.consume(commit(3 * s + 5, "n2", 50));
  };
  analysis::RaftCatchUp behind(s);
  base(behind);
  behind.consume(commit(3 * s + 9, "n3", 40));  // restarted, never reaches 50
  behind.consume(event(9 * s, "*", "end"));
  auto r = behind.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->node == "n3");
  CHECK(r.violation->message.find("n3 had commit index 40") != std::string::npos);

  analysis::RaftCatchUp late(s);
  base(late);
  late.consume(commit(4 * s + 1, "n3", 50));  // 1 s + 1 ns after the leader: too late
  late.consume(event(9 * s, "*", "end"));
  r = late.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->message.find("only at") != std::string::npos);

  analysis::RaftCatchUp ok(s);
  base(ok);
  ok.consume(commit(3 * s + 900'000'000, "n3", 50));
  ok.consume(event(9 * s, "*", "end"));
  CHECK(ok.finish().status == analysis::Status::kHeld);

  analysis::RaftCatchUp early(10 * s);
  base(early);
  early.consume(event(9 * s, "*", "end"));  // ended before the bound (2 s + 10 s)
  CHECK(early.finish().status == analysis::Status::kInconclusive);
}

TEST_CASE("raft_liveness: no leader after the bound, and an unanswered request, are violations") {
  const int64_t s = 1'000'000'000;
  analysis::LeaderLiveness none("raft_liveness", s);
  none.consume(event(0, "n1", "start"));
  none.consume(role(0, "n1", "follower", 0));
  none.consume(event(5 * s, "*", "end"));
  CHECK(none.finish().status == analysis::Status::kViolated);

  analysis::LeaderLiveness req("raft_liveness", s);
  req.consume(event(0, "n1", "start"));
  req.consume(role(1, "n1", "leader", 1));
  req.consume(event(2 * s, "n1", "client_request", {{"req", int64_t{7}}, {"index", int64_t{2}}}));
  req.consume(event(9 * s, "*", "end"));
  const auto r = req.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->message.find("request 7") != std::string::npos);

  // A request the harness submitted that no leader ever accepted (a node
  // that drops requests) is not live either.
  analysis::LeaderLiveness dropped("raft_liveness", s);
  dropped.consume(event(0, "n1", "start"));
  dropped.consume(role(1, "n1", "leader", 1));
  dropped.consume(event(2 * s, "*", "harness_input", {{"to", std::string("n1")}, {"req", int64_t{8}}}));
  dropped.consume(event(9 * s, "*", "end"));
  const auto d = dropped.finish();
  REQUIRE(d.status == analysis::Status::kViolated);
  CHECK(d.violation->message.find("request 8, submitted to n1 at 2s (no leader accepted it)") != std::string::npos);

  // Answered, but only what a node says it accepted: no harness evidence.
  analysis::LeaderLiveness hearsay("raft_liveness", s);
  hearsay.consume(event(0, "n1", "start"));
  hearsay.consume(role(1, "n1", "leader", 1));
  hearsay.consume(event(2 * s, "n1", "client_request", {{"req", int64_t{7}}, {"index", int64_t{2}}}));
  hearsay.consume(event(2 * s + 5, "n1", "client_response", {{"req", int64_t{7}}, {"ok", true}, {"index", int64_t{2}}}));
  hearsay.consume(event(9 * s, "*", "end"));
  CHECK(hearsay.finish().status == analysis::Status::kInconclusive);

  analysis::LeaderLiveness ok("raft_liveness", s);
  ok.consume(event(0, "n1", "start"));
  ok.consume(role(1, "n1", "leader", 1));
  ok.consume(event(2 * s, "*", "harness_input", {{"to", std::string("n1")}, {"req", int64_t{7}}}));
  ok.consume(event(2 * s, "n1", "client_request", {{"req", int64_t{7}}, {"index", int64_t{2}}}));
  ok.consume(event(2 * s + 5, "n1", "client_response", {{"req", int64_t{7}}, {"ok", true}, {"index", int64_t{2}}}));
  ok.consume(event(9 * s, "*", "end"));
  CHECK(ok.finish().status == analysis::Status::kHeld);
  // Key-value clients: the replies they received are harness evidence too.
  auto client_run = [&](const char* reply) {
    analysis::LeaderLiveness c("raft_liveness", s);
    c.consume(event(0, "n1", "start"));
    c.consume(role(1, "n1", "leader", 1));
    c.consume(event(2 * s, "c1", "invoke", {{"process", int64_t{0}}, {"f", std::string("read")}, {"key", std::string("k")}}));
    c.consume(event(2 * s + s / 2, "c1", reply, {{"process", int64_t{0}}, {"f", std::string("read")}, {"key", std::string("k")}}));
    c.consume(event(9 * s, "*", "end"));
    return c.finish();
  };
  CHECK(client_run("ok").status == analysis::Status::kHeld);
  const auto timed_out = client_run("info");
  REQUIRE(timed_out.status == analysis::Status::kViolated);
  CHECK(timed_out.violation->message == "c1's operation invoked at 2s got no reply by 3s (it timed out)");
}

// ---- Planted bugs on the seeds their scenarios state -------------------------------

namespace {
bool caught(const scenario::Scenario& s, uint64_t seed) {
  scenario::RunOptions opt;
  opt.seed = seed;
  opt.fingerprint = false;
  return scenario::run_scenario(s, opt).as_expected;
}
}  // namespace

TEST_CASE("raft planted bugs are caught on the seeds their scenarios state") {
  const auto vote = dsim::testing::load_catalogue("scenarios/bugs/raft-volatile-vote.yaml");
  for (uint64_t seed : {31, 116, 117, 196, 243, 351, 358}) CHECK(caught(vote, seed));
  const auto any = dsim::testing::load_catalogue("scenarios/bugs/raft-vote-any-log.yaml");
  for (uint64_t seed = 1; seed <= 10; ++seed) CHECK(caught(any, seed));
  const auto prev = dsim::testing::load_catalogue("scenarios/bugs/raft-skip-prev-check.yaml");
  int found = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) found += caught(prev, seed) ? 1 : 0;
  CHECK(found >= 15);  // 18 of 1..100
  CHECK(caught(prev, 1));
  const auto cpt = dsim::testing::load_catalogue("scenarios/bugs/raft-commit-previous-term-nemesis.yaml");
  for (uint64_t seed : {876, 1327, 1719, 2345, 2378}) CHECK(caught(cpt, seed));
  CHECK(caught(dsim::testing::load_catalogue("scenarios/bugs/raft-commit-previous-term.yaml"), 1));
}

TEST_CASE("election experiment: reproducible per seed, and narrow timeout ranges elect more slowly (Raft Fig. 16)") {
  raft::ElectionExperiment e;
  e.trials = 100;
  e.ranges = {{milliseconds(150), milliseconds(155)}, {milliseconds(150), milliseconds(300)}};
  e.seed = 9;
  const auto a = raft::run_election_experiment(e);
  const auto b = raft::run_election_experiment(e);
  REQUIRE(a.size() == 2);
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].p50 == b[i].p50);
    CHECK(a[i].max == b[i].max);
  }
  for (const auto& r : a) {
    CHECK(r.no_leader == 0);
    CHECK(r.min >= milliseconds(150).ns - e.heartbeat.ns);  // no election before a timeout can expire
    CHECK(r.min <= r.p50);
    CHECK(r.p50 <= r.p90);
    CHECK(r.p99 <= r.max);
  }
  CHECK(a[0].p90 > a[1].p90);  // split votes repeat when timeouts are nearly equal
  e.seed = 10;
  CHECK(raft::run_election_experiment(e)[0].max != a[0].max);
}

// ---- PreVote and CheckQuorum, switched from YAML ------------------------------------

namespace {
struct Summary {
  int64_t max_term = 0;
  int leader_terms = 0;
  bool isolated_stepped_down = false;  // the node isolated at 1s left the leader role while cut off
};

Summary run_isolation(const std::string& isolate, bool prevote, bool check_quorum) {
  const std::string text = std::string("version: 1\nname: t\nprotocol: raft\nseed: 4\nduration: 6s\nnodes: 5\n") +
                           "raft: {election_timeout: [150ms, 300ms], heartbeat: 50ms, prevote: " +
                           (prevote ? "true" : "false") + ", check_quorum: " + (check_quorum ? "true" : "false") +
                           "}\nnetwork: {latency: 2ms}\nfaults:\n  - {at: 1s, isolate: " + isolate +
                           ", for: 2s}\nchecks: [election_safety, log_matching, leader_completeness, state_machine_safety]\n";
  scenario::Diagnostics diag;
  auto s = scenario::load_scenario_text(dsim::testing::registry(), text, "t.yaml", diag);
  CAPTURE(diag.render(false));
  REQUIRE(s.has_value());
  const std::string path = dsim::testing::temp_path("raft-options.jsonl");
  scenario::RunOptions opt;
  opt.seed = 4;
  opt.trace_path = path;
  const auto r = scenario::run_scenario(*s, opt);
  REQUIRE(r.as_expected);  // safety holds with every option
  Summary out;
  std::string isolated;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"kind\":\"isolate\"") != std::string::npos) {
      isolated = line.substr(line.find("\"groups\":\"") + 10);
      isolated = isolated.substr(0, isolated.find('|'));
    }
    if (line.find("\"kind\":\"role\"") == std::string::npos) continue;
    const int64_t term = std::stoll(line.substr(line.find("\"term\":") + 7));
    out.max_term = std::max(out.max_term, term);
    if (line.find("\"role\":\"leader\"") != std::string::npos) ++out.leader_terms;
    const auto t = std::stoll(line.substr(5));
    if (!isolated.empty() && t > 1'000'000'000 && t < 3'000'000'000 &&
        line.find("\"node\":\"" + isolated + "\"") != std::string::npos &&
        line.find("\"role\":\"follower\"") != std::string::npos) {
      out.isolated_stepped_down = true;
    }
  }
  std::remove(path.c_str());
  return out;
}
}  // namespace

TEST_CASE("raft CheckQuorum: an isolated leader steps down; without it, it keeps the role until the heal") {
  CHECK(run_isolation("leader", false, true).isolated_stepped_down);
  CHECK_FALSE(run_isolation("leader", false, false).isolated_stepped_down);
}

TEST_CASE("raft PreVote: a follower cut off for 2s does not inflate its term or depose the leader when it returns") {
  const Summary without = run_isolation("follower", false, false);
  const Summary with = run_isolation("follower", true, false);
  CHECK(without.max_term > 5);      // it campaigned alone every timeout
  CHECK(without.leader_terms >= 2);  // and its term forced a new election at the heal
  CHECK(with.max_term == 1);
  CHECK(with.leader_terms == 1);
}

TEST_CASE("raft leases: a restarted node refuses votes for an election timeout, as its lease promises may still stand") {
  for (auto reads : {raft::Config::Reads::kLog, raft::Config::Reads::kLease}) {
    CAPTURE(static_cast<int>(reads));
    raft::Config cfg;
    cfg.check_quorum = true;
    cfg.reads = reads;
    cfg.election_min = milliseconds(150);
    cfg.election_max = milliseconds(150);
    testing::PeerHarness h([cfg](NodeId) { return std::make_unique<raft::RaftNode>(cfg); }, 2);
    h.sim.crash(NodeId{0}, false);
    h.sim.restart(NodeId{0});
    // A candidate of term 5 with an up-to-date (empty) log asks for a vote.
    Message vote = testing::message(raft::kRequestVote, 5);
    const auto r = h.send(1, vote);
    REQUIRE(r.has_value());
    CHECK(r->type == raft::kVoteReply);
    CHECK(r->f[1] == (reads == raft::Config::Reads::kLease ? 0 : 1));
    // After the election timeout the guard is over.
    h.sim.run(h.sim.now() + milliseconds(200));
    vote.f[0] = 6;
    const auto later = h.send(1, vote);
    REQUIRE(later.has_value());
    if (reads == raft::Config::Reads::kLease) CHECK(later->f[1] == 1);
  }
}
