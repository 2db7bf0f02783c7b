// The seam between the scheduler and the network (sim/net implements it).
// The simulator asks on send where a message goes and when, and asks again
// when it arrives whether it may be delivered now. That second question is
// what lets a partition that starts while a message is in flight drop it,
// and a clog hold it back.
#pragma once
#include <string_view>

#include "dsim/ids.h"
#include "dsim/time.h"

namespace dsim {

struct Route {
  std::string_view drop_reason;  // non-empty: the message is lost at send
  int copies = 1;                // 1, or 2 for a duplicate
  Time deliver_at[2];
};

struct Arrival {
  enum class Kind { kDeliver, kDrop, kHold } kind = Kind::kDeliver;
  std::string_view drop_reason;
  Time hold_until;
};

class NetworkModel {
 public:
  virtual ~NetworkModel() = default;
  virtual void route(Time now, NodeId from, NodeId to, Route* out) = 0;
  virtual Arrival arrive(Time now, NodeId from, NodeId to) = 0;
};

}  // namespace dsim
