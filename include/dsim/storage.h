// A node's durable storage: what survives a crash.
//
// Writes are visible to the node at once but only become durable on sync().
// A crash keeps synced data and, when the fault says so (`lose_unsynced`),
// discards writes made since the last sync, the way a real disk loses its
// page cache.
//
// Lookups are by hash: a node that reloads a long log on restart reads every
// entry, and a sorted map made that O(n log n) string comparisons per
// restart, the largest cost of long nemesis runs. Nothing iterates the keys
// in an order that reaches a node or a trace (sync applies independent
// keys), so hash order cannot leak into behaviour.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dsim/fingerprint.h"

namespace dsim {

class Storage {
 public:
  void put(std::string_view key, std::string_view value);
  void erase(std::string_view key);
  std::optional<std::string> get(std::string_view key) const;
  void sync();
  // Number of writes (puts and erases) not yet synced.
  size_t unsynced() const { return pending_.size(); }
  // Syncs that made something durable (a sync with nothing pending is not
  // counted): the simulator charges each one the scenario's write latency.
  uint64_t writing_syncs() const { return writing_syncs_; }

  // Called by the simulator when the node crashes.
  void on_crash(bool lose_unsynced);

  // What is durable and what is pending, independent of hash order
  // (`dsim explore`'s state includes each node's storage).
  void fingerprint(Fingerprint& h) const {
    h.unordered(durable_);
    h.unordered(pending_);
  }

 private:
  struct Hash {
    using is_transparent = void;  // find() by string_view, without a copy
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> durable_;
  // key -> new value, or nullopt for an erase not yet synced.
  std::unordered_map<std::string, std::optional<std::string>, Hash, std::equal_to<>> pending_;
  uint64_t writing_syncs_ = 0;
};

}  // namespace dsim
