// The dsim executable: the command line with the built-in protocols. A
// program with protocols of its own looks the same, with its r.add() lines.
#include "dsim/dsim.h"

int main(int argc, char** argv) {
  const dsim::Registry registry = dsim::builtin();
  return dsim::main(registry, argc, argv);
}
