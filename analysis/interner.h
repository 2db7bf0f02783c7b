// Node names -> small dense ids, assigned in first-seen order (which is the
// trace's order, so deterministic). Checkers key their state by ids instead
// of strings: cheaper to compare, hash and store.
#pragma once
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dsim/trace_event.h"

namespace dsim::analysis {

class Interner {
 public:
  uint32_t id(std::string_view name) {
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    const auto v = static_cast<uint32_t>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(names_.back(), v);
    return v;
  }
  const std::string& name(uint32_t id) const { return names_[id]; }
  size_t size() const { return names_.size(); }
  const std::vector<std::string>& names() const { return names_; }
  // The ids in the order of their names: what a fingerprint walks, so two
  // paths that met the nodes in another order fingerprint alike.
  std::vector<uint32_t> by_name() const {
    std::vector<uint32_t> order;
    order.reserve(ids_.size());
    for (const auto& [name, id] : ids_) order.push_back(id);
    return order;
  }

 private:
  std::map<std::string, uint32_t, std::less<>> ids_;
  std::vector<std::string> names_;
};

// The same for the few nodes of a cluster, looked up once per event on a
// checker's hot path: up to kLinear names are found by a scan of short
// length-first comparisons (cheaper than a tree walk of string compares),
// more go through the map. Same ids as Interner.
class NodeIds {
 public:
  uint32_t id(std::string_view name) {
    if (small_.size() < kLinear) {
      for (size_t i = 0; i < small_.size(); ++i) {
        if (same(small_[i], name)) return static_cast<uint32_t>(i);
      }
      const uint32_t v = all_.id(name);
      if (small_.size() < kLinear) small_.emplace_back(name);
      return v;
    }
    return all_.id(name);
  }
  // The id of e.node, found through e.source (a live run's node number)
  // when that was seen before: one name comparison instead of a search.
  uint32_t id(const trace::Event& e) { return id_of(e); }
  uint32_t id(const trace::EventView& e) { return id_of(e); }
  const std::string& name(uint32_t id) const { return all_.name(id); }
  size_t size() const { return all_.size(); }
  std::vector<uint32_t> by_name() const { return all_.by_name(); }

 private:
  template <class E>
  uint32_t id_of(const E& e) {
    if (e.source < by_source_.size()) {
      const uint32_t v = by_source_[e.source];
      if (v != kUnset && same(all_.name(v), e.node)) return v;
    }
    const uint32_t v = id(e.node);
    if (e.source < kMaxSource) {
      if (e.source >= by_source_.size()) by_source_.resize(e.source + 1, kUnset);
      by_source_[e.source] = v;
    }
    return v;
  }
  // Node names are short ("n1", "client3"): a byte loop beats a call to
  // memcmp.
  static bool same(const std::string& a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = a.size(); i-- > 0;) {
      if (a[i] != b[i]) return false;  // from the end: names differ in their number
    }
    return true;
  }
  static constexpr size_t kLinear = 16;
  static constexpr uint32_t kUnset = UINT32_MAX;
  static constexpr uint32_t kMaxSource = 1u << 20;  // node numbers above it are not cached
  std::vector<std::string> small_;  // the first kLinear names (ids 0..)
  Interner all_;
  std::vector<uint32_t> by_source_;  // a live run's node number -> id
};

}  // namespace dsim::analysis
