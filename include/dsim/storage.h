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
//
// Besides the keys, each storage holds one append-only record log (a
// write-ahead log, a replicated log): records at consecutive positions
// [log_begin(), log_end()), appended at the end, truncated back from the
// end, and compacted (dropped) from the front once a snapshot covers them.
// It has the same durability contract as put/erase (visible at once,
// durable on sync(), undone by a crash that loses unsynced writes) but
// costs O(1) amortized per record: records sit back to back in one buffer
// (no key, no heap node, no hash per record) and a restart reads them in
// order. A crash that loses unsynced writes undoes the log operations
// since the last sync in reverse, from a journal that keeps what a
// truncation removed; compacted records are freed only at the next sync.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsim/fingerprint.h"

namespace dsim {

class Storage {
 public:
  void put(std::string_view key, std::string_view value);
  void erase(std::string_view key);
  std::optional<std::string> get(std::string_view key) const;
  void sync();
  // Number of writes (puts, erases and log operations) not yet synced.
  size_t unsynced() const { return pending_.size() + (log_ ? log_->journal.size() : 0); }

  // ---- The record log. Positions are absolute: compaction moves
  // log_begin() up, it does not renumber records.
  uint64_t log_begin() const { return log_ ? log_->begin : 0; }
  uint64_t log_end() const { return log_ ? log_->end() : 0; }
  // REQUIRES: log_begin() <= pos < log_end(). Valid until the next write.
  std::string_view log_record(uint64_t pos) const { return log_records(pos, pos + 1); }
  // Records [begin, end) back to back, as one view (what a node that keeps
  // its records in its wire format sends without re-encoding them).
  // REQUIRES: log_begin() <= begin <= end <= log_end(). Valid until the
  // next write.
  std::string_view log_records(uint64_t begin, uint64_t end) const;
  void log_append(std::string_view record);
  // Appends one record made of `head` then `tail` (no concatenated copy).
  void log_append(std::string_view head, std::string_view tail);
  // Keeps [log_begin(), end). REQUIRES: log_begin() <= end <= log_end().
  void log_truncate(uint64_t end);
  // Drops the records before `begin`. A `begin` past log_end() leaves an
  // empty log that continues at `begin` (a node that installs a snapshot
  // newer than anything it holds). REQUIRES: begin >= log_begin().
  void log_compact(uint64_t begin);
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
    // A log never used hashes as an empty one.
    static const Log kNoLog;
    const Log& l = log_ ? *log_ : kNoLog;
    h(l.base, l.begin, l.ends, l.journal, l.undo_lens);
    h.bytes(l.bytes);
    h.bytes(l.undo_bytes);
  }

 private:
  // An open-addressing hash table of strings (linear probing, backward-shift
  // erase): one array of slots instead of a heap node per key, and clear()
  // keeps every slot's string buffers, so the pending writes of the next
  // sync reuse them. Iteration is in slot (hash) order: see above.
  // `Track`: keep the list of insertions for a table that is cleared
  // often (the pending writes).
  template <class V, bool Track>
  class FlatMap {
   public:
    using value_type = std::pair<std::string, V>;
    struct Slot {
      uint64_t hash = 0;  // 0: empty
      value_type kv;
    };
    class const_iterator {
     public:
      const_iterator(const Slot* p, const Slot* end) : p_(p), end_(end) { skip(); }
      const value_type& operator*() const { return p_->kv; }
      const value_type* operator->() const { return &p_->kv; }
      const_iterator& operator++() {
        ++p_;
        skip();
        return *this;
      }
      bool operator!=(const const_iterator& o) const { return p_ != o.p_; }
      bool operator==(const const_iterator& o) const { return p_ == o.p_; }

     private:
      void skip() {
        while (p_ != end_ && p_->hash == 0) ++p_;
      }
      const Slot* p_;
      const Slot* end_;
    };

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const_iterator begin() const { return {slots_.data(), slots_.data() + slots_.size()}; }
    const_iterator end() const { return {slots_.data() + slots_.size(), slots_.data() + slots_.size()}; }

    const V* find(std::string_view key) const {
      if (size_ == 0) return nullptr;
      const uint64_t h = hash(key);
      for (size_t i = h & mask();; i = (i + 1) & mask()) {
        const Slot& s = slots_[i];
        if (s.hash == 0) return nullptr;
        if (s.hash == h && s.kv.first == key) return &s.kv.second;
      }
    }
    // The value at `key`. For a key that was absent it is whatever its
    // slot last held (a buffer to reuse): the caller assigns it.
    V& upsert(std::string_view key) {
      if ((size_ + 1) * 4 > slots_.size() * 3) grow();
      const uint64_t h = hash(key);
      size_t i = h & mask();
      for (;; i = (i + 1) & mask()) {
        Slot& s = slots_[i];
        if (s.hash == 0) break;
        if (s.hash == h && s.kv.first == key) return s.kv.second;
      }
      Slot& s = slots_[i];
      s.hash = h;
      s.kv.first.assign(key);
      ++size_;
      if (used_valid_) used_.push_back(static_cast<uint32_t>(i));
      return s.kv.second;
    }
    bool erase(std::string_view key) {
      if (size_ == 0) return false;
      const uint64_t h = hash(key);
      size_t i = h & mask();
      for (;; i = (i + 1) & mask()) {
        const Slot& s = slots_[i];
        if (s.hash == 0) return false;
        if (s.hash == h && s.kv.first == key) break;
      }
      // Backward shift: pull later entries of the run into the hole, so
      // lookups never need tombstones.
      for (size_t j = (i + 1) & mask(); slots_[j].hash != 0; j = (j + 1) & mask()) {
        const size_t home = slots_[j].hash & mask();
        const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays) continue;
        std::swap(slots_[i], slots_[j]);
        i = j;
      }
      slots_[i].hash = 0;
      slots_[i].kv.second = V{};
      --size_;
      used_valid_ = false;  // entries moved: the list no longer says where
      return true;
    }
    // Empties the table, keeping its slots and their buffers. Costs what
    // was inserted since the last clear, not the table's size, unless an
    // erase came between.
    void clear() {
      if (used_valid_) {
        for (uint32_t i : used_) slots_[i].hash = 0;
      } else {
        for (Slot& s : slots_) s.hash = 0;
      }
      size_ = 0;
      used_.clear();
      used_valid_ = Track;
    }
    // Every entry, in the order of insertion when no erase came since the
    // last clear (else in slot order).
    template <class F>
    void for_each(F&& f) {
      if (used_valid_) {
        for (uint32_t i : used_) f(slots_[i].kv);
        return;
      }
      for (Slot& s : slots_) {
        if (s.hash != 0) f(s.kv);
      }
    }

   private:
    // Never 0 (the empty mark); the bit set is one the mask never uses.
    static uint64_t hash(std::string_view key) { return std::hash<std::string_view>{}(key) | (uint64_t{1} << 63); }
    size_t mask() const { return slots_.size() - 1; }
    void grow() {
      std::vector<Slot> old = std::move(slots_);
      slots_.clear();
      slots_.resize(old.empty() ? 16 : old.size() * 2);
      auto place = [&](Slot& o) {
        size_t i = o.hash & mask();
        while (slots_[i].hash != 0) i = (i + 1) & mask();
        slots_[i] = std::move(o);
        return static_cast<uint32_t>(i);
      };
      if (used_valid_) {
        for (uint32_t& u : used_) u = place(old[u]);  // the same order, new places
        return;
      }
      for (Slot& o : old) {
        if (o.hash != 0) place(o);
      }
    }

    std::vector<Slot> slots_;  // a power of two, at most 3/4 full
    size_t size_ = 0;
    // Where the entries inserted since the last clear() are, while no erase
    // has moved any: clear() and for_each() then cost what is there.
    std::vector<uint32_t> used_;
    bool used_valid_ = Track;
  };

  // One log operation since the last sync, with what undoes it.
  struct LogOp {
    enum Kind : uint8_t { kAppend, kTruncate, kCompact, kRebase } kind;
    uint64_t a = 0;  // kTruncate: records saved; kCompact: old begin; kRebase: old base
    uint64_t b = 0;  // kRebase: old begin
    void fingerprint(Fingerprint& h) const { h(kind, a, b); }
  };
  // The log: records at positions [base, base + ends.size()) back to back
  // in bytes (ends[k]: where record base + k ends); the ones before begin
  // are compacted, kept until the next sync in case a crash undoes the
  // compaction.
  struct Log {
    std::string bytes;
    std::vector<uint64_t> ends;
    uint64_t base = 0;
    uint64_t begin = 0;
    std::vector<LogOp> journal;  // since the last sync, oldest first
    // Records removed by truncations since the last sync, in removal order.
    std::string undo_bytes;
    std::vector<uint64_t> undo_lens;
    uint64_t end() const { return base + ends.size(); }
  };
  // The log is allocated on first use: most nodes of most protocols never
  // touch it, and its members were more than half of an idle node's
  // storage. Copies (a world cloned by `dsim explore`) copy it.
  class LogPtr {
   public:
    LogPtr() = default;
    LogPtr(const LogPtr& o) : p_(o.p_ ? std::make_unique<Log>(*o.p_) : nullptr) {}
    LogPtr& operator=(const LogPtr& o) {
      if (this != &o) p_ = o.p_ ? std::make_unique<Log>(*o.p_) : nullptr;
      return *this;
    }
    LogPtr(LogPtr&&) noexcept = default;
    LogPtr& operator=(LogPtr&&) noexcept = default;
    explicit operator bool() const { return p_ != nullptr; }
    Log* operator->() const { return p_.get(); }
    Log& operator*() const { return *p_; }
    Log& get() {
      if (!p_) [[unlikely]] p_ = std::make_unique<Log>();
      return *p_;
    }

   private:
    std::unique_ptr<Log> p_;
  };
  void remove_tail(Log& l, uint64_t end);  // physically, saving the records for undo
  void undo(Log& l, const LogOp& op);
  void drop_compacted(Log& l);

  FlatMap<std::string, false> durable_;
  // key -> new value, or nullopt for an erase not yet synced.
  FlatMap<std::optional<std::string>, true> pending_;
  uint64_t writing_syncs_ = 0;
  LogPtr log_;
};

}  // namespace dsim
