// The lease lock's properties, judged where they matter (protocols/lock).
//
// mutual_exclusion  as the protected resource sees it: once it has accepted
//                   a write carrying token t (from the holder of grant t),
//                   it must not accept a write from an older grant. An
//                   unfenced resource accepts such writes when a paused or
//                   cut-off client goes on writing after its lease lapsed
//                   and the lock went to someone else; a fenced one
//                   rejects them.
// lock_liveness     after the last fault, a lock that becomes free (released,
//                   or its lease expired) is granted again within the bound
//                   (clients keep asking).
#pragma once
#include <optional>
#include <string>

#include "dsim/checker.h"
#include "dsim/fault_window.h"

namespace dsim::analysis {

class MutualExclusion final : public Checker {
 public:
  std::string_view name() const override { return "mutual_exclusion"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;

 private:
  struct Write {
    int64_t t = 0;
    std::string client;
    int64_t token = 0;
    int64_t seq = 0;
  };
  std::optional<Write> highest_;  // the accepted write with the highest token
  uint64_t accepted_ = 0, rejected_ = 0;
  std::optional<Violation> first_;
};

class LockLiveness final : public Checker {
 public:
  explicit LockLiveness(int64_t within_ns) : within_ns_(within_ns) {}
  std::string_view name() const override { return "lock_liveness"; }
  CheckKind kind() const override { return CheckKind::kLiveness; }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;

 private:
  int64_t within_ns_;
  FaultWindow faults_;
  int64_t free_at_ = 0;      // when the lock is (or will be) free: after the last release or lease end
  std::string free_how_ = "never granted";
  int64_t grants_ = 0;
  int64_t worst_gap_ = 0;
  std::optional<Violation> first_;
};

}  // namespace dsim::analysis
