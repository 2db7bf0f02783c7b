#include "analysis/generic_checkers.h"

#include <variant>

#include "analysis/linearizability.h"

namespace dsim::analysis {
namespace {

// `linearizable`, made explorable: the history collected so far is copied
// with it, and its fingerprint is a running hash of the client events it
// was fed (kind, time and fields, in order): the history is all its verdict
// depends on. Other events are not hashed.
class ExplorableLinearizable final : public CloneableChecker<ExplorableLinearizable> {
 public:
  std::string_view name() const override { return inner_.name(); }
  CheckKind kind() const override { return inner_.kind(); }
  bool violated() const override { return inner_.violated(); }
  void consume(const trace::Event& e) override {
    inner_.consume(e);
    if (e.kind != "invoke" && e.kind != "ok" && e.kind != "fail" && e.kind != "info") return;
    history_.bytes(e.kind);
    history_.add(e.t);
    history_.add(e.fields.size());
    for (const auto& [key, value] : e.fields) {
      history_.bytes(key);
      history_.add(value.index());
      if (const auto* i = std::get_if<int64_t>(&value)) history_.add(*i);
      if (const auto* s = std::get_if<std::string>(&value)) history_.bytes(*s);
      if (const auto* b = std::get_if<bool>(&value)) history_.add(*b);
    }
  }
  CheckResult finish() override { return inner_.finish(); }
  void fingerprint(Fingerprint& h) const override { h(history_.value()); }

 private:
  Linearizable inner_;
  Fingerprint history_;
};

}  // namespace

const std::vector<CheckerInfo>& generic_checkers() {
  static const std::vector<CheckerInfo> kAll = {
      {"linearizable", CheckKind::kSafety,
       "the clients' operation history is linearizable (needs clients; docs/history-format.md)", true, false,
       "a client operation that completed ok"},
  };
  return kAll;
}

std::unique_ptr<Checker> make_generic_checker(const CheckSpec& spec) {
  if (spec.name == "linearizable") return std::make_unique<ExplorableLinearizable>();
  return nullptr;
}

}  // namespace dsim::analysis
