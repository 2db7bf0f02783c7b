#include "sim/cli/tune_grid.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "sim/core/input.h"

namespace dsim::cli {
namespace {

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return {};
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

bool valid_key(const std::string& key) {
  if (key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string where(const std::string& path, const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return path + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": error: ";
}

// A YAML node as one line of flow YAML: a value's label and its text.
std::string flow_text(const YAML::Node& n) {
  YAML::Emitter e;
  e.SetMapFormat(YAML::Flow);
  e.SetSeqFormat(YAML::Flow);
  e << n;
  return e.c_str();
}

}  // namespace

std::vector<std::string> split_grid_values(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
      continue;
    }
    cur += c;
  }
  out.push_back(trim(cur));
  return out;
}

bool parse_set_flag(const std::string& text, GridAxis* out, std::string* error) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos) {
    *error = "--set '" + text + "': expected KEY=V1,V2,... (e.g. raft.heartbeat=25ms,50ms)";
    return false;
  }
  GridAxis axis;
  axis.name = trim(text.substr(0, eq));
  if (!valid_key(axis.name)) {
    *error = "--set '" + text + "': '" + axis.name + "' is not a scenario key (dotted words, e.g. dynamo.r)";
    return false;
  }
  std::set<std::string> seen;
  for (const std::string& v : split_grid_values(text.substr(eq + 1))) {
    if (v.empty()) {
      *error = "--set '" + text + "': an empty value (two commas in a row, or none after '=')";
      return false;
    }
    if (!seen.insert(v).second) {
      *error = "--set '" + text + "': the value '" + v + "' is listed twice";
      return false;
    }
    axis.values.push_back({v, {{axis.name, v}}});
  }
  *out = std::move(axis);
  return true;
}

bool looks_like_grid_file(const std::string& path) {
  // Only a regular file of a sane size is opened here: a FIFO must not
  // hang, a device not be read forever (the loader reports such inputs).
  if (is_stdin_path(path) || !input_problem(path).empty() || file_size(path) > kMaxScenarioBytes) return false;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    return root.IsMap() && root["grid"];
  } catch (const YAML::Exception&) {
    return false;
  }
}

bool load_grid_file(const std::string& path, GridFile* out, std::string* error) {
  if (const std::string why = input_problem(path); !why.empty()) {
    *error = path + ": error: " + why;
    return false;
  }
  if (file_size(path) > kMaxScenarioBytes) {
    *error = path + ": error: larger than " + std::to_string(kMaxScenarioBytes >> 20) + " MiB (is this a grid file?)";
    return false;
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    *error = path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": error: " + e.msg;
    return false;
  } catch (const YAML::Exception& e) {
    *error = path + ": error: " + e.what();
    return false;
  }
  if (!root.IsMap()) {
    *error = path + ":1:1: error: a grid file is a mapping (scenario:, grid:, and optionally seeds:, metrics:)";
    return false;
  }
  GridFile g;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "scenario" || key == "seeds") {
      if (!v.IsScalar() || v.Scalar().empty()) {
        *error = where(path, v) + "'" + key + "' must be a non-empty string";
        return false;
      }
      (key == "scenario" ? g.scenario : g.seeds) = v.Scalar();
    } else if (key == "metrics") {
      if (!v.IsSequence()) {
        *error = where(path, v) + "'metrics' must be a list of metric names";
        return false;
      }
      for (const auto& m : v) {
        if (!m.IsScalar()) {
          *error = where(path, m) + "a metric name must be a string";
          return false;
        }
        g.metrics.push_back(m.Scalar());
      }
    } else if (key == "grid") {
      if (!v.IsMap() || v.size() == 0) {
        *error = where(path, v) + "'grid' must map each axis (a scenario key, or a name) to its list of values";
        return false;
      }
      for (const auto& axis_kv : v) {
        GridAxis axis;
        axis.name = axis_kv.first.as<std::string>();
        const YAML::Node& values = axis_kv.second;
        if (!values.IsSequence() || values.size() == 0) {
          *error = where(path, values) + "axis '" + axis.name + "' needs a non-empty list of values";
          return false;
        }
        std::set<std::string> labels;
        for (const auto& val : values) {
          GridValue gv;
          if (val.IsMap() && val["set"]) {
            // A linked value: {label: L, set: {key: value, ...}}.
            for (const auto& f : val) {
              const std::string fk = f.first.as<std::string>();
              if (fk != "label" && fk != "set") {
                *error = where(path, f.first) + "unknown key '" + fk + "' in a grid value (expected label, set)";
                return false;
              }
            }
            if (!val["set"].IsMap() || val["set"].size() == 0) {
              *error = where(path, val["set"]) + "'set' must map scenario keys to values";
              return false;
            }
            for (const auto& s : val["set"]) {
              const std::string k = s.first.as<std::string>();
              if (!valid_key(k)) {
                *error = where(path, s.first) + "'" + k + "' is not a scenario key (dotted words, e.g. raft.heartbeat)";
                return false;
              }
              gv.settings.push_back({k, flow_text(s.second)});
            }
            gv.label = val["label"] ? flow_text(val["label"]) : "";
            if (gv.label.empty()) {
              for (const auto& [k, t] : gv.settings) gv.label += (gv.label.empty() ? "" : " ") + k + "=" + t;
            }
          } else {
            if (!valid_key(axis.name)) {
              *error = where(path, axis_kv.first) + "'" + axis.name +
                       "' is not a scenario key: plain values need one (or give each value as {label:, set: {...}})";
              return false;
            }
            gv.label = flow_text(val);
            gv.settings.push_back({axis.name, gv.label});
          }
          if (!labels.insert(gv.label).second) {
            *error = where(path, val) + "axis '" + axis.name + "' lists the value '" + gv.label + "' twice";
            return false;
          }
          axis.values.push_back(std::move(gv));
        }
        g.axes.push_back(std::move(axis));
      }
    } else {
      *error = where(path, kv.first) + "unknown key '" + key + "' (expected scenario, grid, seeds, metrics)";
      return false;
    }
  }
  if (g.scenario.empty()) {
    *error = path + ":1:1: error: the grid file names no scenario ('scenario: FILE.yaml')";
    return false;
  }
  if (g.axes.empty()) {
    *error = path + ":1:1: error: the grid file has no 'grid:' axes";
    return false;
  }
  *out = std::move(g);
  return true;
}

bool apply_settings(const std::string& yaml_text, const std::vector<GridSetting>& settings, std::string* out,
                    std::string* error) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    *error = std::string("the scenario is not YAML: ") + e.what();
    return false;
  }
  if (!root.IsMap()) {
    *error = "the scenario is not a YAML mapping";
    return false;
  }
  for (const auto& [key, text] : settings) {
    YAML::Node value;
    try {
      value = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      *error = "invalid value '" + text + "' for '" + key + "': not YAML (" + e.msg + ")";
      return false;
    }
    std::vector<std::string> parts;
    std::stringstream ss(key);
    for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
    YAML::Node cur = root;
    std::string so_far;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      so_far += (i ? "." : "") + parts[i];
      const YAML::Node existing = cur[parts[i]];
      if (!existing.IsDefined() || existing.IsNull()) cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      YAML::Node next = cur[parts[i]];
      if (!next.IsMap()) {
        *error = "cannot set '" + key + "' to '" + text + "': '" + so_far + "' is not a mapping in the scenario";
        return false;
      }
      cur.reset(next);
    }
    cur[parts.back()] = value;
  }
  YAML::Emitter e;
  e << root;
  if (!e.good()) {
    *error = "cannot write the scenario back as YAML: " + e.GetLastError();
    return false;
  }
  *out = std::string(e.c_str()) + "\n";
  return true;
}

}  // namespace dsim::cli
