#include "analysis/offline.h"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "sim/core/assert.h"
#include "sim/trace/reader.h"

namespace dsim::analysis {

OfflineResult check_trace(const std::string& path, const std::optional<std::vector<std::string>>& only) {
  OfflineResult out;
  trace::Reader reader;
  out.error = reader.open(path);
  if (!out.error.empty()) return out;

  std::vector<CheckSpec> specs;
  const auto meta = nlohmann::json::parse(reader.meta().meta_json, nullptr, false);
  if (meta.is_discarded() || !meta.is_object()) {
    out.error = path + ":1:1: error: unreadable meta header";
    return out;
  }
  if (auto it = meta.find("scenario"); it != meta.end() && it->is_string()) out.scenario = it->get<std::string>();
  if (auto it = meta.find("seed"); it != meta.end() && it->is_string()) out.seed = it->get<std::string>();
  if (auto it = meta.find("checks"); it != meta.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) {
        out.error = path + ":1:1: error: meta header: each entry of \"checks\" needs a \"name\" string";
        return out;
      }
      CheckSpec spec;
      spec.name = c["name"].get<std::string>();
      if (c.contains("within_ns")) {
        if (!c["within_ns"].is_number_integer() || c["within_ns"].get<int64_t>() <= 0) {
          out.error = path + ":1:1: error: meta header: \"within_ns\" of check " + spec.name + " must be a positive integer";
          return out;
        }
        spec.within_ns = c["within_ns"].get<int64_t>();
      }
      if (!find_checker(spec.name)) {
        out.error = path + ":1:1: error: meta header names unknown check \"" + spec.name + "\"";
        return out;
      }
      specs.push_back(spec);
    }
  }
  if (auto it = meta.find("expect_violated"); it != meta.end() && it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string()) out.expect_violated.push_back(v.get<std::string>());
    }
  }
  if (only) {
    std::vector<CheckSpec> chosen;
    for (const std::string& name : *only) {
      DSIM_ASSERT(find_checker(name) != nullptr);
      auto it = std::find_if(specs.begin(), specs.end(), [&](const CheckSpec& s) { return s.name == name; });
      chosen.push_back(it != specs.end() ? *it : CheckSpec{name, 0, 0});
    }
    specs = std::move(chosen);
    std::erase_if(out.expect_violated, [&](const std::string& e) {
      return std::find(only->begin(), only->end(), e) == only->end();
    });
  }

  std::vector<std::unique_ptr<Checker>> checkers;
  for (const auto& s : specs) checkers.push_back(make_checker(s));
  trace::Event e;
  while (reader.next(&e)) {
    ++out.events;
    for (auto& c : checkers) c->consume(e);
  }
  if (!reader.error().empty()) {
    out.error = reader.error();
    return out;
  }
  for (auto& c : checkers) out.checks.push_back(c->finish());
  return out;
}

}  // namespace dsim::analysis
