// Node names -> small dense ids, assigned in first-seen order (which is the
// trace's order, so deterministic). Checkers key their state by ids instead
// of strings: cheaper to compare, hash and store.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

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

 private:
  std::map<std::string, uint32_t, std::less<>> ids_;
  std::vector<std::string> names_;
};

}  // namespace dsim::analysis
