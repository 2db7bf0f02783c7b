// Deterministic JSON text for trace lines: fixed key order, integers by
// std::to_chars (no locale), strings escaped per RFC 8259.
#pragma once
#include <string>
#include <string_view>

namespace dsim::trace {

void append_json_string(std::string& out, std::string_view s);
void append_int(std::string& out, int64_t v);

}  // namespace dsim::trace
