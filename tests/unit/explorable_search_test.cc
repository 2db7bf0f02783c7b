// The explorable API end to end, on the protocol side: a minimal
// breadth-first search over single-decree Paxos, built only from
// Node::clone / Node::fingerprint and Checker::clone / Checker::fingerprint
// (any message in flight may be delivered next; a node's timers fire in due
// order on its own clock). It shows that the fingerprints close the search
// (a configuration with bounded rounds is exhausted, with a fixed number of
// distinct states, the same on every run) and that the cloned checkers find
// a planted bug on the way.
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "protocols/paxos/checkers.h"
#include "protocols/paxos/paxos.h"

using namespace dsim;

namespace {

class MiniWorld final : public Host {
 public:
  MiniWorld(uint32_t n, const NodeFactory& make, std::vector<std::unique_ptr<analysis::Checker>> checkers)
      : checkers_(std::move(checkers)) {
    for (uint32_t i = 0; i < n; ++i) {
      nodes_.push_back(NodeState{make(NodeId{i}), {}, Rng::derive(1, "node/" + std::to_string(i)), Time{0}, {}});
      names_.push_back("n" + std::to_string(i + 1));
    }
    for (uint32_t i = 0; i < n; ++i) emit(NodeId{i}, "start", {});
    for (uint32_t i = 0; i < n; ++i) {
      Context ctx(this, NodeId{i});
      nodes_[i].node->on_start(ctx);
    }
  }
  MiniWorld(const MiniWorld& o) : Host(), flight_(o.flight_), next_timer_(o.next_timer_), names_(o.names_) {
    for (const NodeState& s : o.nodes_) {
      nodes_.push_back(NodeState{s.node->clone(), s.storage, s.rng, s.clock, s.timers});
      REQUIRE(nodes_.back().node != nullptr);
    }
    for (const auto& c : o.checkers_) {
      checkers_.push_back(c->clone());
      REQUIRE(checkers_.back() != nullptr);
    }
  }

  // Every enabled step: deliver message i (one of identical copies), or
  // fire one of node n's earliest timers.
  struct Step {
    bool deliver;
    size_t index;  // into flight_, or the node
    uint64_t timer;
  };
  std::vector<Step> enabled() const {
    std::vector<Step> out;
    for (size_t i = 0; i < flight_.size(); ++i) {
      bool seen = false;
      for (size_t j = 0; j < i && !seen; ++j) seen = same(flight_[i], flight_[j]);
      if (!seen) out.push_back({true, i, 0});
    }
    for (size_t n = 0; n < nodes_.size(); ++n) {
      const auto& ts = nodes_[n].timers;
      if (ts.empty()) continue;
      Time first = ts[0].due;
      for (const auto& t : ts) first = std::min(first, t.due);
      for (const auto& t : ts) {
        if (t.due == first) out.push_back({false, n, t.id});
      }
    }
    return out;
  }
  void apply(const Step& s) {
    if (s.deliver) {
      const InFlight m = flight_[s.index];
      flight_.erase(flight_.begin() + static_cast<std::ptrdiff_t>(s.index));
      Context ctx(this, m.to);
      nodes_[m.to.value].node->on_message(ctx, m.from, m.msg);
      return;
    }
    NodeState& st = nodes_[s.index];
    auto it = std::find_if(st.timers.begin(), st.timers.end(), [&](const PendingTimer& t) { return t.id == s.timer; });
    REQUIRE(it != st.timers.end());
    const PendingTimer t = *it;
    st.timers.erase(it);
    st.clock = t.due;
    Context ctx(this, NodeId{static_cast<uint32_t>(s.index)});
    st.node->on_timer(ctx, TimerId{t.id}, t.tag);
  }
  bool violated() const {
    return std::any_of(checkers_.begin(), checkers_.end(), [](const auto& c) { return c->violated(); });
  }
  uint64_t fingerprint() const {
    Fingerprint h;
    for (const NodeState& s : nodes_) {
      h.set_time_origin(s.clock);
      s.node->fingerprint(h);
      s.storage.fingerprint(h);
      h(std::vector<uint64_t>(s.rng.state(), s.rng.state() + 4));
      std::vector<std::pair<int64_t, uint64_t>> timers;  // (due - clock, tag): ids are not state
      for (const auto& t : s.timers) timers.emplace_back((t.due - s.clock).ns, t.tag);
      std::sort(timers.begin(), timers.end());
      h(timers);
    }
    uint64_t sum = 0;  // in-flight messages: a multiset
    for (const InFlight& m : flight_) {
      Fingerprint one;
      one(m.from, m.to, m.msg.type, m.msg.f, m.msg.body);
      sum += one.value();
    }
    h(flight_.size(), sum);
    for (const auto& c : checkers_) c->fingerprint(h);
    return h.value();
  }

  // Host
  uint32_t cluster_size() const override { return static_cast<uint32_t>(nodes_.size()); }
  std::string_view node_name(NodeId n) const override { return names_[n.value]; }
  Time local_time(NodeId self) const override { return nodes_[self.value].clock; }
  void send(NodeId from, NodeId to, const Message& m) override { flight_.push_back({from, to, m}); }
  TimerId set_timer(NodeId self, Duration after, uint64_t tag) override {
    NodeState& s = nodes_[self.value];
    s.timers.push_back({++next_timer_, s.clock + after, tag});
    return TimerId{next_timer_};
  }
  bool cancel_timer(NodeId self, TimerId id) override {
    auto& ts = nodes_[self.value].timers;
    auto it = std::find_if(ts.begin(), ts.end(), [&](const PendingTimer& t) { return t.id == id.value; });
    if (it == ts.end()) return false;
    ts.erase(it);
    return true;
  }
  Rng& rng(NodeId self) override { return nodes_[self.value].rng; }
  Storage& storage(NodeId self) override { return nodes_[self.value].storage; }
  bool tracing() const override { return true; }
  void emit(NodeId self, std::string_view kind, std::span<const Field> fields) override {
    trace::Event e;
    e.node = names_[self.value];
    e.kind = std::string(kind);
    for (const Field& f : fields) {
      if (const auto* i = std::get_if<int64_t>(&f.value)) e.fields.emplace_back(std::string(f.key), *i);
      if (const auto* s = std::get_if<std::string_view>(&f.value)) e.fields.emplace_back(std::string(f.key), std::string(*s));
      if (const auto* b = std::get_if<bool>(&f.value)) e.fields.emplace_back(std::string(f.key), *b);
    }
    for (auto& c : checkers_) c->consume(e);
  }

 private:
  struct PendingTimer {
    uint64_t id;
    Time due;
    uint64_t tag;
  };
  struct NodeState {
    std::unique_ptr<Node> node;
    Storage storage;
    Rng rng;
    Time clock;
    std::vector<PendingTimer> timers;
  };
  struct InFlight {
    NodeId from, to;
    Message msg;
  };
  static bool same(const InFlight& a, const InFlight& b) {
    return a.from == b.from && a.to == b.to && a.msg.type == b.msg.type && a.msg.f == b.msg.f && a.msg.body == b.msg.body;
  }

  std::vector<NodeState> nodes_;
  std::vector<InFlight> flight_;
  uint64_t next_timer_ = 0;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<analysis::Checker>> checkers_;
};

struct SearchResult {
  uint64_t distinct = 0;
  uint64_t max_depth = 0;
  bool exhausted = false;
  bool violation = false;
  uint64_t violation_depth = 0;
};

// Breadth-first (shortest paths first) or depth-first, with a visited set
// of fingerprints; stops at the first violation or at `max_states`.
SearchResult search(const paxos::Config& cfg, uint64_t max_states, bool depth_first = false) {
  std::vector<std::unique_ptr<analysis::Checker>> checkers;
  checkers.push_back(std::make_unique<analysis::PaxosAgreement>());
  checkers.push_back(std::make_unique<analysis::LearnerConsistency>());
  std::deque<std::pair<std::unique_ptr<MiniWorld>, uint64_t>> frontier;
  frontier.emplace_back(
      std::make_unique<MiniWorld>(3, [cfg](NodeId) { return paxos::make_node(cfg); }, std::move(checkers)), 0);
  SearchResult r;
  std::unordered_set<uint64_t> visited = {frontier.front().first->fingerprint()};
  while (!frontier.empty()) {
    auto [w, depth] = depth_first ? std::move(frontier.back()) : std::move(frontier.front());
    if (depth_first) {
      frontier.pop_back();
    } else {
      frontier.pop_front();
    }
    r.max_depth = std::max(r.max_depth, depth);
    const auto steps = w->enabled();
    // Depth-first takes the first step first: push in reverse.
    for (size_t k = 0; k < steps.size(); ++k) {
      const auto& step = steps[depth_first ? steps.size() - 1 - k : k];
      auto next = std::make_unique<MiniWorld>(*w);
      next->apply(step);
      if (next->violated()) {
        r.violation = true;
        r.violation_depth = depth + 1;
        r.distinct = visited.size();
        return r;
      }
      if (!visited.insert(next->fingerprint()).second) continue;
      if (visited.size() >= max_states) {
        r.distinct = visited.size();
        return r;
      }
      frontier.emplace_back(std::move(next), depth + 1);
    }
  }
  r.distinct = visited.size();
  r.exhausted = true;
  return r;
}

paxos::Config two_proposers(int64_t max_rounds) {
  paxos::Config c;
  c.proposers = {0, 1};
  c.backoff = false;
  c.max_rounds = max_rounds;
  return c;
}

paxos::Config one_proposer(int64_t max_rounds) {
  paxos::Config c = two_proposers(max_rounds);
  c.proposers = {0};
  return c;
}

}  // namespace

TEST_CASE("explorable search: single-decree Paxos, 3 acceptors, 1 proposer, 1 round, is exhausted safely") {
  const SearchResult r = search(one_proposer(1), 1'000'000);
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  MESSAGE("distinct states: " << r.distinct << ", depth " << r.max_depth);
  // The same search, the same count (the fingerprints are deterministic).
  const SearchResult again = search(one_proposer(1), 1'000'000);
  CHECK(again.distinct == r.distinct);
  // Depth-first visits the same state space.
  CHECK(search(one_proposer(1), 1'000'000, true).distinct == r.distinct);
}

TEST_CASE("explorable search: the cloned checkers find ignore_accepted (two proposers, one round each)") {
  paxos::Config cfg = two_proposers(1);
  cfg.bug = paxos::Config::Bug::kIgnoreAccepted;
  const SearchResult r = search(cfg, 200'000, true);
  CHECK(r.violation);
  MESSAGE("violation at depth " << r.violation_depth << " after " << r.distinct << " distinct states");
  // The correct protocol, searched the same way as far: no violation.
  CHECK_FALSE(search(two_proposers(1), r.distinct + 1000, true).violation);
}

TEST_CASE("explorable search: with one learner the same configuration has far fewer states") {
  paxos::Config cfg = one_proposer(1);
  cfg.learners = {0};
  const SearchResult r = search(cfg, 1'000'000);
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  CHECK(r.distinct < search(one_proposer(1), 1'000'000).distinct / 10);
  MESSAGE("distinct states: " << r.distinct << ", depth " << r.max_depth);
}

TEST_CASE("explorable search: without max_rounds a proposer never stops, and the search does not close") {
  const SearchResult r = search(one_proposer(0), 5'000);
  CHECK_FALSE(r.exhausted);
  CHECK_FALSE(r.violation);
}
