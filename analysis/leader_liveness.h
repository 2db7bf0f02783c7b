// Liveness of a leader-based replicated log (raft_liveness,
// multipaxos_liveness): once the last fault is over, some node leads within
// the bound, and every client request a leader accepted after that is
// answered ok within the bound. Reads "role" {role}, "crash",
// "client_request" {req} and "client_response" {req, ok} events, which Raft
// and Multi-Paxos both emit.
#pragma once
#include <cstdint>
#include <map>
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
  std::map<int64_t, int64_t> accepted_;  // request id -> time a leader accepted it
  std::map<int64_t, int64_t> answered_;  // request id -> time of its ok response
};

}  // namespace dsim::analysis
