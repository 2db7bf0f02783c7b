// `dsim grade`: a lab's test battery (docs/grading.md) run against a
// protocol implementation, with points, Gradescope results.json, JUnit and
// a terminal table; and batch grading of many submissions in child
// processes with a timeout.
#pragma once
#include <string>
#include <vector>

#include "dsim/registry.h"

namespace dsim::cli {

int cmd_grade(const Registry& reg, const std::vector<std::string>& args);

}  // namespace dsim::cli
