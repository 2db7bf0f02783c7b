#include "analysis/linearizability.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <unordered_map>

#include "dsim/assert.h"

namespace dsim::analysis {
namespace {

using history::F;
using history::kNever;
using history::Op;
using history::Type;

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min();

// One operation of one key, values interned (0 = null).
struct KOp {
  F f;
  bool info;      // indeterminate in the history
  bool required;  // must be linearized (ok, or an observed info write)
  int32_t a = 0;  // write: value; cas: expected; read: value read
  int32_t b = 0;  // cas: new value
  int64_t inv = 0;
  int64_t ret = kNever;
  uint32_t src = 0;  // index into the history's ops
};

std::string time_text(int64_t t) { return t == kNever ? "never" : format_time(t); }

class KeyChecker {
 public:
  KeyChecker(const std::vector<Op>& all, const std::vector<uint32_t>& idx, const LinBudget& budget, LinStats* stats,
             std::chrono::steady_clock::time_point start)
      : all_(all), budget_(budget), stats_(stats), start_(start) {
    values_.push_back(std::string(history::kNull));
    ids_.emplace(std::string(history::kNull), 0);
    for (uint32_t i : idx) {
      const Op& o = all[i];
      if (o.status == Type::kFail || (o.status == Type::kInfo && o.f == F::kRead)) {
        ++stats_->dropped;
        continue;
      }
      KOp k;
      k.f = o.f;
      k.info = o.status == Type::kInfo;
      k.required = !k.info;
      k.a = intern(o.value);
      if (o.f == F::kCas) k.b = intern(o.cas_new);
      k.inv = o.invoke;
      k.ret = k.info ? kNever : o.complete;
      k.src = i;
      ops_.push_back(k);
    }
  }

  // Returns kHeld, kViolated (witness_ set) or kInconclusive.
  Status run() {
    reduce();
    if (!witness_.empty()) return Status::kViolated;
    if (unique_) {
      // The zone test's conditions are necessary for any history with
      // unique values (cas and info included); they are also sufficient
      // for reads and writes that all must take effect.
      const Status z = zones();
      if (z == Status::kViolated || zone_applicable()) {
        ++stats_->zone_keys;
        return z;
      }
    }
    ++stats_->search_keys;
    return search();
  }
  const std::string& witness() const { return witness_; }
  int64_t at() const { return at_; }

 private:
  int32_t intern(const std::string& v) {
    auto [it, fresh] = ids_.emplace(v, static_cast<int32_t>(values_.size()));
    if (fresh) values_.push_back(v);
    return it->second;
  }
  const std::string& value(int32_t id) const { return values_[static_cast<size_t>(id)]; }
  static int32_t written(const KOp& k) { return k.f == F::kWrite ? k.a : k.f == F::kCas ? k.b : -1; }

  std::string describe(const KOp& k) const {
    const Op& o = all_[k.src];
    std::string s = "process " + std::to_string(o.process) + " ";
    switch (k.f) {
      case F::kRead: s += "read " + value(k.a); break;
      case F::kWrite: s += "write " + value(k.a); break;
      case F::kCas: s += "cas " + value(k.a) + "->" + value(k.b); break;
    }
    s += " [" + time_text(o.invoke) + ", " + (k.info ? "info" : time_text(o.complete)) + "]";
    if (o.line) s += " (line " + std::to_string(o.line) + ")";
    return s;
  }

  // ---- Reduction (see the header for why each step is sound).
  void reduce() {
    std::vector<uint8_t> observed(values_.size(), 0);  // by an ok read, or any cas's expected
    std::vector<int64_t> first_seen(values_.size(), kNever);  // earliest completion of an ok observer
    std::vector<uint32_t> writers(values_.size(), 0);
    for (const KOp& k : ops_) {
      if ((k.f == F::kRead && !k.info) || k.f == F::kCas) observed[static_cast<size_t>(k.a)] = 1;
      if (!k.info && k.f != F::kWrite) {
        first_seen[static_cast<size_t>(k.a)] = std::min(first_seen[static_cast<size_t>(k.a)], k.ret);
      }
    }
    std::vector<KOp> kept;
    for (const KOp& k : ops_) {
      if (k.info && !observed[static_cast<size_t>(written(k))]) {
        ++stats_->dropped;
        continue;
      }
      if (written(k) >= 0) ++writers[static_cast<size_t>(written(k))];
      kept.push_back(k);
    }
    ops_ = std::move(kept);
    unique_ = std::all_of(writers.begin(), writers.end(), [](uint32_t n) { return n <= 1; });
    // An ok read (or ok cas) of a value nobody wrote cannot be linearized.
    for (const KOp& k : ops_) {
      if (k.info || k.f == F::kWrite || k.a == 0 || writers[static_cast<size_t>(k.a)] > 0) continue;
      witness_ = describe(k) + " expected " + value(k.a) + ", which no operation on this key wrote";
      return;
    }
    if (!unique_) return;
    for (KOp& k : ops_) {
      if (!k.info || written(k) < 0) continue;
      const int64_t by = first_seen[static_cast<size_t>(written(k))];
      if (by == kNever) continue;  // observed only by indeterminate cas: stays optional
      k.required = true;
      k.ret = by;
      ++stats_->pinned;
      if (by < k.inv) {
        witness_ = "the value " + value(written(k)) + " was observed by an operation that completed at " +
                   time_text(by) + ", before " + describe(k) + " began";
        return;
      }
    }
  }

  bool zone_applicable() const {
    return unique_ && std::all_of(ops_.begin(), ops_.end(), [](const KOp& k) { return k.f != F::kCas && k.required; });
  }

  // ---- Gibbons & Korach, per value ("cluster"): with unique values, value
  // v holds the register during one contiguous stretch of any
  // linearization (it is written once), and every op that must see v (its
  // required reads, and a required cas from v) lies in that stretch, after
  // v's writer. So the stretch covers [earliest completion, latest invoke]
  // of those ops (a forward zone, when that is not empty), and stretches
  // of different values do not overlap. For reads and writes only, with
  // all ops required, these conditions are also sufficient.
  Status zones() {
    struct Cluster {
      int64_t min_ret = kNever, max_inv = kMinTime;
      int32_t write = -1;  // index into ops_, -1 for the initial null
      std::vector<int32_t> reads;
    };
    std::vector<Cluster> clusters(values_.size());
    clusters[0].min_ret = kMinTime;  // the initial value is "written" before everything
    clusters[0].max_inv = kMinTime;
    std::vector<uint8_t> optional_writer(values_.size(), 0);
    for (size_t i = 0; i < ops_.size(); ++i) {
      const KOp& k = ops_[i];
      if (written(k) >= 0) {  // v's writer (a write, or a cas to v)
        Cluster& c = clusters[static_cast<size_t>(written(k))];
        c.write = static_cast<int32_t>(i);
        optional_writer[static_cast<size_t>(written(k))] = !k.required;
        c.min_ret = std::min(c.min_ret, k.ret);
        c.max_inv = std::max(c.max_inv, k.inv);
      }
      if (k.f != F::kWrite && k.required) {  // must see a (a read, or a cas from a)
        Cluster& c = clusters[static_cast<size_t>(k.a)];
        c.reads.push_back(static_cast<int32_t>(i));
        c.min_ret = std::min(c.min_ret, k.ret);
        c.max_inv = std::max(c.max_inv, k.inv);
      }
    }
    // A read must not complete before its write begins.
    for (const Cluster& c : clusters) {
      if (c.write < 0) continue;
      const KOp& w = ops_[static_cast<size_t>(c.write)];
      for (int32_t r : c.reads) {
        if (ops_[static_cast<size_t>(r)].ret < w.inv) {
          at_ = ops_[static_cast<size_t>(r)].ret;
          witness_ = describe(ops_[static_cast<size_t>(r)]) + " completed before " + describe(w) + " began";
          return Status::kViolated;
        }
      }
    }
    struct Zone {
      int64_t lo, hi;
      size_t cluster;
    };
    std::vector<Zone> forward, backward;
    for (size_t v = 0; v < clusters.size(); ++v) {
      const Cluster& c = clusters[v];
      if (v != 0 && c.write < 0) continue;  // reads of unwritten values were caught in reduce()
      if (optional_writer[v]) continue;     // nothing requires v to have been written
      if (c.min_ret < c.max_inv) forward.push_back({c.min_ret, c.max_inv, v});
      else backward.push_back({c.max_inv, c.min_ret, v});
    }
    std::sort(forward.begin(), forward.end(), [](const Zone& x, const Zone& y) { return x.lo < y.lo; });
    auto cluster_text = [&](size_t v) {
      const Cluster& c = clusters[v];
      std::string s = "value " + value(static_cast<int32_t>(v));
      s += c.write < 0 ? " (the initial value)" : ": " + describe(ops_[static_cast<size_t>(c.write)]);
      // The ops that pin the value's stretch: the first to complete and
      // the last to begin among those that see it.
      int32_t first_done = -1, last_begun = -1;
      for (int32_t r : c.reads) {
        const KOp& k = ops_[static_cast<size_t>(r)];
        if (first_done < 0 || k.ret < ops_[static_cast<size_t>(first_done)].ret) first_done = r;
        if (last_begun < 0 || k.inv > ops_[static_cast<size_t>(last_begun)].inv) last_begun = r;
      }
      if (first_done >= 0 && (c.write < 0 || ops_[static_cast<size_t>(first_done)].ret < ops_[static_cast<size_t>(c.write)].ret)) {
        s += "\n        seen by " + describe(ops_[static_cast<size_t>(first_done)]) + " (the first to complete)";
      }
      if (last_begun >= 0) s += "\n        seen by " + describe(ops_[static_cast<size_t>(last_begun)]) + " (the last to begin)";
      if (c.reads.size() > 2) s += "\n        (" + std::to_string(c.reads.size()) + " operations see it)";
      return s;
    };
    // Forward zones must not overlap: each is a stretch during which its
    // value must be the register's.
    for (size_t i = 1, widest = 0; i < forward.size(); ++i) {
      if (forward[i].lo < forward[widest].hi) {
        const Zone& a = forward[widest];
        const Zone& b = forward[i];
        at_ = b.lo;
        witness_ = "two values would both have to hold the register during [" + time_text(b.lo) + ", " +
                   time_text(std::min(a.hi, b.hi)) + "]:\n    " + cluster_text(a.cluster) + "\n    " +
                   cluster_text(b.cluster);
        return Status::kViolated;
      }
      if (forward[i].hi > forward[widest].hi) widest = i;
    }
    // A backward zone (a value whose write and reads all overlap) needs an
    // instant outside every forward zone.
    for (const Zone& z : backward) {
      auto it = std::lower_bound(forward.begin(), forward.end(), z.lo, [](const Zone& f, int64_t t) { return f.lo < t; });
      if (it == forward.begin()) continue;
      const Zone& f = *std::prev(it);  // the last forward zone starting before z.lo: the only candidate
      if (f.lo < z.lo && z.hi < f.hi) {
        at_ = z.lo;
        witness_ = "a value must take effect during [" + time_text(z.lo) + ", " + time_text(z.hi) +
                   "] while another holds the register all of [" + time_text(f.lo) + ", " + time_text(f.hi) + "]:\n    " +
                   cluster_text(z.cluster) + "\n    " + cluster_text(f.cluster);
        return Status::kViolated;
      }
    }
    return Status::kHeld;
  }

  // ---- Wing & Gong / Lowe search with memoization.
  struct Slot {
    uint64_t h1 = 0, h2 = 0;
    int32_t state = 0;
    uint32_t used = 0;
  };

  bool cache_insert(uint64_t h1, uint64_t h2, int32_t state) {
    if ((cache_size_ + 1) * 2 > cache_.size()) {
      if (cache_.size() / 2 >= budget_.max_cache_entries) {
        full_ = true;
        return false;
      }
      std::vector<Slot> old = std::move(cache_);
      cache_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
      cache_size_ = 0;
      for (const Slot& s : old) {
        if (s.used) place(s.h1, s.h2, s.state);
      }
    }
    return place(h1, h2, state);
  }
  bool place(uint64_t h1, uint64_t h2, int32_t state) {
    const size_t mask = cache_.size() - 1;
    size_t i = static_cast<size_t>(h1 ^ (static_cast<uint64_t>(static_cast<uint32_t>(state)) * 0x9E3779B97F4A7C15ull)) & mask;
    for (;; i = (i + 1) & mask) {
      Slot& s = cache_[i];
      if (!s.used) {
        s = Slot{h1, h2, state, 1};
        ++cache_size_;
        return true;
      }
      if (s.h1 == h1 && s.h2 == h2 && s.state == state) return false;
    }
  }

  static uint64_t mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }

  bool step(const KOp& k, int32_t state, int32_t* next) const {
    switch (k.f) {
      case F::kRead: *next = state; return state == k.a;
      case F::kWrite: *next = k.a; return true;
      case F::kCas:
        *next = k.b;
        return state == k.a;
    }
    return false;
  }

  Status search() {
    const auto n = static_cast<int32_t>(ops_.size());
    // Entries: calls and returns, in time order, calls first at equal times
    // (closed intervals: an op returning at t overlaps one invoked at t).
    struct E {
      int64_t t;
      int32_t op;
      bool call;
    };
    std::vector<E> es;
    es.reserve(ops_.size() * 2);
    int32_t required = 0;
    for (int32_t i = 0; i < n; ++i) {
      es.push_back({ops_[static_cast<size_t>(i)].inv, i, true});
      if (ops_[static_cast<size_t>(i)].ret != kNever) es.push_back({ops_[static_cast<size_t>(i)].ret, i, false});
      if (ops_[static_cast<size_t>(i)].required) ++required;
    }
    std::stable_sort(es.begin(), es.end(), [](const E& x, const E& y) {
      return x.t != y.t ? x.t < y.t : (x.call && !y.call);
    });
    // A doubly linked list over entries; index m is the head sentinel.
    const auto m = static_cast<int32_t>(es.size());
    std::vector<int32_t> next(static_cast<size_t>(m) + 1), prev(static_cast<size_t>(m) + 1), ret_of(static_cast<size_t>(n), -1);
    for (int32_t i = 0; i < m; ++i) {
      next[static_cast<size_t>(i)] = i + 1 < m ? i + 1 : -1;
      prev[static_cast<size_t>(i)] = i > 0 ? i - 1 : m;
      if (!es[static_cast<size_t>(i)].call) ret_of[static_cast<size_t>(es[static_cast<size_t>(i)].op)] = i;
    }
    next[static_cast<size_t>(m)] = m > 0 ? 0 : -1;
    auto unlink = [&](int32_t e) {
      const int32_t p = prev[static_cast<size_t>(e)], q = next[static_cast<size_t>(e)];
      next[static_cast<size_t>(p)] = q;
      if (q >= 0) prev[static_cast<size_t>(q)] = p;
    };
    auto relink = [&](int32_t e) {
      const int32_t p = prev[static_cast<size_t>(e)], q = next[static_cast<size_t>(e)];
      next[static_cast<size_t>(p)] = e;
      if (q >= 0) prev[static_cast<size_t>(q)] = e;
    };
    std::vector<uint64_t> z1(static_cast<size_t>(n)), z2(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) {
      z1[static_cast<size_t>(i)] = mix(static_cast<uint64_t>(i) * 2 + 1);
      z2[static_cast<size_t>(i)] = mix(~(static_cast<uint64_t>(i) * 2 + 1));
    }
    struct Frame {
      int32_t call;
      int32_t state;
    };
    // With unique values a value, once overwritten, never returns: an op
    // that would overwrite u while a required op still has to see u (read
    // it, or cas from it) leads nowhere, and is not tried.
    std::vector<int32_t> need(values_.size(), 0);
    if (unique_) {
      for (const KOp& k : ops_) {
        if (k.required && k.f != F::kWrite) ++need[static_cast<size_t>(k.a)];
      }
    }
    auto consumes = [&](const KOp& k) { return unique_ && k.required && k.f != F::kWrite; };
    std::vector<Frame> stack;
    int32_t state = 0, done = 0, best = -1, best_state = 0, best_op = -1, best_last = -1;
    uint64_t h1 = 0, h2 = 0;
    int32_t e = next[static_cast<size_t>(m)];
    while (done < required) {
      if ((++stats_->steps & 0xFFFF) == 0) {
        if (stats_->steps > budget_.max_steps) {
          witness_ = "the step budget (" + std::to_string(budget_.max_steps) + ") ran out";
          return Status::kInconclusive;
        }
        if (budget_.max_wall_ms > 0 &&
            std::chrono::steady_clock::now() - start_ > std::chrono::milliseconds(budget_.max_wall_ms)) {
          witness_ = "the time budget (" + format_time(budget_.max_wall_ms * 1'000'000) + ") ran out";
          return Status::kInconclusive;
        }
      }
      if (e >= 0 && es[static_cast<size_t>(e)].call) {
        const int32_t op = es[static_cast<size_t>(e)].op;
        const KOp& k = ops_[static_cast<size_t>(op)];
        int32_t ns = 0;
        const bool strands = unique_ && step(k, state, &ns) && ns != state &&
                             need[static_cast<size_t>(state)] > (consumes(k) ? 1 : 0);
        if (!strands && step(k, state, &ns)) {
          const uint64_t n1 = h1 ^ z1[static_cast<size_t>(op)], n2 = h2 ^ z2[static_cast<size_t>(op)];
          if (cache_insert(n1, n2, ns)) {
            stack.push_back({e, state});
            state = ns;
            h1 = n1;
            h2 = n2;
            unlink(e);
            if (ret_of[static_cast<size_t>(op)] >= 0) unlink(ret_of[static_cast<size_t>(op)]);
            if (k.required) ++done;
            if (consumes(k)) --need[static_cast<size_t>(k.a)];
            e = next[static_cast<size_t>(m)];
            continue;
          }
          if (full_) {
            witness_ = "the memo cache budget (" + std::to_string(budget_.max_cache_entries) + " entries) ran out";
            return Status::kInconclusive;
          }
        }
        e = next[static_cast<size_t>(e)];
        continue;
      }
      // A return entry (or the end): that op had to be linearized by now.
      if (e >= 0 && done > best) {
        at_ = es[static_cast<size_t>(e)].t;
        best = done;
        best_state = state;
        best_op = es[static_cast<size_t>(e)].op;
        best_last = stack.empty() ? -1 : es[static_cast<size_t>(stack.back().call)].op;
      }
      if (stack.empty()) {
        witness_ = search_witness(best, required, best_state, best_op, best_last);
        return Status::kViolated;
      }
      const Frame f = stack.back();
      stack.pop_back();
      const int32_t op = es[static_cast<size_t>(f.call)].op;
      h1 ^= z1[static_cast<size_t>(op)];
      h2 ^= z2[static_cast<size_t>(op)];
      state = f.state;
      if (ret_of[static_cast<size_t>(op)] >= 0) relink(ret_of[static_cast<size_t>(op)]);
      relink(f.call);
      if (ops_[static_cast<size_t>(op)].required) --done;
      if (consumes(ops_[static_cast<size_t>(op)])) ++need[static_cast<size_t>(ops_[static_cast<size_t>(op)].a)];
      e = next[static_cast<size_t>(f.call)];
    }
    stats_->cache_entries += cache_size_;
    return Status::kHeld;
  }

  std::string search_witness(int32_t best, int32_t required, int32_t state, int32_t op, int32_t last) const {
    std::string s = "at most " + std::to_string(std::max(best, 0)) + " of " + std::to_string(required) +
                    " operations can be linearized; ";
    s += last >= 0 ? "after " + describe(ops_[static_cast<size_t>(last)]) + " the register holds " + value(state)
                   : "at the start the register holds null";
    if (op < 0) return s;
    const KOp& k = ops_[static_cast<size_t>(op)];
    s += ", and " + describe(k) + " cannot take effect before it returns. Operations concurrent with it:";
    size_t shown = 0;
    for (const KOp& o : ops_) {
      if (&o == &k || o.inv > k.ret || o.ret < k.inv) continue;
      if (shown++ == 8) {
        s += " ...";
        break;
      }
      s += "\n    " + describe(o);
    }
    if (shown == 0) s += " none";
    return s;
  }

  const std::vector<Op>& all_;
  const LinBudget& budget_;
  LinStats* stats_;
  std::chrono::steady_clock::time_point start_;
  std::vector<std::string> values_;
  std::unordered_map<std::string, int32_t> ids_;
  std::vector<KOp> ops_;
  bool unique_ = false;
  std::string witness_;
  int64_t at_ = 0;  // roughly where the violation is
  std::vector<Slot> cache_;
  size_t cache_size_ = 0;
  bool full_ = false;
};

}  // namespace

LinVerdict check_linearizable(const std::vector<Op>& ops, const LinBudget& budget) {
  LinVerdict v;
  v.stats.ops = ops.size();
  std::map<std::string, std::vector<uint32_t>> by_key;
  for (uint32_t i = 0; i < ops.size(); ++i) by_key[ops[i].key].push_back(i);
  v.stats.keys = by_key.size();
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [key, idx] : by_key) {
    KeyChecker k(ops, idx, budget, &v.stats, start);
    const Status s = k.run();
    if (s == Status::kHeld) continue;
    // A violation on any key decides the history; an inconclusive key only
    // if no other key is violated.
    if (s == Status::kViolated || v.status == Status::kHeld) {
      v.status = s;
      v.key = key;
      v.witness = k.witness();
      v.at = k.at();
    }
    if (s == Status::kViolated) break;
  }
  return v;
}

CheckResult Linearizable::finish() {
  CheckResult r{std::string(name()), kind(), Status::kHeld, std::nullopt, {}};
  if (!ops_.error().empty()) {
    r.status = Status::kInconclusive;
    r.note = "the client events are not a valid history: " + ops_.error();
    return r;
  }
  const std::vector<history::Op> ops = ops_.finish();
  const LinVerdict v = check_linearizable(ops);
  r.status = v.status;
  const std::string stats = std::to_string(v.stats.ops) + " operations on " + std::to_string(v.stats.keys) + " keys";
  if (v.status == Status::kViolated) {
    r.violation = Violation{v.at, "*", "key " + v.key + ": " + v.witness};
  } else if (v.status == Status::kInconclusive) {
    r.note = "key " + v.key + ": " + v.witness + " (" + stats + ")";
  } else {
    r.note = stats + " are linearizable";
  }
  const bool any_ok = std::any_of(ops.begin(), ops.end(), [](const history::Op& o) { return o.status == history::Type::kOk; });
  require_evidence(r, any_ok, "no operation completed ok (" + std::to_string(ops.size()) + " operations)");
  return r;
}

}  // namespace dsim::analysis
