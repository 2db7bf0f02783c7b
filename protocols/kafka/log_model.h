// The replicated logs as a trace shows them: every broker's log of every
// partition (from append, replicate and truncate events), the current
// leader of each partition (the highest epoch a broker took up), and the
// records producers were told were written (ack events). Shared by the
// acked_durable checker and the statistics; it reads events only.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dsim/trace_event.h"

namespace dsim::kafka {

class LogModel {
 public:
  struct Record {
    int64_t epoch = 0;
    int64_t msg = 0;
    bool operator==(const Record&) const = default;
  };
  struct Acked {
    int64_t msg = 0;
    int64_t partition = 0;
    int64_t offset = 0;
    int64_t epoch = 0;
    int64_t t = 0;
    std::string producer;
    std::string acks;
    // The first leader elected after the ack that did not hold it.
    std::optional<int64_t> missing_t;
    std::string missing_node;
    int64_t missing_epoch = 0;
  };
  struct Leader {
    std::string node;
    int64_t epoch = -1;
  };

  // Returns true when the event was one the model follows.
  bool consume(const trace::Event& e);

  const std::vector<Record>* log(const std::string& node, int64_t partition) const;
  const std::map<int64_t, Leader>& leaders() const { return leaders_; }
  const std::vector<Acked>& acked() const { return acked_; }
  // The acknowledged records that the partition's latest leader does not hold.
  std::vector<const Acked*> lost() const;
  // Whether `node`'s log of `partition` holds `msg` (at `offset`, or anywhere).
  bool holds(const std::string& node, int64_t partition, int64_t offset, int64_t msg) const;

 private:
  std::map<std::pair<std::string, int64_t>, std::vector<Record>> logs_;
  std::map<int64_t, Leader> leaders_;
  std::vector<Acked> acked_;
};

}  // namespace dsim::kafka
