#include "protocols/kafka/stats.h"

#include <cstdio>

namespace dsim::kafka {

void KafkaStats::consume(const trace::Event& e) {
  end_ = std::max(end_, e.t);
  model_.consume(e);
  if (e.kind == "produce") {
    sent_.insert(e.get_int("msg").value_or(0));
  } else if (e.kind == "ack") {
    acked_.insert(e.get_int("msg").value_or(0));
  } else if (e.kind == "produce_error") {
    ++r_.errors;
  } else if (e.kind == "gave_up") {
    ++r_.gave_up;
  } else if (e.kind == "consume") {
    consumed_.insert(e.get_int("msg").value_or(0));
  } else if (e.kind == "elect") {
    const int64_t p = e.get_int("partition").value_or(-1);
    const bool offline = e.get_str("leader").value_or("").empty();
    auto it = offline_since_.find(p);
    if (offline) {
      if (it == offline_since_.end()) offline_since_[p] = e.t;
      return;
    }
    if (e.get_int("epoch").value_or(0) > 1) ++r_.elections;  // epoch 1: the initial assignment
    const trace::Value* clean = e.find("clean");
    if (clean && std::holds_alternative<bool>(*clean) && !std::get<bool>(*clean)) ++r_.unclean_elections;
    if (it != offline_since_.end()) {
      r_.offline_ns += e.t - it->second;
      offline_since_.erase(it);
    }
  }
}

void KafkaStats::finish() {
  for (const auto& [p, since] : offline_since_) r_.offline_ns += end_ - since;
  offline_since_.clear();
  r_.duration_ns = end_;
  r_.sent = static_cast<int64_t>(sent_.size());
  r_.acked = static_cast<int64_t>(acked_.size());
  std::set<int64_t> lost;
  for (const auto* a : model_.lost()) lost.insert(a->msg);
  r_.acked_lost = static_cast<int64_t>(lost.size());
  std::set<int64_t> held;
  for (const auto& [p, l] : model_.leaders()) {
    if (const auto* log = model_.log(l.node, p)) {
      for (const auto& rec : *log) held.insert(rec.msg);
    }
  }
  r_.in_log = 0;
  for (int64_t m : sent_) r_.in_log += held.count(m) ? 1 : 0;
  r_.consumed = static_cast<int64_t>(consumed_.size());
}

namespace {
const KafkaReport* report_of(const LabelledStats& s) {
  const auto* k = dynamic_cast<const KafkaStats*>(s.stats);
  return k ? &k->report() : nullptr;
}
double availability(const KafkaReport& r) {
  const double total = static_cast<double>(r.duration_ns) * static_cast<double>(r.partitions);
  return total > 0 ? 100.0 * (1.0 - static_cast<double>(r.offline_ns) / total) : 100.0;
}
}  // namespace

std::string stats_table(const std::vector<LabelledStats>& runs) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-24s %4s %8s %6s %6s %6s %6s %7s %6s %7s %9s %10s %8s\n", "run", "acks", "election",
                "sent", "acked", "lost", "inlog", "missing", "errors", "gaveup", "elections", "offline", "avail%");
  out += line;
  for (const auto& run : runs) {
    const KafkaReport* r = report_of(run);
    if (!r) continue;
    std::snprintf(line, sizeof line, "%-24s %4s %8s %6lld %6lld %6lld %6lld %7lld %6lld %7lld %5lld/%-3lld %10s %8.2f\n",
                  run.label.c_str(), r->acks.c_str(), r->unclean ? "unclean" : "clean", static_cast<long long>(r->sent),
                  static_cast<long long>(r->acked), static_cast<long long>(r->acked_lost), static_cast<long long>(r->in_log),
                  static_cast<long long>(r->sent - r->in_log), static_cast<long long>(r->errors),
                  static_cast<long long>(r->gave_up), static_cast<long long>(r->elections),
                  static_cast<long long>(r->unclean_elections), analysis::format_time(r->offline_ns).c_str(),
                  availability(*r));
    out += line;
  }
  out += "(lost: acknowledged records not in the leader's log at the end; missing: sent records not in it;\n"
         " elections: clean/unclean; offline: partition time without a leader)\n";
  return out;
}

std::string stats_csv(const std::vector<LabelledStats>& runs) {
  std::string out =
      "run,acks,unclean,sent,acked,acked_lost,in_log,missing,errors,gave_up,consumed,elections,unclean_elections,offline_ns,"
      "availability_percent\n";
  for (const auto& run : runs) {
    const KafkaReport* r = report_of(run);
    if (!r) continue;
    char line[512];
    std::snprintf(line, sizeof line, "%s,%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%.4f\n",
                  run.label.c_str(), r->acks.c_str(), r->unclean ? "true" : "false", static_cast<long long>(r->sent),
                  static_cast<long long>(r->acked), static_cast<long long>(r->acked_lost), static_cast<long long>(r->in_log),
                  static_cast<long long>(r->sent - r->in_log), static_cast<long long>(r->errors),
                  static_cast<long long>(r->gave_up), static_cast<long long>(r->consumed),
                  static_cast<long long>(r->elections), static_cast<long long>(r->unclean_elections),
                  static_cast<long long>(r->offline_ns), availability(*r));
    out += line;
  }
  return out;
}

}  // namespace dsim::kafka
