// Liveness of a leader-based replicated log (raft_liveness,
// multipaxos_liveness): once the last fault is over, some node leads within
// the bound, and every request the harness submitted after that is answered
// ok within the bound, whether or not a node accepted it (a node that drops
// requests is not live). Requests are what the harness recorded
// ("harness_input" {to, req}); answers are "client_response" {req, ok}.
// Also reads "role" {role} and "crash", which Raft and Multi-Paxos emit.
// With key-value clients, each operation a client invokes after the
// deadline must get a definite reply ("ok" or "fail", not "info", a
// timeout) within the bound: the replies the harness's clients received.
//
// Minimum evidence: the bound expires before the end of the run, and at
// least one request submitted after it is judged; with none the verdict is
// inconclusive ("no request was submitted after ..."), never held.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dsim/checker.h"
#include "dsim/fault_window.h"

namespace dsim::analysis {

class LeaderLiveness final : public Checker {
 public:
  LeaderLiveness(std::string name, int64_t within_ns) : name_(std::move(name)), within_ns_(within_ns) {}
  std::string_view name() const override { return name_; }
  CheckKind kind() const override { return CheckKind::kLiveness; }
  void consume(const trace::Event& e) override;
  std::vector<std::string_view> kinds() const override;
  CheckResult finish() override;

 private:
  struct RoleChange {
    int64_t t;
    std::string node;
    std::string role;  // "leader", "follower", ..., or "down"
  };
  std::string name_;
  int64_t within_ns_;
  FaultWindow faults_;
  std::vector<RoleChange> roles_;
  struct Input {
    int64_t t;
    std::string to;
  };
  std::map<int64_t, Input> submitted_;   // request id -> when the harness sent it, to whom
  std::map<int64_t, int64_t> accepted_;  // request id -> time a leader accepted it
  std::map<int64_t, int64_t> answered_;  // request id -> time of its ok response
  struct ClientOp {
    int64_t invoked;
    int64_t done = -1;  // time of a definite reply (ok or fail); -1 none
    std::string client;
    std::string outcome;  // "ok", "fail", "info" or "" (pending)
  };
  std::vector<ClientOp> ops_;
  std::map<std::string, size_t> open_;  // client node -> its pending op in ops_
};

}  // namespace dsim::analysis
