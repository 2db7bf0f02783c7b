// The built-in protocols: the one list. A new protocol is its folder, one
// line here and one add_subdirectory in the top-level CMakeLists.txt.
#include "dsim/registry.h"
#include "protocols/broadcast/definition.h"
#include "protocols/coord/definition.h"
#include "protocols/dynamo/definition.h"
#include "protocols/kafka/definition.h"
#include "protocols/lb/definition.h"
#include "protocols/lock/definition.h"
#include "protocols/mapreduce/definition.h"
#include "protocols/maelstrom/definition.h"
#include "protocols/paxos/definition.h"
#include "protocols/raft/definition.h"

namespace dsim {

Registry builtin() {
  Registry r;
  r.add(broadcast::protocol());
  r.add(raft::protocol());
  r.add(paxos::protocol());
  r.add(multipaxos::protocol());
  r.add(dynamo::protocol());
  r.add(lock::protocol());
  r.add(coord::protocol());
  r.add(lb::protocol());
  r.add(mapreduce::protocol());
  r.add(kafka::protocol());
  r.add(maelstrom::protocol());
  return r;
}

}  // namespace dsim
