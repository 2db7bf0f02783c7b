#include "analysis/generic_checkers.h"

#include "analysis/linearizability.h"

namespace dsim::analysis {

const std::vector<CheckerInfo>& generic_checkers() {
  static const std::vector<CheckerInfo> kAll = {
      {"linearizable", CheckKind::kSafety,
       "the clients' operation history is linearizable (needs clients; docs/history-format.md)", true, false,
       "a client operation that completed ok"},
  };
  return kAll;
}

std::unique_ptr<Checker> make_generic_checker(const CheckSpec& spec) {
  if (spec.name == "linearizable") return std::make_unique<Linearizable>();
  return nullptr;
}

}  // namespace dsim::analysis
