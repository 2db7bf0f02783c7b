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
#include <climits>
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
  // The kinds of one per request (harness_input, client_request,
  // client_response) read from the view; the rest through an Event.
  bool takes_views() const override { return true; }
  void consume_view(const trace::EventView& v) override;
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
  // What the trace says of one request id: when the harness submitted it
  // (and to whom), when a leader accepted it, when it was answered ok; the
  // first of each counts. kNever: not seen.
  static constexpr int64_t kNever = INT64_MIN;
  struct Req {
    int64_t submitted = kNever;
    int64_t accepted = kNever;
    int64_t answered = kNever;
    uint32_t to = 0;  // index in to_names_
  };
  // Request ids are dense from 1 in dsim's own runs: those sit in a vector
  // indexed by id (no node, no string per request); any other id (a trace
  // from elsewhere) goes to the map.
  Req& req(int64_t id);
  // Reads e if it is of a kind of one per request; false otherwise.
  template <class E>
  bool per_request(const E& e);
  std::vector<Req> dense_;
  std::vector<bool> dense_seen_;
  std::map<int64_t, Req> sparse_;
  uint64_t submitted_count_ = 0;
  std::vector<std::string> to_names_;
  struct ClientOp {
    int64_t invoked;
    int64_t done = -1;  // time of a definite reply (ok or fail); -1 none
    std::string client;
    std::string outcome;  // "ok", "fail", "info" or "" (pending)
  };
  std::vector<ClientOp> ops_;
  std::map<std::string, size_t> open_;  // client node -> its pending op in ops_
  int64_t latest_ = 0;
  // One per kind: "req" sits at another position in each.
  trace::FieldRef input_req_{"req"}, accepted_req_{"req"}, answered_req_{"req"};
  trace::FieldRef to_{"to"}, ok_{"ok"}, role_{"role"};
  trace::Event scratch_;  // a view of another kind, as an Event
};

}  // namespace dsim::analysis
