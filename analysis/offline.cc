#include "analysis/offline.h"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "dsim/assert.h"
#include "sim/trace/reader.h"

namespace dsim::analysis {

std::string TraceChecks::begin(const std::string& path, const trace::Event& meta_event,
                               const std::optional<std::vector<std::string>>& only) {
  std::vector<CheckSpec> specs;
  const auto meta = nlohmann::json::parse(meta_event.meta_json, nullptr, false);
  if (meta.is_discarded() || !meta.is_object()) return path + ":1:1: error: unreadable meta header";
  if (auto it = meta.find("scenario"); it != meta.end() && it->is_string()) out_.scenario = it->get<std::string>();
  if (auto it = meta.find("seed"); it != meta.end() && it->is_string()) out_.seed = it->get<std::string>();
  if (auto it = meta.find("protocol"); it != meta.end() && it->is_string()) protocol_ = it->get<std::string>();
  if (auto it = meta.find("checks"); it != meta.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) {
        return path + ":1:1: error: meta header: each entry of \"checks\" needs a \"name\" string";
      }
      CheckSpec spec;
      spec.name = c["name"].get<std::string>();
      if (c.contains("within_ns")) {
        if (!c["within_ns"].is_number_integer() || c["within_ns"].get<int64_t>() <= 0) {
          return path + ":1:1: error: meta header: \"within_ns\" of check " + spec.name + " must be a positive integer";
        }
        spec.within_ns = c["within_ns"].get<int64_t>();
      }
      if (!catalog_.find_checker(spec.name, protocol_)) return path + ":1:1: error: meta header names unknown check \"" + spec.name + "\"";
      specs.push_back(spec);
    }
  }
  if (auto it = meta.find("expect_violated"); it != meta.end() && it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string()) out_.expect_violated.push_back(v.get<std::string>());
    }
  }
  if (only) {
    std::vector<CheckSpec> chosen;
    for (const std::string& name : *only) {
      // Asked for by name (`--checks`): the header's protocol's checker, or
      // any protocol's of that name (the catalog falls back to them all).
      DSIM_ASSERT(catalog_.find_checker(name, protocol_).has_value() || catalog_.find_checker(name, "").has_value());
      auto it = std::find_if(specs.begin(), specs.end(), [&](const CheckSpec& s) { return s.name == name; });
      chosen.push_back(it != specs.end() ? *it : CheckSpec{name, 0, 0});
    }
    specs = std::move(chosen);
    std::erase_if(out_.expect_violated, [&](const std::string& e) {
      return std::find(only->begin(), only->end(), e) == only->end();
    });
  }
  for (const auto& spec : specs) {
    checkers_.push_back(catalog_.make_checker(spec, protocol_));
    checkers_.back()->share(shared_);
  }
  return {};
}

void TraceChecks::consume(const trace::Event& e) {
  ++out_.events;
  for (auto& c : checkers_) c->consume(e);
}

OfflineResult TraceChecks::finish() {
  for (auto& c : checkers_) out_.checks.push_back(c->finish());
  return std::move(out_);
}

OfflineResult check_trace(const CheckerCatalog& catalog, const std::string& path,
                          const std::optional<std::vector<std::string>>& only) {
  trace::Reader reader;
  OfflineResult failed;
  failed.error = reader.open(path);
  if (!failed.error.empty()) return failed;
  TraceChecks checks(catalog);
  failed.error = checks.begin(path, reader.meta(), only);
  if (!failed.error.empty()) return failed;
  // Strict: every event a checker reads must match the schema (the
  // engine's kinds and the protocol's own), and the trace must be whole.
  reader.validate_with(std::make_unique<trace::Schema>(checks.protocol(), catalog.protocol_events(checks.protocol())));
  trace::Event e;
  while (reader.next(&e)) checks.consume(e);
  if (!reader.error().empty()) {
    failed.error = reader.error();
    return failed;
  }
  return checks.finish();
}

}  // namespace dsim::analysis
