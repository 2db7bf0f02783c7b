// Splitting the small delimited lists that nodes, traces and the command
// line carry ("n1,n2|n3", newline-separated children), and quoting a CSV
// field: one helper each instead of a loop in each place.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace dsim {

// The pieces of `s` between `sep`s, empty ones dropped; views into `s`.
inline std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const size_t at = s.find(sep);
    if (at != 0) out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

// Whether `item` is one of the space-separated words of `list`.
inline bool listed(std::string_view list, std::string_view item) {
  for (std::string_view w : split(list, ' ')) {
    if (w == item) return true;
  }
  return false;
}

// RFC 4180: a field with a comma, a quote or a line break is quoted, quotes
// doubled.
inline std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace dsim
