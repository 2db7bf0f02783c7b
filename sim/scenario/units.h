// Parsing of the scalar units scenarios use, exactly and strictly.
//
// Durations: `150ms`, `1m30s`, `1.5s`, `250us`/`250µs`, `0`. Grammar
// number unit (number unit)*, number = [0-9]+ ('.' [0-9]+)?, units
// ns us µs ms s m h. Converted with integer arithmetic; a value that is not
// a whole number of nanoseconds, or longer than kMaxDurationNs, is an error.
// Probabilities: a decimal in [0, 1] (`0.05`, `1`, `0`), kept as an exact
// ratio (5/100), never a float.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "dsim/prng.h"

namespace dsim::scenario {

// 100 years: longer than any simulation, and small enough that a few such
// spans added together stay far from int64 overflow (about 292 years).
inline constexpr int64_t kMaxDurationNs = int64_t{100} * 365 * 24 * 3600 * 1'000'000'000;

// On success returns true and sets *ns; on failure sets *error to a reason
// (without the location, which the caller knows).
bool parse_duration(std::string_view text, bool allow_negative, int64_t* ns, std::string* error);
bool parse_probability(std::string_view text, Ratio* out, std::string* error);
// Decimal integer only: no octal, no hex, no sign unless allow_negative.
bool parse_int(std::string_view text, bool allow_negative, int64_t* out, std::string* error);
// A seed: decimal u64, 0x-prefixed hex, or a 40-hex-digit git commit hash
// (its first 16 hex digits, as TigerBeetle's VOPR does).
bool parse_seed(std::string_view text, uint64_t* out, std::string* error);

}  // namespace dsim::scenario
