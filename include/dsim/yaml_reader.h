// Strict typed reads from a yaml-cpp tree, reporting every problem to
// Diagnostics with the offending node's position.
//
// yaml-cpp 0.7 is lenient in ways a scenario must not be:
// it accepts duplicate keys, treats `<<` as a key, reads `yes` as true and
// `010` as octal. Every read here goes through our own checks instead.
#pragma once
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsim/prng.h"
#include "dsim/time.h"
#include "dsim/diagnostics.h"

namespace dsim::scenario {

class YamlReader {
 public:
  explicit YamlReader(Diagnostics& d) : diag_(d) {}

  // No error reported so far.
  bool ok() const { return diag_.ok(); }
  void error(const YAML::Node& at, const std::string& msg);
  void error_mark(const YAML::Mark& m, const std::string& msg, int length = 1);

  // Checks that `n` is a mapping whose keys are all in `allowed` (or start
  // with "x-"), with no duplicates and no merge keys. Returns false when `n`
  // is not a mapping.
  bool check_map(const YAML::Node& n, std::string_view where, std::initializer_list<std::string_view> allowed);
  bool check_map_keys(const YAML::Node& n, std::string_view where, const std::vector<std::string_view>& allowed);
  // A mapping whose keys are the user's own names (zones, nodes): checks
  // only for duplicates and merge keys.
  bool check_free_map(const YAML::Node& n, std::string_view where);
  // Reports a missing required key at the map's position.
  bool require(const YAML::Node& map, std::string_view key, std::string_view where);

  std::optional<std::string> string(const YAML::Node& n, std::string_view where);
  std::optional<int64_t> integer(const YAML::Node& n, std::string_view where, int64_t min, int64_t max);
  std::optional<bool> boolean(const YAML::Node& n, std::string_view where);
  std::optional<Duration> duration(const YAML::Node& n, std::string_view where, bool allow_negative = false);
  // A duration, or a two-element [min, max] range (min <= max).
  std::optional<std::pair<Duration, Duration>> duration_range(const YAML::Node& n, std::string_view where);
  std::optional<Ratio> probability(const YAML::Node& n, std::string_view where);

  static std::string join(std::string_view where, std::string_view key);
  static const char* type_name(const YAML::Node& n);

 private:
  bool check_keys(const YAML::Node& n, std::string_view where, const std::vector<std::string_view>* allowed);
  std::optional<std::string> scalar(const YAML::Node& n, std::string_view where, std::string_view expected);
  Diagnostics& diag_;
};

// A duration as the loader reads it back exactly: "150ms", "20us", "7ns".
std::string duration_text(Duration d);

// Levenshtein distance, for "did you mean" hints.
size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate within distance 2, or "".
std::string closest(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace dsim::scenario
