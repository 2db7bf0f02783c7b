// Service discovery on the coordination service (protocols/coord), judged
// from the servers' and watchers' trace events.
//
// discovery_safety    a watcher's view never contains an instance whose
//                     session expired (or whose node was deleted) longer
//                     ago than the bound
// discovery_liveness  after the last fault: an instance registered (or
//                     re-registered) appears in every connected watcher's
//                     view within the bound; a crashed instance's node is
//                     gone within the bound; at the end every watcher is
//                     connected and sees exactly the live instances
// Instances are the nodes under /services/svc/, named after their node.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "dsim/checker.h"
#include "dsim/fault_window.h"

namespace dsim::analysis {

// Who is registered, and since when dead, from znode and session events.
class Registry {
 public:
  // Returns true if the event changed the registry.
  bool consume(const trace::Event& e);
  struct Life {
    int64_t session = 0;
    bool alive = false;
    int64_t since = 0;                                 // of the current state
    std::vector<std::pair<int64_t, int64_t>> dead;     // [from, to) intervals; to = INT64_MAX while dead
  };
  const std::map<std::string, Life>& instances() const { return lives_; }

 private:
  void die(const std::string& name, int64_t t);
  std::map<std::string, Life> lives_;
  // What each log entry did, as first reported: a deposed leader applying
  // an old entry late, or a restarted leader applying the log again,
  // reports the same effects again, and they are ignored.
  std::set<std::tuple<int64_t, std::string, std::string, int64_t>> seen_;  // (index, kind, path, session)
};

class DiscoverySafety final : public Checker {
 public:
  explicit DiscoverySafety(int64_t bound_ns) : bound_(bound_ns) {}
  std::string_view name() const override { return "discovery_safety"; }
  CheckKind kind() const override { return CheckKind::kSafety; }
  bool violated() const override { return first_.has_value(); }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;

 private:
  struct View {
    int64_t since = 0;
    std::set<std::string> members;
  };
  void judge(const std::string& watcher, const View& v, int64_t until);
  int64_t bound_;
  Registry reg_;
  std::map<std::string, View> views_;
  int64_t end_ = 0;
  uint64_t views_seen_ = 0;
  std::optional<Violation> first_;
};

class DiscoveryLiveness final : public Checker {
 public:
  explicit DiscoveryLiveness(int64_t within_ns) : within_(within_ns) {}
  std::string_view name() const override { return "discovery_liveness"; }
  CheckKind kind() const override { return CheckKind::kLiveness; }
  void consume(const trace::Event& e) override;
  CheckResult finish() override;

 private:
  struct ViewAt {
    int64_t t;
    bool connected;
    std::set<std::string> members;
  };
  int64_t within_;
  FaultWindow faults_;
  Registry reg_;
  std::map<std::string, std::vector<ViewAt>> views_;  // watcher -> history
  std::vector<std::pair<int64_t, std::string>> crashes_;  // (t, node)
};

}  // namespace dsim::analysis
