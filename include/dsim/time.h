// Virtual time. Integer nanoseconds only: floating point never touches time
// (the determinism rules: docs/architecture.md). Time is a point, Duration a span; mixing
// them up is a compile error.
#pragma once
#include <cstdint>
#include <limits>

namespace dsim {

// Arithmetic saturates instead of wrapping: a scenario may ask for a span
// as long as the loader allows, and "now + forever" must stay "forever"
// (Time::max(), which the scheduler never reaches), not a time in the past.
namespace detail {
constexpr int64_t sat_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return r;
}
constexpr int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return r;
}
constexpr int64_t sat_mul(int64_t a, int64_t k) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, k, &r)) {
    return (a < 0) != (k < 0) ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  }
  return r;
}
}  // namespace detail

struct Duration {
  int64_t ns = 0;
  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return {detail::sat_add(ns, o.ns)}; }
  constexpr Duration operator-(Duration o) const { return {detail::sat_sub(ns, o.ns)}; }
  constexpr Duration operator*(int64_t k) const { return {detail::sat_mul(ns, k)}; }
};

struct Time {
  int64_t ns = 0;
  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Duration d) const { return {detail::sat_add(ns, d.ns)}; }
  constexpr Time operator-(Duration d) const { return {detail::sat_sub(ns, d.ns)}; }
  constexpr Duration operator-(Time o) const { return {detail::sat_sub(ns, o.ns)}; }
  static constexpr Time max() { return {std::numeric_limits<int64_t>::max()}; }
};

constexpr Duration nanoseconds(int64_t v) { return {v}; }
constexpr Duration microseconds(int64_t v) { return {v * 1'000}; }
constexpr Duration milliseconds(int64_t v) { return {v * 1'000'000}; }
constexpr Duration seconds(int64_t v) { return {v * 1'000'000'000}; }

}  // namespace dsim
