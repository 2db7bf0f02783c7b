// The Raft checkers on traces with snapshots (hand-built events): a
// compacted log is still the node's log, an installed snapshot replaces or
// keeps the log as Raft's Figure 13 says, and a node restored from a
// snapshot resumes applying after it.
#include <doctest/doctest.h>

#include <string>

#include "catalogue.h"
#include "protocols/raft/checkers.h"

using namespace dsim;
using dsim::testing::event;

namespace {

trace::Event role(int64_t t, const std::string& node, const std::string& r, int64_t term) {
  return event(t, node, "role", {{"role", r}, {"term", term}});
}
trace::Event app(int64_t t, const std::string& node, int64_t index, int64_t term, const std::string& cmd) {
  return event(t, node, "append", {{"index", index}, {"term", term}, {"cmd", cmd}});
}
trace::Event apply(int64_t t, const std::string& node, int64_t index, int64_t term, const std::string& cmd) {
  return event(t, node, "apply", {{"index", index}, {"term", term}, {"cmd", cmd}});
}
trace::Event commit(int64_t t, const std::string& node, int64_t index) {
  return event(t, node, "commit", {{"index", index}});
}
trace::Event snapshot(int64_t t, const std::string& node, int64_t index, int64_t term) {
  return event(t, node, "snapshot", {{"index", index}, {"term", term}});
}
trace::Event install(int64_t t, const std::string& node, int64_t index, int64_t term) {
  return event(t, node, "install_snapshot", {{"index", index}, {"term", term}});
}
std::string cmd(int64_t i) { return "k=" + std::to_string(i); }

}  // namespace

TEST_CASE("raft snapshots: a compacted log is still judged whole") {
  // log_matching: n1 compacts 1..3; n2 then appends a different entry 2 in
  // the same term. The checker still holds n1's entries, so it names the
  // index where the two logs part.
  analysis::LogMatching lm;
  for (int64_t i = 1; i <= 3; ++i) lm.consume(app(i, "n1", i, 1, cmd(i)));
  lm.consume(snapshot(4, "n1", 3, 1));
  lm.consume(app(5, "n2", 1, 1, cmd(1)));
  CHECK_FALSE(lm.violated());
  lm.consume(app(6, "n2", 2, 1, "k=other"));
  const auto r = lm.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->message ==
        "n2 and n1 both hold entry 2 (term 1), but the logs before it are not identical; they first differ at "
        "index 2: term 1 on n2, term 1 on n1");

  // leader_completeness: a leader that compacted its committed entries
  // still has them when it is elected again.
  analysis::LeaderCompleteness lc;
  lc.consume(role(0, "n1", "leader", 1));
  for (int64_t i = 1; i <= 3; ++i) lc.consume(app(i, "n1", i, 1, cmd(i)));
  lc.consume(commit(4, "n1", 3));
  lc.consume(snapshot(5, "n1", 3, 1));
  lc.consume(role(6, "n1", "follower", 2));
  lc.consume(role(7, "n1", "leader", 3));
  const auto held = lc.finish();
  CHECK(held.status == analysis::Status::kHeld);
  CHECK(held.note == "every leader held the entries committed in earlier terms (3 committed)");
}

TEST_CASE("raft snapshots: install_snapshot keeps the suffix on a matching term, else the log is the snapshot's") {
  analysis::RaftLogs logs;
  analysis::NodeIds& ids = logs.ids();
  auto feed = [&](const trace::Event& e) { logs.consume(e, analysis::raft_kind(e.kind), logs.node(e)); };
  // n1 (the leader) holds 1..3 of term 1; n2 holds 1..2 of term 1 and two
  // entries of a deposed leader's term 2; n3 holds the same as n1 and more.
  for (int64_t i = 1; i <= 3; ++i) feed(app(i, "n1", i, 1, cmd(i)));
  feed(app(4, "n2", 1, 1, cmd(1)));
  feed(app(5, "n2", 2, 1, cmd(2)));
  feed(app(6, "n2", 3, 2, "stale3"));
  feed(app(7, "n2", 4, 2, "stale4"));
  for (int64_t i = 1; i <= 5; ++i) feed(app(10 + i, "n3", i, 1, cmd(i)));
  const uint32_t n1 = ids.id("n1"), n2 = ids.id("n2"), n3 = ids.id("n3");

  // n3's entry 3 has the snapshot's term: it keeps 4 and 5.
  feed(install(20, "n3", 3, 1));
  CHECK(logs.log(n3).size() == 5);
  // n2's entry 3 has term 2: everything after 2 goes, and its log is n1's
  // through 3 (the same prefix hashes, so later appends compare equal).
  feed(install(21, "n2", 3, 1));
  REQUIRE(logs.log(n2).size() == 3);
  CHECK(logs.log(n2)[2].term == 1);
  CHECK(logs.log(n2)[2].prefix == logs.log(n1)[2].prefix);

  // The same through log_matching: after the install n2 appends what n1
  // appends at 4, and the logs match; had the stale suffix stayed, they
  // would not.
  analysis::LogMatching lm;
  lm.consume(role(0, "n1", "leader", 3));
  for (int64_t i = 1; i <= 3; ++i) lm.consume(app(i, "n1", i, 1, cmd(i)));
  lm.consume(app(4, "n2", 1, 1, cmd(1)));
  lm.consume(app(5, "n2", 2, 1, cmd(2)));
  lm.consume(app(6, "n2", 3, 2, "stale3"));
  lm.consume(install(7, "n2", 3, 1));
  lm.consume(app(8, "n1", 4, 3, cmd(4)));
  lm.consume(app(9, "n2", 4, 3, cmd(4)));
  CHECK(lm.finish().status == analysis::Status::kHeld);

  // leader_completeness: an install on a matching term left n3's entries 4
  // and 5 in place, so n3 may lead after 5 was committed.
  analysis::LeaderCompleteness lc;
  lc.consume(role(0, "n1", "leader", 1));
  for (int64_t i = 1; i <= 5; ++i) lc.consume(app(i, "n1", i, 1, cmd(i)));
  for (int64_t i = 1; i <= 5; ++i) lc.consume(app(10 + i, "n3", i, 1, cmd(i)));
  lc.consume(commit(20, "n1", 5));
  lc.consume(install(21, "n3", 3, 1));
  lc.consume(role(22, "n3", "leader", 2));
  CHECK(lc.finish().status == analysis::Status::kHeld);
}

TEST_CASE("raft snapshots: an install whose term contradicts the committed entry at its index is a violation") {
  analysis::LeaderCompleteness lc;
  lc.consume(role(0, "n1", "leader", 1));
  for (int64_t i = 1; i <= 3; ++i) lc.consume(app(i, "n1", i, 1, cmd(i)));
  lc.consume(commit(4, "n1", 3));
  lc.consume(install(5, "n2", 3, 1));  // agrees: fine
  CHECK_FALSE(lc.violated());
  lc.consume(install(6, "n3", 2, 5));
  const auto r = lc.finish();
  REQUIRE(r.status == analysis::Status::kViolated);
  CHECK(r.violation->node == "n3");
  CHECK(r.violation->message ==
        "n3 installed a snapshot through index 2 (term 5), but entry 2 (term 1) is committed (n1 committed through "
        "index 3 at 4ns)");

  analysis::StateMachineSafety sms;
  for (const char* n : {"n1", "n2", "n3"}) sms.consume(event(0, n, "start"));
  for (int64_t i = 1; i <= 3; ++i) sms.consume(apply(i, "n1", i, 1, cmd(i)));
  sms.consume(install(5, "n2", 3, 1));
  CHECK_FALSE(sms.violated());
  sms.consume(install(6, "n3", 2, 5));
  const auto s = sms.finish();
  REQUIRE(s.status == analysis::Status::kViolated);
  CHECK(s.violation->message == "n1 applied 'k=2' (term 1) at index 2, but n3 installed a snapshot through it with term 5");
}

TEST_CASE("raft snapshots: recover with a snapshot resumes applies after it, and a different command is still caught") {
  // Three nodes apply 1..100 (so every entry is below the watermark, held
  // as one prefix hash); n1 snapshots at 60, restarts from that snapshot
  // and applies 61..100 again.
  auto run = [](int64_t bad_index) {
    analysis::StateMachineSafety c;
    int64_t t = 0;
    for (const char* n : {"n1", "n2", "n3"}) c.consume(event(t++, n, "start"));
    for (int64_t i = 1; i <= 100; ++i) {
      for (const char* n : {"n1", "n2", "n3"}) c.consume(apply(t++, n, i, 1, cmd(i)));
      if (i == 60) c.consume(snapshot(t++, "n1", 60, 1));
    }
    CHECK(c.retained() == 0);
    c.consume(event(t++, "n1", "crash"));
    c.consume(event(t++, "n1", "restart"));
    c.consume(event(t++, "n1", "recover", {{"log_len", int64_t{100}}, {"term", int64_t{1}}, {"snapshot", int64_t{60}}}));
    for (int64_t i = 61; i <= 100; ++i) c.consume(apply(t++, "n1", i, 1, i == bad_index ? "k=bad" : cmd(i)));
    return c.finish();
  };
  const auto ok = run(0);
  CHECK(ok.status == analysis::Status::kHeld);
  CHECK(ok.note == "340 applies agree on 100 indexes");
  const auto bad = run(80);
  REQUIRE(bad.status == analysis::Status::kViolated);
  CHECK(bad.violation->node == "n1");
  CHECK(bad.violation->message.find("n1 applied indexes 1..100 again after a restart") != std::string::npos);

  // A node restored from a snapshot it was sent (not one it took): its
  // prefix is taken to be the committed one; entries above the watermark
  // are still compared one by one.
  auto installed = [](bool bad) {
    analysis::StateMachineSafety c;
    int64_t t = 0;
    for (const char* n : {"n1", "n2", "n3"}) c.consume(event(t++, n, "start"));
    // n1 applies 1..80, n2 lags at 72, n3 at 50.
    for (int64_t i = 1; i <= 80; ++i) {
      c.consume(apply(t++, "n1", i, 1, cmd(i)));
      if (i <= 72) c.consume(apply(t++, "n2", i, 1, cmd(i)));
      if (i <= 50) c.consume(apply(t++, "n3", i, 1, cmd(i)));
    }
    c.consume(install(t++, "n3", 70, 1));
    c.consume(event(t++, "n3", "crash"));
    c.consume(event(t++, "n3", "restart"));
    c.consume(event(t++, "n3", "recover", {{"log_len", int64_t{70}}, {"term", int64_t{1}}, {"snapshot", int64_t{70}}}));
    CHECK(c.retained() == 8);  // 73..80: the watermark is n2's 72
    for (int64_t i = 71; i <= 80; ++i) c.consume(apply(t++, "n3", i, 1, bad && i == 75 ? "k=bad" : cmd(i)));
    return c.finish();
  };
  CHECK(installed(false).status == analysis::Status::kHeld);
  const auto caught = installed(true);
  REQUIRE(caught.status == analysis::Status::kViolated);
  CHECK(caught.violation->message == "n1 applied 'k=75' (term 1) at index 75, but n3 applied 'k=bad' (term 1) there");
}
