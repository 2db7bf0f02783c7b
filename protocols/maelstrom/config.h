// The `maelstrom:` section of a scenario, validated (definition.cc).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dsim/time.h"

namespace dsim::maelstrom {

enum class Workload { kEcho, kUniqueIds, kBroadcast, kGCounter, kPnCounter, kKafka, kLinKv };
enum class Topology { kGrid, kLine, kTotal, kTree };
enum class Mode { kAuto, kDeterministic, kBestEffort };

inline const std::vector<std::string_view>& workload_names() {
  static const std::vector<std::string_view> v = {"echo", "unique-ids", "broadcast", "g-counter",
                                                  "pn-counter", "kafka", "lin-kv"};
  return v;
}
inline const std::vector<std::string_view>& topology_names() {
  static const std::vector<std::string_view> v = {"grid", "line", "total", "tree"};
  return v;
}
inline const std::vector<std::string_view>& mode_names() {
  static const std::vector<std::string_view> v = {"auto", "deterministic", "best-effort"};
  return v;
}

// The simulated services a node may call, by their Maelstrom ids.
inline const std::vector<std::string_view>& service_names() {
  static const std::vector<std::string_view> v = {"seq-kv", "lin-kv", "lww-kv"};
  return v;
}
inline bool is_service(std::string_view name) {
  for (auto s : service_names()) {
    if (s == name) return true;
  }
  return false;
}

struct Config {
  std::string command;             // required: the node program
  std::vector<std::string> args;   // its arguments
  Workload workload = Workload::kEcho;
  Topology topology = Topology::kGrid;  // broadcast only
  Mode mode = Mode::kAuto;
  Duration timeout = milliseconds(1000);   // a client operation unanswered by then is indefinite
  Duration final_reads = Duration{0};      // when each server gets its final read (0: none)
  uint32_t keys = 3;                       // kafka and lin-kv keys
  int64_t init_timeout_ms = 10'000;        // real time for init_ok
  int64_t reply_timeout_ms = 10'000;       // real time for dsim_sync after an input
  int64_t quiet_ms = 20;                   // best-effort mode: silence that ends an input
  std::string log_dir;                     // <log_dir>/<node>.stderr; "": $TMPDIR/dsim-maelstrom
  int64_t log_limit = 1 << 20;             // bytes of stderr kept per node
  // The services the program calls; each must be a node (after the servers).
  // Default: the services the node list has.
  std::vector<std::string> services;
  uint32_t servers = 0;                    // filled by read(): the nodes that run the program
};

}  // namespace dsim::maelstrom
