// Bad input never crashes dsim. Deterministic mutation fuzzing: valid
// scenarios and traces are corrupted thousands of ways (bytes deleted,
// inserted, swapped, lines duplicated or cut) and fed to the loader and the
// trace reader. Each must either accept the input or report an error with a
// location; under the ASan+UBSan build this also catches memory errors.
// (A coverage-guided libFuzzer harness is a later step: tests/fuzz.)
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "registry.h"
#include "analysis/offline.h"
#include "dsim/prng.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "test_support.h"

using namespace dsim;

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string mutate(std::string s, Rng& rng) {
  static const char* kTokens[] = {":", "-", "[", "]", "{", "}", "\n", " ", "\t", "&a", "*a", "<<", "\"", "'",
                                  "0", "-1", "1e9", "99999999999999999999", "ms", "x-", "null", "~", "#", ","};
  const int edits = 1 + static_cast<int>(rng.below(4));
  for (int i = 0; i < edits && !s.empty(); ++i) {
    const size_t at = rng.below(s.size());
    switch (rng.below(5)) {
      case 0: s.erase(at, 1 + rng.below(8)); break;
      case 1: s.insert(at, kTokens[rng.below(std::size(kTokens))]); break;
      case 2: std::swap(s[at], s[rng.below(s.size())]); break;
      case 3: {  // duplicate a line
        const size_t start = s.rfind('\n', at) == std::string::npos ? 0 : s.rfind('\n', at) + 1;
        const size_t end = s.find('\n', at);
        s.insert(start, s.substr(start, (end == std::string::npos ? s.size() : end + 1) - start));
        break;
      }
      default: s.resize(at); break;  // truncate
    }
  }
  return s;
}

}  // namespace

TEST_CASE("fuzz: mutated scenarios load or fail with a located error and never crash") {
  std::vector<std::string> seeds;
  for (const char* sub : {"teaching", "bugs", "regression"}) {
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios" / sub)) {
      seeds.push_back(read(e.path()));
    }
  }
  REQUIRE(!seeds.empty());
  Rng rng(2026);
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = mutate(seeds[rng.below(seeds.size())], rng);
    scenario::Diagnostics diag;
    const auto s = scenario::load_scenario_text(dsim::testing::registry(), text, "fuzz.yaml", diag);
    if (s) {
      ++accepted;
      // Whatever loads must also run: shorten it so the fuzz stays quick.
      scenario::RunOptions opt;
      opt.seed = static_cast<uint64_t>(i);
      opt.until = std::min(s->duration, milliseconds(300));
      (void)scenario::run_scenario(*s, opt);
    } else {
      ++rejected;
      REQUIRE(!diag.items().empty());
      for (const auto& d : diag.items()) CHECK(!d.message.empty());
      CHECK(!diag.render(false).empty());
    }
  }
  MESSAGE("mutated scenarios: " << accepted << " accepted and run, " << rejected << " rejected");
  CHECK(accepted > 100);
  CHECK(rejected > 1000);
}

TEST_CASE("fuzz: mutated traces are read or rejected with file:line:col and never crash") {
  const auto dir = std::filesystem::path(dsim::testing::temp_path("fuzz"));
  std::filesystem::create_directories(dir);
  scenario::Diagnostics diag;
  const auto s = scenario::load_scenario_text(dsim::testing::registry(), read(std::filesystem::path(DSIM_SOURCE_DIR) / "scenarios/bugs/broadcast-no-retransmit.yaml"),
                                              "bug.yaml", diag);
  REQUIRE(s.has_value());
  scenario::RunOptions opt;
  opt.seed = 1;
  opt.until = seconds(1);
  opt.trace_path = (dir / "base.jsonl").string();
  REQUIRE(scenario::run_scenario(*s, opt).trace_error.empty());
  const std::string base = read(opt.trace_path);
  Rng rng(7);
  const std::string path = (dir / "mutant.jsonl").string();
  int rejected = 0;
  for (int i = 0; i < 400; ++i) {
    std::ofstream(path, std::ios::binary) << mutate(base, rng);
    const auto r = analysis::check_trace(dsim::testing::registry(), path, std::nullopt);
    if (!r.error.empty()) {
      ++rejected;
      CHECK(r.error.rfind(path + ":", 0) == 0);
      CHECK(r.error.find(": error: ") != std::string::npos);
    }
  }
  CHECK(rejected > 100);
  std::filesystem::remove_all(dir);
}
