#include "dsim/yaml_reader.h"

#include <algorithm>
#include <map>

#include "sim/core/utf8.h"
#include "sim/scenario/units.h"

namespace dsim::scenario {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  size_t best_d = 3;
  for (std::string_view c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string YamlReader::join(std::string_view where, std::string_view key) {
  if (where.empty()) return std::string(key);
  return std::string(where) + "." + std::string(key);
}

const char* YamlReader::type_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "nothing (null)";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "an undefined value";
  }
}

void YamlReader::error_mark(const YAML::Mark& m, const std::string& msg, int length) {
  if (m.is_null()) {
    diag_.error(-1, -1, msg);
  } else {
    diag_.error(m.line, m.column, msg, length);
  }
}

void YamlReader::error(const YAML::Node& at, const std::string& msg) {
  int len = 1;
  if (at.IsDefined() && at.IsScalar()) len = static_cast<int>(at.Scalar().size());
  error_mark(at.IsDefined() ? at.Mark() : YAML::Mark::null_mark(), msg, len);
}

bool YamlReader::check_free_map(const YAML::Node& n, std::string_view where) {
  return check_keys(n, where, nullptr);
}

bool YamlReader::check_map(const YAML::Node& n, std::string_view where,
                           std::initializer_list<std::string_view> allowed) {
  const std::vector<std::string_view> keys(allowed);
  return check_keys(n, where, &keys);
}

bool YamlReader::check_map_keys(const YAML::Node& n, std::string_view where, const std::vector<std::string_view>& allowed) {
  return check_keys(n, where, &allowed);
}

bool YamlReader::check_keys(const YAML::Node& n, std::string_view where,
                            const std::vector<std::string_view>* allowed_keys) {
  if (!n.IsMap()) {
    error(n, "expected a mapping for '" + std::string(where.empty() ? "the scenario" : where) + "', got " +
                 type_name(n));
    return false;
  }
  std::map<std::string, int> first_line;
  const std::vector<std::string_view> none;
  const auto& allowed = allowed_keys ? *allowed_keys : none;
  const std::vector<std::string_view>& candidates = allowed;
  for (const auto& kv : n) {
    const YAML::Node k = kv.first;  // a copy: yaml-cpp's iterator proxies die with the expression
    if (!k.IsScalar()) {
      error(k, "keys in '" + std::string(where) + "' must be plain names");
      continue;
    }
    const std::string key = k.Scalar();
    if (!valid_utf8(key)) {  // keys of free maps become zone and node names
      error(k, "a key in '" + std::string(where.empty() ? "the scenario" : where) + "' is not valid UTF-8");
      continue;
    }
    if (key == "<<") {
      error(k, "YAML merge keys ('<<') are not supported; repeat the keys or use an anchor on the whole value");
      continue;
    }
    auto [pos, inserted] = first_line.try_emplace(key, k.Mark().line + 1);
    if (!inserted) {
      error(k, "duplicate key '" + key + "' in '" + std::string(where.empty() ? "the scenario" : where) +
                   "' (first defined at line " + std::to_string(pos->second) + ")");
      continue;
    }
    if (!allowed_keys || key.starts_with("x-")) continue;  // free keys; x-: extensions (Compose-style)
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string msg = "unknown key '" + key + "'" +
                      (where.empty() ? std::string(" at the top level") : " in '" + std::string(where) + "'");
    const std::string hint = closest(key, candidates);
    if (!hint.empty()) {
      msg += "; did you mean '" + hint + "'?";
    } else {
      msg += " (expected one of:";
      for (std::string_view a : allowed) msg += " " + std::string(a);
      msg += ")";
    }
    error(k, msg);
  }
  return true;
}

bool YamlReader::require(const YAML::Node& map, std::string_view key, std::string_view where) {
  if (map[std::string(key)]) return true;
  error(map, "missing required key '" + std::string(key) + "' in '" +
                 std::string(where.empty() ? "the scenario" : where) + "'");
  return false;
}

std::optional<std::string> YamlReader::scalar(const YAML::Node& n, std::string_view where, std::string_view expected) {
  if (!n.IsScalar()) {
    error(n, "expected " + std::string(expected) + " for '" + std::string(where) + "', got " + type_name(n));
    return std::nullopt;
  }
  // Every value read from a scenario may reach JSON output, which must be
  // UTF-8; one check here covers names, strings, enums and numbers alike.
  if (const size_t bad = invalid_utf8_at(n.Scalar()); bad != std::string::npos) {
    error(n, "'" + std::string(where) + "' is not valid UTF-8 (invalid byte at offset " + std::to_string(bad) +
                 "); save the file as UTF-8");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::string> YamlReader::string(const YAML::Node& n, std::string_view where) {
  return scalar(n, where, "a string");
}

std::optional<int64_t> YamlReader::integer(const YAML::Node& n, std::string_view where, int64_t min, int64_t max) {
  auto s = scalar(n, where, "an integer");
  if (!s) return std::nullopt;
  if (n.Tag() == "!") {
    error(n, "expected an integer for '" + std::string(where) + "', got the quoted string \"" + *s + "\"");
    return std::nullopt;
  }
  int64_t v = 0;
  std::string why;
  if (!parse_int(*s, min < 0, &v, &why)) {
    error(n, "invalid integer \"" + *s + "\" for '" + std::string(where) + "': " + why);
    return std::nullopt;
  }
  if (v < min || v > max) {
    error(n, "'" + std::string(where) + "' is " + *s + ", expected a value in [" + std::to_string(min) + ", " +
                 std::to_string(max) + "]");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& n, std::string_view where) {
  auto s = scalar(n, where, "true or false");
  if (!s) return std::nullopt;
  if (n.Tag() != "!" && *s == "true") return true;
  if (n.Tag() != "!" && *s == "false") return false;
  error(n, "expected true or false for '" + std::string(where) + "', got \"" + *s + "\"");
  return std::nullopt;
}

std::optional<Duration> YamlReader::duration(const YAML::Node& n, std::string_view where, bool allow_negative) {
  auto s = scalar(n, where, "a duration such as \"150ms\"");
  if (!s) return std::nullopt;
  int64_t ns = 0;
  std::string why;
  if (!parse_duration(*s, allow_negative, &ns, &why)) {
    error(n, "invalid duration \"" + *s + "\" for '" + std::string(where) + "': " + why);
    return std::nullopt;
  }
  return Duration{ns};
}

std::optional<std::pair<Duration, Duration>> YamlReader::duration_range(const YAML::Node& n, std::string_view where) {
  if (n.IsSequence()) {
    if (n.size() != 2) {
      error(n, "expected [min, max] for '" + std::string(where) + "', got a list of " + std::to_string(n.size()));
      return std::nullopt;
    }
    auto lo = duration(n[0], std::string(where) + "[0]");
    auto hi = duration(n[1], std::string(where) + "[1]");
    if (!lo || !hi) return std::nullopt;
    if (*hi < *lo) {
      error(n, "'" + std::string(where) + "': max must be >= min");
      return std::nullopt;
    }
    return std::make_pair(*lo, *hi);
  }
  auto d = duration(n, where);
  if (!d) return std::nullopt;
  return std::make_pair(*d, *d);
}

std::optional<Ratio> YamlReader::probability(const YAML::Node& n, std::string_view where) {
  auto s = scalar(n, where, "a probability between 0 and 1");
  if (!s) return std::nullopt;
  Ratio r;
  std::string why;
  if (!parse_probability(*s, &r, &why)) {
    error(n, "invalid probability \"" + *s + "\" for '" + std::string(where) + "': " + why);
    return std::nullopt;
  }
  return r;
}

}  // namespace dsim::scenario
