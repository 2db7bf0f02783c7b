// The `maelstrom` checker: judges a run by the workload its nodes announce
// ("m_mode"), from the clients' requests and replies ("m_invoke",
// "m_complete") and the network's "send" events only, with Maelstrom's
// semantics (docs/maelstrom.md):
//
// echo        every reply echoes its request.
// unique-ids  no two acknowledged ids are equal.
// broadcast   every final read holds every acknowledged value (lost), no
//             value nobody broadcast (unexpected) and none twice
//             (duplicated); stale reads are counted.
// g-counter,  each final read lies between the sum of acknowledged adds and
// pn-counter  that sum plus any subset of the indefinite ones.
// kafka       acknowledged sends never lost (a poll saw later offsets, or a
//             final poll missed it), offsets in a poll increase, a poll
//             never skips a known message, one message per offset.
// lin-kv      the read/write/cas history is linearizable (dsim's checker).
//
// Evidence: an acknowledged operation of the kind the property is about (and
// a final read for the properties judged on final reads); otherwise
// inconclusive. The note reports messages per operation (servers only and
// all), latency quantiles and availability.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dsim/checker.h"

namespace dsim::maelstrom {

class MaelstromChecker final : public analysis::Checker {
 public:
  std::string_view name() const override { return "maelstrom"; }
  analysis::CheckKind kind() const override { return analysis::CheckKind::kSafety; }
  void consume(const trace::Event& e) override;
  analysis::CheckResult finish() override;

  struct Op {
    std::string node, f, req, resp;
    bool final_read = false;
    int64_t t_inv = 0, t_done = -1;
    std::string status = "pending";  // ok, fail, info, pending
    int64_t code = -1;
  };

 private:
  std::string workload_;
  bool best_effort_ = false;
  std::map<int64_t, Op> ops_;  // by op number
  uint64_t sends_all_ = 0, sends_servers_ = 0;
  std::string error_;  // a malformed event
};

std::unique_ptr<analysis::Checker> make_checker();

}  // namespace dsim::maelstrom
