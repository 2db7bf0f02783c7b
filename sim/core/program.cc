#include "sim/core/program.h"

namespace dsim {
namespace {
std::string& name() {
  static std::string n = "dsim";
  return n;
}
}  // namespace

const std::string& program_name() { return name(); }

void set_program_name(const std::string& argv0) {
  const size_t slash = argv0.rfind('/');
  const std::string base = slash == std::string::npos ? argv0 : argv0.substr(slash + 1);
  name() = base.empty() || base == "dsim" ? "dsim" : argv0;
}

}  // namespace dsim
