// What a run of the Kafka-style log cost and kept: records sent, acknowledged
// and lost, what the logs hold at the end, and how long partitions had no
// leader (unavailability). Read from trace events only (`dsim run` prints
// it as a table).
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "dsim/protocol.h"
#include "protocols/kafka/log_model.h"

namespace dsim::kafka {

struct KafkaReport {
  std::string acks;
  bool unclean = false;
  int64_t sent = 0;           // distinct records producers sent
  int64_t acked = 0;          // distinct records acknowledged
  int64_t acked_lost = 0;     // acknowledged, not in the leader's log at the end
  int64_t in_log = 0;         // distinct sent records in the leaders' logs at the end
  int64_t errors = 0;         // failed sends (each attempt)
  int64_t gave_up = 0;        // records the producers gave up on
  int64_t consumed = 0;       // distinct records consumers read
  int64_t elections = 0, unclean_elections = 0;
  int64_t offline_ns = 0;     // summed over partitions: time without a leader
  int64_t duration_ns = 0;
  int64_t partitions = 0;
};

class KafkaStats final : public RunStats {
 public:
  KafkaStats(std::string acks, bool unclean, int64_t partitions) {
    r_.acks = std::move(acks);
    r_.unclean = unclean;
    r_.partitions = partitions;
  }
  void consume(const trace::Event& e) override;
  // Only these reach consume() (the log model's and the counters'; `end`
  // gives the run's length): without the list a run would build every send
  // and delivery event for a reader that skips them.
  std::vector<std::string_view> kinds() const override {
    return {"append", "replicate", "truncate", "become_leader", "ack", "produce",
            "produce_error", "gave_up", "consume", "elect", "end"};
  }
  void finish() override;
  const KafkaReport& report() const { return r_; }

 private:
  LogModel model_;
  KafkaReport r_;
  std::set<int64_t> sent_, acked_, consumed_;
  std::map<int64_t, int64_t> offline_since_;  // partition -> when it lost its leader
  int64_t end_ = 0;
};

std::string stats_table(const std::vector<LabelledStats>& runs);
std::string stats_csv(const std::vector<LabelledStats>& runs);

}  // namespace dsim::kafka
