// Linearizability of key-value register histories (history.h).
//
// Keys are independent registers, so each key is checked alone
// (P-compositionality). Before searching, each key's sub-history is
// reduced, soundly:
//   * failed operations and indeterminate (info) reads are dropped: they
//     constrain nothing;
//   * an info write (or cas) whose value no read returned and no cas
//     expected is dropped: in any linearization that includes it, nothing
//     between it and the next write depends on the register holding that
//     value, so the same order without it is also a linearization;
//   * when every written value is unique, an info write that an ok read (or
//     ok cas) observed must have taken effect before that observer
//     completed: it becomes a required operation completing then.
// Then a key with unique values and no cas is decided in O(n log n) by the
// cluster/zone test of Gibbons and Korach ("Testing shared memories", 1997);
// any other key by the Wing & Gong search with Lowe's memoization (the
// approach of Porcupine), caching (linearized set, state) pairs as 128-bit
// Zobrist hashes of the set plus the state. A step, wall-time or cache
// budget that runs out makes the verdict inconclusive, never a guess.
//
// On a violation the witness names the key, how far a linearization got,
// the register's value there, the operation that could not take effect
// and the operations concurrent with it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dsim/checker.h"
#include "analysis/history.h"

namespace dsim::analysis {

struct LinBudget {
  uint64_t max_steps = 500'000'000;      // search steps over all keys
  // 0: no wall-clock limit. The default: a verdict within a run must not
  // depend on the machine's speed, so runs count steps only; `dsim check
  // HISTORY` sets a wall-clock limit the user can change (--budget-time).
  int64_t max_wall_ms = 0;
  uint64_t max_cache_entries = 1u << 23;  // 24-byte slots at half load: about 400 MiB while growing
};

struct LinStats {
  uint64_t ops = 0;           // operations read (all types)
  uint64_t keys = 0;
  uint64_t dropped = 0;       // failed ops, info reads, unobserved info writes/cas
  uint64_t pinned = 0;        // info writes made required by an observer
  uint64_t zone_keys = 0;     // keys decided by the zone test
  uint64_t search_keys = 0;   // keys decided by search
  uint64_t steps = 0;
  uint64_t cache_entries = 0;
};

struct LinVerdict {
  Status status = Status::kHeld;
  std::string key;      // the offending (or unfinished) key
  std::string witness;  // violation: what could not be linearized; inconclusive: which budget ran out
  int64_t at = 0;       // violation: about when (ns)
  LinStats stats;
};

LinVerdict check_linearizable(const std::vector<history::Op>& ops, const LinBudget& budget = {});

// The checker over a trace's client events.
class Linearizable final : public Checker {
 public:
  std::string_view name() const override { return "linearizable"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  void consume(const trace::Event& e) override { ops_.consume(e); }
  CheckResult finish() override;

 private:
  history::TraceCollector ops_;
};

}  // namespace dsim::analysis
