// What the clients saw (the CAP table): operations attempted / ok / failed
// / unknown, availability, latency, stale reads and lost writes, overall
// and per side of a network partition. Reads the client history events
// (invoke/ok/fail/info) and the partition/heal events of a trace.
//
// Definitions (values are unique per write):
//   side       while a partition is in force, a client's side is the set
//              of servers in its group; an operation counts for the side
//              it was invoked on
//   available  ok / attempted
//   stale read an ok read that returned a value v although some write on
//              the key was acknowledged before the read began and had
//              itself begun after v's write was acknowledged (so it is
//              definitely newer in real time); "behind" counts such writes
//   older      value a is definitely older than b when a's write was
//              acknowledged before b's write began (null is older than all)
//   read-your-writes violation: a client's ok read returns a value older
//              than the client's own last acknowledged write to the key
//   monotonic-reads violation: a client's ok read returns a value older
//              than one its previous read of the key returned
//   freshness curve: over (acknowledged write w, later ok read r) pairs on
//              a key, by the delay from w's acknowledgement to r's invoke,
//              the fraction where r returned w or a value not older than w
//   lost write an acknowledged write w that the key's final value (the
//              value its last ok read returned) is older than, though w
//              was acknowledged before that read began: w is gone for good.
//              Last-writer-wins loses writes this way when the losing
//              side's clock is behind (stop writes some time before the
//              end, so the last reads show the converged state).
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dsim/trace_event.h"

namespace dsim::analysis {

struct SideStats {
  std::string label;  // "all", or the servers of one side
  uint64_t attempted = 0, ok = 0, fail = 0, info = 0;
  uint64_t reads_ok = 0, stale_reads = 0;
  int64_t p50_ns = -1, p99_ns = -1;  // latency of ok operations, -1 if none

  double availability() const { return attempted ? 100.0 * static_cast<double>(ok) / static_cast<double>(attempted) : 0; }
  double stale_pct() const {
    return reads_ok ? 100.0 * static_cast<double>(stale_reads) / static_cast<double>(reads_ok) : 0;
  }
};

struct CurvePoint {
  int64_t from_ns, to_ns;  // delay bucket [from, to)
  uint64_t pairs = 0, fresh = 0;
  double p() const { return pairs ? static_cast<double>(fresh) / static_cast<double>(pairs) : 0; }
};

struct ClientReport {
  SideStats overall;
  uint64_t ryw_violations = 0, monotonic_violations = 0;
  int64_t stale_by_p50_ns = -1, stale_by_p99_ns = -1;  // stale reads: since the first newer write was acknowledged
  uint64_t max_versions_behind = 0;
  std::vector<CurvePoint> curve;
  std::vector<SideStats> sides;  // during partitions, one per side
  uint64_t writes_acked = 0;
  uint64_t lost_writes = 0;
};

class ClientStats final : public trace::Consumer {
 public:
  // `clients`: the client node names (the others are servers).
  explicit ClientStats(std::set<std::string> clients) : clients_(std::move(clients)) {}
  void consume(const trace::Event& e) override;
  ClientReport finish() const;

 private:
  struct Op {
    std::string client;
    std::string key;
    bool read = false, write = false;
    int64_t value = 0;
    bool has_value = false;  // read: non-null result
    int64_t invoke = 0, complete = -1;
    char status = '?';  // 'o' ok, 'f' fail, 'i' info, '?' open
    std::string side;   // "" outside partitions
  };
  std::set<std::string> clients_;
  std::map<std::string, std::string> side_of_;  // client node -> side label, while partitioned
  std::map<std::string, size_t> open_;          // client node -> index of its open op
  std::vector<Op> ops_;
};

}  // namespace dsim::analysis
