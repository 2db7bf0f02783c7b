// The event path's shortcuts must change nothing but speed: Fanout routes
// each kind to the consumers that read it, the simulator skips the events
// its sink does not want, the writer formats into chunks, storage keeps
// flat tables, and LeaderLiveness keeps request ids in a vector.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "analysis/interner.h"
#include "analysis/leader_liveness.h"
#include "dsim/prng.h"
#include "dsim/storage.h"
#include "sim/core/simulator.h"
#include "sim/net/network.h"
#include "sim/trace/fanout.h"
#include "sim/trace/json_text.h"
#include "sim/trace/writer.h"
#include "test_support.h"

using namespace dsim;
using dsim::testing::ScriptNode;

namespace {

struct Seen : trace::Consumer {
  std::vector<std::string_view> want;
  std::vector<std::string> log;  // "kind node field=value"
  std::vector<uint64_t> seqs;
  std::vector<std::string_view> kinds() const override { return want; }
  void consume(const trace::Event& e) override {
    seqs.push_back(e.seq);
    std::string line = e.kind + " " + e.node;
    for (const auto& [k, v] : e.fields) {
      line += " " + k + "=";
      if (const auto* s = std::get_if<std::string>(&v)) line += *s;
      if (const auto* i = std::get_if<int64_t>(&v)) line += std::to_string(*i);
      if (const auto* b = std::get_if<bool>(&v)) line += *b ? "true" : "false";
    }
    log.push_back(line);
  }
};

}  // namespace

TEST_CASE("fanout: each consumer gets the kinds it declares, all of them when it declares none, in order") {
  trace::Fanout f({"n1", "n2"});
  Seen roles, all, two;
  roles.want = {"role"};
  two.want = {"append", "role"};
  f.add(&roles);
  f.add(&all);
  f.add(&two);
  const std::string long_value(100, 'x');  // outgrows any small-string buffer
  f.event(Time{1}, NodeId{0}, "send", std::vector<Field>{{"to", std::string_view("n2")}});
  f.event(Time{2}, NodeId{1}, "role", std::vector<Field>{{"role", std::string_view("leader")}, {"term", int64_t{3}}});
  f.event(Time{3}, NodeId{0}, "append", std::vector<Field>{{"cmd", std::string_view(long_value)}, {"ok", true}});
  f.event(Time{4}, kGlobal, "heal", {});
  f.event(Time{5}, NodeId{1}, "append", std::vector<Field>{{"index", int64_t{7}}});
  CHECK(roles.log == std::vector<std::string>{"role n2 role=leader term=3"});
  CHECK(all.log == std::vector<std::string>{"send n1 to=n2", "role n2 role=leader term=3",
                                            "append n1 cmd=" + long_value + " ok=true", "heal *",
                                            "append n2 index=7"});
  CHECK(two.log == std::vector<std::string>{"role n2 role=leader term=3", "append n1 cmd=" + long_value + " ok=true",
                                            "append n2 index=7"});
  CHECK(f.wants("role"));
  CHECK(f.wants("timer"));  // `all` reads everything
}

// Reads views, and writes down the Event each stands for.
struct SeenViews : Seen {
  uint64_t events = 0;  // Events handed over (none: it takes views)
  bool takes_views() const override { return true; }
  void consume_view(const trace::EventView& v) override {
    trace::Event e;
    e.fields.emplace_back("stale", int64_t{1});  // to_event replaces what was there
    Seen::consume(v.to_event(e));
    sources.push_back(v.source);
  }
  void consume(const trace::Event& e) override {
    ++events;
    Seen::consume(e);
  }
  std::vector<uint32_t> sources;
};

TEST_CASE("fanout: a consumer that takes views reads what an Event would say, numbered alike") {
  trace::Fanout f({"n1", "n2"});
  Seen events;
  SeenViews views, roles;
  roles.want = {"role"};
  f.add(&views);
  f.add(&events);
  f.add(&roles);
  const std::string long_value(100, 'x');
  f.event(Time{1}, NodeId{0}, "send", std::vector<Field>{{"to", std::string_view("n2")}});
  f.event(Time{2}, NodeId{1}, "role", std::vector<Field>{{"role", std::string_view("leader")}, {"term", int64_t{3}}});
  f.event(Time{3}, NodeId{0}, "append", std::vector<Field>{{"cmd", std::string_view(long_value)}, {"ok", true}});
  f.event(Time{4}, kGlobal, "heal", {});
  f.event(Time{5}, kExternal, "invoke", {});
  CHECK(views.log == events.log);
  CHECK(views.seqs == std::vector<uint64_t>{1, 2, 3, 4, 5});
  CHECK(events.seqs == views.seqs);
  CHECK(views.events == 0);
  const uint32_t none = trace::Event::kNoSource;
  CHECK(views.sources == std::vector<uint32_t>{0, 1, 0, none, none});
  CHECK(roles.log == std::vector<std::string>{"role n2 role=leader term=3"});
  CHECK(roles.seqs == std::vector<uint64_t>{2});

  // Only view readers for a kind: the same numbering goes on.
  trace::Fanout g({"n1"});
  SeenViews only;
  g.add(&only);
  g.event(Time{1}, NodeId{0}, "append", std::vector<Field>{{"index", int64_t{1}}});
  g.event(Time{2}, NodeId{0}, "append", std::vector<Field>{{"index", int64_t{2}}});
  CHECK(only.log == std::vector<std::string>{"append n1 index=1", "append n1 index=2"});
  CHECK(only.seqs == std::vector<uint64_t>{1, 2});
}

TEST_CASE("fanout: a kind in a reused buffer is routed by its text, not its address") {
  trace::Fanout f({"n1"});
  Seen roles;
  roles.want = {"role"};
  f.add(&roles);
  CHECK_FALSE(f.wants("timer"));
  char buf[8] = "timer";
  f.event(Time{1}, NodeId{0}, std::string_view(buf, 5), {});
  std::memcpy(buf, "role", 5);  // same address, another kind (and length)
  f.event(Time{2}, NodeId{0}, std::string_view(buf, 4), {});
  std::memcpy(buf, "rolf", 5);  // same address and length, other text
  f.event(Time{3}, NodeId{0}, std::string_view(buf, 4), {});
  std::memcpy(buf, "role", 5);
  f.event(Time{4}, NodeId{0}, std::string_view(buf, 4), {});
  CHECK(roles.log == std::vector<std::string>{"role n1", "role n1"});
  trace::JsonlWriter w({"n1"}, "");
  f.also_write_to(&w);
  CHECK(f.wants("timer"));  // a writer reads everything
}

TEST_CASE("fanout: node, kind and keys left in place when they repeat are right when they change") {
  // The converted event keeps what repeats from the previous one; every
  // change (the external node first, whose number is the largest; a field
  // key in a reused buffer; the same node under another kind) must show.
  trace::Fanout f({"n1", "n2"});
  Seen all;
  struct Sources : trace::Consumer {
    std::vector<uint32_t> got;
    void consume(const trace::Event& e) override { got.push_back(e.source); }
  } sources;
  f.add(&all);
  f.add(&sources);
  char key[8] = "index";
  f.event(Time{1}, kExternal, "invoke", std::vector<Field>{{"f", std::string_view("write")}});
  f.event(Time{2}, NodeId{0}, "append", std::vector<Field>{{std::string_view(key, 5), int64_t{1}}});
  std::memcpy(key, "inde_", 5);  // same address and length, another key
  f.event(Time{3}, NodeId{0}, "append", std::vector<Field>{{std::string_view(key, 5), int64_t{2}}});
  f.event(Time{4}, NodeId{0}, "commit", std::vector<Field>{{"index", int64_t{2}}});
  f.event(Time{5}, kGlobal, "commit", std::vector<Field>{{"index", int64_t{2}}});
  f.event(Time{6}, NodeId{1}, "commit", std::vector<Field>{{"index", int64_t{2}}});
  f.event(Time{7}, kExternal, "commit", {});
  CHECK(all.log == std::vector<std::string>{"invoke $ext f=write", "append n1 index=1", "append n1 inde_=2",
                                            "commit n1 index=2", "commit * index=2", "commit n2 index=2",
                                            "commit $ext"});
  const uint32_t none = trace::Event::kNoSource;
  CHECK(sources.got == std::vector<uint32_t>{none, 0, 0, 0, none, 1, none});
}

TEST_CASE("NodeIds: ids in first-seen order; a live run's node number is a hint the name must confirm") {
  analysis::NodeIds ids;
  auto ev = [](std::string node, uint32_t source) {
    trace::Event e;
    e.node = std::move(node);
    e.source = source;
    return e;
  };
  CHECK(ids.id(ev("n2", 1)) == 0);
  CHECK(ids.id(ev("n1", 0)) == 1);
  CHECK(ids.id(ev("n2", 1)) == 0);                          // through the hint
  CHECK(ids.id(ev("n3", 1)) == 2);                          // the same number, another name: the name wins
  CHECK(ids.id(ev("n1", trace::Event::kNoSource)) == 1);  // from a file
  CHECK(ids.by_name() == std::vector<uint32_t>{1, 0, 2});
  for (int i = 0; i < 40; ++i) ids.id("c" + std::to_string(i));  // past the linear scan
  CHECK(ids.id(ev("c39", 7)) == 42);
  CHECK(ids.id(ev("c39", 7)) == 42);
  CHECK(ids.name(42) == "c39");
}

TEST_CASE("simulator: events its sink does not want are not built; the rest arrive as before") {
  auto run = [](trace::Consumer* c) {
    Simulator sim(1);
    net::LinkSpec link;
    link.latency = net::LatencyModel::constant(milliseconds(1));
    net::Network net(2, 1, link);
    sim.set_network(&net);
    trace::Fanout f({"a", "b"});
    f.add(c);
    sim.set_sink(&f);
    for (int i = 0; i < 2; ++i) {
      sim.add_node(i == 0 ? "a" : "b", [](NodeId self) {
        auto n = std::make_unique<ScriptNode>();
        n->start = [self](Context& ctx) {
          if (self.value == 0) ctx.set_timer(milliseconds(5), 1);
        };
        n->timer = [](Context& ctx, TimerId, uint64_t) {
          ctx.send(NodeId{1}, Message{});
          ctx.emit("note", {{"x", int64_t{1}}});
        };
        return n;
      });
    }
    sim.run(Time{0} + milliseconds(20));
  };
  Seen everything, notes;
  notes.want = {"note", "deliver"};
  run(&everything);
  run(&notes);
  std::vector<std::string> expect;
  for (const auto& l : everything.log) {
    if (l.starts_with("note ") || l.starts_with("deliver ")) expect.push_back(l);
  }
  CHECK(expect.size() == 2);
  CHECK(notes.log == expect);
  bool sends = false, timers = false;
  for (const auto& l : everything.log) {
    sends = sends || l.starts_with("send ");
    timers = timers || l.starts_with("timer ");
  }
  CHECK((sends && timers));
}

TEST_CASE("writer: chunked lines are byte for byte the JSON of each field, lines longer than a chunk included") {
  const std::string path = dsim::testing::temp_path("dsim-event-path.jsonl");
  std::string odd = "q\"b\\n\nr\rt\t";
  odd.push_back('\x01');
  odd.push_back('\x1f');
  odd += "\xc3\xa9";
  const std::string big(200000, 'z');  // three chunks' worth in one line
  std::string expect = R"({"t":0,"node":"*","kind":"meta","schema":"dsim.trace/1","x":1})" "\n";
  {
    trace::JsonlWriter w({"n\"1"}, "\"x\":1");
    REQUIRE(w.open(path).empty());
    for (int i = 0; i < 3000; ++i) {
      const std::string& s = i % 1000 == 7 ? big : odd;
      w.event(Time{i}, i % 2 ? NodeId{0} : kGlobal, "k",
              std::vector<Field>{{"s", std::string_view(s)}, {"i", int64_t{-i}}, {"b", i % 3 == 0}});
      std::string line = "{\"t\":" + std::to_string(i) + ",\"node\":";
      trace::append_json_string(line, i % 2 ? "n\"1" : "*");
      line += ",\"kind\":\"k\",\"s\":";
      trace::append_json_string(line, s);
      line += ",\"i\":" + std::to_string(-i) + ",\"b\":" + (i % 3 == 0 ? "true" : "false") + "}\n";
      expect += line;
    }
    REQUIRE(w.finish().empty());
    CHECK(w.lines() == 3001);
  }
  std::ifstream in(path, std::ios::binary);
  const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(got.size() == expect.size());
  CHECK(got == expect);
  std::remove(path.c_str());
}

TEST_CASE("storage: the flat tables behave as a map of durable and pending writes") {
  Storage st;
  std::map<std::string, std::string> durable;
  std::map<std::string, std::optional<std::string>> pending;
  Rng rng(7);
  for (int step = 0; step < 60000; ++step) {
    // Few keys early (many overwrites and erases), more later (growth).
    const uint64_t keys = step < 20000 ? 40 : 3000;
    const std::string key = "log/" + std::to_string(rng.below(keys));
    const uint64_t op = rng.below(100);
    if (op < 50) {
      const std::string value = std::string(rng.below(40), 'v') + std::to_string(step);
      st.put(key, value);
      pending[key] = value;
    } else if (op < 70) {
      st.erase(key);
      pending[key] = std::nullopt;
    } else if (op < 90) {
      std::optional<std::string> want;
      if (auto p = pending.find(key); p != pending.end()) {
        want = p->second;
      } else if (auto d = durable.find(key); d != durable.end()) {
        want = d->second;
      }
      REQUIRE(st.get(key) == want);
    } else if (op < 98) {
      st.sync();
      for (auto& [k, v] : pending) {
        if (v) {
          durable[k] = *v;
        } else {
          durable.erase(k);
        }
      }
      pending.clear();
    } else {
      const bool lose = rng.below(2) == 0;
      st.on_crash(lose);
      if (!lose) {
        for (auto& [k, v] : pending) {
          if (v) {
            durable[k] = *v;
          } else {
            durable.erase(k);
          }
        }
      }
      pending.clear();
    }
    REQUIRE(st.unsynced() == pending.size());
  }
  // Everything durable is found, nothing else.
  st.sync();
  for (const auto& [k, v] : pending) {
    if (v) {
      durable[k] = *v;
    } else {
      durable.erase(k);
    }
  }
  for (uint64_t i = 0; i < 3000; ++i) {
    const std::string key = "log/" + std::to_string(i);
    const auto d = durable.find(key);
    CHECK(st.get(key) == (d == durable.end() ? std::nullopt : std::optional<std::string>(d->second)));
  }
}

TEST_CASE("leader liveness: request ids far from 1, negative or huge, are judged in id order like dense ones") {
  auto ev = [](int64_t t, std::string node, std::string kind, std::vector<std::pair<std::string, trace::Value>> f) {
    trace::Event e;
    e.t = t;
    e.node = std::move(node);
    e.kind = std::move(kind);
    e.fields = std::move(f);
    return e;
  };
  const int64_t s = 1'000'000'000;
  analysis::LeaderLiveness c("raft_liveness", s);
  c.consume(ev(0, "n1", "start", {}));
  c.consume(ev(10, "n1", "role", {{"role", std::string("leader")}, {"term", int64_t{1}}}));
  // Submitted at the same time after the deadline (1 s), none answered: the
  // first violation is the lowest id's.
  const int64_t ids[] = {int64_t{1} << 40, -5, 3, 70000, 2};
  for (int64_t id : ids) c.consume(ev(2 * s, "*", "harness_input", {{"to", std::string("n1")}, {"req", id}}));
  // Answered in time, except -5.
  for (int64_t id : ids) {
    if (id != -5) c.consume(ev(2 * s + 5, "n1", "client_response", {{"req", id}, {"ok", true}}));
  }
  c.consume(ev(5 * s, "*", "end", {}));
  const analysis::CheckResult r = c.finish();
  CHECK(r.status == analysis::Status::kViolated);
  REQUIRE(r.violation.has_value());
  CHECK(r.violation->message.find("request -5,") != std::string::npos);

  analysis::LeaderLiveness ok("raft_liveness", s);
  ok.consume(ev(10, "n1", "role", {{"role", std::string("leader")}, {"term", int64_t{1}}}));
  for (int64_t id : ids) {
    ok.consume(ev(2 * s, "*", "harness_input", {{"to", std::string("n1")}, {"req", id}}));
    ok.consume(ev(2 * s + 5, "n1", "client_response", {{"req", id}, {"ok", true}}));
  }
  ok.consume(ev(5 * s, "*", "end", {}));
  const analysis::CheckResult held = ok.finish();
  CHECK(held.status == analysis::Status::kHeld);
  CHECK(held.note.find("5 requests submitted later committed in time") != std::string::npos);
}
