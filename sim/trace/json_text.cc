#include "sim/trace/json_text.h"

#include <charconv>

namespace dsim::trace {

void append_json_string(std::string& out, std::string_view s, bool html_safe) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // A run of plain bytes at a time (traces and reports write millions).
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && (c != '<' || !html_safe)) continue;
    out.append(s.data() + run, i - run);
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

}  // namespace dsim::trace
