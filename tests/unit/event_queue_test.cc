// Event order: (time, insertion sequence), never anything else; timers
// cancel and re-arm in place.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "sim/core/event_queue.h"
#include "dsim/prng.h"

using namespace dsim;

TEST_CASE("event heap: ties at equal time pop in insertion order") {
  EventHeap h;
  uint64_t seq = 0;
  for (uint32_t i = 0; i < 100; ++i) h.push(Event{make_key(Time{5}, seq++), EventKind::kAction, i, 0});
  h.push(Event{make_key(Time{1}, seq++), EventKind::kAction, 1000, 0});
  CHECK(h.pop().a == 1000);
  for (uint32_t i = 0; i < 100; ++i) CHECK(h.pop().a == i);
  CHECK(h.empty());
}

TEST_CASE("event heap: random pushes pop sorted by (time seq)") {
  EventHeap h;
  Rng r(11);
  uint64_t seq = 0;
  for (int i = 0; i < 5000; ++i) h.push(Event{make_key(Time{r.between(0, 50)}, seq++), EventKind::kAction, 0, 0});
  Key last = 0;
  while (!h.empty()) {
    const Key k = h.pop().key;
    CHECK(k > last);
    last = k;
  }
}

TEST_CASE("timer heap: a cancelled timer never fires and its handle goes stale") {
  TimerHeap t;
  const TimerId a = t.add(make_key(Time{10}, 0), NodeId{0}, 1);
  const TimerId b = t.add(make_key(Time{20}, 1), NodeId{0}, 2);
  const TimerId c = t.add(make_key(Time{30}, 2), NodeId{0}, 3);
  uint32_t s = 0;
  REQUIRE(t.resolve(b, &s));
  t.remove(s);
  CHECK_FALSE(t.resolve(b, &s));  // stale now
  CHECK(t.size() == 2);
  const uint32_t first = t.pop_top();
  CHECK(t.slot(first).tag == 1);
  t.release(first);
  CHECK_FALSE(t.resolve(a, &s));
  const uint32_t second = t.pop_top();
  CHECK(t.slot(second).tag == 3);
  t.release(second);
  CHECK_FALSE(t.resolve(c, &s));
  CHECK(t.empty());
}

TEST_CASE("timer heap: a reused slot does not resurrect an old handle") {
  TimerHeap t;
  const TimerId old = t.add(make_key(Time{10}, 0), NodeId{1}, 7);
  uint32_t s = 0;
  REQUIRE(t.resolve(old, &s));
  t.remove(s);
  const TimerId fresh = t.add(make_key(Time{10}, 1), NodeId{1}, 8);
  CHECK(fresh != old);
  CHECK_FALSE(t.resolve(old, &s));
  CHECK(t.resolve(fresh, &s));
}

TEST_CASE("timer heap: removing from the middle keeps heap order (many random cancels)") {
  TimerHeap t;
  Rng r(5);
  std::vector<TimerId> ids;
  for (uint64_t i = 0; i < 2000; ++i) ids.push_back(t.add(make_key(Time{r.between(0, 1000)}, i), NodeId{0}, i));
  for (size_t i = 0; i < ids.size(); i += 3) {
    uint32_t s = 0;
    REQUIRE(t.resolve(ids[i], &s));
    t.remove(s);
  }
  Key last = 0;
  size_t popped = 0;
  while (!t.empty()) {
    const Key k = t.top_key();
    CHECK(k >= last);
    last = k;
    const uint32_t s = t.pop_top();
    CHECK(t.slot(s).tag % 3 != 0);
    t.release(s);
    ++popped;
  }
  CHECK(popped == 2000 - 667);
}

// The heaps against a sorted reference, with pushes and pops interleaved,
// many equal times, and a low renumbering limit so the 32-bit push order is
// rewritten many times while events are pending.
TEST_CASE("event heap: interleaved pushes and pops match a sorted reference, across renumberings") {
  for (const uint32_t limit : {UINT32_MAX, 7u, 64u}) {
    EventHeap h(limit);
    std::vector<Key> ref;  // pending keys
    Rng r(limit);
    uint64_t seq = 0;
    int64_t now = 0;
    for (int step = 0; step < 20000; ++step) {
      if (ref.empty() || r.below(100) < 55) {
        const Key k = make_key(Time{now + r.between(0, 20)}, seq++);
        h.push(Event{k, EventKind::kAction, static_cast<uint32_t>(seq), seq * 3});
        ref.push_back(k);
      } else {
        const auto min = std::min_element(ref.begin(), ref.end());
        REQUIRE(h.top().key == *min);
        const Event e = h.pop();
        CHECK(e.key == *min);
        CHECK(e.b == key_seq(e.key) * 3 + 3);  // the payload travelled with its key
        now = key_time(e.key).ns;
        ref.erase(min);
      }
      REQUIRE(h.size() == ref.size());
    }
  }
}

TEST_CASE("event heap: kind, a and a b wider than 32 bits come back as pushed") {
  EventHeap h;
  const uint64_t wide = (uint64_t{1} << 40) + 5;
  h.push(Event{make_key(Time{3}, 0), EventKind::kAction, 7, wide});
  h.push(Event{make_key(Time{1}, 1), EventKind::kResume, 9, UINT32_MAX});
  h.push(Event{make_key(Time{2}, 2), EventKind::kDeliver, 11, (uint64_t{12345} << 1) | 1});
  h.push(Event{make_key(Time{4}, 3), EventKind::kTimerFire, 13, UINT64_MAX});
  Event e = h.pop();
  CHECK((e.kind == EventKind::kResume && e.a == 9 && e.b == UINT32_MAX));
  e = h.pop();
  CHECK((e.kind == EventKind::kDeliver && e.a == 11 && e.b == ((uint64_t{12345} << 1) | 1)));
  e = h.pop();
  CHECK((e.kind == EventKind::kAction && e.a == 7 && e.b == wide && e.key == make_key(Time{3}, 0)));
  e = h.pop();
  CHECK((e.kind == EventKind::kTimerFire && e.a == 13 && e.b == UINT64_MAX));
  CHECK(h.empty());
}

TEST_CASE("timer heap: adds, cancels and pops match a sorted reference, across renumberings") {
  for (const uint32_t limit : {UINT32_MAX, 5u, 50u}) {
    TimerHeap t(limit);
    struct Pending {
      Key key;
      TimerId id;
      uint64_t tag;
    };
    std::vector<Pending> ref;
    Rng r(limit + 1);
    uint64_t seq = 0;
    int64_t now = 0;
    for (int step = 0; step < 20000; ++step) {
      const uint64_t roll = r.below(100);
      if (ref.empty() || roll < 45) {
        const Key k = make_key(Time{now + r.between(0, 30)}, seq);
        ref.push_back({k, t.add(k, NodeId{0}, seq), seq});
        ++seq;
      } else if (roll < 70) {
        const size_t i = r.below(ref.size());
        uint32_t s = 0;
        REQUIRE(t.resolve(ref[i].id, &s));
        t.remove(s);
        CHECK_FALSE(t.resolve(ref[i].id, &s));
        ref.erase(ref.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        const auto min = std::min_element(ref.begin(), ref.end(), [](const Pending& a, const Pending& b) { return a.key < b.key; });
        REQUIRE(t.top_key() == min->key);
        const uint32_t s = t.pop_top();
        CHECK(t.slot(s).tag == min->tag);
        now = key_time(min->key).ns;
        t.release(s);
        ref.erase(min);
      }
      REQUIRE(t.size() == ref.size());
    }
  }
}

// References (push_ref): events whose record the caller keeps, as the
// simulator's message deliveries are. They order with plain events by
// (time, push order), survive renumbering, and come back as kDeliver with
// the reference in `a`; the sequence of a pending one is the caller's.
TEST_CASE("event heap: references and plain events interleave in (time, sequence) order, across renumberings") {
  for (const uint32_t limit : {UINT32_MAX, 5u, 33u}) {
    EventHeap h(limit);
    struct Pending {
      Key key;
      bool ref;
      uint32_t id;
    };
    std::vector<Pending> ref;
    std::vector<uint64_t> seq_of_ref(100000, 0);  // the caller's records: a reference's sequence
    Rng r(limit + 1);
    uint64_t seq = 0;
    int64_t now = 0;
    uint32_t next_id = 0;
    for (int step = 0; step < 20000; ++step) {
      if (ref.empty() || r.below(100) < 55) {
        const Key k = make_key(Time{now + r.between(0, 10)}, seq++);
        const uint32_t id = next_id++;
        if (r.below(2) == 0) {
          seq_of_ref[id] = key_seq(k);
          h.push_ref(key_time(k), key_seq(k), id);
          ref.push_back({k, true, id});
        } else {
          h.push(Event{k, EventKind::kAction, id, 0});
          ref.push_back({k, false, id});
        }
      } else {
        const auto min = std::min_element(ref.begin(), ref.end(), [](const Pending& a, const Pending& b) { return a.key < b.key; });
        REQUIRE(h.top_time() == static_cast<uint64_t>(key_time(min->key).ns));
        REQUIRE(h.top_is_ref() == min->ref);
        if (min->ref) {
          CHECK(h.top_ref() == min->id);
          CHECK(seq_of_ref[h.top_ref()] == key_seq(min->key));
        } else {
          CHECK(h.top_seq() == key_seq(min->key));
        }
        const Event e = h.pop();
        CHECK(e.a == min->id);
        CHECK(e.kind == (min->ref ? EventKind::kDeliver : EventKind::kAction));
        CHECK(key_time(e.key) == key_time(min->key));
        now = key_time(e.key).ns;
        ref.erase(min);
      }
      REQUIRE(h.size() == ref.size());
    }
  }
}

TEST_CASE("event heap: next_ref_hint names the reference that pops next when it is one") {
  EventHeap h;
  CHECK(h.next_ref_hint() == EventHeap::kNoRef);
  h.push_ref(Time{1}, 0, 40);
  CHECK(h.next_ref_hint() == EventHeap::kNoRef);  // nothing after the top
  h.push_ref(Time{2}, 1, 41);
  h.push(Event{make_key(Time{3}, 2), EventKind::kAction, 7, 0});
  CHECK(h.next_ref_hint() == 41);
  h.pop();
  CHECK(h.top_ref() == 41);
  CHECK(h.next_ref_hint() == EventHeap::kNoRef);  // the one after is a plain event
}
