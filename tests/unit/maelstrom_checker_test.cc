// The maelstrom checker (protocols/maelstrom/checkers.h) on hand-made
// traces: Maelstrom's semantics per workload, and no verdict without
// evidence. The end-to-end runs are tests/cli/maelstrom_test.sh.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "protocols/maelstrom/checkers.h"
#include "protocols/maelstrom/server.h"
#include "protocols/maelstrom/workload.h"

namespace dsim::maelstrom {
namespace {

using analysis::Status;

struct Run {
  std::unique_ptr<analysis::Checker> c = make_checker();
  int64_t next_op = 0;

  explicit Run(const char* workload) {
    trace::Event e;
    e.node = "n1";
    e.kind = "m_mode";
    e.fields = {{"mode", std::string("deterministic")}, {"reproducible", true}, {"workload", std::string(workload)}};
    c->consume(e);
  }
  // An operation: invoked at t, completed at t + 1ms with `type` ("" = never).
  int64_t op(int64_t t, const char* node, const char* f, const std::string& req, const char* type,
             const std::string& resp, bool final_read = false, int64_t code = -1) {
    const int64_t n = next_op++;
    trace::Event inv;
    inv.t = t;
    inv.node = node;
    inv.kind = "m_invoke";
    inv.fields = {{"op", n}, {"client", "c" + std::to_string(n + 1)}, {"f", std::string(f)}, {"final", final_read},
                  {"body", req}};
    c->consume(inv);
    if (*type) {
      trace::Event done;
      done.t = t + 1'000'000;
      done.node = node;
      done.kind = "m_complete";
      done.fields = {{"op", n}, {"type", std::string(type)}, {"code", code}, {"body", resp}};
      c->consume(done);
    }
    return n;
  }
  analysis::CheckResult finish() { return c->finish(); }
};

TEST_CASE("maelstrom: nothing happened is inconclusive, never held") {
  auto c = make_checker();
  CHECK(c->finish().status == Status::kInconclusive);  // no node even started
  for (const char* w : {"echo", "unique-ids", "broadcast", "g-counter", "kafka", "lin-kv"}) {
    CAPTURE(w);
    Run r(w);
    CHECK(r.finish().status == Status::kInconclusive);
  }
  Run r("broadcast");  // acknowledged broadcasts but no final read
  r.op(0, "n1", "broadcast", R"({"type":"broadcast","message":1})", "ok", R"({"type":"broadcast_ok"})");
  CHECK(r.finish().status == Status::kInconclusive);
}

TEST_CASE("maelstrom echo: a reply must echo its request") {
  Run good("echo");
  good.op(0, "n1", "echo", R"({"type":"echo","echo":"a"})", "ok", R"({"type":"echo_ok","echo":"a"})");
  CHECK(good.finish().status == Status::kHeld);
  Run bad("echo");
  bad.op(0, "n1", "echo", R"({"type":"echo","echo":"a"})", "ok", R"({"type":"echo_ok","echo":"b"})");
  CHECK(bad.finish().status == Status::kViolated);
}

TEST_CASE("maelstrom unique-ids: two equal acknowledged ids violate it") {
  Run r("unique-ids");
  r.op(0, "n1", "generate", R"({"type":"generate"})", "ok", R"({"type":"generate_ok","id":7})");
  r.op(0, "n2", "generate", R"({"type":"generate"})", "ok", R"({"type":"generate_ok","id":"7"})");
  CHECK(r.finish().status == Status::kHeld);  // 7 and "7" differ
  r.op(0, "n3", "generate", R"({"type":"generate"})", "ok", R"({"type":"generate_ok","id":7})");
  CHECK(r.finish().status == Status::kViolated);
}

TEST_CASE("maelstrom broadcast: lost, unexpected and duplicated values") {
  auto base = [](Run& r) {
    r.op(0, "n1", "broadcast", R"({"type":"broadcast","message":1})", "ok", R"({"type":"broadcast_ok"})");
    r.op(0, "n2", "broadcast", R"({"type":"broadcast","message":2})", "info", R"({"type":"error","code":0})");
  };
  Run good("broadcast");
  base(good);
  good.op(50'000'000, "n1", "read", R"({"type":"read"})", "ok", R"({"type":"read_ok","messages":[1]})", true);
  good.op(50'000'000, "n2", "read", R"({"type":"read"})", "ok", R"({"type":"read_ok","messages":[1,2]})", true);
  const auto rg = good.finish();
  CHECK(rg.status == Status::kHeld);  // 2 was indefinite: either way is fine
  // Value 1, broadcast at 0, is in both later reads: stable at once.
  CHECK(rg.note.find("stable latency p50 0s") != std::string::npos);
  Run lost("broadcast");
  base(lost);
  lost.op(50'000'000, "n1", "read", R"({"type":"read"})", "ok", R"({"type":"read_ok","messages":[2]})", true);
  const auto rl = lost.finish();
  REQUIRE(rl.status == Status::kViolated);
  CHECK(rl.violation->message.find("lost: value 1") != std::string::npos);
  Run unexpected("broadcast");
  base(unexpected);
  unexpected.op(50'000'000, "n1", "read", R"({"type":"read"})", "ok", R"({"type":"read_ok","messages":[1,3]})", true);
  CHECK(unexpected.finish().status == Status::kViolated);
  Run dup("broadcast");
  base(dup);
  dup.op(50'000'000, "n1", "read", R"({"type":"read"})", "ok", R"({"type":"read_ok","messages":[1,1]})", true);
  CHECK(dup.finish().status == Status::kViolated);
}

TEST_CASE("maelstrom broadcast: stable latency ends with the last later read that lacks the value") {
  Run r("broadcast");
  r.op(0, "n1", "broadcast", R"({"type":"broadcast","message":1})", "ok", R"({"type":"broadcast_ok"})");
  r.op(10'000'000, "n2", "read", R"({"type":"read"})", "ok", R"({"type":"read_ok","messages":[]})");  // done at 11ms
  r.op(20'000'000, "n3", "read", R"({"type":"read"})", "ok", R"({"type":"read_ok","messages":[1]})");
  r.op(50'000'000, "n2", "read", R"({"type":"read"})", "ok", R"({"type":"read_ok","messages":[1]})", true);
  const auto res = r.finish();
  CHECK(res.status == Status::kHeld);
  CHECK(res.note.find("stable latency p50 11ms") != std::string::npos);
  CHECK(res.note.find("1 of 2 other reads stale") != std::string::npos);
}

TEST_CASE("maelstrom counters: a final read lies between the acknowledged sum and that plus indefinite adds") {
  for (int64_t value : {5, 9, 4, 10}) {
    CAPTURE(value);
    Run r("g-counter");
    r.op(0, "n1", "add", R"({"type":"add","delta":3})", "ok", R"({"type":"add_ok"})");
    r.op(0, "n2", "add", R"({"type":"add","delta":2})", "ok", R"({"type":"add_ok"})");
    r.op(0, "n2", "add", R"({"type":"add","delta":4})", "info", R"({"type":"error","code":0})");
    r.op(0, "n3", "add", R"({"type":"add","delta":100})", "fail", R"({"type":"error","code":11})", false, 11);
    r.op(50'000'000, "n1", "read", R"({"type":"read"})", "ok",
         R"({"type":"read_ok","value":)" + std::to_string(value) + "}", true);
    CHECK(r.finish().status == (value == 5 || value == 9 ? Status::kHeld : Status::kViolated));
  }
  Run pn("pn-counter");
  pn.op(0, "n1", "add", R"({"type":"add","delta":3})", "ok", R"({"type":"add_ok"})");
  pn.op(0, "n1", "add", R"({"type":"add","delta":-5})", "info", R"({"type":"error","code":13})", false, 13);
  pn.op(50'000'000, "n1", "read", R"({"type":"read"})", "ok", R"({"type":"read_ok","value":-2})", true);
  CHECK(pn.finish().status == Status::kHeld);
}

TEST_CASE("maelstrom kafka: lost writes, non-monotonic offsets and skips") {
  auto sends = [](Run& r) {
    r.op(0, "n1", "send", R"({"type":"send","key":"k0","msg":10})", "ok", R"({"type":"send_ok","offset":0})");
    r.op(0, "n1", "send", R"({"type":"send","key":"k0","msg":11})", "ok", R"({"type":"send_ok","offset":1})");
    r.op(0, "n1", "send", R"({"type":"send","key":"k0","msg":12})", "ok", R"({"type":"send_ok","offset":2})");
  };
  const std::string poll = R"({"type":"poll","offsets":{"k0":0}})";
  Run good("kafka");
  sends(good);
  good.op(50'000'000, "n2", "poll", poll, "ok", R"({"type":"poll_ok","msgs":{"k0":[[0,10],[1,11],[2,12]]}})", true);
  CHECK(good.finish().status == Status::kHeld);
  Run lost("kafka");
  sends(lost);
  lost.op(50'000'000, "n2", "poll", poll, "ok", R"({"type":"poll_ok","msgs":{"k0":[[0,10],[1,11]]}})", true);
  const auto rl = lost.finish();
  REQUIRE(rl.status == Status::kViolated);
  CHECK(rl.violation->message.find("lost write") != std::string::npos);
  Run order("kafka");
  sends(order);
  order.op(50'000'000, "n2", "poll", poll, "ok", R"({"type":"poll_ok","msgs":{"k0":[[0,10],[2,12],[1,11]]}})", true);
  const auto ro = order.finish();
  REQUIRE(ro.status == Status::kViolated);
  CHECK(ro.violation->message.find("non-monotonic") != std::string::npos);
  Run skip("kafka");
  sends(skip);
  skip.op(50'000'000, "n2", "poll", poll, "ok", R"({"type":"poll_ok","msgs":{"k0":[[0,10],[1,11],[2,12]]}})", true);
  skip.op(60'000'000, "n3", "poll", poll, "ok", R"({"type":"poll_ok","msgs":{"k0":[[0,10],[2,12]]}})");
  const auto rs = skip.finish();
  REQUIRE(rs.status == Status::kViolated);
  CHECK(rs.violation->message.find("skip") != std::string::npos);
  Run twice("kafka");
  sends(twice);
  twice.op(0, "n1", "send", R"({"type":"send","key":"k0","msg":13})", "ok", R"({"type":"send_ok","offset":2})");
  CHECK(twice.finish().status == Status::kViolated);
}

TEST_CASE("maelstrom lin-kv: a read after an acknowledged write sees it; key-does-not-exist reads absent") {
  Run good("lin-kv");
  good.op(0, "n1", "read", R"({"type":"read","key":0})", "fail", R"({"type":"error","code":20})", false, 20);
  good.op(10'000'000, "n1", "write", R"({"type":"write","key":0,"value":1})", "ok", R"({"type":"write_ok"})");
  good.op(20'000'000, "n2", "read", R"({"type":"read","key":0})", "ok", R"({"type":"read_ok","value":1})");
  CHECK(good.finish().status == Status::kHeld);
  Run stale("lin-kv");
  stale.op(10'000'000, "n1", "write", R"({"type":"write","key":0,"value":1})", "ok", R"({"type":"write_ok"})");
  stale.op(20'000'000, "n2", "read", R"({"type":"read","key":0})", "fail", R"({"type":"error","code":20})", false, 20);
  CHECK(stale.finish().status == Status::kViolated);
}

TEST_CASE("maelstrom: hostile bodies in a trace give a verdict, never an exception") {
  const std::vector<std::string> junk = {"", "[1]", "null", "{\"type\":7}", "{\"echo\":{}}", "{\"delta\":\"x\"}",
                                         "{\"key\":[1],\"msg\":{}}", "{\"messages\":[1.5,\"a\"]}",
                                         "{\"offset\":\"1\"}", "{\"msgs\":{\"k\":[[\"a\"],5]}}",
                                         "{\"value\":1.5,\"from\":[],\"to\":null,\"key\":{}}"};
  const std::vector<const char*> fs = {"echo", "generate", "broadcast", "read", "add", "send", "poll", "write", "cas"};
  for (const char* w : {"echo", "unique-ids", "broadcast", "g-counter", "pn-counter", "kafka", "lin-kv"}) {
    CAPTURE(w);
    Run r(w);
    int64_t t = 0;
    for (const auto& a : junk) {
      for (const auto& b : junk) {
        for (const char* f : fs) {
          r.op(t, "n1", f, a, "ok", b, (t / 1'000'000) % 2 == 0);
          t += 2'000'000;
        }
      }
    }
    CHECK_NOTHROW(r.finish());
  }
}

TEST_CASE("maelstrom error codes: definite ones mean it did not happen") {
  for (int64_t c : {1, 10, 11, 12, 14, 20, 21, 22, 30}) CHECK(definite_error(c));
  for (int64_t c : {0, 13, 1000, -1}) CHECK_FALSE(definite_error(c));
}

TEST_CASE("maelstrom topologies") {
  CHECK(neighbours(Topology::kGrid, 25, 0) == std::vector<uint32_t>{1, 5});
  CHECK(neighbours(Topology::kGrid, 25, 12) == std::vector<uint32_t>{7, 11, 13, 17});
  CHECK(neighbours(Topology::kLine, 5, 4) == std::vector<uint32_t>{3});
  CHECK(neighbours(Topology::kTree, 25, 0) == std::vector<uint32_t>{1, 2, 3, 4});
  CHECK(neighbours(Topology::kTree, 25, 5) == std::vector<uint32_t>{1, 21, 22, 23, 24});
  CHECK(neighbours(Topology::kTotal, 3, 1) == std::vector<uint32_t>{0, 2});
}

}  // namespace
}  // namespace dsim::maelstrom
