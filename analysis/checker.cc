#include "dsim/checker.h"

#include <charconv>

#include "dsim/assert.h"

namespace dsim::analysis {

const char* to_string(CheckKind k) { return k == CheckKind::kSafety ? "safety" : "liveness"; }

const char* to_string(Status s) {
  switch (s) {
    case Status::kHeld: return "held";
    case Status::kViolated: return "violated";
    case Status::kInconclusive: return "inconclusive";
  }
  return "?";
}

std::string format_time(int64_t ns) {
  // Exact decimal with the largest unit that keeps an integer part, trailing
  // zeros trimmed: 1500000000 -> "1.5s".
  struct Unit {
    int64_t scale;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {{1'000'000'000, "s"}, {1'000'000, "ms"}, {1'000, "us"}, {1, "ns"}};
  const bool neg = ns < 0;
  const uint64_t v = neg ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  for (const Unit& u : kUnits) {
    const auto scale = static_cast<uint64_t>(u.scale);
    if (v < scale && u.scale != 1 && v != 0) continue;
    std::string out = neg ? "-" : "";
    out += std::to_string(v / scale);
    uint64_t frac = v % scale;
    if (frac) {
      std::string digits = std::to_string(frac);
      digits.insert(0, std::to_string(scale).size() - 1 - digits.size(), '0');
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      out += "." + digits;
    }
    return out + u.suffix;
  }
  return "0s";
}

}  // namespace dsim::analysis
