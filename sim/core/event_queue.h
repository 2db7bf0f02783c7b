// The scheduler's two queues, both ordered by one packed key (time, sequence).
//
// Key = time in the high 64 bits, a global insertion sequence in the low 64:
// one integer comparison orders events totally, ties by insertion, never by
// address or hash. Steady state allocates nothing per event.
//
// EventHeap holds events that are never cancelled (message deliveries,
// scheduled actions). TimerHeap is an indexed heap: each timer knows its
// position, so cancel is O(log n) in place, with no tombstones left to
// bloat the queue.
//
// Both are 4-ary heaps of 16-byte nodes (time, order, index) whose four
// children share one 64-byte cache line: a pop walks half the levels of a
// binary heap and touches one line per level, where a binary heap of
// 32-byte events touched up to two per level. With 100,000+ pending events
// the heap does not fit in cache and those lines are the cost of a pop.
// `order` is the queue's own 32-bit count of pushes: keys' sequences grow
// with each push (the simulator's do), so order ranks ties exactly as the
// sequence would. When it would wrap, the pending nodes are renumbered in
// key order (once per 4 billion pushes). What a node points to (the event's
// sequence, kind and arguments; a timer's slot) sits beside the heap and
// is read once, when the event reaches the top. An event may also be a
// reference to a record its owner keeps (EventHeap::push_ref): the
// simulator's message deliveries are, so a message in flight costs one
// slot and one 16-byte heap node.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "dsim/assert.h"
#include "dsim/ids.h"
#include "dsim/time.h"
#include "sim/core/slot_pool.h"

namespace dsim {

using Key = unsigned __int128;

inline Key make_key(Time t, uint64_t seq) {
  DSIM_ASSERT(t.ns >= 0);
  return (static_cast<Key>(static_cast<uint64_t>(t.ns)) << 64) | seq;
}
inline Time key_time(Key k) { return Time{static_cast<int64_t>(k >> 64)}; }
inline uint64_t key_seq(Key k) { return static_cast<uint64_t>(k); }

enum class EventKind : uint32_t {
  kDeliver,    // a = message slot; b = destination << 1 | 1 once arrived (held by a pause)
  kAction,     // b = action id, handed to the ActionHandler
  kResume,     // a = node: end of a pause
  kTimerFire,  // only in a paused node's deferred list: a = timer slot
};

static_assert(static_cast<uint32_t>(EventKind::kTimerFire) < 4, "a kind fits in 2 bits");

struct Event {
  Key key;
  EventKind kind;
  uint32_t a;
  uint64_t b;
};

namespace detail {

// A 4-ary min-heap of packed nodes: time (high 64 bits) | order (32) |
// index (32). Orders are unique, so the index never decides a comparison.
// Logical position i lives at buf_[i + pad_], with pad_ chosen so that the
// children of every node (4i+1 .. 4i+4) start a 64-byte line.
class QuadHeap {
 public:
  using Node = unsigned __int128;
  static Node pack(uint64_t time, uint32_t order, uint32_t index) {
    return (static_cast<Node>(time) << 64) | (static_cast<Node>(order) << 32) | index;
  }
  static uint64_t time_of(Node n) { return static_cast<uint64_t>(n >> 64); }
  static uint32_t index_of(Node n) { return static_cast<uint32_t>(n); }

  QuadHeap() = default;
  QuadHeap(const QuadHeap& o) { *this = o; }
  QuadHeap& operator=(const QuadHeap& o) {
    if (this == &o) return *this;
    size_ = 0;
    reserve(o.size_);
    for (size_t i = 0; i < o.size_; ++i) at(i) = o.at(i);
    size_ = o.size_;
    return *this;
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  Node top() const {
    DSIM_ASSERT(size_ > 0);
    return at(0);
  }
  Node node(size_t pos) const {
    DSIM_ASSERT(pos < size_);
    return at(pos);
  }
  // The smallest child of the root: the next top after a pop, unless the
  // last node is smaller still. For prefetching what it points to.
  const Node* next_top_hint() const {
    if (size_ < 2) return nullptr;
    const size_t end = std::min<size_t>(size_, 5);
    size_t best = 1;
    for (size_t c = 2; c < end; ++c) {
      if (at(c) < at(best)) best = c;
    }
    return &at(best);
  }

  void reserve(size_t n) {
    if (n <= capacity_) return;
    // 64-byte aligned storage with 4 spare nodes for the padding.
    auto fresh = std::unique_ptr<Node[], Free>(
        static_cast<Node*>(::operator new[]((n + 4) * sizeof(Node), std::align_val_t{64})));
    // Position 1 (the root's first child) on a line boundary: pad_ = 3.
    constexpr size_t kPad = 3;
    if (size_ > 0) std::memcpy(fresh.get() + kPad, buf_.get() + pad_, size_ * sizeof(Node));
    buf_ = std::move(fresh);
    pad_ = kPad;
    capacity_ = n;
  }

  // Track(index, pos): node `index` now sits at logical position `pos`.
  template <typename Track>
  void push(Node n, Track&& track) {
    if (size_ == capacity_) reserve(capacity_ < 16 ? 16 : capacity_ * 2);
    ++size_;
    sift_up(size_ - 1, n, track);
  }

  template <typename Track>
  Node pop(Track&& track) {
    DSIM_ASSERT(size_ > 0);
    const Node result = at(0);
    const Node last = at(size_ - 1);
    --size_;
    if (size_ > 0) sift_down(0, last, track);
    return result;
  }

  // Removes the node at logical position `pos`.
  template <typename Track>
  void remove_at(size_t pos, Track&& track) {
    DSIM_ASSERT(pos < size_);
    const Node last = at(size_ - 1);
    --size_;
    if (pos == size_) return;
    if (pos > 0 && last < at(parent(pos))) {
      sift_up(pos, last, track);
    } else {
      sift_down(pos, last, track);
    }
  }

  // Rewrites every order as its rank (the nodes sorted by key, which is a
  // valid heap) and returns the next free order.
  template <typename Track>
  uint32_t renumber(Track&& track) {
    Node* first = &at(0);
    std::sort(first, first + size_);
    for (size_t i = 0; i < size_; ++i) {
      at(i) = pack(time_of(at(i)), static_cast<uint32_t>(i), index_of(at(i)));
      track(index_of(at(i)), i);
    }
    return static_cast<uint32_t>(size_);
  }

 private:
  struct Free {
    void operator()(Node* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  static size_t parent(size_t i) { return (i - 1) / 4; }
  Node& at(size_t i) { return buf_[i + pad_]; }
  const Node& at(size_t i) const { return buf_[i + pad_]; }

  template <typename Track>
  void sift_up(size_t i, Node n, Track& track) {
    while (i > 0) {
      const size_t p = parent(i);
      const Node pn = at(p);
      if (pn <= n) break;
      at(i) = pn;
      track(index_of(pn), i);
      i = p;
    }
    at(i) = n;
    track(index_of(n), i);
  }

  template <typename Track>
  void sift_down(size_t i, Node n, Track& track) {
    for (;;) {
      const size_t first = 4 * i + 1;
      if (first >= size_) break;
      // The grandchildren: whichever child wins, its family is one of these
      // four lines. Loading them now overlaps this level's miss with the next.
      if (const size_t g = 4 * first + 1; g < size_) {
        const char* line = reinterpret_cast<const char*>(&at(g));
        __builtin_prefetch(line);
        __builtin_prefetch(line + 64);
        __builtin_prefetch(line + 128);
        __builtin_prefetch(line + 192);
      }
      size_t best = first;
      Node bn = at(first);
      if (first + 3 < size_) {
        // Full family (the common case): the minimum of four, no bounds checks.
        const Node c1 = at(first + 1), c2 = at(first + 2), c3 = at(first + 3);
        const bool l01 = c1 < bn;
        const Node m01 = l01 ? c1 : bn;
        const size_t i01 = l01 ? first + 1 : first;
        const bool l23 = c3 < c2;
        const Node m23 = l23 ? c3 : c2;
        const size_t i23 = l23 ? first + 3 : first + 2;
        const bool hi = m23 < m01;
        bn = hi ? m23 : m01;
        best = hi ? i23 : i01;
      } else {
        for (size_t c = first + 1; c < size_; ++c) {
          if (at(c) < bn) {
            bn = at(c);
            best = c;
          }
        }
      }
      if (n <= bn) break;
      at(i) = bn;
      track(index_of(bn), i);
      i = best;
    }
    at(i) = n;
    track(index_of(n), i);
  }

  std::unique_ptr<Node[], Free> buf_;
  size_t pad_ = 0;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

struct NoTrack {
  void operator()(uint32_t, size_t) const {}
};

}  // namespace detail

class EventHeap {
 public:
  // order_limit: renumber when the push count reaches it (tests lower it
  // to exercise the renumbering).
  explicit EventHeap(uint32_t order_limit = UINT32_MAX) : order_limit_(order_limit) {}
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  // By value: the heap stores an event in two parts.
  // REQUIRES: the top is not a reference.
  Event top() const {
    DSIM_ASSERT(!top_is_ref());
    return event_at(heap_.top());
  }
  // The earliest event's time and sequence, read apart: the time is in the
  // heap itself, the sequence beside it (a scheduler comparing two queues
  // needs the sequence only when their times tie).
  // REQUIRES (top_seq): the top is not a reference (see push_ref).
  uint64_t top_time() const { return detail::QuadHeap::time_of(heap_.top()); }
  uint64_t top_seq() const {
    const uint32_t i = detail::QuadHeap::index_of(heap_.top());
    DSIM_ASSERT((i & kRef) == 0);
    return payload_[i].tag >> 3;
  }

  // A reference: an event whose kind, arguments and sequence the caller
  // keeps in a record of its own (`ref` names it, < 2^31), so the queue
  // holds nothing for it but its 16-byte heap node. The scheduler's message
  // deliveries are references into its message slots: one record per
  // message in flight, not a record and a payload. pop() returns a
  // reference as Event{key with sequence 0, kDeliver, ref, 0}.
  // REQUIRES: seq greater than every earlier push's, as push().
  void push_ref(Time t, uint64_t seq, uint32_t ref) {
    DSIM_ASSERT(ref < kRef);
    note_seq(seq);
    if (next_order_ >= order_limit_) next_order_ = heap_.renumber(detail::NoTrack{});
    heap_.push(detail::QuadHeap::pack(static_cast<uint64_t>(t.ns), next_order_++, ref | kRef), detail::NoTrack{});
  }
  bool top_is_ref() const { return (detail::QuadHeap::index_of(heap_.top()) & kRef) != 0; }
  // The reference that is likely the top after the next pop (the smallest
  // of the root's children), or kNoRef: for the caller to start loading
  // its record a whole event ahead.
  static constexpr uint32_t kNoRef = UINT32_MAX;
  // Below this many pending events, the heap and what it names sit in
  // cache: prefetching the next top's record would cost more than it saves.
  static constexpr size_t kPrefetchFrom = 1024;
  uint32_t next_ref_hint() const {
    const auto* next = heap_.next_top_hint();
    if (!next) return kNoRef;
    const uint32_t i = detail::QuadHeap::index_of(*next);
    return (i & kRef) ? (i & ~kRef) : kNoRef;
  }
  uint32_t top_ref() const {
    DSIM_ASSERT(top_is_ref());
    return detail::QuadHeap::index_of(heap_.top()) & ~kRef;
  }
  void reserve(size_t n) { heap_.reserve(n); }

  // REQUIRES: e's sequence is greater than every earlier push's.
  void push(const Event& e) {
    const uint64_t seq = key_seq(e.key);
    note_seq(seq);
    DSIM_ASSERT(seq < (uint64_t{1} << 61));
    const uint32_t idx = payload_.alloc();
    DSIM_ASSERT(idx < kRef);
    Payload& p = payload_[idx];
    p.tag = (seq << 3) | static_cast<uint64_t>(e.kind);
    p.a = e.a;
    if (e.b <= UINT32_MAX) {
      p.b = static_cast<uint32_t>(e.b);
    } else {
      // Rare (an action id or epoch past 2^32): the word waits beside the heap.
      p.tag |= kWide;
      if (wide_free_.empty()) {
        p.b = static_cast<uint32_t>(wide_.size());
        wide_.push_back(e.b);
      } else {
        p.b = wide_free_.back();
        wide_free_.pop_back();
        wide_[p.b] = e.b;
      }
    }
    if (next_order_ >= order_limit_) next_order_ = heap_.renumber(detail::NoTrack{});
    heap_.push(detail::QuadHeap::pack(static_cast<uint64_t>(key_time(e.key).ns), next_order_++, idx), detail::NoTrack{});
  }

  Event pop() {
    DSIM_ASSERT(!heap_.empty());
    // The next top's payload is read right after this pop (the loop looks at
    // what comes next): start loading it while the heap is reordered.
    // (Only in a heap too large for the cache: see kPrefetchFrom.)
    if (heap_.size() >= kPrefetchFrom) {
      if (const auto* next = heap_.next_top_hint()) {
        const uint32_t i = detail::QuadHeap::index_of(*next);
        if ((i & kRef) == 0) __builtin_prefetch(&payload_[i]);
      }
    }
    const detail::QuadHeap::Node n = heap_.pop(detail::NoTrack{});
    const uint32_t idx = detail::QuadHeap::index_of(n);
    if (idx & kRef) {
      return Event{static_cast<Key>(detail::QuadHeap::time_of(n)) << 64, EventKind::kDeliver, idx & ~kRef, 0};
    }
    const Event e = event_at(n);
    if (payload_[idx].tag & kWide) wide_free_.push_back(payload_[idx].b);
    payload_.free(idx);
    return e;
  }

 private:
  // 16 bytes: the key's sequence, the kind and a flag packed in one word;
  // b in 32 bits (a destination, an action id, an epoch) or, when wider, an
  // index into wide_.
  struct Payload {
    uint64_t tag;  // seq << 3 | wide << 2 | kind
    uint32_t a;
    uint32_t b;
  };
  static_assert(sizeof(Payload) == 16);
  static constexpr uint64_t kWide = 4;
  static constexpr uint32_t kRef = 0x8000'0000u;  // a heap node's index names a reference
  void note_seq(uint64_t seq) {
    DSIM_ASSERT_MSG(pushed_ == 0 || seq > last_seq_, "events are pushed in sequence order");
    last_seq_ = seq;
    ++pushed_;
  }
  Event event_at(detail::QuadHeap::Node n) const {
    const Payload& p = payload_[detail::QuadHeap::index_of(n)];
    const uint64_t b = (p.tag & kWide) ? wide_[p.b] : p.b;
    return Event{(static_cast<Key>(detail::QuadHeap::time_of(n)) << 64) | (p.tag >> 3), static_cast<EventKind>(p.tag & 3),
                 p.a, b};
  }

  detail::QuadHeap heap_;
  SlotPool<Payload> payload_;
  std::vector<uint64_t> wide_;
  std::vector<uint32_t> wide_free_;
  uint32_t order_limit_;
  uint32_t next_order_ = 0;
  uint64_t last_seq_ = 0;
  uint64_t pushed_ = 0;
};

// Timers: slots hold the owner, the user's tag and the key's sequence; the
// heap holds (time, order, slot) and a dense array beside the slots records
// each slot's heap position. A sift moves up to one node per level and
// must update the moved slot's position: in a 4-byte array those writes
// stay in cache where, inside 32-byte slots, a heap of 100,000+ timers
// missed once per level.
class TimerHeap {
 public:
  struct Slot {
    NodeId node;
    uint32_t generation = 1;
    uint64_t tag = 0;
    uint64_t seq = 0;
  };
  static constexpr uint32_t kNotQueued = UINT32_MAX;

  // order_limit: as EventHeap's.
  explicit TimerHeap(uint32_t order_limit = UINT32_MAX) : order_limit_(order_limit) {}
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  Key top_key() const {
    const detail::QuadHeap::Node n = heap_.top();
    return (static_cast<Key>(detail::QuadHeap::time_of(n)) << 64) | slots_[detail::QuadHeap::index_of(n)].seq;
  }
  uint32_t top_slot() const { return detail::QuadHeap::index_of(heap_.top()); }
  uint64_t top_time() const { return detail::QuadHeap::time_of(heap_.top()); }
  uint64_t top_seq() const { return slots_[detail::QuadHeap::index_of(heap_.top())].seq; }
  // Starts loading the slot of the timer likely to come after the earliest
  // (the smallest child of the heap's root), so a scheduler reading the
  // earliest's slot next time finds the one after it on its way.
  void prefetch_after_top() const {
    if (const auto* next = heap_.next_top_hint()) __builtin_prefetch(&slots_[detail::QuadHeap::index_of(*next)]);
  }
  const Slot& slot(uint32_t s) const { return slots_[s]; }
  size_t slot_count() const { return slots_.size(); }

  // REQUIRES: key's sequence is greater than every earlier add's.
  TimerId add(Key key, NodeId node, uint64_t tag) {
    const uint64_t seq = key_seq(key);
    DSIM_ASSERT_MSG(added_ == 0 || seq > last_seq_, "timers are added in sequence order");
    last_seq_ = seq;
    ++added_;
    uint32_t s;
    if (!free_.empty()) {
      s = free_.back();
      free_.pop_back();
    } else {
      s = static_cast<uint32_t>(slots_.size());
      slots_.push_back(Slot{});
      pos_.push_back(kNotQueued);
    }
    Slot& sl = slots_[s];
    DSIM_ASSERT(pos_[s] == kNotQueued);
    sl.node = node;
    sl.tag = tag;
    sl.seq = seq;
    if (next_order_ >= order_limit_) next_order_ = heap_.renumber(Track{this});
    heap_.push(detail::QuadHeap::pack(static_cast<uint64_t>(key_time(key).ns), next_order_++, s), Track{this});
    return TimerId{(static_cast<uint64_t>(sl.generation) << 32) | s};
  }

  // Resolves a handle to a live, queued slot, or returns false.
  bool resolve(TimerId id, uint32_t* out_slot) const {
    const uint32_t s = static_cast<uint32_t>(id.value);
    const uint32_t gen = static_cast<uint32_t>(id.value >> 32);
    if (!id.valid() || s >= slots_.size()) return false;
    if (slots_[s].generation != gen || pos_[s] == kNotQueued) return false;
    *out_slot = s;
    return true;
  }

  // Removes a queued timer and frees its slot.
  void remove(uint32_t s) {
    DSIM_ASSERT(s < slots_.size());
    const uint32_t pos = pos_[s];
    DSIM_ASSERT(pos != kNotQueued && pos != kParked);
    DSIM_ASSERT(detail::QuadHeap::index_of(heap_.node(pos)) == s);
    heap_.remove_at(pos, Track{this});
    release(s);
  }

  // Takes the earliest timer off the heap but keeps its slot allocated (the
  // caller fires it, or parks it while the node is paused, then releases it).
  uint32_t pop_top() {
    const uint32_t s = detail::QuadHeap::index_of(heap_.pop(Track{this}));
    pos_[s] = kParked;
    return s;
  }

  bool is_parked(uint32_t s) const { return pos_[s] == kParked; }
  // Queued or parked (not free).
  bool is_armed(uint32_t s) const { return pos_[s] != kNotQueued; }

  void release(uint32_t s) {
    Slot& sl = slots_[s];
    pos_[s] = kNotQueued;
    ++sl.generation;
    if (sl.generation == 0) sl.generation = 1;  // 0 is reserved for "no timer"
    free_.push_back(s);
  }

 private:
  static constexpr uint32_t kParked = UINT32_MAX - 1;
  struct Track {
    TimerHeap* t;
    void operator()(uint32_t s, size_t pos) const { t->pos_[s] = static_cast<uint32_t>(pos); }
  };

  detail::QuadHeap heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> pos_;  // per slot: heap position, kParked or kNotQueued
  std::vector<uint32_t> free_;
  uint32_t order_limit_;
  uint32_t next_order_ = 0;
  uint64_t last_seq_ = 0;
  uint64_t added_ = 0;
};

}  // namespace dsim
