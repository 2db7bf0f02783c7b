// Register histories with known truth, for the linearizability tests and
// benchmark: `clients` processes issue reads, writes (unique values) and
// optionally cas on `keys` keys; each operation takes effect at a random
// instant inside its interval, applied in that order to a sequential
// register, so the history is linearizable by construction. A fraction of
// operations time out (info): those take effect or not at random, and the
// process is replaced by a new one (history-format.md rule 3). With
// `violate`, one read late in the history is changed to return a value
// that was overwritten before the read began, which no linearization can
// explain.
#pragma once
#include <algorithm>
#include <cstdint>
#include <map>
#include <queue>
#include <string>
#include <vector>

#include "analysis/history.h"
#include "dsim/prng.h"

namespace dsim::testing {

struct GenSpec {
  uint32_t ops = 1000;
  uint32_t clients = 5;
  uint32_t keys = 1;
  double info = 0.0;      // fraction of operations that time out
  double cas = 0.0;       // fraction of cas operations
  double reads = 0.5;     // fraction of reads (of the rest)
  bool violate = false;
  uint64_t seed = 1;
};

inline std::vector<analysis::history::Op> generate_history(const GenSpec& g) {
  using analysis::history::F;
  using analysis::history::Op;
  using analysis::history::Type;
  Rng rng(g.seed);
  struct Pending {
    int64_t at;  // when the operation takes effect
    size_t op;
  };
  std::vector<Op> ops;
  std::vector<int64_t> lin;  // take-effect time per op, -1 if never
  // Each client: next free time. Operations last 1-100 us; think 0-20 us.
  std::vector<int64_t> free_at(g.clients, 0);
  std::vector<uint32_t> process(g.clients);
  for (uint32_t c = 0; c < g.clients; ++c) process[c] = c;
  int64_t next_value = 1;
  for (uint32_t i = 0; i < g.ops; ++i) {
    const auto c = static_cast<uint32_t>(std::min_element(free_at.begin(), free_at.end()) - free_at.begin());
    Op o;
    o.process = process[c];
    o.key = "k" + std::to_string(rng.below(g.keys));
    o.invoke = free_at[c];
    const int64_t len = rng.between(1'000, 100'000);
    o.complete = o.invoke + len;
    const double pick = rng.unit();
    if (pick < g.cas) {
      o.f = F::kCas;
    } else if (pick < g.cas + (1 - g.cas) * g.reads) {
      o.f = F::kRead;
    } else {
      o.f = F::kWrite;
      o.value = std::to_string(next_value++);
    }
    const bool info = rng.unit() < g.info;
    o.status = info ? Type::kInfo : Type::kOk;
    int64_t at = rng.between(o.invoke, o.complete);
    if (info) {
      if (rng.unit() < 0.5) at = -1;  // never took effect
      process[c] += g.clients;       // the timed-out process is replaced
    }
    lin.push_back(at);
    free_at[c] = o.complete + rng.between(0, 20'000);
    ops.push_back(std::move(o));
  }
  // Apply in take-effect order to compute results; cas gets its expected
  // value from the state then (so it succeeds) half of the time, otherwise
  // it fails (definitely not applied).
  std::vector<size_t> order;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (lin[i] >= 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lin[a] < lin[b]; });
  std::map<std::string, std::string> state;
  for (size_t i : order) {
    Op& o = ops[i];
    const std::string cur = state.count(o.key) ? state[o.key] : "null";
    if (o.f == F::kRead) {
      o.value = cur;
    } else if (o.f == F::kWrite) {
      state[o.key] = o.value;
    } else if (rng.unit() < 0.5 || cur == "null") {
      o.value = cur;
      o.cas_new = std::to_string(next_value++);
      state[o.key] = o.cas_new;
    } else {
      o.value = std::to_string(next_value++);  // a value never written: the comparison fails
      o.cas_new = std::to_string(next_value++);
      if (o.status == Type::kOk) o.status = Type::kFail;
    }
  }
  for (size_t i = 0; i < ops.size(); ++i) {
    Op& o = ops[i];
    if (lin[i] < 0 && o.f == F::kCas) {  // never took effect: any arguments
      o.value = std::to_string(next_value++);
      o.cas_new = std::to_string(next_value++);
    }
    if (o.status == Type::kInfo) {
      o.complete = analysis::history::kNever;
      if (o.f == F::kRead) o.value.clear();
    }
  }
  if (g.violate) {
    // Find, late in the history, an ok read r and two ok writes w1 < w2 on
    // its key with w1 completing before w2 began and w2 completing before
    // r began; r returning w1's value cannot be linearized.
    for (size_t r = ops.size(); r-- > ops.size() / 2;) {
      if (ops[r].f != F::kRead || ops[r].status != Type::kOk) continue;
      const Op* w2 = nullptr;
      for (size_t j = r; j-- > 0;) {
        const Op& o = ops[j];
        if (o.key != ops[r].key || o.f != F::kWrite || o.status != Type::kOk) continue;
        if (!w2) {
          if (o.complete < ops[r].invoke) w2 = &o;
        } else if (o.complete < w2->invoke) {
          ops[r].value = o.value;
          return ops;
        }
      }
    }
  }
  return ops;
}

}  // namespace dsim::testing
