#include "dsim/registry.h"

#include <algorithm>

#include "analysis/generic_checkers.h"
#include "dsim/assert.h"

namespace dsim {
using analysis::generic_checkers;


void Registry::add(std::unique_ptr<Protocol> p) {
  DSIM_ASSERT(p != nullptr);
  DSIM_ASSERT_MSG(find(p->name()) == nullptr, "two protocols with one name");
  protocols_.push_back(std::move(p));
}

const Protocol* Registry::find(std::string_view name) const {
  for (const auto& p : protocols_) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

std::vector<std::string_view> Registry::names() const {
  std::vector<std::string_view> out;
  for (const auto& p : protocols_) out.push_back(p->name());
  return out;
}

std::vector<analysis::CheckerInfo> Registry::checkers_of(const Protocol& p) const {
  std::vector<analysis::CheckerInfo> out = p.checkers();
  if (p.accepts_clients()) {
    for (const auto& g : generic_checkers()) out.push_back(g);
  }
  return out;
}

std::vector<Registry::Listed> Registry::all_checkers() const {
  std::vector<Listed> out;
  for (const auto& p : protocols_) {
    for (const auto& c : checkers_of(*p)) {
      auto it = std::find_if(out.begin(), out.end(), [&](const Listed& l) { return l.info.name == c.name; });
      if (it == out.end()) {
        out.push_back({c, {p->name()}});
      } else {
        it->protocols.push_back(p->name());
      }
    }
  }
  return out;
}

std::optional<analysis::CheckerInfo> Registry::find_checker(std::string_view name, std::string_view protocol) const {
  for (const auto& g : generic_checkers()) {
    if (g.name == name) return g;
  }
  // The named protocol first; else any protocol that has a checker of that
  // name (a trace from a protocol this program does not know, or a check
  // asked for by name with `dsim check --checks`).
  auto look = [&](const Protocol& p) -> std::optional<analysis::CheckerInfo> {
    for (const auto& c : p.checkers()) {
      if (c.name == name) return c;
    }
    return std::nullopt;
  };
  if (const Protocol* p = find(protocol)) {
    if (auto c = look(*p)) return c;
  }
  for (const auto& p : protocols_) {
    if (auto c = look(*p)) return c;
  }
  return std::nullopt;
}

std::unique_ptr<analysis::Checker> Registry::make_checker(const analysis::CheckSpec& spec,
                                                          std::string_view protocol) const {
  if (auto g = analysis::make_generic_checker(spec)) return g;
  auto has = [&](const Protocol& p) {
    const auto cs = p.checkers();
    return std::any_of(cs.begin(), cs.end(), [&](const auto& c) { return c.name == spec.name; });
  };
  if (const Protocol* p = find(protocol); p && has(*p)) return p->make_checker(spec);
  for (const auto& p : protocols_) {
    if (has(*p)) return p->make_checker(spec);
  }
  DSIM_ASSERT_MSG(false, "make_checker called with an unknown name");
  return nullptr;
}

std::shared_ptr<const ProtocolConfig> Protocol::with_variant(const ProtocolConfig&, size_t) const {
  DSIM_ASSERT_MSG(false, "a protocol with variants must override with_variant");
  return nullptr;
}

std::vector<trace::EventSchema> Registry::protocol_events(std::string_view protocol) const {
  const Protocol* p = find(protocol);
  return p ? p->events() : std::vector<trace::EventSchema>{};
}

}  // namespace dsim
