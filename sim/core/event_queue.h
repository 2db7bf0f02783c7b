// The scheduler's two queues, both ordered by one packed key (time, sequence).
//
// Key = time in the high 64 bits, a global insertion sequence in the low 64:
// one integer comparison orders events totally, ties by insertion, never by
// address or hash. Both queues are binary heaps over plain
// structs in vectors that keep their capacity, so steady state allocates
// nothing per event.
//
// EventHeap holds events that are never cancelled (message deliveries,
// scheduled actions). TimerHeap is an indexed heap: each timer knows its
// position, so cancel and re-arm are O(log n) in place, with no tombstones
// left to bloat the queue.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dsim/assert.h"
#include "dsim/ids.h"
#include "dsim/time.h"

namespace dsim {

using Key = unsigned __int128;

inline Key make_key(Time t, uint64_t seq) {
  DSIM_ASSERT(t.ns >= 0);
  return (static_cast<Key>(static_cast<uint64_t>(t.ns)) << 64) | seq;
}
inline Time key_time(Key k) { return Time{static_cast<int64_t>(k >> 64)}; }

enum class EventKind : uint32_t {
  kDeliver,    // a = message slot; b = destination << 1 | 1 once arrived (held by a pause)
  kAction,     // b = action id, handed to the ActionHandler
  kResume,     // a = node: end of a pause
  kTimerFire,  // only in a paused node's deferred list: a = timer slot
};

struct Event {
  Key key;
  EventKind kind;
  uint32_t a;
  uint64_t b;
};

class EventHeap {
 public:
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.front(); }
  void reserve(size_t n) { heap_.reserve(n); }

  void push(const Event& e) {
    size_t i = heap_.size();
    heap_.push_back(e);
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (heap_[parent].key <= e.key) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  Event pop() {
    DSIM_ASSERT(!heap_.empty());
    const Event result = heap_.front();
    const Event last = heap_.back();
    heap_.pop_back();
    const size_t n = heap_.size();
    if (n == 0) return result;
    size_t i = 0;
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap_[child + 1].key < heap_[child].key) ++child;
      if (last.key <= heap_[child].key) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = last;
    return result;
  }

 private:
  std::vector<Event> heap_;
};

// Timers: slots hold the owner and the user's tag; the heap holds (key, slot)
// pairs and each slot records its heap position.
class TimerHeap {
 public:
  struct Slot {
    NodeId node;
    uint32_t generation = 1;
    uint64_t tag = 0;
    uint32_t heap_pos = kNotQueued;
  };
  static constexpr uint32_t kNotQueued = UINT32_MAX;

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  Key top_key() const { return heap_.front().key; }
  uint32_t top_slot() const { return heap_.front().slot; }
  const Slot& slot(uint32_t s) const { return slots_[s]; }
  size_t slot_count() const { return slots_.size(); }

  TimerId add(Key key, NodeId node, uint64_t tag) {
    uint32_t s;
    if (!free_.empty()) {
      s = free_.back();
      free_.pop_back();
    } else {
      s = static_cast<uint32_t>(slots_.size());
      slots_.push_back(Slot{});
    }
    Slot& sl = slots_[s];
    DSIM_ASSERT(sl.heap_pos == kNotQueued);
    sl.node = node;
    sl.tag = tag;
    heap_.push_back(Entry{key, s});
    sift_up(heap_.size() - 1);
    return TimerId{(static_cast<uint64_t>(sl.generation) << 32) | s};
  }

  // Resolves a handle to a live, queued slot, or returns false.
  bool resolve(TimerId id, uint32_t* out_slot) const {
    const uint32_t s = static_cast<uint32_t>(id.value);
    const uint32_t gen = static_cast<uint32_t>(id.value >> 32);
    if (!id.valid() || s >= slots_.size()) return false;
    const Slot& sl = slots_[s];
    if (sl.generation != gen || sl.heap_pos == kNotQueued) return false;
    *out_slot = s;
    return true;
  }

  // Removes a queued timer and frees its slot.
  void remove(uint32_t s) {
    DSIM_ASSERT(s < slots_.size());
    const uint32_t pos = slots_[s].heap_pos;
    DSIM_ASSERT(pos != kNotQueued);
    const Entry last = heap_.back();
    heap_.pop_back();
    if (pos < heap_.size()) {
      heap_[pos] = last;
      slots_[last.slot].heap_pos = pos;
      sift_down(sift_up(pos));
    }
    release(s);
  }

  // Takes the earliest timer off the heap but keeps its slot allocated (the
  // caller fires it, or parks it while the node is paused, then releases it).
  uint32_t pop_top() {
    DSIM_ASSERT(!heap_.empty());
    const uint32_t s = heap_.front().slot;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) {
      heap_[0] = last;
      slots_[last.slot].heap_pos = 0;
      sift_down(0);
    }
    slots_[s].heap_pos = kParked;
    return s;
  }

  bool is_parked(uint32_t s) const { return slots_[s].heap_pos == kParked; }

  void release(uint32_t s) {
    Slot& sl = slots_[s];
    sl.heap_pos = kNotQueued;
    ++sl.generation;
    if (sl.generation == 0) sl.generation = 1;  // 0 is reserved for "no timer"
    free_.push_back(s);
  }

 private:
  static constexpr uint32_t kParked = UINT32_MAX - 1;
  struct Entry {
    Key key;
    uint32_t slot;
  };

  size_t sift_up(size_t i) {
    const Entry e = heap_[i];
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (heap_[parent].key <= e.key) break;
      heap_[i] = heap_[parent];
      slots_[heap_[i].slot].heap_pos = static_cast<uint32_t>(i);
      i = parent;
    }
    heap_[i] = e;
    slots_[e.slot].heap_pos = static_cast<uint32_t>(i);
    return i;
  }

  void sift_down(size_t i) {
    const Entry e = heap_[i];
    const size_t n = heap_.size();
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap_[child + 1].key < heap_[child].key) ++child;
      if (e.key <= heap_[child].key) break;
      heap_[i] = heap_[child];
      slots_[heap_[i].slot].heap_pos = static_cast<uint32_t>(i);
      i = child;
    }
    heap_[i] = e;
    slots_[e.slot].heap_pos = static_cast<uint32_t>(i);
  }

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
};

}  // namespace dsim
