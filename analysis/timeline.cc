#include "analysis/timeline.h"

#include <cinttypes>

#include "dsim/prng.h"
#include "sim/core/printable.h"

namespace dsim::analysis {
namespace {

bool is_network(const std::string& k) { return k == "send" || k == "deliver" || k == "drop" || k == "duplicate"; }
bool is_fault(const std::string& k) {
  return k == "crash" || k == "restart" || k == "pause" || k == "resume" || k == "partition" || k == "isolate" ||
         k == "cut" || k == "heal" || k == "clog" || k == "clock_jump" || k == "clock_drift" || k == "fault_skipped" ||
         k == "disconnect" || k == "reconnect" || k == "restore" || k == "network";
}

const char* node_color(const std::string& node) {
  static const char* kColors[] = {"\x1b[36m", "\x1b[32m", "\x1b[33m", "\x1b[35m", "\x1b[34m", "\x1b[96m"};
  if (node == "*") return "\x1b[1m";
  return kColors[fnv1a64(node) % 6];
}

}  // namespace

std::string fixed_time(int64_t ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%4" PRId64 ".%09" PRId64 "s", ns / 1'000'000'000, ns % 1'000'000'000);
  return buf;
}

void Timeline::consume(const trace::Event& e) {
  if (e.kind == "meta") return;
  if (filter_.from_ns && e.t < *filter_.from_ns) return;
  if (filter_.to_ns && e.t > *filter_.to_ns) return;
  if (!filter_.nodes.empty() && !filter_.nodes.count(e.node) && e.node != "*") return;
  if (!filter_.kinds.empty() && !filter_.kinds.count(e.kind)) return;
  if (!filter_.network && is_network(e.kind) && filter_.kinds.empty()) return;
  ++shown_;
  const char* reset = color_ ? "\x1b[0m" : "";
  const char* kind_color = !color_                     ? ""
                           : is_fault(e.kind)          ? "\x1b[1;31m"
                           : is_network(e.kind)        ? "\x1b[2m"
                           : e.kind == "role"          ? "\x1b[1m"
                                                       : "";
  line_ = fixed_time(e.t) + "  ";
  line_ += color_ ? node_color(e.node) : "";
  char node[16];
  std::snprintf(node, sizeof node, "%-6s", printable(e.node).c_str());  // a trace is a user file
  line_ += node;
  line_ += reset;
  line_ += "  ";
  line_ += kind_color;
  char kind[24];
  std::snprintf(kind, sizeof kind, "%-15s", printable(e.kind).c_str());
  line_ += kind;
  line_ += reset;
  for (const auto& [k, v] : e.fields) {
    line_ += ' ';
    line_ += printable(k);
    line_ += '=';
    if (const auto* i = std::get_if<int64_t>(&v)) {
      line_ += (k.ends_with("_ns") ? fixed_time(*i) : std::to_string(*i));
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      line_ += s->find(' ') != std::string::npos || s->empty() ? "\"" + printable(*s) + "\"" : printable(*s);
    } else {
      line_ += std::get<bool>(v) ? "true" : "false";
    }
  }
  line_ += '\n';
  std::fputs(line_.c_str(), out_);
}

}  // namespace dsim::analysis
