// Checkers that belong to no protocol: they judge what the harness itself
// records (the key-value clients' history), for any protocol that takes
// clients. The registry offers them beside each protocol's own.
#pragma once
#include <memory>
#include <string_view>
#include <vector>

#include "dsim/checker.h"

namespace dsim::analysis {

const std::vector<CheckerInfo>& generic_checkers();
// nullptr when spec.name is not a generic checker. The checkers it makes
// copy and fingerprint themselves (Checker::clone), for `dsim explore`.
std::unique_ptr<Checker> make_generic_checker(const CheckSpec& spec);

}  // namespace dsim::analysis
