// The name this process goes by in the commands it prints (reproduce lines,
// report headers): "dsim" for dsim itself, the program as invoked for a
// user's own executable built on dsim::main (`./build/raft-lab run ...`),
// since `dsim` does not know that program's protocols.
#pragma once
#include <string>

namespace dsim {

// "dsim" until set_program_name is called.
const std::string& program_name();
// From argv[0]: a program whose file name is `dsim` stays "dsim"; any other
// keeps the path as typed (so the printed command runs from the same place).
void set_program_name(const std::string& argv0);

}  // namespace dsim
