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

  Time local(Time global) const {
    const __int128 elapsed = global.ns - anchor_global_.ns;
    return Time{anchor_local_.ns + static_cast<int64_t>(elapsed + elapsed * ppm_ / 1'000'000)};
  }

  // Global time span for a span measured on this clock, rounded up so a timer
  // never fires before its local deadline.
  Duration to_global(Duration local_span) const {
    if (ppm_ == 0 || local_span.ns <= 0) return local_span;
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
