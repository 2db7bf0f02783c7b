// The lab program: dsim's built-in protocols plus yours, `raft-lab`, with
// dsim's whole command line (run, show, report, shrink, grade, ...).
#include <dsim/dsim.h>

#include "protocol.h"

int main(int argc, char** argv) {
  dsim::Registry registry = dsim::builtin();
  // The lab's protocol grades with the reference Raft's checkers, so it
  // needs the reference's definition from the registry.
  registry.add(raftlab::protocol(*registry.find("raft")));
  return dsim::main(registry, argc, argv);
}
