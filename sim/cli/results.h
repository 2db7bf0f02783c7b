// One finished run of a sweep, as a JSON line in a results file
// (`dsim sweep --results FILE`, read back by --resume and `dsim merge`),
// and the reports built from many of them: the per-scenario x checker
// summary and JUnit XML (aggregated per scenario x checker,
// failing seeds listed, so thousands of seeds stay one readable test case).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dsim/checker.h"

namespace dsim::cli {

inline constexpr const char* kResultsSchema = "dsim.result/1";

struct RunRecord {
  std::string scenario;  // the scenario's identity (Scenario::id: normalized path)
  uint64_t seed = 0;
  bool as_expected = false;
  std::string error;  // non-empty: the run could not be judged (e.g. nondeterminism)
  std::vector<analysis::CheckResult> checks;
  std::vector<std::string> expect_violated;
  // expect.seeds: some. as_expected then means "this seed violated nothing
  // beyond expect_violated"; whether some seed found each expected
  // violation is judged over the sweep (unmet_expectations).
  bool expect_some = false;
  uint64_t events = 0;
  std::string repro;
  // SHA-256 of the scenario file the run used: --resume refuses records of
  // an edited scenario. Empty in records of older dsim versions.
  std::string scenario_sha256;
  // Numbers measured on the run (`dsim tune`: docs/tuning.md lists them),
  // by name; empty for plain sweeps. Written as "metrics" when non-empty.
  std::map<std::string, double> metrics;
};

// A check's result as JSON: the same shape in `dsim run --json`, `dsim
// check --json` and results files.
nlohmann::ordered_json check_json(const analysis::CheckResult& c);
std::string record_to_json_line(const RunRecord& r);
// False (with a reason) when the line is not a whole record.
bool record_from_json_line(const std::string& line, RunRecord* out, std::string* error);

// Per (scenario, check) tallies over many runs.
struct CheckTally {
  analysis::CheckKind kind = analysis::CheckKind::kSafety;
  int line = 0;  // in the scenario file, for JUnit annotations
  uint64_t held = 0, violated = 0, inconclusive = 0;
  bool expected_violated = false;
  bool expect_some = false;             // expected on some seed, not on every seed
  std::vector<uint64_t> found_seeds;    // expect_some: the seeds that violated it (the lowest kMaxFoundSeeds)
  std::vector<uint64_t> failing_seeds;  // runs where this check's status was not the expected one
  // The lowest failing seed's message and repro: the same whatever order
  // parallel runs finish in.
  uint64_t first_seed = UINT64_MAX;
  std::string first_message;
  std::string first_repro;
};

// A run whose violations are the expected ones but where some check could
// not decide (too little evidence): inconclusive, not unexpected (exit 5).
bool inconclusive_only(const RunRecord& r);

struct ScenarioTally {
  uint64_t runs = 0, unexpected = 0, errors = 0, inconclusive = 0;
  std::map<std::string, CheckTally> checks;  // by check name
  std::vector<std::string> error_messages;
};

using Summary = std::map<std::string, ScenarioTally>;  // by scenario path

void add_to_summary(Summary& s, const RunRecord& r, const std::map<std::string, int>& check_lines = {});
// Checks expected to be violated on some seed that no seed of the sweep
// violated: each is a failure of the sweep (exit 1, a JUnit failure).
uint64_t unmet_expectations(const Summary& s);
// True when the check's sweep verdict is a failure.
bool sweep_failed(const CheckTally& c);
inline constexpr size_t kMaxFoundSeeds = 100;
std::string junit_xml(const Summary& s, double wall_seconds);
// Human summary: one block per scenario, failing seeds with their
// reproduction commands (at most `max_seeds` listed per check).
std::string summary_text(const Summary& s, size_t max_seeds = 10);

}  // namespace dsim::cli
