// SectionReader: the helpers protocols use to read their YAML section, with
// the same diagnostics the rest of the loader gives.
#include <cstdio>
#include <cstdlib>

#include "dsim/protocol.h"

namespace dsim {

namespace scenario {

std::string duration_text(Duration d) {
  const int64_t ns = d.ns;
  if (ns == 0) return "0";
  const char* sign = ns < 0 ? "-" : "";
  const int64_t v = ns < 0 ? -ns : ns;
  if (v % 1'000'000 == 0) return sign + std::to_string(v / 1'000'000) + "ms";
  if (v % 1'000 == 0) return sign + std::to_string(v / 1'000) + "us";
  return sign + std::to_string(v) + "ns";
}

}  // namespace scenario


std::optional<NodeId> SectionReader::node(const YAML::Node& n, std::string_view where) {
  auto name = yaml_.string(n, where);
  if (!name) return std::nullopt;
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i] == *name) return NodeId{i};
  }
  std::vector<std::string_view> names(nodes_.begin(), nodes_.end());
  const std::string hint = scenario::closest(*name, names);
  std::string list;
  for (size_t i = 0; i < nodes_.size() && i < 8; ++i) list += (i ? ", " : "") + nodes_[i];
  if (nodes_.size() > 8) list += " ...";
  yaml_.error(n, "unknown node '" + *name + "' in '" + std::string(where) + "'" +
                     (hint.empty() ? " (nodes: " + list + ")" : "; did you mean '" + hint + "'?"));
  return std::nullopt;
}

void SectionReader::positive(const YAML::Node& section, std::string_view name, const char* key, Duration* out) {
  const YAML::Node v = section[key];
  if (!v) return;
  const std::string where = std::string(name) + "." + key;
  if (auto d = yaml_.duration(v, where)) {
    if (d->ns <= 0) yaml_.error(v, "'" + where + "' must be positive");
    else *out = *d;
  }
}

void SectionReader::number(const YAML::Node& section, std::string_view name, const char* key, double min, double max,
                           double* out, std::string_view hint) {
  const YAML::Node v = section[key];
  if (!v) return;
  const std::string where = std::string(name) + "." + key;
  auto s = yaml_.string(v, where);
  if (!s) return;
  char* end = nullptr;
  const double x = std::strtod(s->c_str(), &end);
  if (end != s->c_str() + s->size() || !(x >= min && x <= max)) {
    char range[64];
    std::snprintf(range, sizeof range, "[%g, %g]", min, max);
    yaml_.error(v, "'" + where + "' must be a number in " + range + std::string(hint));
    return;
  }
  *out = x;
}

std::optional<size_t> SectionReader::one_of(const YAML::Node& v, std::string_view where, std::string_view what,
                                            const std::vector<std::string_view>& names) {
  auto name = yaml_.string(v, where);
  if (!name) return std::nullopt;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == *name) return i;
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + std::string(n);
  const std::string hint = scenario::closest(*name, names);
  // `what` reads "<kind> for <owner>": the name goes after the kind.
  const size_t sp = what.find(" for ");
  const std::string kind(what.substr(0, sp)), owner(sp == std::string_view::npos ? "" : what.substr(sp));
  yaml_.error(v, "unknown " + kind + " '" + *name + "'" + owner +
                     (hint.empty() ? " (known: " + list + ")" : "; did you mean '" + hint + "'?"));
  return std::nullopt;
}

}  // namespace dsim
