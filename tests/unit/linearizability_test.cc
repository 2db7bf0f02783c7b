// The linearizability checker: hand-built histories with known verdicts
// (info and cas cases among them), a differential test against brute force
// on thousands of small random histories (both the zone test and the
// search), generated histories with known truth, budgets, and the history
// file reader's errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "analysis/linearizability.h"
#include "history_gen.h"

using namespace dsim;
using analysis::Status;
using analysis::history::F;
using analysis::history::kNever;
using analysis::history::Op;
using analysis::history::Type;

namespace {

// op(process, f, key, value, invoke, complete) with complete = -1 for info.
Op op(uint32_t p, F f, std::string value, int64_t inv, int64_t ret, std::string cas_new = "", std::string key = "x") {
  Op o;
  o.process = p;
  o.f = f;
  o.key = std::move(key);
  o.value = std::move(value);
  o.cas_new = std::move(cas_new);
  o.invoke = inv;
  o.status = ret < 0 ? Type::kInfo : Type::kOk;
  o.complete = ret < 0 ? kNever : ret;
  return o;
}
Op failed(Op o) {
  o.status = Type::kFail;
  return o;
}

Status verdict(const std::vector<Op>& h) { return analysis::check_linearizable(h).status; }

// Brute force: some subset of the info ops plus every ok op, in some order
// that respects real time, replays correctly on a register.
bool brute_force(const std::vector<Op>& h) {
  std::vector<size_t> ok, info;
  for (size_t i = 0; i < h.size(); ++i) {
    if (h[i].status == Type::kOk) ok.push_back(i);
    else if (h[i].status == Type::kInfo && h[i].f != F::kRead) info.push_back(i);
  }
  for (uint32_t mask = 0; mask < (1u << info.size()); ++mask) {
    std::vector<size_t> set = ok;
    for (size_t b = 0; b < info.size(); ++b) {
      if (mask & (1u << b)) set.push_back(info[b]);
    }
    std::sort(set.begin(), set.end());
    do {
      bool good = true;
      for (size_t i = 0; i < set.size() && good; ++i) {
        for (size_t j = i + 1; j < set.size() && good; ++j) {
          if (h[set[j]].complete < h[set[i]].invoke) good = false;  // j precedes i in real time
        }
      }
      std::string state = "null";
      for (size_t i = 0; i < set.size() && good; ++i) {
        const Op& o = h[set[i]];
        if (o.f == F::kRead) good = state == o.value;
        else if (o.f == F::kWrite) state = o.value;
        else if (state == o.value) state = o.cas_new;
        else good = false;
      }
      if (good) return true;
    } while (std::next_permutation(set.begin(), set.end()));
  }
  return false;
}

}  // namespace

TEST_CASE("linearizability: the default budget counts steps only, so a run's verdict does not depend on the machine") {
  const analysis::LinBudget budget;
  CHECK(budget.max_wall_ms == 0);
  CHECK(budget.max_steps > 0);
}

TEST_CASE("linearizability: the format's example history is linearizable") {
  std::vector<Op> h = {op(0, F::kWrite, "1", 1000, 2100), op(1, F::kRead, "null", 1200, 2400),
                       op(2, F::kCas, "1", 2300, -1, "2"), op(0, F::kWrite, "\"a\"", 2500, 9100, "", "y")};
  CHECK(verdict(h) == Status::kHeld);
}

TEST_CASE("linearizability: a stale read after a completed overwrite is flagged with a witness") {
  std::vector<Op> h = {op(0, F::kWrite, "1", 0, 10), op(1, F::kWrite, "2", 20, 30), op(2, F::kRead, "1", 40, 50)};
  const auto v = analysis::check_linearizable(h);
  REQUIRE(v.status == Status::kViolated);
  CHECK(v.key == "x");
  CHECK(v.witness.find("process 2 read 1 [40ns, 50ns]") != std::string::npos);
  CHECK(v.witness.find("write 2") != std::string::npos);
  // A read overlapping the second write may see either value.
  h[2] = op(2, F::kRead, "1", 25, 35);
  CHECK(verdict(h) == Status::kHeld);
  // Touching intervals are concurrent (closed intervals).
  h[2] = op(2, F::kRead, "1", 30, 35);
  CHECK(verdict(h) == Status::kHeld);
}

TEST_CASE("linearizability: reading a value nobody wrote, or reading null after a write completed") {
  CHECK(analysis::check_linearizable({op(0, F::kRead, "9", 0, 10)}).witness.find("which no operation on this key wrote") !=
        std::string::npos);
  CHECK(verdict({op(0, F::kWrite, "1", 0, 10), op(1, F::kRead, "null", 11, 12)}) == Status::kViolated);
  CHECK(verdict({op(0, F::kWrite, "1", 0, 10), op(1, F::kRead, "null", 10, 12)}) == Status::kHeld);
}

TEST_CASE("linearizability: info writes may take effect any time after their invoke, or never") {
  // Observed much later: it took effect.
  CHECK(verdict({op(0, F::kWrite, "1", 0, -1), op(1, F::kRead, "1", 100, 110)}) == Status::kHeld);
  // Observed, then gone with no other write: impossible.
  CHECK(verdict({op(0, F::kWrite, "1", 0, -1), op(1, F::kRead, "1", 100, 110), op(1, F::kRead, "null", 120, 130)}) ==
        Status::kViolated);
  // Never observed: may never have happened.
  CHECK(verdict({op(0, F::kWrite, "1", 0, -1), op(1, F::kRead, "null", 100, 110)}) == Status::kHeld);
  // Null, then the info write's value: it landed in between.
  CHECK(verdict({op(0, F::kWrite, "1", 0, -1), op(1, F::kRead, "null", 100, 110), op(1, F::kRead, "1", 120, 130)}) ==
        Status::kHeld);
  // Observed before it was invoked: impossible.
  CHECK(verdict({op(1, F::kRead, "1", 0, 10), op(0, F::kWrite, "1", 20, -1)}) == Status::kViolated);
  // Info reads constrain nothing.
  CHECK(verdict({op(0, F::kWrite, "1", 0, 10), op(1, F::kRead, "", 20, -1)}) == Status::kHeld);
}

TEST_CASE("linearizability: compare-and-set, ok, failed and indeterminate") {
  // ok cas needs the expected value at its instant.
  CHECK(verdict({op(0, F::kWrite, "1", 0, 10), op(1, F::kCas, "1", 20, 30, "2"), op(2, F::kRead, "2", 40, 50)}) ==
        Status::kHeld);
  CHECK(verdict({op(0, F::kWrite, "1", 0, 10), op(1, F::kCas, "1", 20, 30, "2"), op(2, F::kRead, "1", 40, 50)}) ==
        Status::kViolated);
  CHECK(verdict({op(0, F::kWrite, "3", 0, 10), op(1, F::kCas, "1", 20, 30, "2")}) == Status::kViolated);
  // put-if-absent
  CHECK(verdict({op(1, F::kCas, "null", 0, 10, "5"), op(2, F::kRead, "5", 20, 30)}) == Status::kHeld);
  // A failed cas is dropped: it is not a read of the register.
  CHECK(verdict({op(0, F::kWrite, "1", 0, 10), failed(op(1, F::kCas, "7", 20, 30, "8")), op(2, F::kRead, "1", 40, 50)}) ==
        Status::kHeld);
  // An info cas that was observed took effect; then the old value cannot come back.
  CHECK(verdict({op(0, F::kWrite, "1", 0, 10), op(1, F::kCas, "1", 20, -1, "2"), op(2, F::kRead, "2", 30, 40),
                 op(2, F::kRead, "1", 50, 60)}) == Status::kViolated);
  // ... and one never observed may not have happened.
  CHECK(verdict({op(0, F::kWrite, "1", 0, 10), op(1, F::kCas, "1", 20, -1, "2"), op(2, F::kRead, "1", 50, 60)}) ==
        Status::kHeld);
  // A chain of info cas observed only through another info cas's expected value.
  CHECK(verdict({op(0, F::kWrite, "1", 0, 10), op(1, F::kCas, "1", 20, -1, "2"), op(2, F::kCas, "2", 25, -1, "3"),
                 op(3, F::kRead, "3", 40, 50)}) == Status::kHeld);
}

TEST_CASE("linearizability: repeated values go to the search and still decide") {
  std::vector<Op> h = {op(0, F::kWrite, "1", 0, 10), op(1, F::kWrite, "2", 20, 30), op(2, F::kWrite, "1", 40, 50),
                       op(3, F::kRead, "1", 60, 70)};
  auto v = analysis::check_linearizable(h);
  CHECK(v.status == Status::kHeld);
  CHECK(v.stats.search_keys == 1);
  h[3] = op(3, F::kRead, "2", 60, 70);
  v = analysis::check_linearizable(h);
  CHECK(v.status == Status::kViolated);
  CHECK(v.witness.find("can be linearized") != std::string::npos);
}

TEST_CASE("linearizability: keys are independent and the violating key is named") {
  std::vector<Op> h = {op(0, F::kWrite, "1", 0, 10, "", "a"), op(1, F::kRead, "1", 20, 30, "", "a"),
                       op(0, F::kWrite, "1", 0, 10, "", "b"), op(1, F::kRead, "null", 20, 30, "", "b")};
  const auto v = analysis::check_linearizable(h);
  CHECK(v.status == Status::kViolated);
  CHECK(v.key == "b");
  CHECK(v.stats.keys == 2);
}

TEST_CASE("linearizability: agrees with brute force on random small histories") {
  // Small integer times make ties and overlaps common; few values make
  // repeats common (search) or unique writes (zones); info and cas mixed in.
  Rng rng(2024);
  int held = 0, violated = 0;
  uint64_t zone_keys = 0, search_keys = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    CAPTURE(iter);
    const bool unique = iter % 2 == 0;
    const bool with_cas = iter % 3 == 0;
    const size_t n = 2 + rng.below(5);
    std::vector<Op> h;
    int next = 1;
    for (size_t i = 0; i < n; ++i) {
      const int64_t inv = rng.between(0, 12);
      const int64_t ret = rng.unit() < 0.15 ? -1 : inv + rng.between(0, 6);
      const uint64_t kind = rng.below(with_cas ? 3 : 2);
      auto val = [&] { return unique ? std::to_string(next++) : std::to_string(1 + rng.below(2)); };
      auto any = [&] { return rng.unit() < 0.2 ? std::string("null") : std::to_string(1 + rng.below(unique ? next : 3)); };
      if (kind == 0) {
        h.push_back(op(static_cast<uint32_t>(i), F::kRead, any(), inv, ret));
        if (ret < 0) h.back().value.clear();
      } else if (kind == 1) {
        h.push_back(op(static_cast<uint32_t>(i), F::kWrite, val(), inv, ret));
      } else {
        h.push_back(op(static_cast<uint32_t>(i), F::kCas, any(), inv, ret, val()));
      }
    }
    std::stable_sort(h.begin(), h.end(), [](const Op& a, const Op& b) { return a.invoke < b.invoke; });
    const bool truth = brute_force(h);
    const auto v = analysis::check_linearizable(h);
    REQUIRE(v.status != Status::kInconclusive);
    if ((v.status == Status::kHeld) != truth) {
      for (const Op& o : h) {
        MESSAGE(analysis::history::to_string(o.f) << " " << o.value << " " << o.cas_new << " [" << o.invoke << ", "
                                                  << (o.complete == kNever ? -1 : o.complete) << "] "
                                                  << analysis::history::to_string(o.status));
      }
    }
    CHECK((v.status == Status::kHeld) == truth);
    (truth ? held : violated)++;
    zone_keys += v.stats.zone_keys;
    search_keys += v.stats.search_keys;
  }
  CHECK(zone_keys > 500);  // both deciders were exercised
  CHECK(search_keys > 500);
  // Both verdicts are well represented, or the comparison proves little.
  CHECK(held > 1000);
  CHECK(violated > 1000);
}

TEST_CASE("linearizability: generated histories with known truth") {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    for (bool violate : {false, true}) {
      for (double info : {0.0, 0.1}) {
        for (double cas : {0.0, 0.2}) {
          testing::GenSpec g;
          g.ops = 2000;
          g.clients = 10;
          g.keys = 2;
          g.info = info;
          g.cas = cas;
          g.violate = violate;
          g.seed = seed;
          CAPTURE(seed);
          CAPTURE(violate);
          CAPTURE(info);
          CAPTURE(cas);
          CHECK(verdict(testing::generate_history(g)) == (violate ? Status::kViolated : Status::kHeld));
        }
      }
    }
  }
}

TEST_CASE("linearizability: a budget that runs out is inconclusive, never a guess") {
  // 30 concurrent writes of 1s and 2s (repeated values: only the search
  // applies), then reads of 1 and 2 one after the other once all are done:
  // impossible, but proving it means trying every order of the writes.
  std::vector<Op> h;
  for (uint32_t p = 0; p < 30; ++p) h.push_back(op(p, F::kWrite, p % 2 ? "1" : "2", p, 1000));
  h.push_back(op(30, F::kRead, "1", 2000, 2100));
  h.push_back(op(30, F::kRead, "2", 2200, 2300));
  analysis::LinBudget small;
  small.max_steps = 1'000'000;
  auto v = analysis::check_linearizable(h, small);
  CHECK(v.status == Status::kInconclusive);
  CHECK(v.witness.find("step budget") != std::string::npos);
  small.max_steps = 1'000'000'000;
  small.max_cache_entries = 10'000;
  v = analysis::check_linearizable(h, small);
  CHECK(v.status == Status::kInconclusive);
  CHECK(v.witness.find("memo cache budget") != std::string::npos);
  // Small enough to exhaust: decided.
  h.erase(h.begin() + 8, h.begin() + 30);
  CHECK(analysis::check_linearizable(h).status == Status::kViolated);
}

namespace {
std::string write_tmp(const std::string& text) {
  const std::string path = "lin_test_history.jsonl";
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST_CASE("history files: read, validated with line and column") {
  std::vector<Op> ops;
  const std::string good =
      "{\"process\": 0, \"type\": \"invoke\", \"f\": \"write\", \"key\": \"x\", \"value\": 1, \"time\": 1000}\n"
      "\n"
      "{\"process\": 1, \"type\": \"invoke\", \"f\": \"read\", \"key\": \"x\", \"value\": null, \"time\": 1200}\n"
      "{\"process\": 0, \"type\": \"ok\", \"f\": \"write\", \"key\": \"x\", \"value\": 1, \"time\": 2100}\n"
      "{\"process\": 2, \"type\": \"invoke\", \"f\": \"cas\", \"key\": \"x\", \"value\": [1, \"a\"], \"time\": 2300}\n"
      "{\"process\": 1, \"type\": \"ok\", \"f\": \"read\", \"key\": \"x\", \"value\": 1, \"time\": 2400, \"extra\": 5}\n";
  auto path = write_tmp(good);
  CHECK(analysis::history::looks_like_history(path));
  REQUIRE(analysis::history::read_file(path, &ops).empty());
  REQUIRE(ops.size() == 3);
  CHECK(ops[0].complete == 2100);
  CHECK(ops[1].value == "1");
  CHECK(ops[2].status == Type::kInfo);  // pending at the end
  CHECK(ops[2].cas_new == "\"a\"");
  CHECK(analysis::check_linearizable(ops).status == Status::kHeld);

  struct Bad {
    const char* text;
    const char* error;
  };
  const Bad bad[] = {
      {"{\"process\": 0, \"type\": \"invoke\", \"f\": \"write\", \"key\": \"x\", \"value\": 1, \"time\": 5}\n{oops", ":2:2: error: invalid JSON"},
      {"{\"process\": 0, \"type\": \"begin\", \"f\": \"read\", \"key\": \"x\", \"value\": null, \"time\": 5}", ":1:1: error: 'type' must be"},
      {"{\"process\": 0, \"type\": \"ok\", \"f\": \"read\", \"key\": \"x\", \"value\": null, \"time\": 5}", "which has no open invoke"},
      {"{\"process\": 0, \"type\": \"invoke\", \"f\": \"write\", \"key\": \"x\", \"value\": 1.5, \"time\": 5}", "integers, strings or null"},
      {"{\"process\": 0, \"type\": \"invoke\", \"f\": \"write\", \"key\": \"x\", \"value\": 1, \"time\": 5}\n"
       "{\"process\": 1, \"type\": \"invoke\", \"f\": \"read\", \"key\": \"x\", \"value\": null, \"time\": 4}", ":2:1: error: time 4 is before"},
      {"{\"process\": 0, \"type\": \"invoke\", \"f\": \"write\", \"key\": \"x\", \"value\": 1, \"time\": 5}\n"
       "{\"process\": 0, \"type\": \"info\", \"f\": \"write\", \"key\": \"x\", \"value\": 1, \"time\": 6}\n"
       "{\"process\": 0, \"type\": \"invoke\", \"f\": \"read\", \"key\": \"x\", \"value\": null, \"time\": 7}", "invokes after an info"},
      {"{\"process\": 0, \"type\": \"invoke\", \"f\": \"write\", \"key\": \"x\", \"value\": 1, \"time\": 5}\n"
       "{\"process\": 0, \"type\": \"ok\", \"f\": \"read\", \"key\": \"x\", \"value\": 1, \"time\": 6}", "closes a write"},
      {"{\"process\": 0, \"type\": \"invoke\", \"f\": \"cas\", \"key\": \"x\", \"value\": 1, \"time\": 5}", "[expected, new]"},
      {"{\"process\": 0, \"type\": \"invoke\", \"f\": \"write\", \"key\": \"x\", \"value\": null, \"time\": 5}", "a write of null"},
      {"{\"process\": -1, \"type\": \"invoke\", \"f\": \"write\", \"key\": \"x\", \"value\": 1, \"time\": 5}", "'process' must be"},
  };
  for (const Bad& b : bad) {
    CAPTURE(b.text);
    path = write_tmp(b.text);
    const std::string err = analysis::history::read_file(path, &ops);
    CHECK(err.find(b.error) != std::string::npos);
    CHECK(err.rfind(path + ":", 0) == 0);
    CHECK(ops.empty());
  }
  std::remove(path.c_str());
}
