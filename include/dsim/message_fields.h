// What a message's integer fields mean, so a trace can say what was sent.
//
// A protocol describes each of its message types once (a static table): the
// name of every field f[0..5] worth tracing, and how to print it. The
// simulator then adds those fields to the `send` event, after `msg`, `to`
// and `type`: `{"kind":"send",...,"type":"vote_reply","term":3,
// "granted":false,"reason":"log_behind"}`. Nothing is formatted unless a
// trace is being written, and nothing is allocated per message.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace dsim {

struct MessageField {
  enum class As : uint8_t {
    kInt,   // the integer as is
    kBool,  // 0 -> false, anything else -> true
    kName,  // names[value] when in range, else the integer
  };
  std::string_view name;  // the trace key; "" = not traced
  As as = As::kInt;
  std::span<const std::string_view> names = {};
};

// The keys must not be `msg`, `to`, `type`, `index` or `from` (the trace
// reader gives those a meaning of their own), nor repeat.
struct MessageLayout {
  std::array<MessageField, 6> f{};  // f[0..5] in order
  // The key under which the body is traced as a string, when it is text
  // worth reading (a proposed value); "" = not traced (encoded entries).
  std::string_view body = {};
};

}  // namespace dsim
