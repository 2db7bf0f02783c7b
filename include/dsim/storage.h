// A node's durable storage: what survives a crash.
//
// Writes are visible to the node at once but only become durable on sync().
// A crash keeps synced data and, when the fault says so (`lose_unsynced`),
// discards writes made since the last sync, the way a real disk loses its
// page cache. Keys iterate in sorted order, so nothing about storage depends
// on hash order.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace dsim {

class Storage {
 public:
  void put(std::string_view key, std::string_view value);
  void erase(std::string_view key);
  std::optional<std::string> get(std::string_view key) const;
  void sync();
  // Number of writes (puts and erases) not yet synced.
  size_t unsynced() const { return pending_.size(); }

  // Called by the simulator when the node crashes.
  void on_crash(bool lose_unsynced);

 private:
  std::map<std::string, std::string, std::less<>> durable_;
  // key -> new value, or nullopt for an erase not yet synced.
  std::map<std::string, std::optional<std::string>, std::less<>> pending_;
};

}  // namespace dsim
