// Load balancing: each policy's choices on small fixed inputs, statistical
// properties over many requests (with tolerances next to theory), the
// bounded-load cap, consistent hashing against theory, and the catalogue:
// who wins where.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "registry.h"
#include "protocols/lb/definition.h"
#include "catalogue.h"
#include "protocols/lb/hashing.h"
#include "protocols/lb/policy.h"

using namespace dsim;

namespace {
std::string sequence(lb::Policy& p, int n) {
  Rng rng(1);
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('a' + p.pick(static_cast<uint64_t>(i), rng));
  return s;
}
}  // namespace

TEST_CASE("lb policies: fixed sequences") {
  lb::RoundRobin rr(3);
  CHECK(sequence(rr, 7) == "abcabca");
  rr.set_eligible({true, false, true});
  CHECK(sequence(rr, 4) == "caca");  // b (next in turn) is skipped while down
  // nginx's smooth weighted round robin for weights 5, 1, 1.
  lb::SmoothWeighted sw({5, 1, 1});
  CHECK(sequence(sw, 14) == "aabacaaaabacaa");
  lb::SmoothWeighted even({1, 1});
  CHECK(sequence(even, 4) == "abab");
  // Least outstanding: the idle backend.
  lb::LeastOutstanding lo(3);
  lo.started(0);
  lo.started(0);
  lo.started(2);
  Rng rng(1);
  CHECK(lo.pick(0, rng) == 1);
  // Consistent hashing: a key keeps its backend; a down backend's keys move.
  lb::ConsistentHash ch(5, 100);
  const uint32_t owner = ch.pick(42, rng);
  CHECK(ch.pick(42, rng) == owner);
  std::vector<bool> up(5, true);
  up[owner] = false;
  ch.set_eligible(up);
  CHECK(ch.pick(42, rng) != owner);
}

TEST_CASE("lb policies: load spread over many requests, next to theory") {
  const int n = 10, m = 200000;
  Rng rng(7);
  // Random: counts are multinomial; the coefficient of variation is about
  // sqrt((n - 1) / m) = 0.0067. Allow 2x.
  lb::Random rnd(n);
  std::vector<double> count(n, 0);
  for (int i = 0; i < m; ++i) count[rnd.pick(0, rng)] += 1;
  double mean = static_cast<double>(m) / n, var = 0;
  for (double c : count) var += (c - mean) * (c - mean) / n;
  CHECK(std::sqrt(var) / mean < 2 * std::sqrt(static_cast<double>(n - 1) / m));
  // Balls into bins, sequentially with k outstanding each: with one random
  // choice the busiest of n bins holding m/n-ish jobs carries a gap of
  // order sqrt(m/n log n) over the mean; with two choices the gap is
  // O(log log n). Simulate n bins, 10n jobs at once, and compare gaps.
  auto gap = [&](lb::Policy& p) {
    for (int i = 0; i < 10 * n * 100; ++i) p.started(p.pick(0, rng));
    int64_t mx = 0;
    for (uint32_t b = 0; b < static_cast<uint32_t>(n) * 10; ++b) mx = std::max(mx, p.outstanding(b));
    return mx - 100;  // mean load is 100 per bin
  };
  lb::Random r2(n * 10);
  lb::PowerOfTwo p2(n * 10);
  const int64_t g_random = gap(r2), g_two = gap(p2);
  CHECK(g_random > 15);  // ~ sqrt(2 * 100 * ln 100) ~ 30
  CHECK(g_two <= 4);     // ~ ln ln 100 / ln 2 ~ 2.2
}

TEST_CASE("bounded-load consistent hashing never exceeds its cap") {
  lb::BoundedLoadHash b(8, 100, 1.25);
  Rng rng(3);
  // Mostly the same few keys (the worst case for plain hashing), with
  // departures mixed in.
  std::vector<uint32_t> live;
  for (int i = 0; i < 20000; ++i) {
    if (!live.empty() && rng.below(3) == 0) {
      const size_t j = rng.below(live.size());
      b.finished(live[j]);
      live[j] = live.back();
      live.pop_back();
      continue;
    }
    const int64_t cap = b.capacity();
    const uint32_t to = b.pick(rng.below(4), rng);
    CHECK(b.outstanding(to) < cap);
    b.started(to);
    live.push_back(to);
  }
  // Plain consistent hashing on the same workload goes over that cap: the
  // bound is what keeps the hot keys' owners in check.
  lb::ConsistentHash ch(8, 100);
  live.clear();
  int64_t worst = 0;
  for (int i = 0; i < 20000; ++i) {
    if (!live.empty() && rng.below(3) == 0) {
      const size_t j = rng.below(live.size());
      ch.finished(live[j]);
      live[j] = live.back();
      live.pop_back();
      continue;
    }
    const uint32_t to = ch.pick(rng.below(4), rng);
    ch.started(to);
    live.push_back(to);
    worst = std::max(worst, ch.outstanding(to) * 8 - static_cast<int64_t>(1.25 * static_cast<double>(live.size())));
  }
  CHECK(worst > 0);  // some backend held more than 1.25x the mean
}

TEST_CASE("consistent hashing against theory: spread by virtual nodes, keys moved on join and leave") {
  const auto spread = lb::hash_spread(10, 100000, {1, 16, 256});
  REQUIRE(spread.size() == 3);
  CHECK(spread[0].cov > spread[1].cov);
  CHECK(spread[1].cov > spread[2].cov);
  for (const auto& p : spread) {
    CAPTURE(p.vnodes);
    // A backend's share is a sum of v spacings: CoV ~ 1/sqrt(v) (plus the
    // 1% sampling noise of 100k keys). Within a factor of two.
    const double theory = 1 / std::sqrt(static_cast<double>(p.vnodes));
    CHECK(p.cov < 2 * theory + 0.02);
    CHECK(p.cov > theory / 2);
  }
  // Keys moved: a joining backend takes its share, 1/(n+1) on average; the
  // share's CoV is 1/sqrt(v), so allow 3/sqrt(v) relative. Average over
  // rings of several sizes to keep the test sharp.
  for (uint32_t n : {5u, 10u, 20u}) {
    CAPTURE(n);
    const auto r = lb::hash_remap(n, 100000, 256);
    const double theory = 1.0 / (n + 1);
    CHECK(std::abs(r.joined - theory) < 3 * theory / 16);
    CHECK(std::abs(r.left - theory) < 3 * theory / 16);
  }
}

namespace {
std::map<std::string, analysis::LbReport> compare(const char* rel) {
  const auto s = dsim::testing::load_catalogue(rel);
  std::map<std::string, analysis::LbReport> out;
  const auto policies = s.def->variants(*s.config);
  for (size_t i = 0; i < policies.size(); ++i) {
    auto one = s;
    one.config = s.def->with_variant(*s.config, i);
    scenario::RunOptions opt;
    opt.seed = *s.seed;
    const auto r = scenario::run_scenario(one, opt);
    const auto* lb = lb::report_of(r.stats.get());
    REQUIRE(lb != nullptr);
    out[policies[i]] = *lb;
  }
  return out;
}
}  // namespace

TEST_CASE("lb client-side balancing: clients pick and avoid a crashed backend by their own timeouts") {
  // lb-crash-return without the proxy (one node fewer).
  scenario::Diagnostics diag;
  const auto text = std::string("version: 1\nname: cs\nprotocol: lb\nseed: 1\nduration: 10s\nnodes: 48\n") +
                    "lb: {backends: 8, clients: 40, service: 10ms, concurrency: 4, rate: 50, timeout: 200ms, retries: 1, "
                    "client_side: true, policies: [round_robin, power_of_two]}\n"
                    "faults:\n  - {at: 3s, crash: n3, restart_after: 3s}\nchecks: []\n";
  const auto cs = scenario::load_scenario_text(dsim::testing::registry(), text, "client-side.yaml", diag);
  CAPTURE(diag.render(false));
  REQUIRE(cs.has_value());
  const auto policies = cs->def->variants(*cs->config);
  for (size_t i = 0; i < policies.size(); ++i) {
    CAPTURE(policies[i]);
    auto run = *cs;
    run.config = cs->def->with_variant(*cs->config, i);
    scenario::RunOptions opt;
    opt.seed = 1;
    const auto r = scenario::run_scenario(run, opt);
    const auto* lb = lb::report_of(r.stats.get());
    REQUIRE(lb != nullptr);
    CHECK(lb->requests > 15000);
    CHECK(lb->retries > 0);                  // each client learns of n3's crash by timing out
    CHECK(lb->errors * 20 < lb->requests);  // and then avoids it
    CHECK(lb->served.at("n3") > 0);          // and uses it again after it returns
  }
}

TEST_CASE("lb catalogue: who wins where (the claims of scenarios/lb/README.md)") {
  {
    const auto r = compare("scenarios/lb/lb-homogeneous.yaml");
    CHECK(r.at("round_robin").cov < 0.01);  // even by construction
    CHECK(r.at("consistent_hash").cov > r.at("bounded_load_hash").cov);
    CHECK(r.at("least_outstanding").p99_ns < r.at("random").p99_ns);
    for (const auto& [p, l] : r) CHECK(l.errors == 0);
  }
  {
    const auto r = compare("scenarios/lb/lb-heterogeneous.yaml");
    CHECK(r.at("weighted_round_robin").cov < 0.01);  // exactly by capacity
    CHECK(r.at("round_robin").errors > 0);           // the small backends overflow
    CHECK(r.at("weighted_round_robin").errors == 0);
    CHECK(r.at("least_outstanding").errors == 0);
    CHECK(r.at("power_of_two").errors == 0);
  }
  {
    // Load over time: n2 (slow from 3 s to 7 s) gets less per second from
    // least outstanding while slow, and all its share again afterwards.
    const auto r = compare("scenarios/lb/lb-slow-backend.yaml");
    const auto& n2 = r.at("least_outstanding").per_second.at("n2");
    const auto& n1 = r.at("least_outstanding").per_second.at("n1");
    REQUIRE(n2.size() >= 9);
    CHECK(n2[5] * 3 < n1[5]);
    CHECK(n2[8] * 2 > n1[8]);
    // Queue-aware policies route around the gray failure; the rest keep
    // feeding it, time out and retry elsewhere, and their tail shows it.
    CHECK(r.at("least_outstanding").retries == 0);
    CHECK(r.at("power_of_two").retries == 0);
    CHECK(r.at("bounded_load_hash").retries == 0);
    CHECK(r.at("round_robin").retries > 500);
    CHECK(r.at("consistent_hash").retries > 500);
    CHECK(r.at("least_outstanding").p99_ns * 3 < r.at("round_robin").p99_ns);
  }
  {
    const auto r = compare("scenarios/lb/lb-crash-return.yaml");
    // Retries (on another backend) hide most of the crash: errors only
    // where the retry failed too.
    for (const auto& entry : r) {
      const auto& p = entry.first;  // not a binding: CAPTURE's lambda (clang < 16)
      const auto& l = entry.second;
      CAPTURE(p);
      CHECK(l.retries > 0);
      CHECK(l.errors * 4 < l.retries);
    }
  }
}
