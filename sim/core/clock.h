// A node's own clock, derived from global virtual time.
//
// Piecewise linear: local(g) = anchor_local + (g - anchor_global) * (1 + ppm/1e6).
// A drift change or a jump re-anchors at the moment it happens, so the clock
// is continuous except at jumps. Integer arithmetic throughout (128-bit
// intermediates), so drift never introduces floating point into time.
//
// Timers measure durations on this clock at the rate in force when they are
// armed: a node that runs 10% fast sees its 100ms timers fire after ~91ms of
// global time. A jump moves now() but not armed timers, the way a wall-clock
// step does not move a monotonic timer.
#pragma once
#include <cstdint>

#include "dsim/assert.h"
#include "dsim/time.h"

namespace dsim {

class NodeClock {
 public:
  static constexpr int64_t kPpmLimit = 500'000;  // at most 1.5x or 0.5x real speed

  NodeClock() = default;
  NodeClock(Duration offset, int64_t drift_ppm) : anchor_local_{offset.ns}, ppm_(drift_ppm) {
    DSIM_ASSERT(drift_ppm >= -kPpmLimit && drift_ppm <= kPpmLimit);
  }

  // Every now() of every node comes here: the common cases (no drift; a
  // product that fits 64 bits) skip the 128-bit division, with the same
  // result (both divisions truncate toward zero).
  Time local(Time global) const {
    const int64_t elapsed = global.ns - anchor_global_.ns;
    if (ppm_ == 0) return Time{anchor_local_.ns + elapsed};
    int64_t scaled;
    if (!__builtin_mul_overflow(elapsed, ppm_, &scaled)) return Time{anchor_local_.ns + elapsed + scaled / 1'000'000};
    const __int128 wide = elapsed;
    return Time{anchor_local_.ns + static_cast<int64_t>(wide + wide * ppm_ / 1'000'000)};
  }

  // Global time span for a span measured on this clock, rounded up so a timer
  // never fires before its local deadline.
  Duration to_global(Duration local_span) const {
    if (ppm_ == 0 || local_span.ns <= 0) return local_span;
    const int64_t den64 = 1'000'000 + ppm_;
    if (int64_t num64; !__builtin_mul_overflow(local_span.ns, int64_t{1'000'000}, &num64) && num64 <= INT64_MAX - den64) {
      return Duration{(num64 + den64 - 1) / den64};
    }
    const __int128 num = static_cast<__int128>(local_span.ns) * 1'000'000;
    const __int128 den = 1'000'000 + ppm_;
    return Duration{static_cast<int64_t>((num + den - 1) / den)};
  }

  void jump(Time global_now, Duration by) {
    rebase(global_now);
    anchor_local_.ns += by.ns;
  }

  void set_drift(Time global_now, int64_t ppm) {
    DSIM_ASSERT(ppm >= -kPpmLimit && ppm <= kPpmLimit);
    rebase(global_now);
    ppm_ = ppm;
  }

  int64_t drift_ppm() const { return ppm_; }

 private:
  void rebase(Time global_now) {
    anchor_local_ = local(global_now);
    anchor_global_ = global_now;
  }

  Time anchor_global_{0};
  Time anchor_local_{0};
  int64_t ppm_ = 0;
};

}  // namespace dsim
