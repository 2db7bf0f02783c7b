#include "protocols/coord/checkers.h"

#include <algorithm>
#include <limits>

#include "dsim/text.h"

namespace dsim::analysis {
namespace {

constexpr int64_t kForever = std::numeric_limits<int64_t>::max();
const std::string kPrefix = "/services/svc/";

std::set<std::string> members(std::string_view s) {
  std::set<std::string> out;
  for (std::string_view m : split(s, ',')) out.emplace(m);
  return out;
}

std::string names(const std::set<std::string>& s) {
  std::string out;
  for (const auto& n : s) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "nobody" : out;
}

}  // namespace

void Registry::die(const std::string& name, int64_t t) {
  Life& l = lives_[name];
  if (!l.alive) return;
  l.alive = false;
  l.since = t;
  l.dead.emplace_back(t, kForever);
}

bool Registry::consume(const trace::Event& e) {
  if (e.kind != "znode_created" && e.kind != "znode_deleted" && e.kind != "session_expired") return false;
  if (auto index = e.get_int("index")) {
    if (!seen_.emplace(*index, e.kind, std::string(e.get_str("path").value_or("")), e.get_int("session").value_or(0)).second) {
      return false;  // a repeat of an entry's effect already counted
    }
  }
  if (e.kind == "znode_created") {
    const std::string path(e.get_str("path").value_or(""));
    if (path.rfind(kPrefix, 0) != 0) return false;
    Life& l = lives_[path.substr(kPrefix.size())];
    if (l.alive) return false;
    if (!l.dead.empty() && l.dead.back().second == kForever) l.dead.back().second = e.t;
    l.alive = true;
    l.since = e.t;
    l.session = e.get_int("session").value_or(0);
    return true;
  }
  if (e.kind == "znode_deleted") {
    const std::string path(e.get_str("path").value_or(""));
    if (path.rfind(kPrefix, 0) != 0) return false;
    die(path.substr(kPrefix.size()), e.t);
    return true;
  }
  if (e.kind == "session_expired") {
    const int64_t s = e.get_int("session").value_or(-1);
    bool changed = false;
    for (auto& [name, l] : lives_) {
      if (l.alive && l.session == s) {
        die(name, e.t);
        changed = true;
      }
    }
    return changed;
  }
  return false;
}

// ---- discovery_safety -------------------------------------------------------

void DiscoverySafety::judge(const std::string& watcher, const View& v, int64_t until) {
  if (first_) return;
  for (const auto& m : v.members) {
    auto it = reg_.instances().find(m);
    if (it == reg_.instances().end()) continue;
    for (const auto& [from, to] : it->second.dead) {
      const int64_t stale_from = std::max(v.since, from + bound_);
      if (std::min(until, to) > stale_from) {
        first_ = Violation{stale_from, watcher,
                           watcher + "'s view still lists " + m + " at " + format_time(stale_from) + ", " +
                               format_time(stale_from - from) + " after its session expired or its node was deleted (at " +
                               format_time(from) + "; bound " + format_time(bound_) + ")"};
        return;
      }
    }
  }
}

void DiscoverySafety::consume(const trace::Event& e) {
  end_ = std::max(end_, e.t);
  reg_.consume(e);
  if (e.kind != "view") return;
  ++views_seen_;
  auto [it, fresh] = views_.try_emplace(e.node);
  if (!fresh) judge(e.node, it->second, e.t);
  it->second = View{e.t, members(e.get_str("members").value_or(""))};
}

CheckResult DiscoverySafety::finish() {
  for (const auto& [w, v] : views_) judge(w, v, end_);
  CheckResult r{std::string(name()), kind(), first_ ? Status::kViolated : Status::kHeld, first_, {}};
  if (!first_) r.note = std::to_string(views_seen_) + " views, none listing an instance dead for longer than " + format_time(bound_);
  require_evidence(r, views_seen_ > 0, "no watcher reported a view");
  return r;
}

// ---- discovery_liveness ------------------------------------------------------

void DiscoveryLiveness::consume(const trace::Event& e) {
  faults_.consume(e);
  reg_.consume(e);
  if (e.kind == "view") {
    const trace::Value* c = e.find("connected");
    const bool connected = c && std::holds_alternative<bool>(*c) && std::get<bool>(*c);
    views_[e.node].push_back({e.t, connected, members(e.get_str("members").value_or(""))});
  } else if (e.kind == "crash") {
    crashes_.emplace_back(e.t, e.node);
  }
}

CheckResult DiscoveryLiveness::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, std::nullopt, {}};
  const int64_t quiet = faults_.quiet_since(), end = faults_.end_time();
  if (faults_.partitioned_at_end()) {
    r.status = Status::kInconclusive;
    r.note = "the network is still partitioned at the end of the run";
    return r;
  }
  if (quiet + within_ > end) {
    r.status = Status::kInconclusive;
    r.note = "the run ended before " + format_time(quiet + within_) + ", the bound after the last fault";
    return r;
  }
  auto view_at = [&](const std::vector<ViewAt>& h, int64_t t) -> const ViewAt* {
    const ViewAt* v = nullptr;
    for (const auto& x : h) {
      if (x.t > t) break;
      v = &x;
    }
    return v;
  };
  auto fail = [&](int64_t t, const std::string& who, const std::string& msg) {
    r.status = Status::kViolated;
    r.violation = Violation{t, who, msg};
  };
  // 1. Registrations appear in every connected watcher's view in time.
  uint64_t checked = 0;
  for (const auto& [m, life] : reg_.instances()) {
    // The start of the current (or last) life, if it began after the quiet point.
    const int64_t born = life.alive ? life.since : (life.dead.empty() ? life.since : life.dead.back().first);
    if (!life.alive) continue;
    const int64_t due = std::max(born, quiet) + within_;
    if (due > end) continue;
    for (const auto& [w, h] : views_) {
      const ViewAt* v = view_at(h, due);
      if (!v || !v->connected) continue;
      ++checked;
      if (!v->members.count(m)) {
        fail(due, w, w + " does not list " + m + " at " + format_time(due) + " (registered at " + format_time(born) +
                         ", bound " + format_time(within_) + "); it sees " + names(v->members));
        return r;
      }
    }
  }
  // 2. A crashed instance is gone in time.
  for (const auto& [t, node] : crashes_) {
    auto it = reg_.instances().find(node);
    if (it == reg_.instances().end() || t + within_ > end || t < quiet - within_) continue;
    bool gone = false;
    for (const auto& [from, to] : it->second.dead) gone = gone || (from >= t && from <= t + within_);
    if (!gone) {
      fail(t + within_, node, node + " crashed at " + format_time(t) + " and its node was not gone by " + format_time(t + within_));
      return r;
    }
  }
  // 3. At the end, every watcher is connected and sees the live instances.
  std::set<std::string> live;
  for (const auto& [m, life] : reg_.instances()) {
    if (life.alive && life.since + within_ <= end) live.insert(m);
  }
  for (const auto& [w, h] : views_) {
    const ViewAt& v = h.back();
    if (!v.connected || v.members != live) {
      if (v.t + within_ > end && v.connected) continue;  // changed too recently to judge
      fail(end, w, w + (v.connected ? " ends seeing " + names(v.members) : std::string(" ends disconnected")) +
                       "; the live instances are " + names(live));
      return r;
    }
  }
  r.note = std::to_string(checked) + " appearances in time; every watcher ends seeing " + names(live);
  require_evidence(r, !views_.empty(), "no watcher reported a view");
  require_evidence(r, checked > 0, "no registration was due in a connected watcher's view before the end");
  return r;
}

}  // namespace dsim::analysis
