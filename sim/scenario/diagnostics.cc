#include "dsim/diagnostics.h"

#include <string_view>

#include "sim/core/printable.h"

namespace dsim::scenario {
namespace {

std::string_view line_text(const std::string& src, int line1) {
  size_t start = 0;
  for (int l = 1; l < line1; ++l) {
    start = src.find('\n', start);
    if (start == std::string::npos) return {};
    ++start;
  }
  size_t end = src.find('\n', start);
  if (end == std::string::npos) end = src.size();
  std::string_view v(src.data() + start, end - start);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

std::string escape_github(std::string_view s, bool property) {
  std::string out;
  for (char c : s) {
    if (c == '%') out += "%25";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else if (property && c == ':') out += "%3A";
    else if (property && c == ',') out += "%2C";
    else out.push_back(c);
  }
  return out;
}

}  // namespace

void Diagnostics::error(int line0, int column0, std::string message, int length) {
  ++total_;
  if (items_.size() >= kMaxErrors) return;
  items_.push_back(Diagnostic{line0 >= 0 ? line0 + 1 : 0, column0 >= 0 ? column0 + 1 : 0, length < 1 ? 1 : length,
                              std::move(message)});
}

std::string Diagnostics::render(bool color) const {
  const char* bold = color ? "\x1b[1m" : "";
  const char* red = color ? "\x1b[1;31m" : "";
  const char* green = color ? "\x1b[32m" : "";
  const char* reset = color ? "\x1b[0m" : "";
  std::string out;
  for (const Diagnostic& d : items_) {
    out += bold + path_;
    if (d.line > 0) out += ":" + std::to_string(d.line) + ":" + std::to_string(d.column);
    out += std::string(":") + reset + " " + red + "error:" + reset + " " + printable(d.message, true) + "\n";
    if (d.line <= 0) continue;
    const std::string_view text = line_text(source_, d.line);
    if (text.empty()) continue;
    const std::string num = std::to_string(d.line);
    out += "  " + std::string(num.size() < 4 ? 4 - num.size() : 0, ' ') + num + " | " + printable(text) + "\n";
    // Caret under the column: copy tabs so it lines up, count UTF-8 lead
    // bytes only, since yaml-cpp columns count bytes.
    std::string pad;
    for (int i = 0; i < d.column - 1 && i < static_cast<int>(text.size()); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c == '\t') pad += '\t';
      else if (c < 0x20 || c == 0x7F) pad += std::string(printable(text.substr(i, 1)).size(), ' ');  // shown escaped
      else if ((c & 0xC0) != 0x80) pad += ' ';
    }
    out += "       | " + pad + green + "^" + std::string(d.length > 1 ? d.length - 1 : 0, '~') + reset + "\n";
  }
  if (total_ > items_.size()) {
    out += path_ + ": note: " + std::to_string(total_ - items_.size()) + " more errors not shown\n";
  }
  return out;
}

std::string Diagnostics::render_github() const {
  std::string out;
  for (const Diagnostic& d : items_) {
    out += "::error file=" + escape_github(path_, true);
    if (d.line > 0) out += ",line=" + std::to_string(d.line) + ",col=" + std::to_string(d.column);
    out += "::" + escape_github(printable(d.message, true), false) + "\n";
  }
  return out;
}

}  // namespace dsim::scenario
