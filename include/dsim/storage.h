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
#include <cstdint>
#include <functional>
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

  FlatMap<std::string, false> durable_;
  // key -> new value, or nullopt for an erase not yet synced.
  FlatMap<std::optional<std::string>, true> pending_;
  uint64_t writing_syncs_ = 0;
};

}  // namespace dsim
