// The properties 2PC promises, judged from trace events only (so they can
// also judge a trace written by another implementation: `dsim check`).
//
// atomicity    (safety)   no transaction is committed by one node and
//                         aborted by another: the coordinator's `decide` and
//                         every participant's `outcome` agree.
// tx_decided   (liveness) after the last fault, every transaction the
//                         coordinator began is decided, and every participant
//                         up at the end has its outcome, within the bound.
#pragma once
#include <dsim/checker.h>
#include <dsim/fault_window.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tpc {

class Atomicity final : public dsim::analysis::Checker {
 public:
  std::string_view name() const override { return "atomicity"; }
  dsim::analysis::CheckKind kind() const override { return dsim::analysis::CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const dsim::trace::Event& e) override;
  dsim::analysis::CheckResult finish() override;

 private:
  struct Seen {  // the first node seen to commit, and to abort
    std::string committer, aborter;
    int64_t commit_t = 0, abort_t = 0;
  };
  std::map<int64_t, Seen> txs_;
  uint64_t outcomes_ = 0;
  std::optional<dsim::analysis::Violation> first_;
};

class TxDecided final : public dsim::analysis::Checker {
 public:
  explicit TxDecided(int64_t within_ns) : within_ns_(within_ns) {}
  std::string_view name() const override { return "tx_decided"; }
  dsim::analysis::CheckKind kind() const override { return dsim::analysis::CheckKind::kLiveness; }
  void consume(const dsim::trace::Event& e) override;
  dsim::analysis::CheckResult finish() override;

 private:
  struct Tx {
    int64_t begun = 0;
    std::optional<int64_t> decided;
    std::map<std::string, int64_t> outcomes;  // participant -> when
  };
  int64_t within_ns_;
  dsim::analysis::FaultWindow faults_;
  std::string coordinator_;
  uint64_t requests_ = 0;  // inputs the harness delivered: the evidence that work was asked for
  std::map<int64_t, Tx> txs_;
};

}  // namespace tpc
