// The lab program: dsim's built-in protocols plus yours, `paxos-lab`, with
// dsim's whole command line (run, show, report, shrink, grade, ...).
#include <dsim/dsim.h>

#include "protocol.h"

int main(int argc, char** argv) {
  dsim::Registry registry = dsim::builtin();
  // Graded by the reference single-decree Paxos's checkers.
  registry.add(paxoslab::protocol(*registry.find("paxos")));
  return dsim::main(registry, argc, argv);
}
