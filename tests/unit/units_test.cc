#include <doctest/doctest.h>

#include "sim/scenario/units.h"

using namespace dsim::scenario;

TEST_CASE("units: durations parse exactly") {
  struct Case {
    const char* text;
    int64_t ns;
  };
  const Case ok[] = {{"0", 0},           {"150ms", 150'000'000}, {"1m30s", 90'000'000'000}, {"1.5s", 1'500'000'000},
                     {"250us", 250'000}, {"250\xC2\xB5s", 250'000}, {"7ns", 7},             {"2h", 7'200'000'000'000},
                     {"0.000000001s", 1}, {"1h5m30s20ms", 3'930'020'000'000}};
  for (const Case& c : ok) {
    CAPTURE(c.text);
    int64_t ns = -1;
    std::string err;
    CHECK(parse_duration(c.text, false, &ns, &err));
    CHECK(ns == c.ns);
  }
  int64_t ns;
  std::string err;
  CHECK(parse_duration("-20ms", true, &ns, &err));
  CHECK(ns == -20'000'000);
  for (const char* bad : {"150", "15 0ms", "1.5", "ms", "1.ms", "0.5ns", "5 s", "5sec", "-1s", "", "99999999999h"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad, false, &ns, &err));
  }
}

TEST_CASE("units: probabilities are exact ratios in 0..1") {
  dsim::Ratio r;
  std::string err;
  REQUIRE(parse_probability("0.05", &r, &err));
  CHECK(r == dsim::Ratio{5, 100});
  REQUIRE(parse_probability("1", &r, &err));
  CHECK(r == dsim::Ratio{1, 1});
  REQUIRE(parse_probability("1.000", &r, &err));
  CHECK(r == dsim::Ratio{1, 1});
  REQUIRE(parse_probability("0", &r, &err));
  CHECK(r.is_zero());
  for (const char* bad : {"1.5", "-0.1", "2", "0.", ".5", "5%", "1e-3", "abc"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_probability(bad, &r, &err));
  }
}

TEST_CASE("units: seeds accept decimal hex and git commit hashes") {
  uint64_t s;
  std::string err;
  CHECK(parse_seed("18446744073709551615", &s, &err));
  CHECK(s == UINT64_MAX);
  CHECK(parse_seed("0xff", &s, &err));
  CHECK(s == 255);
  CHECK(parse_seed("d6b7b39aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5", &s, &err));
  CHECK(s == 0xd6b7b39aa0b1c2d3ull);
  CHECK_FALSE(parse_seed("18446744073709551616", &s, &err));
  CHECK_FALSE(parse_seed("-1", &s, &err));
  CHECK_FALSE(parse_seed("0xzz", &s, &err));
}

TEST_CASE("units: integers are decimal only") {
  int64_t v;
  std::string err;
  CHECK(parse_int("42", false, &v, &err));
  CHECK(v == 42);
  CHECK(parse_int("-3", true, &v, &err));
  CHECK_FALSE(parse_int("-3", false, &v, &err));
  CHECK_FALSE(parse_int("010", false, &v, &err));
  CHECK_FALSE(parse_int("0x1F", false, &v, &err));
  CHECK_FALSE(parse_int("1.0", false, &v, &err));
}
