#include "analysis/checker.h"

#include <charconv>

#include "analysis/broadcast_checkers.h"
#include "analysis/discovery_checkers.h"
#include "analysis/leader_liveness.h"
#include "analysis/linearizability.h"
#include "analysis/lock_checkers.h"
#include "analysis/paxos_checkers.h"
#include "analysis/raft_catch_up.h"
#include "analysis/raft_checkers.h"
#include "sim/core/assert.h"
#include "sim/core/text.h"

namespace dsim::analysis {

const char* to_string(CheckKind k) { return k == CheckKind::kSafety ? "safety" : "liveness"; }

const char* to_string(Status s) {
  switch (s) {
    case Status::kHeld: return "held";
    case Status::kViolated: return "violated";
    case Status::kInconclusive: return "inconclusive";
  }
  return "?";
}

const std::vector<CheckerInfo>& known_checkers() {
  static const std::vector<CheckerInfo> kAll = {
      {"no_duplicate_delivery", CheckKind::kSafety, "broadcast", "no node delivers the same message twice"},
      {"all_delivered", CheckKind::kLiveness, "broadcast",
       "every message is delivered to every live node within a bound after the last fault"},
      {"election_safety", CheckKind::kSafety, "raft coord", "at most one leader per term"},
      {"log_matching", CheckKind::kSafety, "raft coord", "same index and term means identical logs up to there"},
      {"leader_completeness", CheckKind::kSafety, "raft coord", "a committed entry is in the log of every later leader"},
      {"state_machine_safety", CheckKind::kSafety, "raft coord", "no two nodes apply different commands at one index"},
      {"raft_liveness", CheckKind::kLiveness, "raft",
       "after the last fault a leader within the bound, and later requests committed within it"},
      {"raft_catch_up", CheckKind::kLiveness, "raft coord",
       "after the last fault every live node reaches the leader's commit index within the bound"},
      {"paxos_agreement", CheckKind::kSafety, "paxos multipaxos",
       "at most one value chosen per slot (from the acceptors' accepts), and only a proposed one"},
      {"learner_consistency", CheckKind::kSafety, "paxos multipaxos", "no learner learns two values for a slot"},
      {"paxos_liveness", CheckKind::kLiveness, "paxos", "after the last fault a value is chosen within the bound"},
      {"linearizable", CheckKind::kSafety, "raft dynamo",
       "the clients' operation history is linearizable (needs clients; docs/history-format.md)"},
      {"discovery_safety", CheckKind::kSafety, "coord",
       "no watcher lists an instance dead (session expired) for longer than the bound"},
      {"discovery_liveness", CheckKind::kLiveness, "coord",
       "after the last fault registrations reach every watcher within the bound; views end exact"},
      {"mutual_exclusion", CheckKind::kSafety, "lock coord",
       "the resource never accepts a write from an older lock grant after a newer one's"},
      {"lock_liveness", CheckKind::kLiveness, "lock", "after the last fault a free lock is granted again within the bound"},
      {"multipaxos_liveness", CheckKind::kLiveness, "multipaxos",
       "after the last fault a leader within the bound, and each later client command committed within it"},
  };
  return kAll;
}

bool CheckerInfo::applies_to(std::string_view p) const { return protocol.empty() || listed(protocol, p); }

const CheckerInfo* find_checker(std::string_view name) {
  for (const CheckerInfo& c : known_checkers()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::unique_ptr<Checker> make_checker(const CheckSpec& spec) {
  if (spec.name == "no_duplicate_delivery") return std::make_unique<NoDuplicateDelivery>();
  if (spec.name == "all_delivered") return std::make_unique<AllDelivered>(spec.within_ns > 0 ? spec.within_ns : 2'000'000'000);
  if (spec.name == "election_safety") return std::make_unique<ElectionSafety>();
  if (spec.name == "log_matching") return std::make_unique<LogMatching>();
  if (spec.name == "leader_completeness") return std::make_unique<LeaderCompleteness>();
  if (spec.name == "state_machine_safety") return std::make_unique<StateMachineSafety>();
  if (spec.name == "raft_liveness" || spec.name == "multipaxos_liveness") {
    return std::make_unique<LeaderLiveness>(spec.name, spec.within_ns > 0 ? spec.within_ns : 2'000'000'000);
  }
  if (spec.name == "raft_catch_up") return std::make_unique<RaftCatchUp>(spec.within_ns > 0 ? spec.within_ns : 2'000'000'000);
  if (spec.name == "linearizable") return std::make_unique<Linearizable>();
  if (spec.name == "mutual_exclusion") return std::make_unique<MutualExclusion>();
  if (spec.name == "discovery_safety") return std::make_unique<DiscoverySafety>(spec.within_ns > 0 ? spec.within_ns : 1'000'000'000);
  if (spec.name == "discovery_liveness") return std::make_unique<DiscoveryLiveness>(spec.within_ns > 0 ? spec.within_ns : 2'000'000'000);
  if (spec.name == "lock_liveness") return std::make_unique<LockLiveness>(spec.within_ns > 0 ? spec.within_ns : 2'000'000'000);
  if (spec.name == "paxos_agreement") return std::make_unique<PaxosAgreement>();
  if (spec.name == "learner_consistency") return std::make_unique<LearnerConsistency>();
  if (spec.name == "paxos_liveness") return std::make_unique<PaxosLiveness>(spec.within_ns > 0 ? spec.within_ns : 2'000'000'000);
  DSIM_ASSERT_MSG(false, "make_checker called with an unknown name");
  return nullptr;
}

std::string format_time(int64_t ns) {
  // Exact decimal with the largest unit that keeps an integer part, trailing
  // zeros trimmed: 1500000000 -> "1.5s".
  struct Unit {
    int64_t scale;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {{1'000'000'000, "s"}, {1'000'000, "ms"}, {1'000, "us"}, {1, "ns"}};
  const bool neg = ns < 0;
  const uint64_t v = neg ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  for (const Unit& u : kUnits) {
    const auto scale = static_cast<uint64_t>(u.scale);
    if (v < scale && u.scale != 1 && v != 0) continue;
    std::string out = neg ? "-" : "";
    out += std::to_string(v / scale);
    uint64_t frac = v % scale;
    if (frac) {
      std::string digits = std::to_string(frac);
      digits.insert(0, std::to_string(scale).size() - 1 - digits.size(), '0');
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      out += "." + digits;
    }
    return out + u.suffix;
  }
  return "0s";
}

}  // namespace dsim::analysis
