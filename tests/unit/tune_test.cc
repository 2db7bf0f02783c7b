// dsim tune's pieces: grid values split at top-level commas only, a point
// applied to a scenario document, leadership measured from role events,
// and the summaries over seeds.
#include <doctest/doctest.h>

#include "analysis/tune_leader.h"
#include "analysis/tune_page.h"
#include "analysis/tune_requests.h"
#include "sim/cli/tune_grid.h"

using namespace dsim;

namespace {
trace::Event role(int64_t t_ms, const std::string& node, const std::string& r, int64_t term) {
  trace::Event e;
  e.t = t_ms * 1'000'000;
  e.node = node;
  e.kind = "role";
  e.fields = {{"role", trace::Value(r)}, {"term", trace::Value(term)}};
  return e;
}
trace::Event crash(int64_t t_ms, const std::string& node) {
  trace::Event e;
  e.t = t_ms * 1'000'000;
  e.node = node;
  e.kind = "crash";
  return e;
}
}  // namespace

TEST_CASE("tune: --set values split at commas outside brackets, braces and quotes") {
  using V = std::vector<std::string>;
  CHECK(cli::split_grid_values("1,2,3") == V{"1", "2", "3"});
  CHECK(cli::split_grid_values("[150ms,300ms],[150ms,200ms]") == V{"[150ms,300ms]", "[150ms,200ms]"});
  CHECK(cli::split_grid_values("{a: 1, b: [2,3]}, 'x,y'") == V{"{a: 1, b: [2,3]}", "'x,y'"});
  cli::GridAxis axis;
  std::string err;
  CHECK(cli::parse_set_flag("raft.election_timeout=[150ms,300ms],[150ms,200ms]", &axis, &err));
  REQUIRE(axis.values.size() == 2);
  CHECK(axis.values[1].settings[0] == cli::GridSetting{"raft.election_timeout", "[150ms,200ms]"});
  CHECK_FALSE(cli::parse_set_flag("raft.heartbeat", &axis, &err));
  CHECK_FALSE(cli::parse_set_flag("raft.heartbeat=1ms,,2ms", &axis, &err));
  CHECK_FALSE(cli::parse_set_flag("raft heartbeat=1ms", &axis, &err));
  CHECK_FALSE(cli::parse_set_flag("dynamo.r=1,1", &axis, &err));
}

TEST_CASE("tune: a point sets nested keys, creating missing sections, and refuses to descend into a scalar") {
  std::string out, err;
  REQUIRE(cli::apply_settings("protocol: raft\nraft: {heartbeat: 50ms}\n",
                              {{"raft.election_timeout", "[150ms,300ms]"}, {"network.drop", "0.01"}}, &out, &err));
  CHECK(out.find("election_timeout: [150ms, 300ms]") != std::string::npos);
  CHECK(out.find("heartbeat: 50ms") != std::string::npos);
  CHECK(out.find("network:\n  drop: 0.01") != std::string::npos);
  CHECK_FALSE(cli::apply_settings("protocol: raft\n", {{"protocol.x", "1"}}, &out, &err));
  CHECK(err.find("'protocol' is not a mapping") != std::string::npos);
  CHECK_FALSE(cli::apply_settings("protocol: raft\n", {{"raft.heartbeat", "[1ms"}}, &out, &err));
  CHECK(err.find("[1ms") != std::string::npos);
}

TEST_CASE("tune: leader downtime counts leaderless time after the first leader, and split votes are epochs with no leader") {
  analysis::LeaderTimeline l("term");
  CHECK_FALSE(l.has_roles());
  for (const auto& e : {role(0, "n1", "follower", 0), role(150, "n1", "candidate", 1), role(152, "n2", "candidate", 1),
                        role(300, "n1", "candidate", 2), role(305, "n1", "leader", 2), crash(1000, "n1"),
                        role(1160, "n2", "candidate", 3), role(1165, "n2", "leader", 3), role(1500, "n2", "follower", 4),
                        role(1600, "n3", "leader", 4)}) {
    l.consume(e);
  }
  l.finish(2'000'000'000);
  CHECK(l.has_leader());
  CHECK(l.elections() == 3);
  CHECK(l.first_ns() == 305'000'000);
  CHECK(l.downtime_ns() == 165'000'000 + 100'000'000);
  CHECK(l.gap_max_ns() == 165'000'000);
  CHECK(l.split_votes() == 1);  // term 1: two candidates, no leader
}

TEST_CASE("tune: a run that never elects a leader has no downtime to report, and open gaps end with the run") {
  analysis::LeaderTimeline none("term");
  none.consume(role(10, "n1", "candidate", 1));
  none.finish(1'000'000'000);
  CHECK(none.has_roles());
  CHECK_FALSE(none.has_leader());
  CHECK(none.split_votes() == 1);
  analysis::LeaderTimeline open("term");
  open.consume(role(10, "n1", "leader", 1));
  open.consume(crash(500, "n1"));
  open.finish(800'000'000);
  CHECK(open.downtime_ns() == 300'000'000);
}

TEST_CASE("tune: summaries use nearest-rank percentiles") {
  const analysis::TuneCell c = analysis::summarize({5, 1, 4, 2, 3, 10, 9, 8, 7, 6});
  CHECK(c.n == 10);
  CHECK(c.median == 5);
  CHECK(c.p10 == 1);
  CHECK(c.p90 == 9);
  CHECK(c.min == 1);
  CHECK(c.max == 10);
  CHECK(c.sum == 55);
  CHECK(analysis::tune_number(0.1 + 0.2) == "0.3");
  CHECK(analysis::tune_number(-0.0) == "0");
  CHECK(analysis::tune_number(1234567) == "1.23457e+06");
}

TEST_CASE("tune: the page escapes every string it is given") {
  analysis::TuneTable t;
  t.title = "<script>alert(1)</script>";
  t.seeds = 1;
  t.params = {{"a\"b", {"<img src=x onerror=alert(1)>", "'q'"}}};
  t.points = {{0}, {1}};
  t.metrics = {{"m<1>", "doc & more", false}};
  t.cells = {{analysis::summarize({1})}, {analysis::summarize({2})}};
  t.plotted = {0};
  const std::string html = analysis::tune_html(t);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("&lt;img src=x onerror=alert(1)&gt;") != std::string::npos);
  CHECK(html.find("'q'") == std::string::npos);
  CHECK(html.find("m&lt;1&gt;") != std::string::npos);
  const std::string csv = analysis::tune_csv(t);
  CHECK(csv.find("\"a\"\"b\"") != std::string::npos);
}

TEST_CASE("tune: request latency runs from the harness's submission to the first ok answer") {
  auto ev = [](int64_t t_ms, const std::string& kind, int64_t req, std::optional<bool> ok) {
    trace::Event e;
    e.t = t_ms * 1'000'000;
    e.node = kind == "harness_input" ? "$harness" : "n1";
    e.kind = kind;
    e.fields = {{"req", trace::Value(req)}};
    if (ok) e.fields.push_back({"ok", trace::Value(*ok)});
    return e;
  };
  analysis::RequestLatency r;
  for (const auto& e : {ev(0, "harness_input", 1, {}), ev(10, "harness_input", 2, {}), ev(20, "harness_input", 3, {}),
                        ev(15, "client_response", 1, true), ev(25, "client_response", 1, true),
                        ev(30, "client_response", 2, false), ev(50, "client_response", 3, true),
                        ev(60, "client_response", 9, true)}) {
    r.consume(e);
  }
  CHECK(r.submitted() == 3);
  CHECK(r.committed() == 2);  // req 2 failed, the second answer to req 1 and the unknown req 9 do not count
  CHECK(r.latency_ns(0.5) == 15'000'000);
  CHECK(r.latency_ns(1.0) == 30'000'000);
}
