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
  if (pending_.empty() && journal_.empty()) return;
  ++writing_syncs_;
  journal_.clear();
  undo_bytes_.clear();
  undo_lens_.clear();
  drop_compacted();
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
    while (!journal_.empty()) {
      undo(journal_.back());
      journal_.pop_back();
    }
    DSIM_ASSERT(undo_bytes_.empty() && undo_lens_.empty());
  } else {
    sync();  // the OS flushed the page cache before the process died
  }
}

// ---- The record log -----------------------------------------------------------

std::string_view Storage::log_record(uint64_t pos) const {
  DSIM_ASSERT(pos >= begin_ && pos < log_end());
  const size_t k = static_cast<size_t>(pos - base_);
  const uint64_t from = k == 0 ? 0 : ends_[k - 1];
  return std::string_view(bytes_).substr(from, ends_[k] - from);
}

void Storage::log_append(std::string_view record) {
  bytes_.append(record);
  ends_.push_back(bytes_.size());
  journal_.push_back({LogOp::kAppend});
}

void Storage::log_append(std::string_view head, std::string_view tail) {
  bytes_.append(head);
  bytes_.append(tail);
  ends_.push_back(bytes_.size());
  journal_.push_back({LogOp::kAppend});
}

void Storage::log_truncate(uint64_t end) {
  DSIM_ASSERT(end >= begin_);
  DSIM_ASSERT(end <= log_end());
  if (end == log_end()) return;
  journal_.push_back({LogOp::kTruncate, log_end() - end});
  remove_tail(end);
}

void Storage::log_compact(uint64_t begin) {
  DSIM_ASSERT(begin >= begin_);
  if (begin == begin_) return;
  if (begin <= log_end()) {
    journal_.push_back({LogOp::kCompact, begin_});
    begin_ = begin;
    return;
  }
  // Past the end: every record goes (saved, for undo), and the log
  // continues at `begin`.
  if (log_end() > base_) {
    journal_.push_back({LogOp::kTruncate, log_end() - base_});
    remove_tail(base_);
  }
  journal_.push_back({LogOp::kRebase, base_, begin_});
  base_ = begin;
  begin_ = begin;
}

void Storage::remove_tail(uint64_t end) {
  const size_t k = static_cast<size_t>(end - base_);
  const uint64_t from = k == 0 ? 0 : ends_[k - 1];
  // The removed records go to the undo buffers in order; their lengths
  // are stored last first, so undo pops them from the back.
  undo_bytes_.append(bytes_, from, std::string::npos);
  for (size_t i = ends_.size(); i > k; --i) undo_lens_.push_back(ends_[i - 1] - (i - 1 == 0 ? 0 : ends_[i - 2]));
  bytes_.resize(from);
  ends_.resize(k);
}

void Storage::undo(const LogOp& op) {
  switch (op.kind) {
    case LogOp::kAppend:
      DSIM_ASSERT(!ends_.empty());
      ends_.pop_back();
      bytes_.resize(ends_.empty() ? 0 : ends_.back());
      return;
    case LogOp::kTruncate: {
      DSIM_ASSERT(undo_lens_.size() >= op.a);
      uint64_t total = 0;
      for (size_t i = undo_lens_.size() - op.a; i < undo_lens_.size(); ++i) total += undo_lens_[i];
      const size_t from = undo_bytes_.size() - total;
      uint64_t at = bytes_.size();
      bytes_.append(undo_bytes_, from, std::string::npos);
      for (uint64_t n = 0; n < op.a; ++n) {
        at += undo_lens_.back();
        undo_lens_.pop_back();
        ends_.push_back(at);
      }
      undo_bytes_.resize(from);
      return;
    }
    case LogOp::kCompact: begin_ = op.a; return;
    case LogOp::kRebase:
      DSIM_ASSERT(ends_.empty());
      base_ = op.a;
      begin_ = op.b;
      return;
  }
}

void Storage::drop_compacted() {
  if (begin_ == base_) return;
  const size_t k = static_cast<size_t>(begin_ - base_);
  const uint64_t cut = k == 0 ? 0 : ends_[k - 1];
  bytes_.erase(0, cut);
  ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(k));
  for (uint64_t& e : ends_) e -= cut;
  base_ = begin_;
}

}  // namespace dsim
