// A 64-bit fingerprint of a state, for `dsim explore`'s visited set.
//
// A node (Node::fingerprint) or a checker (Checker::fingerprint) feeds it
// every member that decides its future behaviour or verdict, in a fixed
// order, and nothing else: not statistics, not timer handles (TimerId values
// are the host's bookkeeping; hash whether a timer is armed, never its id).
// Two states with equal fingerprints are treated as the same state, so a
// member left out merges states that differ, and a member put in that does
// not matter only makes the search slower.
//
//   void fingerprint(Fingerprint& h) const override { h(term_, voted_for_, log_, commit_); }
//
// Containers hash their size and then their elements in order, so
// {1},{2} and {1,2} differ. Unordered containers must not be fed in their
// iteration order: use unordered() (order-independent) for them.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "dsim/ids.h"
#include "dsim/time.h"

namespace dsim {

class Fingerprint {
 public:
  Fingerprint() = default;
  explicit Fingerprint(uint64_t seed) : h_(seed) {}

  uint64_t value() const { return finalize(h_ ^ n_); }

  void word(uint64_t x) {
    h_ = (h_ ^ x) * 0x9E3779B97F4A7C15ull;
    h_ ^= h_ >> 29;
    ++n_;
  }
  void bytes(std::string_view s) {
    word(s.size());
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      word(w);
    }
    if (i < s.size()) {
      uint64_t w = 0;
      std::memcpy(&w, s.data() + i, s.size() - i);
      word(w);
    }
  }

  // Feeds every argument in order.
  template <class... T>
  Fingerprint& operator()(const T&... v) {
    (add(v), ...);
    return *this;
  }

  // An unordered container (unordered_map, unordered_set): each element is
  // hashed on its own and the results are summed, so iteration order does
  // not matter.
  template <class C>
  void unordered(const C& c) {
    uint64_t sum = 0;
    for (const auto& e : c) {
      Fingerprint one;
      one.add(e);
      sum += one.value();
    }
    word(c.size());
    word(sum);
  }

  // ---- What add() accepts: integers, enums, bool, strings, ids, times,
  // optional, pair, and the ordered containers of the standard library.
  template <class T>
    requires std::is_integral_v<T> || std::is_enum_v<T>
  void add(T v) {
    if constexpr (std::is_enum_v<T>) {
      word(static_cast<uint64_t>(static_cast<std::underlying_type_t<T>>(v)));
    } else {
      word(static_cast<uint64_t>(v));
    }
  }
  void add(const std::string& s) { bytes(s); }
  void add(std::string_view s) { bytes(s); }
  void add(NodeId n) { word(n.value); }
  // Times are hashed relative to the origin: the explorer sets it to the
  // node's own clock before hashing a node, so "heard from the leader 50ms
  // ago" is the same state whatever the clock reads (a node stores
  // absolute times; its fingerprint need not convert them).
  void add(Time t) { word(static_cast<uint64_t>(t.ns - origin_.ns)); }
  void set_time_origin(Time t) { origin_ = t; }
  void add(Duration d) { word(static_cast<uint64_t>(d.ns)); }
  template <class T>
  void add(const std::optional<T>& o) {
    word(o.has_value());
    if (o) add(*o);
  }
  template <class A, class B>
  void add(const std::pair<A, B>& p) {
    add(p.first);
    add(p.second);
  }
  template <class T, size_t N>
  void add(const std::array<T, N>& a) {
    for (const auto& e : a) add(e);
  }
  template <class T, class A>
  void add(const std::vector<T, A>& v) {
    sequence(v);
  }
  template <class T, class A>
  void add(const std::deque<T, A>& v) {
    sequence(v);
  }
  template <class K, class C, class A>
  void add(const std::set<K, C, A>& v) {
    sequence(v);
  }
  template <class K, class V, class C, class A>
  void add(const std::map<K, V, C, A>& v) {
    sequence(v);
  }
  // Anything with a `void fingerprint(Fingerprint&) const` member (a log
  // entry, a nested state struct).
  template <class T>
    requires requires(const T& t, Fingerprint& f) { t.fingerprint(f); }
  void add(const T& t) {
    t.fingerprint(*this);
  }
  // Strong ids (Term, LogIndex, ...): anything with an integral `.value`.
  template <class T>
    requires(!requires(const T& t, Fingerprint& f) { t.fingerprint(f); }) &&
            requires(const T& t) { requires std::is_integral_v<decltype(t.value)>; }
  void add(const T& t) {
    word(static_cast<uint64_t>(t.value));
  }

 private:
  template <class C>
  void sequence(const C& c) {
    word(c.size());
    for (const auto& e : c) add(e);
  }
  static uint64_t finalize(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
  }

  uint64_t h_ = 0x6a09e667f3bcc908ull;
  uint64_t n_ = 0;
  Time origin_{0};
};

}  // namespace dsim
