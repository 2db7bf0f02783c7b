// Deterministic JSON text for trace lines: fixed key order, integers by
// std::to_chars (no locale), strings escaped per RFC 8259.
#pragma once
#include <string>
#include <string_view>

namespace dsim::trace {

// `html_safe`: '<' also becomes \u003c (the same string to a JSON parser),
// so the text can sit inside an HTML <script> element (the report).
void append_json_string(std::string& out, std::string_view s, bool html_safe = false);
void append_int(std::string& out, int64_t v);

}  // namespace dsim::trace
