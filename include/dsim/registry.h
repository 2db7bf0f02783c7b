// The protocols one dsim program knows, and the checkers they bring.
//
// There is no self-registration: `dsim::builtin()` returns the built-in
// protocols from one explicit list (protocols/registry.cc), and a user's
// program adds its own before handing the registry to dsim::main:
//
//   int main(int argc, char** argv) {
//     dsim::Registry r = dsim::builtin();
//     r.add(std::make_unique<my::TwoPhaseCommit>());
//     return dsim::main(r, argc, argv);
//   }
#pragma once
#include <memory>
#include <string_view>
#include <vector>

#include "dsim/checker.h"
#include "dsim/protocol.h"

namespace dsim {

class Registry final : public analysis::CheckerCatalog {
 public:
  Registry() = default;
  Registry(Registry&&) = default;
  Registry& operator=(Registry&&) = default;

  // REQUIRES: no protocol of that name yet.
  void add(std::unique_ptr<Protocol> p);
  const Protocol* find(std::string_view name) const;
  const std::vector<std::unique_ptr<Protocol>>& protocols() const { return protocols_; }
  std::vector<std::string_view> names() const;

  // Checkers of a protocol (its own, and the generic ones it qualifies for).
  std::vector<analysis::CheckerInfo> checkers_of(const Protocol& p) const;
  // Every checker name, once, with the protocols that have it.
  struct Listed {
    analysis::CheckerInfo info;
    std::vector<std::string_view> protocols;
  };
  std::vector<Listed> all_checkers() const;

  std::optional<analysis::CheckerInfo> find_checker(std::string_view name, std::string_view protocol) const override;
  std::unique_ptr<analysis::Checker> make_checker(const analysis::CheckSpec& spec, std::string_view protocol) const override;
  std::vector<trace::EventSchema> protocol_events(std::string_view protocol) const override;

 private:
  std::vector<std::unique_ptr<Protocol>> protocols_;
};

// The protocols that ship with dsim.
Registry builtin();

}  // namespace dsim
