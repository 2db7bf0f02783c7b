#include "dsim/storage.h"

namespace dsim {

void Storage::put(std::string_view key, std::string_view value) {
  std::optional<std::string>& v = pending_.upsert(key);
  if (v) {
    v->assign(value);  // into the buffer a previous write left
  } else {
    v.emplace(value);
  }
}

void Storage::erase(std::string_view key) { pending_.upsert(key).reset(); }

std::optional<std::string> Storage::get(std::string_view key) const {
  if (const auto* p = pending_.find(key)) return *p;
  if (const auto* d = durable_.find(key)) return *d;
  return std::nullopt;
}

void Storage::sync() {
  if (pending_.empty()) return;
  ++writing_syncs_;
  // Each key is independent, so the (hash) order of this walk does not
  // matter.
  pending_.for_each([&](std::pair<std::string, std::optional<std::string>>& kv) {
    if (kv.second) {
      // Swapped, not copied: the pending slot keeps a buffer for next time.
      std::swap(durable_.upsert(kv.first), *kv.second);
    } else {
      durable_.erase(kv.first);
    }
  });
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
