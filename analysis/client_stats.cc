#include "analysis/client_stats.h"

#include <algorithm>
#include <limits>

#include "dsim/text.h"

namespace dsim::analysis {
namespace {

int64_t percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

void ClientStats::consume(const trace::Event& e) {
  if (e.kind == "partition" || e.kind == "isolate") {
    // groups "n1,n2,c1|n3,n4,n5,c2": a client's side is its group's servers.
    side_of_.clear();
    for (std::string_view g : split(e.get_str("groups").value_or(""), '|')) {
      const std::vector<std::string_view> members = split(g, ',');
      std::string label;
      for (std::string_view m : members) {
        if (clients_.count(std::string(m))) continue;
        if (!label.empty()) label += ',';
        label += m;
      }
      for (std::string_view m : members) {
        if (clients_.count(std::string(m))) side_of_[std::string(m)] = label;
      }
    }
    return;
  }
  if (e.kind == "heal") {
    side_of_.clear();
    return;
  }
  const bool invoke = e.kind == "invoke";
  if (!invoke && e.kind != "ok" && e.kind != "fail" && e.kind != "info") return;
  const auto f = e.get_str("f");
  if (!f) return;
  if (invoke) {
    Op op;
    op.client = e.node;
    op.key = std::string(e.get_str("key").value_or(""));
    op.read = *f == "read";
    op.write = *f == "write";
    if (op.write) op.value = e.get_int("value").value_or(0);
    op.invoke = e.t;
    if (auto s = side_of_.find(e.node); s != side_of_.end()) op.side = s->second;
    open_[e.node] = ops_.size();
    ops_.push_back(std::move(op));
    return;
  }
  auto it = open_.find(e.node);
  if (it == open_.end()) return;
  Op& op = ops_[it->second];
  open_.erase(it);
  op.complete = e.t;
  op.status = e.kind == "ok" ? 'o' : e.kind == "fail" ? 'f' : 'i';
  if (op.read && op.status == 'o') {
    if (auto v = e.get_int("value")) {
      op.value = *v;
      op.has_value = true;
    }
  }
}

ClientReport ClientStats::finish() const {
  ClientReport rep;
  rep.overall.label = "all";
  std::map<std::string, SideStats> sides;
  std::map<std::string, std::vector<int64_t>> lat;
  // Per key: ok writes by value, and all ok writes.
  std::map<std::string, std::map<int64_t, const Op*>> writer;
  std::map<std::string, std::vector<const Op*>> writes;
  for (const Op& op : ops_) {
    if (op.write && op.status == 'o') {
      writer[op.key][op.value] = &op;
      writes[op.key].push_back(&op);
      ++rep.writes_acked;
    }
  }
  auto count = [&](SideStats& s, const Op& op, std::vector<int64_t>& l) {
    ++s.attempted;
    if (op.status == 'o') {
      ++s.ok;
      l.push_back(op.complete - op.invoke);
    } else if (op.status == 'f') {
      ++s.fail;
    } else {
      ++s.info;  // info, or still open at the end
    }
  };
  std::map<std::string, const Op*> last_read;
  // The write of the value a read returned: nullptr for null (the initial
  // value); `found` false when no acknowledged write wrote it.
  auto value_writer = [&](const Op& r, bool* found) -> const Op* {
    *found = true;
    if (!r.has_value) return nullptr;
    auto w = writer[r.key].find(r.value);
    if (w == writer[r.key].end()) {
      *found = false;
      return nullptr;
    }
    return w->second;
  };
  auto older = [](const Op* a, const Op* b) {  // a's value definitely older than b's
    if (!b) return false;
    return !a || a->complete < b->invoke;
  };
  std::map<std::pair<std::string, std::string>, const Op*> own_write, prev_read;  // (client, key)
  std::vector<int64_t> stale_by;
  for (const Op& op : ops_) {  // invoke order: a client's own writes come before its later reads
    SideStats* side = nullptr;
    if (!op.side.empty()) {
      side = &sides[op.side];
      side->label = op.side;
    }
    count(rep.overall, op, lat["all"]);
    if (side) count(*side, op, lat[op.side]);
    if (op.write && op.status == 'o') own_write[{op.client, op.key}] = &op;
    if (!op.read || op.status != 'o') continue;
    bool found = false;
    const Op* vw = value_writer(op, &found);
    if (found) {
      if (auto own = own_write.find({op.client, op.key}); own != own_write.end() && older(vw, own->second)) {
        ++rep.ryw_violations;
      }
      auto& prev = prev_read[{op.client, op.key}];
      if (prev) {
        bool pf = false;
        const Op* pw = value_writer(*prev, &pf);
        if (pf && older(vw, pw)) ++rep.monotonic_violations;
      }
      prev = &op;
    }
    const Op*& last = last_read[op.key];
    if (!last || last->invoke < op.invoke) last = &op;
    // Stale: a write acknowledged before this read began, and begun after
    // the write of the value read was acknowledged.
    int64_t since = std::numeric_limits<int64_t>::min();  // null: never written
    if (op.has_value) {
      auto w = writer[op.key].find(op.value);
      if (w == writer[op.key].end()) continue;  // an info write's value: no ordering known
      since = w->second->complete;
    }
    bool stale = false;
    uint64_t behind = 0;
    int64_t first_newer = std::numeric_limits<int64_t>::max();
    for (const Op* w : writes[op.key]) {
      if (w->complete < op.invoke && w->invoke > since) {
        stale = true;
        ++behind;
        first_newer = std::min(first_newer, w->complete);
      }
    }
    if (stale) {
      stale_by.push_back(op.invoke - first_newer);
      rep.max_versions_behind = std::max(rep.max_versions_behind, behind);
    }
    ++rep.overall.reads_ok;
    if (stale) ++rep.overall.stale_reads;
    if (side) {
      ++side->reads_ok;
      if (stale) ++side->stale_reads;
    }
  }
  // Lost: the key's last read returned a value older than an acknowledged
  // write that completed before that read began.
  for (const auto& [key, r] : last_read) {
    bool found = false;
    const Op* fw = value_writer(*r, &found);
    if (!found) continue;
    for (const Op* w : writes[key]) {
      if (w->complete < r->invoke && older(fw, w)) ++rep.lost_writes;
    }
  }
  rep.stale_by_p50_ns = percentile(stale_by, 0.5);
  rep.stale_by_p99_ns = percentile(stale_by, 0.99);
  // Freshness by delay after the acknowledgement.
  static constexpr int64_t kMs = 1'000'000;
  static constexpr int64_t kEdges[] = {0, 1 * kMs, 2 * kMs, 5 * kMs, 10 * kMs, 20 * kMs, 50 * kMs, 100 * kMs,
                                       200 * kMs, 500 * kMs, 1000 * kMs};
  for (size_t i = 0; i + 1 < std::size(kEdges); ++i) rep.curve.push_back({kEdges[i], kEdges[i + 1], 0, 0});
  const int64_t horizon = kEdges[std::size(kEdges) - 1];
  for (auto& [key, ws] : writes) {
    std::vector<const Op*> by_ack = ws;
    std::sort(by_ack.begin(), by_ack.end(), [](const Op* a, const Op* b) { return a->complete < b->complete; });
    for (const Op& r : ops_) {
      if (!r.read || r.status != 'o' || r.key != key) continue;
      bool found = false;
      const Op* vw = value_writer(r, &found);
      if (!found) continue;
      auto lo = std::lower_bound(by_ack.begin(), by_ack.end(), r.invoke - horizon,
                                 [](const Op* w, int64_t t) { return w->complete <= t; });
      for (auto it = lo; it != by_ack.end() && (*it)->complete <= r.invoke; ++it) {
        const int64_t d = r.invoke - (*it)->complete;
        const auto b = static_cast<size_t>(std::upper_bound(std::begin(kEdges), std::end(kEdges), d) - std::begin(kEdges)) - 1;
        if (b >= rep.curve.size()) continue;
        ++rep.curve[b].pairs;
        if (!older(vw, *it)) ++rep.curve[b].fresh;
      }
    }
  }
  rep.overall.p50_ns = percentile(lat["all"], 0.5);
  rep.overall.p99_ns = percentile(lat["all"], 0.99);
  for (auto& [label, s] : sides) {
    s.p50_ns = percentile(lat[label], 0.5);
    s.p99_ns = percentile(lat[label], 0.99);
    rep.sides.push_back(s);
  }
  // Minority side first reads better: fewer servers first.
  std::stable_sort(rep.sides.begin(), rep.sides.end(), [](const SideStats& a, const SideStats& b) {
    return std::count(a.label.begin(), a.label.end(), ',') < std::count(b.label.begin(), b.label.end(), ',');
  });
  return rep;
}

}  // namespace dsim::analysis
