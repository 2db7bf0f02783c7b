#include "protocols/kafka/checkers.h"

#include <algorithm>

#include "protocols/kafka/kafka.h"

namespace dsim::kafka {
namespace {

std::string msg_text(int64_t msg) {
  return "message " + std::to_string(msg / kMsgStride) + "." + std::to_string(msg % kMsgStride);
}

}  // namespace

// ---- acked_durable ------------------------------------------------------------

void AckedDurable::consume(const trace::Event& e) {
  end_ = std::max(end_, e.t);
  if (e.kind == "produce") ++sends_;
  model_.consume(e);
}

analysis::CheckResult AckedDurable::finish() {
  using analysis::Status;
  analysis::CheckResult r{std::string(name()), kind(), Status::kHeld, std::nullopt, {}};
  const auto lost = model_.lost();
  if (!lost.empty()) {
    const LogModel::Acked& a = *lost.front();
    const auto& leader = model_.leaders().at(a.partition);
    std::string why = a.acks == "1" ? " (acks=1: acknowledged once the leader alone had written it)"
                                    : " (acks=" + a.acks + ")";
    std::string msg = std::to_string(lost.size()) + " acknowledged record(s) lost; the first: " + msg_text(a.msg) +
                      ", acknowledged to " + a.producer + " at " + analysis::format_time(a.t) + " at offset " +
                      std::to_string(a.offset) + " of partition " + std::to_string(a.partition) + " in leader epoch " +
                      std::to_string(a.epoch) + why + ", is not in the log of " + leader.node + ", its leader in epoch " +
                      std::to_string(leader.epoch);
    int64_t t = end_;
    std::string node = leader.node;
    if (a.missing_t) {
      t = *a.missing_t;
      node = a.missing_node;
      msg += "; " + a.missing_node + " took over without it at " + analysis::format_time(t) + " (epoch " +
             std::to_string(a.missing_epoch) + ")";
    }
    r.status = Status::kViolated;
    r.violation = analysis::Violation{t, node, msg};
    return r;
  }
  r.note = std::to_string(model_.acked().size()) + " acknowledged records, all in their partition leader's log";
  analysis::require_evidence(r, !model_.acked().empty(),
                             sends_ > 0 ? "no record was acknowledged (acks=0 promises nothing, or every send failed)"
                                        : "no producer sent a record");
  return r;
}

// ---- consumer_offsets ---------------------------------------------------------

void ConsumerOffsets::consume(const trace::Event& e) {
  if (e.kind == "hw") {
    int64_t& h = hw_[e.get_int("partition").value_or(-1)];
    h = std::max(h, e.get_int("hw").value_or(0));
    return;
  }
  const bool start = e.kind == "consumer_start";
  if (start || e.kind == "consumer_reset") {
    if (!start) ++resets_;
    next_[{e.node, e.get_int("partition").value_or(-1)}] = e.get_int(start ? "offset" : "to").value_or(0);
    return;
  }
  if (e.kind != "consume") return;
  ++consumed_;
  if (first_) return;
  const int64_t p = e.get_int("partition").value_or(-1);
  const int64_t o = e.get_int("offset").value_or(-1);
  const std::string where = "offset " + std::to_string(o) + " of partition " + std::to_string(p);
  auto it = next_.find({e.node, p});
  if (it == next_.end()) {
    first_ = analysis::Violation{e.t, e.node, e.node + " read " + where + " before it had a starting position"};
    return;
  }
  if (o != it->second) {
    first_ = analysis::Violation{
        e.t, e.node,
        e.node + " read " + where + " after offset " + std::to_string(it->second - 1) + ": " +
            (o > it->second ? "a gap of " + std::to_string(o - it->second) + " record(s)" : std::string("it went backwards"))};
    return;
  }
  ++it->second;
  const int64_t hw = hw_.count(p) ? hw_[p] : 0;
  if (o >= hw) {
    first_ = analysis::Violation{e.t, e.node,
                                 e.node + " read " + where + ", at or above the high watermark " + std::to_string(hw) +
                                     " (the highest any leader had announced): a record not yet committed"};
  }
}

analysis::CheckResult ConsumerOffsets::finish() {
  analysis::CheckResult r{std::string(name()), kind(), first_ ? analysis::Status::kViolated : analysis::Status::kHeld, first_, {}};
  if (!first_) {
    r.note = std::to_string(consumed_) + " records read in order below the high watermark" +
             (resets_ ? ", " + std::to_string(resets_) + " position reset(s)" : "");
  }
  analysis::require_evidence(r, consumed_ > 0, "no consumer read a record");
  return r;
}

// ---- replica_prefix -----------------------------------------------------------

void ReplicaPrefix::check(const trace::Event& e, int64_t p, int64_t o, const LogModel::Record& rec, const char* how) {
  auto it = committed_.find(p);
  if (first_ || it == committed_.end() || o < 0 || o >= static_cast<int64_t>(it->second.records.size())) return;
  const Committed& c = it->second;
  const auto i = static_cast<size_t>(o);
  if (c.records[i] == rec || rec.epoch < c.announced[i]) return;
  first_ = analysis::Violation{
      e.t, e.node,
      e.node + " " + how + " " + msg_text(rec.msg) + " (epoch " + std::to_string(rec.epoch) + ") at offset " +
          std::to_string(o) + " of partition " + std::to_string(p) + ", below the high watermark " +
          std::to_string(c.records.size()) + " that " + c.by + " announced in epoch " + std::to_string(c.epoch) +
          ", where the committed record is " + msg_text(c.records[i].msg) + " (epoch " + std::to_string(c.records[i].epoch) +
          ", committed in epoch " + std::to_string(c.announced[i]) + "): its log is no longer a prefix of the committed one"};
}

void ReplicaPrefix::consume(const trace::Event& e) {
  const bool write = e.kind == "append" || e.kind == "replicate";
  if (write) {
    ++writes_;
    check(e, e.get_int("partition").value_or(-1), e.get_int("offset").value_or(-1),
          LogModel::Record{e.get_int("epoch").value_or(0), e.get_int("msg").value_or(0)}, "wrote");
  }
  model_.consume(e);
  if (e.kind == "become_leader") {
    // A new leader's log must hold the committed records it has room for.
    const int64_t p = e.get_int("partition").value_or(-1);
    const int64_t epoch = e.get_int("epoch").value_or(0);
    if (const auto* log = model_.log(e.node, p)) {
      for (size_t o = 0; o < log->size() && !first_; ++o) {
        LogModel::Record r = (*log)[o];
        r.epoch = std::max(r.epoch, epoch);  // judged as of the new epoch
        auto it = committed_.find(p);
        if (it == committed_.end() || o >= it->second.records.size()) break;
        if (!((*log)[o] == it->second.records[o])) check(e, p, static_cast<int64_t>(o), r, "became leader holding");
      }
    }
    return;
  }
  if (e.kind != "hw") return;
  const int64_t p = e.get_int("partition").value_or(-1);
  const int64_t hw = e.get_int("hw").value_or(0);
  Committed& c = committed_[p];
  const auto* log = model_.log(e.node, p);
  if (!log) return;
  const int64_t upto = std::min<int64_t>(hw, static_cast<int64_t>(log->size()));
  if (upto <= static_cast<int64_t>(c.records.size())) return;
  c.epoch = e.get_int("epoch").value_or(0);
  c.by = e.node;
  for (auto o = static_cast<int64_t>(c.records.size()); o < upto; ++o) {
    c.records.push_back((*log)[static_cast<size_t>(o)]);
    c.announced.push_back(c.epoch);
  }
}

analysis::CheckResult ReplicaPrefix::finish() {
  analysis::CheckResult r{std::string(name()), kind(), first_ ? analysis::Status::kViolated : analysis::Status::kHeld, first_, {}};
  size_t committed = 0;
  for (const auto& [p, c] : committed_) committed += c.records.size();
  if (!first_) {
    r.note = std::to_string(committed) + " committed records; " + std::to_string(writes_) +
             " record writes on the replicas, none below the high watermark differs";
  }
  analysis::require_evidence(r, committed > 0, "no record was committed (no leader announced a high watermark)");
  return r;
}

}  // namespace dsim::kafka
