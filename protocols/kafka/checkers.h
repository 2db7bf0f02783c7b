// The Kafka-style log's properties, judged from trace events only.
//
// acked_durable     every record a producer was told is written (an `ack`:
//                   acks=1 once the leader wrote it, acks=all once the HW
//                   passed it) is in the log of the partition's latest
//                   leader at the end. acks=all with a clean election keeps
//                   this; acks=1 loses the records a crashed leader had not
//                   yet replicated, and an unclean election loses what the
//                   new leader never had. acks=0 promises nothing (no acks:
//                   inconclusive).
// consumer_offsets  each consumer reads each partition in offset order
//                   without gaps, from the position it started or was reset
//                   at, and only below the high watermark a leader announced.
// replica_prefix    below the high watermark every replica's log is a prefix
//                   of the leader's: no broker becomes leader with, or
//                   writes in a leader epoch at or after the one that
//                   committed an offset, a different record there. (A
//                   deposed leader that has not heard of the election yet
//                   may still append in its old epoch: those records are
//                   never committed, and it truncates them when it learns.)
#pragma once
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dsim/checker.h"
#include "protocols/kafka/log_model.h"

namespace dsim::kafka {

class AckedDurable final : public analysis::Checker {
 public:
  std::string_view name() const override { return "acked_durable"; }
  analysis::CheckKind kind() const override { return analysis::CheckKind::kSafety; }
  void consume(const trace::Event& e) override;
  analysis::CheckResult finish() override;

 private:
  LogModel model_;
  int64_t end_ = 0;
  int64_t sends_ = 0;
};

class ConsumerOffsets final : public analysis::Checker {
 public:
  std::string_view name() const override { return "consumer_offsets"; }
  analysis::CheckKind kind() const override { return analysis::CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  analysis::CheckResult finish() override;

 private:
  std::map<std::pair<std::string, int64_t>, int64_t> next_;  // (consumer, partition) -> next offset
  std::map<int64_t, int64_t> hw_;                            // partition -> highest HW announced
  int64_t consumed_ = 0, resets_ = 0;
  std::optional<analysis::Violation> first_;
};

class ReplicaPrefix final : public analysis::Checker {
 public:
  std::string_view name() const override { return "replica_prefix"; }
  analysis::CheckKind kind() const override { return analysis::CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  analysis::CheckResult finish() override;

 private:
  struct Committed {
    std::vector<LogModel::Record> records;  // below the highest HW any leader announced
    std::vector<int64_t> announced;         // the leader epoch in which each became committed
    std::string by;                         // who announced the latest HW
    int64_t epoch = 0;
  };
  void check(const trace::Event& e, int64_t p, int64_t o, const LogModel::Record& rec, const char* how);
  LogModel model_;
  std::map<int64_t, Committed> committed_;
  int64_t writes_ = 0;
  std::optional<analysis::Violation> first_;
};

}  // namespace dsim::kafka
