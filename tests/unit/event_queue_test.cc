// Event order: (time, insertion sequence), never anything else; timers
// cancel and re-arm in place.
#include <doctest/doctest.h>

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
