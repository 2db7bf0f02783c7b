// Virtual time. Integer nanoseconds only: floating point never touches time
// (DESIGN.md, determinism rules). Time is a point, Duration a span; mixing
// them up is a compile error.
#pragma once
#include <cstdint>
#include <limits>

namespace dsim {

struct Duration {
  int64_t ns = 0;
  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return {ns + o.ns}; }
  constexpr Duration operator-(Duration o) const { return {ns - o.ns}; }
  constexpr Duration operator*(int64_t k) const { return {ns * k}; }
};

struct Time {
  int64_t ns = 0;
  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Duration d) const { return {ns + d.ns}; }
  constexpr Time operator-(Duration d) const { return {ns - d.ns}; }
  constexpr Duration operator-(Time o) const { return {ns - o.ns}; }
  static constexpr Time max() { return {std::numeric_limits<int64_t>::max()}; }
};

constexpr Duration nanoseconds(int64_t v) { return {v}; }
constexpr Duration microseconds(int64_t v) { return {v * 1'000}; }
constexpr Duration milliseconds(int64_t v) { return {v * 1'000'000}; }
constexpr Duration seconds(int64_t v) { return {v * 1'000'000'000}; }

}  // namespace dsim
