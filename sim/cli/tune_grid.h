// Parameter grids for `dsim tune` (docs/tuning.md): axes from `--set
// KEY=V1,V2,...` flags and from a grid file's `grid:` section, their
// points (every combination, the last axis varying fastest), and a point
// applied to a scenario's YAML document: each KEY (a dotted scenario path
// such as raft.election_timeout) is set to its value, parsed as YAML, and
// the result goes through the normal scenario loader, so a bad value is
// rejected with the message the loader gives for it.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dsim::cli {

// (scenario path, value as YAML text)
using GridSetting = std::pair<std::string, std::string>;

struct GridValue {
  std::string label;                  // how tables, plots and CSV name it
  std::vector<GridSetting> settings;  // what it sets (a linked axis sets several keys)
};

struct GridAxis {
  std::string name;  // the key, or the grid file's name for a linked axis
  std::vector<GridValue> values;
};

struct GridFile {
  std::string scenario;             // as written in the file, relative to it
  std::string seeds;                // default --seeds A..B ("" none)
  std::vector<GridAxis> axes;
  std::vector<std::string> metrics; // shown in the table and plotted
};

inline constexpr uint64_t kMaxGridPoints = 10'000;

// Splits "V1,V2" at the commas outside brackets, braces and quotes.
std::vector<std::string> split_grid_values(const std::string& text);
// `KEY=V1,V2,...` -> an axis. False with a message on a malformed flag.
bool parse_set_flag(const std::string& text, GridAxis* out, std::string* error);
// True when the file is a YAML mapping with a top-level `grid:` key.
bool looks_like_grid_file(const std::string& path);
// Reads a grid file; errors are "path:line:col: error: ...".
bool load_grid_file(const std::string& path, GridFile* out, std::string* error);
// The scenario text with each setting applied. False (with a message that
// names the key and the value) when a value is not YAML or a key's parent
// is not a mapping.
bool apply_settings(const std::string& yaml_text, const std::vector<GridSetting>& settings, std::string* out,
                    std::string* error);

}  // namespace dsim::cli
