#include "dsim/storage.h"

#include "dsim/assert.h"

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
  const bool log_pending = log_ && !log_->journal.empty();
  if (pending_.empty() && !log_pending) return;
  ++writing_syncs_;
  if (log_) {
    Log& l = *log_;
    l.journal.clear();
    l.undo_bytes.clear();
    l.undo_lens.clear();
    drop_compacted(l);
  }
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
    if (log_) {
      Log& l = *log_;
      while (!l.journal.empty()) {
        undo(l, l.journal.back());
        l.journal.pop_back();
      }
      DSIM_ASSERT(l.undo_bytes.empty() && l.undo_lens.empty());
    }
  } else {
    sync();  // the OS flushed the page cache before the process died
  }
}

// ---- The record log -----------------------------------------------------------

std::string_view Storage::log_records(uint64_t begin, uint64_t end) const {
  DSIM_ASSERT(begin <= end);
  if (begin == end) {
    DSIM_ASSERT(begin >= log_begin() && end <= log_end());
    return {};
  }
  DSIM_ASSERT(log_ && begin >= log_->begin && end <= log_->end());
  const Log& l = *log_;
  const size_t k = static_cast<size_t>(begin - l.base);
  const uint64_t from = k == 0 ? 0 : l.ends[k - 1];
  const uint64_t to = l.ends[static_cast<size_t>(end - l.base) - 1];
  return std::string_view(l.bytes).substr(from, to - from);
}

void Storage::log_append(std::string_view record) { log_append(record, {}); }

void Storage::log_append(std::string_view head, std::string_view tail) {
  Log& l = log_.get();
  l.bytes.append(head);
  l.bytes.append(tail);
  l.ends.push_back(l.bytes.size());
  l.journal.push_back({LogOp::kAppend});
}

void Storage::log_truncate(uint64_t end) {
  DSIM_ASSERT(end >= log_begin());
  DSIM_ASSERT(end <= log_end());
  if (end == log_end()) return;
  Log& l = *log_;  // not empty, so allocated
  l.journal.push_back({LogOp::kTruncate, l.end() - end});
  remove_tail(l, end);
}

void Storage::log_compact(uint64_t begin) {
  DSIM_ASSERT(begin >= log_begin());
  if (begin == log_begin()) return;
  Log& l = log_.get();
  if (begin <= l.end()) {
    l.journal.push_back({LogOp::kCompact, l.begin});
    l.begin = begin;
    return;
  }
  // Past the end: every record goes (saved, for undo), and the log
  // continues at `begin`.
  if (l.end() > l.base) {
    l.journal.push_back({LogOp::kTruncate, l.end() - l.base});
    remove_tail(l, l.base);
  }
  l.journal.push_back({LogOp::kRebase, l.base, l.begin});
  l.base = begin;
  l.begin = begin;
}

void Storage::remove_tail(Log& l, uint64_t end) {
  const size_t k = static_cast<size_t>(end - l.base);
  const uint64_t from = k == 0 ? 0 : l.ends[k - 1];
  // The removed records go to the undo buffers in order; their lengths
  // are stored last first, so undo pops them from the back.
  l.undo_bytes.append(l.bytes, from, std::string::npos);
  for (size_t i = l.ends.size(); i > k; --i) l.undo_lens.push_back(l.ends[i - 1] - (i - 1 == 0 ? 0 : l.ends[i - 2]));
  l.bytes.resize(from);
  l.ends.resize(k);
}

void Storage::undo(Log& l, const LogOp& op) {
  switch (op.kind) {
    case LogOp::kAppend:
      DSIM_ASSERT(!l.ends.empty());
      l.ends.pop_back();
      l.bytes.resize(l.ends.empty() ? 0 : l.ends.back());
      return;
    case LogOp::kTruncate: {
      DSIM_ASSERT(l.undo_lens.size() >= op.a);
      uint64_t total = 0;
      for (size_t i = l.undo_lens.size() - op.a; i < l.undo_lens.size(); ++i) total += l.undo_lens[i];
      const size_t from = l.undo_bytes.size() - total;
      uint64_t at = l.bytes.size();
      l.bytes.append(l.undo_bytes, from, std::string::npos);
      for (uint64_t n = 0; n < op.a; ++n) {
        at += l.undo_lens.back();
        l.undo_lens.pop_back();
        l.ends.push_back(at);
      }
      l.undo_bytes.resize(from);
      return;
    }
    case LogOp::kCompact: l.begin = op.a; return;
    case LogOp::kRebase:
      DSIM_ASSERT(l.ends.empty());
      l.base = op.a;
      l.begin = op.b;
      return;
  }
}

void Storage::drop_compacted(Log& l) {
  if (l.begin == l.base) return;
  const size_t k = static_cast<size_t>(l.begin - l.base);
  const uint64_t cut = k == 0 ? 0 : l.ends[k - 1];
  l.bytes.erase(0, cut);
  l.ends.erase(l.ends.begin(), l.ends.begin() + static_cast<std::ptrdiff_t>(k));
  for (uint64_t& e : l.ends) e -= cut;
  l.base = l.begin;
}

}  // namespace dsim
