#include "dsim/storage.h"

namespace dsim {

void Storage::put(std::string_view key, std::string_view value) {
  pending_.insert_or_assign(std::string(key), std::optional<std::string>(std::string(value)));
}

void Storage::erase(std::string_view key) { pending_.insert_or_assign(std::string(key), std::nullopt); }

std::optional<std::string> Storage::get(std::string_view key) const {
  if (auto p = pending_.find(key); p != pending_.end()) return p->second;
  if (auto d = durable_.find(key); d != durable_.end()) return d->second;
  return std::nullopt;
}

void Storage::sync() {
  if (!pending_.empty()) ++writing_syncs_;
  // Each key is independent, so the (hash) order of this walk does not
  // matter.
  for (auto& [key, value] : pending_) {
    if (value) {
      durable_.insert_or_assign(key, std::move(*value));
    } else if (auto d = durable_.find(key); d != durable_.end()) {
      durable_.erase(d);
    }
  }
  pending_.clear();
}

void Storage::on_crash(bool lose_unsynced) {
  if (lose_unsynced) {
    pending_.clear();
  } else {
    sync();  // the OS flushed the page cache before the process died
  }
}

}  // namespace dsim
