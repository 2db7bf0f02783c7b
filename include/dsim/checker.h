// Streaming trace checkers. A checker consumes events one at a time (the
// same code online, during a run, and offline, on a file) and gives its
// verdict at the end of the trace.
//
// Verdicts: held, violated, or inconclusive (the trace cannot decide, e.g.
// the run ended before a liveness bound expired). A checker never guesses.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsim/fingerprint.h"
#include "dsim/trace_event.h"
#include "dsim/trace_schema.h"

namespace dsim::analysis {

enum class CheckKind { kSafety, kLiveness };
enum class Status { kHeld, kViolated, kInconclusive };

const char* to_string(CheckKind k);
const char* to_string(Status s);

struct Violation {
  int64_t t_ns = 0;
  std::string node;
  std::string message;
};

struct CheckResult {
  std::string name;
  CheckKind kind = CheckKind::kSafety;
  Status status = Status::kHeld;
  std::optional<Violation> violation;
  std::string note;  // why inconclusive, or a one-line summary
};

// What a scenario asks for: a checker by name, with its bound (liveness).
struct CheckSpec {
  std::string name;
  int64_t within_ns = 0;  // liveness bound; 0 = the checker's default
  int line = 0;           // 1-based line in the scenario, 0 if unknown
};

class Checker : public trace::Consumer {
 public:
  virtual std::string_view name() const = 0;
  virtual CheckKind kind() const = 0;
  // True once the checker has seen a violation it cannot take back (safety).
  virtual bool violated() const { return false; }
  virtual CheckResult finish() = 0;

  // ---- Exploration (`dsim explore`): each explored state carries its own
  // copy of the checkers, fed the events of the path that led to it. A
  // checker that can be explored copies itself and feeds its fingerprint
  // what decides its verdict from here on (the explored state includes
  // it). nullptr (the default): the checker cannot run under explore.
  virtual std::unique_ptr<Checker> clone() const { return nullptr; }
  virtual void fingerprint(Fingerprint& /*h*/) const {}
};

// Checker::clone for a copyable checker class.
template <class Derived, class Base = Checker>
class CloneableChecker : public Base {
 public:
  using Base::Base;
  std::unique_ptr<Checker> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

struct CheckerInfo {
  std::string_view name;
  CheckKind kind;
  std::string_view summary;
  bool needs_clients = false;   // judges the key-value clients' history
  bool bounded_safety = false;  // a safety check that takes a bound (`within`)
  // The least a run must show for `held` (docs/scenarios.md, "Verdicts and
  // evidence"); with less the checker is inconclusive. Every checker states it.
  std::string_view evidence = {};

  bool takes_within() const { return kind == CheckKind::kLiveness || bounded_safety; }
};

// Where checkers come from by name: the registry of protocols implements it,
// so `dsim check` judges a trace with the checkers of the protocol its header
// names (or, for a protocol this build does not know, of any that has them).
class CheckerCatalog {
 public:
  virtual ~CheckerCatalog() = default;
  virtual std::optional<CheckerInfo> find_checker(std::string_view name, std::string_view protocol) const = 0;
  // REQUIRES: find_checker(spec.name, protocol) has a value.
  virtual std::unique_ptr<Checker> make_checker(const CheckSpec& spec, std::string_view protocol) const = 0;
  // The event kinds a protocol's nodes emit, for strict trace reading;
  // empty when the protocol is unknown or does not declare them.
  virtual std::vector<trace::EventSchema> protocol_events(std::string_view /*protocol*/) const { return {}; }
};

// A verdict needs evidence (docs/scenarios.md, "Verdicts and evidence"): a check
// that saw less than the minimum it states is inconclusive, with the reason,
// never held. Leaves a violation or an earlier inconclusive verdict alone.
inline void require_evidence(CheckResult& r, bool enough, std::string why) {
  if (r.status != Status::kHeld || enough) return;
  r.status = Status::kInconclusive;
  r.note = std::move(why);
}

// Time formatted for people: "1.25s", "300ms", "17us", "5ns".
std::string format_time(int64_t ns);

}  // namespace dsim::analysis
