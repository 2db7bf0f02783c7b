#include "sim/scenario/units.h"

#include <cctype>
#include <charconv>
#include <optional>

namespace dsim::scenario {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool unit_scale(std::string_view u, int64_t* scale) {
  if (u == "ns") *scale = 1;
  else if (u == "us" || u == "\xC2\xB5s") *scale = 1'000;
  else if (u == "ms") *scale = 1'000'000;
  else if (u == "s") *scale = 1'000'000'000;
  else if (u == "m") *scale = 60'000'000'000;
  else if (u == "h") *scale = 3'600'000'000'000;
  else return false;
  return true;
}

}  // namespace

bool parse_duration(std::string_view text, bool allow_negative, int64_t* ns, std::string* error) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && s[0] == '-') {
    if (!allow_negative) {
      *error = "a duration cannot be negative here";
      return false;
    }
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty()) {
    *error = "empty duration (expected e.g. \"150ms\")";
    return false;
  }
  if (s == "0") {
    *ns = 0;
    return true;
  }
  __int128 total = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (!is_digit(s[i])) {
      *error = s[i] == ' ' ? "spaces are not allowed inside a duration (write e.g. \"150ms\")"
                           : "expected a number at \"" + std::string(s.substr(i)) + "\"";
      return false;
    }
    __int128 whole = 0;
    while (i < s.size() && is_digit(s[i])) {
      whole = whole * 10 + (s[i] - '0');
      if (whole > INT64_MAX) {
        *error = "duration is too large (at most 100 years, 876000h)";
        return false;
      }
      ++i;
    }
    __int128 frac = 0, frac_den = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      if (i >= s.size() || !is_digit(s[i])) {
        *error = "expected digits after '.'";
        return false;
      }
      while (i < s.size() && is_digit(s[i])) {
        if (frac_den > 1'000'000'000'000'000'000) {
          *error = "too many decimal places";
          return false;
        }
        frac = frac * 10 + (s[i] - '0');
        frac_den *= 10;
        ++i;
      }
    }
    const size_t unit_start = i;
    while (i < s.size() && !is_digit(s[i]) && s[i] != ' ' && s[i] != '.') ++i;
    const std::string_view unit = s.substr(unit_start, i - unit_start);
    int64_t scale = 0;
    if (unit.empty()) {
      *error = i < s.size() && s[i] == ' ' ? "spaces are not allowed inside a duration (write e.g. \"150ms\")"
                                           : "missing unit (e.g. \"" + std::string(s) + "ms\"); units: ns, us, ms, s, m, h";
      return false;
    }
    if (!unit_scale(unit, &scale)) {
      *error = "unknown unit \"" + std::string(unit) + "\" (expected ns, us, ms, s, m or h)";
      return false;
    }
    const __int128 frac_ns = frac * scale;
    if (frac_ns % frac_den != 0) {
      *error = "not a whole number of nanoseconds";
      return false;
    }
    total += whole * scale + frac_ns / frac_den;
    if (total > kMaxDurationNs) {
      *error = "duration is too large (at most 100 years, 876000h)";
      return false;
    }
  }
  *ns = static_cast<int64_t>(negative ? -total : total);
  return true;
}

bool parse_probability(std::string_view text, Ratio* out, std::string* error) {
  size_t i = 0;
  uint64_t whole = 0;
  if (text.empty() || !is_digit(text[0])) {
    *error = "expected a probability between 0 and 1, e.g. 0.05";
    return false;
  }
  while (i < text.size() && is_digit(text[i])) {
    whole = whole * 10 + static_cast<uint64_t>(text[i] - '0');
    if (whole > 1) {
      *error = "probability " + std::string(text) + " is outside [0, 1]";
      return false;
    }
    ++i;
  }
  uint64_t num = 0, den = 1;
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (i >= text.size()) {
      *error = "expected digits after '.'";
      return false;
    }
    while (i < text.size() && is_digit(text[i])) {
      if (den >= 1'000'000'000'000'000ull) {
        *error = "too many decimal places (at most 18)";
        return false;
      }
      num = num * 10 + static_cast<uint64_t>(text[i] - '0');
      den *= 10;
      ++i;
    }
  }
  if (i != text.size()) {
    *error = "expected a probability between 0 and 1, e.g. 0.05 (got \"" + std::string(text) + "\")";
    return false;
  }
  if (whole == 1 && num != 0) {
    *error = "probability " + std::string(text) + " is outside [0, 1]";
    return false;
  }
  *out = whole == 1 ? Ratio{1, 1} : Ratio{num, den};
  return true;
}

bool parse_int(std::string_view text, bool allow_negative, int64_t* out, std::string* error) {
  std::string_view s = text;
  if (!s.empty() && s[0] == '-' && !allow_negative) {
    *error = "must not be negative";
    return false;
  }
  const size_t digits_at = (!s.empty() && s[0] == '-') ? 1 : 0;
  if (s.size() > digits_at + 1 && s[digits_at] == '0') {
    *error = "leading zeros are not allowed (write the number in decimal)";
    return false;
  }
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) {
    *error = "integer out of range";
    return false;
  }
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
    *error = "expected an integer, got \"" + std::string(text) + "\"";
    return false;
  }
  *out = v;
  return true;
}

bool parse_seed(std::string_view text, uint64_t* out, std::string* error) {
  auto hex = [&](std::string_view h) {
    uint64_t v = 0;
    const auto [p, ec] = std::from_chars(h.data(), h.data() + h.size(), v, 16);
    return ec == std::errc() && p == h.data() + h.size() ? std::optional<uint64_t>(v) : std::nullopt;
  };
  if (text.size() == 40) {
    bool all_hex = true;
    for (char c : text) all_hex = all_hex && std::isxdigit(static_cast<unsigned char>(c));
    if (all_hex) {
      *out = *hex(text.substr(0, 16));
      return true;
    }
  }
  if (text.starts_with("0x") || text.starts_with("0X")) {
    if (text.size() > 2 && text.size() <= 18) {
      if (auto v = hex(text.substr(2))) {
        *out = *v;
        return true;
      }
    }
    *error = "invalid hex seed \"" + std::string(text) + "\"";
    return false;
  }
  uint64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) {
    *error = "invalid seed \"" + std::string(text) +
             "\" (expected an unsigned 64-bit decimal, 0x-hex, or a 40-digit git commit hash)";
    return false;
  }
  *out = v;
  return true;
}

}  // namespace dsim::scenario
