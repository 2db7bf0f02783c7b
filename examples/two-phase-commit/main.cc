// A dsim program that knows the built-in protocols and two_phase_commit: it
// has dsim's whole command line (run, sweep, check, shrink, report, ...).
#include <dsim/dsim.h>

#include "protocol.h"

int main(int argc, char** argv) {
  dsim::Registry registry = dsim::builtin();
  registry.add(tpc::protocol());
  return dsim::main(registry, argc, argv);
}
