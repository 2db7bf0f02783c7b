// Test helpers over the scenario catalogue and trace events, shared by the
// unit tests (doctest assertions inside, so include only from tests).
#pragma once
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "registry.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "dsim/trace_event.h"

namespace dsim::testing {

// Loads scenarios/<rel> from the source tree, labelled with the relative
// path (which the trace header records, so golden hashes do not depend on
// where the tree lives). `patch_from` -> `patch_to` edits the text first.
inline scenario::Scenario load_catalogue(const std::string& rel, const std::string& patch_from = "",
                                         const std::string& patch_to = "") {
  std::ifstream in(std::string(DSIM_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (!patch_from.empty()) {
    const auto at = text.find(patch_from);
    REQUIRE(at != std::string::npos);
    text.replace(at, patch_from.size(), patch_to);
  }
  scenario::Diagnostics diag;
  auto s = scenario::load_scenario_text(dsim::testing::registry(), text, rel, diag);
  CAPTURE(diag.render(false));
  REQUIRE(s.has_value());
  return *s;
}

// The SHA-256 of the trace a run of `s` with `seed` writes.
inline std::string trace_hash(const scenario::Scenario& s, uint64_t seed) {
  scenario::RunOptions opt;
  opt.seed = seed;
  return scenario::run_scenario(s, opt).trace_sha256;
}

// A hand-built trace event.
inline trace::Event event(int64_t t, std::string node, std::string kind,
                          std::vector<std::pair<std::string, trace::Value>> fields = {}) {
  trace::Event e;
  e.t = t;
  e.node = std::move(node);
  e.kind = std::move(kind);
  e.fields = std::move(fields);
  return e;
}

}  // namespace dsim::testing
