// The network: latency models' moments, loss and duplication rates,
// partitions that cut exactly the right directed pairs, clogs that hold
// and never drop, topology shortest paths.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "sim/net/network.h"

using namespace dsim;
using namespace dsim::net;

namespace {

void check_moments(const LatencyModel& m, uint64_t seed) {
  Rng rng(seed);
  constexpr int kDraws = 100'000;
  double sum = 0, sum2 = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double x = static_cast<double>(m.sample(rng).ns);
    REQUIRE(x >= 0);
    sum += x;
    sum2 += x * x;
  }
  const double mean = sum / kDraws;
  const double var = sum2 / kDraws - mean * mean;
  CHECK(mean == doctest::Approx(m.mean_ns()).epsilon(0.02));
  if (m.variance_ns2() > 0) CHECK(var == doctest::Approx(m.variance_ns2()).epsilon(0.06));
}

}  // namespace

TEST_CASE("latency: each model's sample mean and variance match over 100k draws") {
  SUBCASE("constant") { check_moments(LatencyModel::constant(milliseconds(3)), 1); }
  SUBCASE("uniform") { check_moments(LatencyModel::uniform(milliseconds(1), milliseconds(10)), 2); }
  SUBCASE("normal") { check_moments(LatencyModel::normal(milliseconds(20), milliseconds(4)), 3); }
  SUBCASE("exponential") { check_moments(LatencyModel::exponential(milliseconds(5)), 4); }
  SUBCASE("lognormal") { check_moments(LatencyModel::lognormal(milliseconds(10), 0.5), 5); }
}

TEST_CASE("latency: the normal model is truncated at 0 never negative") {
  const LatencyModel m = LatencyModel::normal(milliseconds(1), milliseconds(5));
  Rng rng(9);
  int zeros_or_less = 0;
  for (int i = 0; i < 10000; ++i) zeros_or_less += m.sample(rng).ns < 0 ? 1 : 0;
  CHECK(zeros_or_less == 0);
}

TEST_CASE("latency: validate() rejects impossible parameters") {
  CHECK(LatencyModel::uniform(milliseconds(5), milliseconds(1)).validate() == "max must be >= min");
  CHECK(LatencyModel::exponential(Duration{0}).validate() == "mean must be positive");
  CHECK(LatencyModel::lognormal(milliseconds(1), -1).validate() == "sigma must be in [0, 10]");
  CHECK(LatencyModel::normal(milliseconds(1), milliseconds(1)).validate().empty());
}

TEST_CASE("network: drop and duplicate probabilities hold over many sends") {
  LinkSpec spec;
  spec.latency = LatencyModel::constant(milliseconds(1));
  spec.drop = Ratio{1, 10};
  spec.duplicate = Ratio{1, 20};
  Network net(2, 7, spec);
  int dropped = 0, dup = 0;
  constexpr int kSends = 100'000;
  for (int i = 0; i < kSends; ++i) {
    Route r;
    net.route(Time{0}, NodeId{0}, NodeId{1}, &r);
    if (!r.drop_reason.empty()) {
      CHECK(r.drop_reason == "loss");
      ++dropped;
    } else if (r.copies == 2) {
      ++dup;
    }
  }
  CHECK(dropped == doctest::Approx(kSends / 10).epsilon(0.05));
  CHECK(dup == doctest::Approx(kSends * 0.9 / 20).epsilon(0.08));
}

TEST_CASE("network: partitions block exactly the right directed pairs") {
  Network net(5, 1, LinkSpec{});
  auto reach = [&]() {
    std::vector<std::vector<bool>> m(5, std::vector<bool>(5));
    for (uint32_t a = 0; a < 5; ++a) {
      for (uint32_t b = 0; b < 5; ++b) m[a][b] = net.can_reach(NodeId{a}, NodeId{b});
    }
    return m;
  };
  SUBCASE("symmetric groups; unnamed nodes form one more group") {
    net.partition({{NodeId{0}, NodeId{1}}, {NodeId{2}}});
    const auto m = reach();
    const int group[5] = {1, 1, 2, 0, 0};
    for (int a = 0; a < 5; ++a) {
      for (int b = 0; b < 5; ++b) CHECK(m[a][b] == (group[a] == group[b]));
    }
  }
  SUBCASE("one-way cut: a cannot reach b while b still reaches a") {
    net.cut(NodeId{0}, NodeId{1});
    const auto m = reach();
    for (uint32_t a = 0; a < 5; ++a) {
      for (uint32_t b = 0; b < 5; ++b) CHECK(m[a][b] == !(a == 0 && b == 1));
    }
  }
  SUBCASE("isolate one node, then heal everything") {
    net.isolate(NodeId{3});
    net.cut(NodeId{1}, NodeId{2});
    auto m = reach();
    for (uint32_t a = 0; a < 5; ++a) {
      for (uint32_t b = 0; b < 5; ++b) {
        const bool expect = a == b || (a != 3 && b != 3 && !(a == 1 && b == 2));
        CHECK(m[a][b] == expect);
      }
    }
    net.heal();
    m = reach();
    for (uint32_t a = 0; a < 5; ++a) {
      for (uint32_t b = 0; b < 5; ++b) CHECK(m[a][b]);
    }
  }
  SUBCASE("a message in flight when the partition starts is dropped on arrival") {
    Route r;
    net.route(Time{0}, NodeId{0}, NodeId{4}, &r);
    REQUIRE(r.drop_reason.empty());
    net.isolate(NodeId{4});
    const Arrival a = net.arrive(r.deliver_at[0], NodeId{0}, NodeId{4});
    CHECK(a.kind == Arrival::Kind::kDrop);
    CHECK(a.drop_reason == "partition");
  }
}

TEST_CASE("network: a clog holds messages until it ends and never drops them") {
  Network net(3, 1, LinkSpec{});
  net.clog_node(NodeId{1}, Time{0} + milliseconds(100));
  Arrival a = net.arrive(Time{0} + milliseconds(5), NodeId{0}, NodeId{1});
  CHECK(a.kind == Arrival::Kind::kHold);
  CHECK(a.hold_until == Time{0} + milliseconds(100));
  CHECK(net.arrive(Time{0} + milliseconds(5), NodeId{1}, NodeId{2}).kind == Arrival::Kind::kHold);  // outbound too
  CHECK(net.arrive(Time{0} + milliseconds(5), NodeId{0}, NodeId{2}).kind == Arrival::Kind::kDeliver);
  CHECK(net.arrive(Time{0} + milliseconds(100), NodeId{0}, NodeId{1}).kind == Arrival::Kind::kDeliver);
  net.clog_link(NodeId{2}, NodeId{0}, Time{0} + milliseconds(300));
  CHECK(net.arrive(Time{0} + milliseconds(200), NodeId{2}, NodeId{0}).kind == Arrival::Kind::kHold);
  CHECK(net.arrive(Time{0} + milliseconds(200), NodeId{0}, NodeId{2}).kind == Arrival::Kind::kDeliver);
}

TEST_CASE("topology: node-to-node latency is the shortest path between zones") {
  // us --40ms-- eu --60ms-- ap, us --120ms-- ap: us->ap goes through eu (100ms).
  Topology t;
  const auto err = Topology::build(3, {0, 0, 1, 2}, {milliseconds(1), milliseconds(1), milliseconds(2)},
                                   {{0, 1, milliseconds(40)}, {1, 2, milliseconds(60)}, {0, 2, milliseconds(120)}}, &t);
  REQUIRE_FALSE(err.has_value());
  CHECK(t.base_latency(NodeId{0}, NodeId{1}) == milliseconds(1));   // same zone
  CHECK(t.base_latency(NodeId{0}, NodeId{2}) == milliseconds(40));
  CHECK(t.base_latency(NodeId{1}, NodeId{3}) == milliseconds(100));
  CHECK(t.base_latency(NodeId{3}, NodeId{0}) == milliseconds(100));
  Topology broken;
  CHECK(Topology::build(2, {0, 1}, {Duration{0}, Duration{0}}, {}, &broken).has_value());
}

TEST_CASE("latency: to_ns rounds exactly as std::llround, halves and their neighbours included") {
  Rng rng(5);
  std::vector<double> xs = {0.0, -1.0, 0.5, 1.5, 2.5, 0.49999999999999994, 1e-300, net::kMaxSampleNs,
                            net::kMaxSampleNs * 2, std::nan("")};
  for (int i = 0; i < 200000; ++i) {
    // Magnitudes from 1e-3 ns to past the cap.
    const double x = rng.unit() * std::pow(10.0, static_cast<double>(rng.below(18)) - 3);
    xs.push_back(x);
    const double half = std::floor(x) + 0.5;
    xs.push_back(half);
    xs.push_back(std::nextafter(half, 0.0));
    xs.push_back(std::nextafter(half, 1e300));
  }
  for (const double x : xs) {
    const int64_t want = !(x > 0) ? 0 : std::llround(std::min(x, net::kMaxSampleNs));
    REQUIRE_MESSAGE(net::to_ns(x).ns == want, "x = " << x);
  }
}
