#include "protocols/maelstrom/checkers.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "analysis/history.h"
#include "analysis/linearizability.h"
#include "protocols/maelstrom/config.h"

namespace dsim::maelstrom {
namespace {

using Json = nlohmann::json;
using analysis::CheckResult;
using analysis::Status;
using Ops = std::map<int64_t, MaelstromChecker::Op>;

struct Verdict {
  bool enough = false;
  std::string why_not;  // evidence missing
  std::optional<analysis::Violation> violation;
  std::string extra;  // workload-specific numbers for the note
};

// Bodies come from a trace, which may be anyone's: every access is total
// (no throwing accessor, no const operator[] on a missing key).
Json parse(const std::string& s) {
  Json j = Json::parse(s, nullptr, false);
  return j.is_object() ? j : Json::object();
}
Json at(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() ? Json() : *it;
}
std::string str_of(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
int64_t int_of(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

void violate(Verdict& v, const MaelstromChecker::Op& op, const std::string& msg) {
  if (v.violation) return;
  v.violation = analysis::Violation{op.t_done >= 0 ? op.t_done : op.t_inv, op.node, msg};
}

Verdict check_echo(const Ops& ops) {
  Verdict v;
  for (const auto& [n, op] : ops) {
    if (op.status != "ok") continue;
    v.enough = true;
    const Json q = parse(op.req), r = parse(op.resp);
    if (str_of(r, "type") != "echo_ok" || !r.contains("echo") || at(r, "echo") != at(q, "echo")) {
      violate(v, op, "op " + std::to_string(n) + ": echo " + at(q, "echo").dump() + " was answered with " + op.resp);
    }
  }
  v.why_not = "no echo was answered";
  return v;
}

Verdict check_unique_ids(const Ops& ops) {
  Verdict v;
  std::map<std::string, int64_t> seen;
  for (const auto& [n, op] : ops) {
    if (op.status != "ok") continue;
    v.enough = true;
    const Json r = parse(op.resp);
    if (str_of(r, "type") != "generate_ok" || !r.contains("id")) {
      violate(v, op, "op " + std::to_string(n) + ": generate was answered without an id: " + op.resp);
      continue;
    }
    const std::string id = r["id"].dump();
    if (auto it = seen.find(id); it != seen.end()) {
      violate(v, op, "id " + id + " was generated twice (ops " + std::to_string(it->second) + " and " +
                         std::to_string(n) + ")");
    }
    seen.emplace(id, n);
  }
  v.why_not = "no id was generated";
  v.extra = std::to_string(seen.size()) + " unique ids";
  return v;
}

Verdict check_broadcast(const Ops& ops) {
  Verdict v;
  std::set<int64_t> attempted;
  std::map<int64_t, int64_t> acked;    // value -> ack time
  std::map<int64_t, int64_t> invoked;  // value -> broadcast time
  for (const auto& [n, op] : ops) {
    if (op.f != "broadcast") continue;
    const Json q = parse(op.req);
    if (q.contains("message") && q["message"].is_number_integer()) {
      const int64_t m = q["message"].get<int64_t>();
      attempted.insert(m);
      invoked[m] = op.t_inv;
      if (op.status == "ok") acked[m] = op.t_done;
    }
  }
  struct Read {
    int64_t t_inv, t_done;
    std::set<int64_t> got;
  };
  std::vector<Read> answered;
  uint64_t finals = 0, stale = 0, reads = 0;
  for (const auto& [n, op] : ops) {
    if (op.f != "read" || op.status != "ok") continue;
    const Json r = parse(op.resp);
    if (!r.is_object() || !r.contains("messages") || !r["messages"].is_array()) {
      violate(v, op, "read " + std::to_string(n) + " answered without a messages array: " + op.resp);
      continue;
    }
    ++reads;
    std::set<int64_t> got;
    for (const auto& x : r["messages"]) {
      if (!x.is_number_integer()) {
        violate(v, op, "read " + std::to_string(n) + " returned a non-integer message " + x.dump());
        continue;
      }
      const int64_t m = x.get<int64_t>();
      if (!got.insert(m).second) violate(v, op, "duplicated: read by " + op.node + " returned " + x.dump() + " twice");
      if (!attempted.count(m)) violate(v, op, "unexpected: read by " + op.node + " returned " + x.dump() + ", which no client broadcast");
    }
    bool is_stale = false;
    for (const auto& [m, t] : acked) {
      if (got.count(m)) continue;
      if (op.final_read && t < op.t_inv) {
        violate(v, op, "lost: value " + std::to_string(m) + " was acknowledged at " + analysis::format_time(t) +
                           " but the final read by " + op.node + " does not have it");
      }
      if (!op.final_read && t < op.t_inv) is_stale = true;
    }
    if (is_stale) ++stale;
    if (op.final_read) ++finals;
    answered.push_back({op.t_inv, op.t_done, std::move(got)});
  }
  // Stable latency (Maelstrom's): from a value's broadcast until every read
  // that begins later has it: the end of the last later read without it.
  std::vector<int64_t> stable;
  for (const auto& [m, t_ack] : acked) {
    const int64_t t0 = invoked[m];
    int64_t at = t0;
    bool seen_later = false;
    for (const Read& rd : answered) {
      if (rd.t_inv <= t0) continue;
      if (!rd.got.count(m)) at = std::max(at, rd.t_done);
      else seen_later = true;
    }
    if (seen_later) stable.push_back(at - t0);
  }
  std::sort(stable.begin(), stable.end());
  v.enough = !acked.empty() && finals > 0;
  v.why_not = acked.empty() ? "no broadcast was acknowledged" : "no final read was answered";
  v.extra = std::to_string(acked.size()) + " values acknowledged, " + std::to_string(finals) + " final reads, " +
            std::to_string(stale) + " of " + std::to_string(reads - finals) + " other reads stale";
  if (!stable.empty()) {
    auto q = [&](double p) {
      return analysis::format_time(stable[static_cast<size_t>(p * static_cast<double>(stable.size() - 1))]);
    };
    v.extra += "; stable latency p50 " + q(0.5) + ", p95 " + q(0.95) + ", max " + analysis::format_time(stable.back());
  }
  return v;
}

Verdict check_counter(const Ops& ops) {
  Verdict v;
  int64_t sum = 0, low = 0, high = 0;
  bool any_ok_add = false;
  for (const auto& [n, op] : ops) {
    if (op.f != "add" || op.status == "fail") continue;
    const Json q = parse(op.req);
    const int64_t d = int_of(q, "delta");
    if (op.status == "ok") {
      sum += d;
      any_ok_add = true;
    } else {
      (d < 0 ? low : high) += d;
    }
  }
  uint64_t finals = 0;
  for (const auto& [n, op] : ops) {
    if (op.f != "read" || op.status != "ok" || !op.final_read) continue;
    const Json r = parse(op.resp);
    if (!r.is_object() || !r.contains("value") || !r["value"].is_number_integer()) {
      violate(v, op, "final read by " + op.node + " answered without an integer value: " + op.resp);
      continue;
    }
    ++finals;
    const int64_t x = r["value"].get<int64_t>();
    if (x < sum + low || x > sum + high) {
      violate(v, op, "final read by " + op.node + " returned " + std::to_string(x) + ", but the acknowledged adds sum to " +
                         std::to_string(sum) + (low || high ? " (with the indefinite ones: between " +
                                                                  std::to_string(sum + low) + " and " +
                                                                  std::to_string(sum + high) + ")"
                                                            : ""));
    }
  }
  v.enough = any_ok_add && finals > 0;
  v.why_not = any_ok_add ? "no final read was answered" : "no add was acknowledged";
  v.extra = "acknowledged sum " + std::to_string(sum) + ", " + std::to_string(finals) + " final reads";
  return v;
}

Verdict check_kafka(const Ops& ops) {
  Verdict v;
  // (key, offset) -> (msg, the op that wrote it)
  std::map<std::pair<std::string, int64_t>, std::pair<std::string, int64_t>> sent;
  std::map<std::pair<std::string, int64_t>, std::string> known;  // every message known at an offset
  for (const auto& [n, op] : ops) {
    if (op.f != "send" || op.status != "ok") continue;
    const Json q = parse(op.req), r = parse(op.resp);
    if (!r.is_object() || !r.contains("offset") || !r["offset"].is_number_integer()) {
      violate(v, op, "send " + std::to_string(n) + " acknowledged without an integer offset: " + op.resp);
      continue;
    }
    const auto k = std::make_pair(str_of(q, "key"), r["offset"].get<int64_t>());
    const std::string msg = at(q, "msg").dump();
    if (auto it = sent.find(k); it != sent.end() && it->second.first != msg) {
      violate(v, op, "offset " + std::to_string(k.second) + " of " + k.first + " was given to two messages, " +
                         it->second.first + " and " + msg);
    }
    sent.emplace(k, std::make_pair(msg, n));
    known.emplace(k, msg);
  }
  std::set<std::pair<std::string, int64_t>> polled;
  std::map<std::string, int64_t> max_polled;
  uint64_t polls = 0, finals = 0;
  struct Seen {
    const MaelstromChecker::Op* op;
    std::string key;
    std::vector<int64_t> offs;
  };
  std::vector<Seen> lists;
  for (const auto& [n, op] : ops) {
    if (op.f != "poll" || op.status != "ok") continue;
    const Json r = parse(op.resp);
    if (!r.is_object() || !r.contains("msgs") || !r["msgs"].is_object()) {
      violate(v, op, "poll " + std::to_string(n) + " answered without a msgs object: " + op.resp);
      continue;
    }
    ++polls;
    if (op.final_read) ++finals;
    for (const auto& [key, list] : r["msgs"].items()) {
      Seen s{&op, key, {}};
      if (!list.is_array()) continue;
      int64_t prev = -1;
      for (const auto& pair : list) {
        if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_integer()) {
          violate(v, op, "poll " + std::to_string(n) + " returned a malformed entry " + pair.dump());
          continue;
        }
        const int64_t off = pair[0].get<int64_t>();
        if (off <= prev) {
          violate(v, op, "non-monotonic offsets: a poll by " + op.node + " returned offset " + std::to_string(off) +
                             " of " + key + " after " + std::to_string(prev));
        }
        prev = off;
        const auto k = std::make_pair(key, off);
        const std::string msg = pair[1].dump();
        if (auto it = known.find(k); it != known.end() && it->second != msg) {
          violate(v, op, "offset " + std::to_string(off) + " of " + key + " holds " + it->second +
                             ", but a poll by " + op.node + " returned " + msg);
        }
        known.emplace(k, msg);
        polled.insert(k);
        max_polled[key] = std::max(max_polled[key], off);
        s.offs.push_back(off);
      }
      lists.push_back(std::move(s));
    }
  }
  // Lost writes first: the planted bug's own name for what went wrong.
  for (const auto& [k, w] : sent) {
    if (polled.count(k)) continue;
    const auto& op = ops.at(w.second);
    auto m = max_polled.find(k.first);
    if (m != max_polled.end() && m->second > k.second) {
      violate(v, op, "lost write: message " + w.first + " was acknowledged at offset " + std::to_string(k.second) +
                         " of " + k.first + ", no poll returned it, yet polls reached offset " + std::to_string(m->second));
      continue;
    }
    for (const auto& [n, f] : ops) {
      if (f.f == "poll" && f.final_read && f.status == "ok" && f.t_inv > op.t_done) {
        violate(v, op, "lost write: message " + w.first + " was acknowledged at offset " + std::to_string(k.second) +
                           " of " + k.first + " but the final poll by " + f.node + " does not return it");
        break;
      }
    }
  }
  // A poll skips when it jumps over an offset that holds a known message.
  for (const auto& s : lists) {
    for (size_t i = 1; i < s.offs.size(); ++i) {
      auto it = known.upper_bound({s.key, s.offs[i - 1]});
      if (it != known.end() && it->first.first == s.key && it->first.second < s.offs[i]) {
        violate(v, *s.op, "skip: a poll by " + s.op->node + " jumped from offset " + std::to_string(s.offs[i - 1]) +
                              " to " + std::to_string(s.offs[i]) + " of " + s.key + " over message " + it->second +
                              " at offset " + std::to_string(it->first.second));
      }
    }
  }
  v.enough = !sent.empty() && finals > 0;
  v.why_not = sent.empty() ? "no send was acknowledged" : "no final poll was answered";
  v.extra = std::to_string(sent.size()) + " sends acknowledged, " + std::to_string(polls) + " polls";
  return v;
}

Verdict check_lin_kv(const Ops& ops) {
  Verdict v;
  struct Ev {
    int64_t t;
    int phase;  // 0 invoke, 1 completion
    int64_t op;
  };
  std::vector<Ev> evs;
  for (const auto& [n, op] : ops) {
    evs.push_back({op.t_inv, 0, n});
    if (op.t_done >= 0 && op.status != "pending") evs.push_back({op.t_done, 1, n});
  }
  std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) {
    return a.t != b.t ? a.t < b.t : a.phase < b.phase;
  });
  analysis::history::Builder hb;
  using analysis::history::F;
  using analysis::history::Type;
  uint64_t oks = 0;
  uint64_t line = 0;
  for (const Ev& e : evs) {
    const auto& op = ops.at(e.op);
    const Json q = parse(op.req);
    const F f = op.f == "read" ? F::kRead : op.f == "write" ? F::kWrite : F::kCas;
    const std::string key = q.contains("key") ? q["key"].dump() : "null";
    std::string value = "null", cas_new;
    if (f == F::kWrite) value = q.value("value", Json()).dump();
    if (f == F::kCas) {
      value = q.value("from", Json()).dump();
      cas_new = q.value("to", Json()).dump();
    }
    Type type = Type::kInvoke;
    if (e.phase == 1) {
      const Json r = parse(op.resp);
      if (op.status == "ok") {
        type = Type::kOk;
        if (f == F::kRead) value = r.value("value", Json()).dump();
      } else if (op.status == "fail") {
        // A read of a key that does not exist observed it absent.
        type = f == F::kRead && op.code == 20 ? Type::kOk : Type::kFail;
      } else {
        type = Type::kInfo;
      }
      if (type == Type::kOk) ++oks;
    }
    const std::string err = hb.add(static_cast<uint32_t>(e.op), type, f, key, value, cas_new, e.t, ++line);
    if (!err.empty()) {
      violate(v, op, "the history is malformed: " + err);
      return v;
    }
  }
  const auto verdict = analysis::check_linearizable(hb.finish());
  v.enough = oks > 0;
  v.why_not = "no operation was acknowledged";
  if (verdict.status == Status::kViolated) {
    v.violation = analysis::Violation{verdict.at, "", "key " + verdict.key + " is not linearizable: " + verdict.witness};
  } else if (verdict.status == Status::kInconclusive) {
    v.enough = false;
    v.why_not = "the linearizability search ran out of budget: " + verdict.witness;
  }
  return v;
}

std::string quantiles(std::vector<int64_t> lat) {
  if (lat.empty()) return "no latencies";
  std::sort(lat.begin(), lat.end());
  auto q = [&](double p) { return analysis::format_time(lat[static_cast<size_t>(p * static_cast<double>(lat.size() - 1))]); };
  return "latency p50 " + q(0.5) + ", p95 " + q(0.95) + ", p99 " + q(0.99) + ", max " + analysis::format_time(lat.back());
}

}  // namespace

std::unique_ptr<analysis::Checker> make_checker() { return std::make_unique<MaelstromChecker>(); }

void MaelstromChecker::consume(const trace::Event& e) {
  if (e.kind == "send") {
    ++sends_all_;
    auto to = e.get_str("to");
    if (!is_service(e.node) && to && !is_service(*to)) ++sends_servers_;
    return;
  }
  if (e.kind == "m_mode") {
    if (auto w = e.get_str("workload")) workload_ = std::string(*w);
    if (auto m = e.get_str("mode"); m && *m != "deterministic") best_effort_ = true;
    return;
  }
  if (e.kind == "m_invoke") {
    auto op = e.get_int("op");
    auto f = e.get_str("f");
    auto body = e.get_str("body");
    if (!op || !f || !body) {
      if (error_.empty()) error_ = "an m_invoke event without op, f or body at " + analysis::format_time(e.t);
      return;
    }
    Op& o = ops_[*op];
    o.node = e.node;
    o.f = std::string(*f);
    o.req = std::string(*body);
    o.t_inv = e.t;
    const trace::Value* fin = e.find("final");
    o.final_read = fin && std::holds_alternative<bool>(*fin) && std::get<bool>(*fin);
    return;
  }
  if (e.kind == "m_complete") {
    auto op = e.get_int("op");
    auto type = e.get_str("type");
    auto body = e.get_str("body");
    if (!op || !type || !body || !ops_.count(*op)) {
      if (error_.empty()) error_ = "an m_complete event without a matching m_invoke at " + analysis::format_time(e.t);
      return;
    }
    Op& o = ops_[*op];
    o.status = std::string(*type);
    o.resp = std::string(*body);
    o.t_done = e.t;
    o.code = e.get_int("code").value_or(-1);
  }
}

analysis::CheckResult MaelstromChecker::finish() {
  CheckResult r;
  r.name = "maelstrom";
  r.kind = analysis::CheckKind::kSafety;
  if (!error_.empty()) {
    r.status = Status::kInconclusive;
    r.note = error_;
    return r;
  }
  if (workload_.empty()) {
    r.status = Status::kInconclusive;
    r.note = "no Maelstrom node started";
    return r;
  }
  Verdict v;
  if (workload_ == "echo") v = check_echo(ops_);
  else if (workload_ == "unique-ids") v = check_unique_ids(ops_);
  else if (workload_ == "broadcast") v = check_broadcast(ops_);
  else if (workload_ == "g-counter" || workload_ == "pn-counter") v = check_counter(ops_);
  else if (workload_ == "kafka") v = check_kafka(ops_);
  else v = check_lin_kv(ops_);
  uint64_t invoked = 0, ok = 0, fail = 0, info = 0, client_msgs = 0;
  std::vector<int64_t> lat;
  for (const auto& [n, op] : ops_) {
    ++invoked;
    ++client_msgs;
    if (op.status == "ok") {
      ++ok;
      lat.push_back(op.t_done - op.t_inv);
    }
    if (op.status == "fail") ++fail;
    if (op.status == "ok" || op.status == "fail") ++client_msgs;
    if (op.status == "info" || op.status == "pending") ++info;
  }
  char nums[256];
  const double per = invoked ? 1.0 / static_cast<double>(invoked) : 0.0;
  std::snprintf(nums, sizeof nums, "%llu ops: %llu ok, %llu fail, %llu indefinite (availability %.1f%%); msgs/op %.2f servers, %.2f all",
                static_cast<unsigned long long>(invoked), static_cast<unsigned long long>(ok),
                static_cast<unsigned long long>(fail), static_cast<unsigned long long>(info),
                invoked ? 100.0 * static_cast<double>(ok) * per : 0.0, static_cast<double>(sends_servers_) * per,
                static_cast<double>(sends_all_ + client_msgs) * per);
  r.note = workload_ + (best_effort_ ? " (best-effort mode: not reproducible)" : "") + ": " + nums + "; " +
           quantiles(lat) + (v.extra.empty() ? "" : "; " + v.extra);
  if (v.violation) {
    r.status = Status::kViolated;
    r.violation = v.violation;
    return r;
  }
  r.status = Status::kHeld;
  analysis::require_evidence(r, v.enough, v.why_not + " (" + r.note + ")");
  return r;
}

}  // namespace dsim::maelstrom
