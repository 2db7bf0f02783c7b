#include "sim/cli/results.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "sim/core/printable.h"

namespace dsim::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids other control characters even as references.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "?";
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

std::string stem_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string stem = path.substr(slash == std::string::npos ? 0 : slash + 1);
  if (const size_t dot = stem.rfind(".yaml"); dot != std::string::npos) stem.resize(dot);
  for (char& c : stem) {
    if (c == '.' || c == '-') c = '_';
  }
  return stem;
}

}  // namespace

Json check_json(const analysis::CheckResult& c) {
  Json j;
  j["name"] = c.name;
  j["kind"] = analysis::to_string(c.kind);
  j["status"] = analysis::to_string(c.status);
  if (c.violation) {
    j["violation"] = {{"time_ns", c.violation->t_ns}, {"node", c.violation->node}, {"message", c.violation->message}};
  } else {
    j["violation"] = nullptr;
  }
  j["note"] = c.note;
  return j;
}

std::string record_to_json_line(const RunRecord& r) {
  Json j;
  j["schema"] = kResultsSchema;
  j["scenario"] = r.scenario;
  j["seed"] = std::to_string(r.seed);
  j["outcome"] = !r.error.empty()        ? "error"
                 : r.as_expected          ? "as_expected"
                 : inconclusive_only(r)   ? "inconclusive"
                                          : "unexpected";
  if (!r.error.empty()) j["error"] = r.error;
  j["events"] = r.events;
  Json checks = Json::array();
  for (const auto& c : r.checks) checks.push_back(check_json(c));
  j["checks"] = checks;
  j["expect_violated"] = r.expect_violated;
  if (r.expect_some) j["expect_seeds"] = "some";  // absent: all (and records of older versions)
  j["repro"] = r.repro;
  if (!r.scenario_sha256.empty()) j["scenario_sha256"] = r.scenario_sha256;
  if (!r.metrics.empty()) {
    Json m = Json::object();
    for (const auto& [name, v] : r.metrics) {
      if (std::isfinite(v)) m[name] = v;  // JSON has no NaN or infinity
    }
    j["metrics"] = m;
  }
  return j.dump() + "\n";
}

bool record_from_json_line(const std::string& line, RunRecord* out, std::string* error) {
  const Json j = Json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "not a JSON object";
    return false;
  }
  try {
    if (j.at("schema").get<std::string>() != kResultsSchema) {
      *error = "unknown results schema";
      return false;
    }
    RunRecord r;
    r.scenario = j.at("scenario").get<std::string>();
    const std::string seed = j.at("seed").get<std::string>();
    const auto [p, ec] = std::from_chars(seed.data(), seed.data() + seed.size(), r.seed);
    if (ec != std::errc() || p != seed.data() + seed.size()) {
      *error = "bad seed";
      return false;
    }
    const std::string outcome = j.at("outcome").get<std::string>();
    r.as_expected = outcome == "as_expected";
    if (outcome == "error") r.error = j.value("error", std::string("error"));
    r.events = j.at("events").get<uint64_t>();
    for (const auto& cj : j.at("checks")) {
      analysis::CheckResult c;
      c.name = cj.at("name").get<std::string>();
      c.kind = cj.at("kind").get<std::string>() == "liveness" ? analysis::CheckKind::kLiveness : analysis::CheckKind::kSafety;
      const std::string st = cj.at("status").get<std::string>();
      c.status = st == "held" ? analysis::Status::kHeld : st == "violated" ? analysis::Status::kViolated
                                                                           : analysis::Status::kInconclusive;
      if (cj.contains("violation") && !cj.at("violation").is_null()) {
        const auto& v = cj.at("violation");
        c.violation = analysis::Violation{v.at("time_ns").get<int64_t>(), v.at("node").get<std::string>(),
                                          v.at("message").get<std::string>()};
      }
      r.checks.push_back(std::move(c));
    }
    r.expect_violated = j.at("expect_violated").get<std::vector<std::string>>();
    r.expect_some = j.value("expect_seeds", std::string("all")) == "some";
    r.repro = j.at("repro").get<std::string>();
    r.scenario_sha256 = j.value("scenario_sha256", std::string());
    if (j.contains("metrics")) {
      for (const auto& [name, v] : j.at("metrics").items()) {
        if (!v.is_number()) {
          *error = "metric '" + name + "' is not a number";
          return false;
        }
        r.metrics[name] = v.get<double>();
      }
    }
    *out = std::move(r);
    return true;
  } catch (const Json::exception& e) {
    *error = e.what();
    return false;
  }
}

void add_to_summary(Summary& s, const RunRecord& r, const std::map<std::string, int>& check_lines) {
  ScenarioTally& t = s[r.scenario];
  ++t.runs;
  if (!r.error.empty()) {
    ++t.errors;
    t.error_messages.push_back("seed " + std::to_string(r.seed) + ": " + r.error);
    std::sort(t.error_messages.begin(), t.error_messages.end());
    if (t.error_messages.size() > 10) t.error_messages.resize(10);
    return;
  }
  if (!r.as_expected) ++(inconclusive_only(r) ? t.inconclusive : t.unexpected);
  for (const auto& c : r.checks) {
    CheckTally& ct = t.checks[c.name];
    ct.kind = c.kind;
    if (auto it = check_lines.find(c.name); it != check_lines.end()) ct.line = it->second;
    ct.expected_violated =
        std::find(r.expect_violated.begin(), r.expect_violated.end(), c.name) != r.expect_violated.end();
    switch (c.status) {
      case analysis::Status::kHeld: ++ct.held; break;
      case analysis::Status::kViolated: ++ct.violated; break;
      case analysis::Status::kInconclusive: ++ct.inconclusive; break;
    }
    ct.expect_some = r.expect_some && ct.expected_violated;
    const bool violated = c.status == analysis::Status::kViolated;
    if (ct.expect_some) {
      // One seed that finds it is enough; the others may hold or find it too.
      if (violated) {
        ct.found_seeds.insert(std::lower_bound(ct.found_seeds.begin(), ct.found_seeds.end(), r.seed), r.seed);
        if (ct.found_seeds.size() > kMaxFoundSeeds) ct.found_seeds.pop_back();
      }
    } else if (violated != ct.expected_violated) {
      ct.failing_seeds.push_back(r.seed);
      if (r.seed < ct.first_seed) {
        ct.first_seed = r.seed;
        ct.first_message = c.violation ? c.violation->message
                                       : "expected a violation of " + c.name + ", but it " + analysis::to_string(c.status);
        ct.first_repro = r.repro;
      }
    }
  }
}

bool inconclusive_only(const RunRecord& r) {
  if (r.as_expected || !r.error.empty()) return false;
  bool some = false;
  for (const auto& c : r.checks) {
    const bool expected = std::find(r.expect_violated.begin(), r.expect_violated.end(), c.name) != r.expect_violated.end();
    if (c.status == analysis::Status::kInconclusive) {
      some = true;
      continue;
    }
    const bool violated = c.status == analysis::Status::kViolated;
    if (violated && !expected) return false;
    if (!violated && expected && !r.expect_some) return false;
  }
  return some;
}

bool sweep_failed(const CheckTally& c) {
  return !c.failing_seeds.empty() || (c.expect_some && c.violated == 0);
}

uint64_t unmet_expectations(const Summary& s) {
  uint64_t n = 0;
  for (const auto& [path, t] : s) {
    for (const auto& [name, c] : t.checks) n += c.expect_some && c.violated == 0 ? 1 : 0;
  }
  return n;
}

namespace {
std::string seed_list(const std::vector<uint64_t>& sorted, size_t max, uint64_t total) {
  std::string out;
  for (size_t i = 0; i < sorted.size() && i < max; ++i) out += (i ? " " : "") + std::to_string(sorted[i]);
  if (total > std::min(max, sorted.size())) out += " ... (" + std::to_string(total) + " in all)";
  return out;
}
}  // namespace

std::string junit_xml(const Summary& s, double wall_seconds) {
  uint64_t tests = 0, failures = 0, errors = 0, skipped = 0;
  std::string suites;
  char time_buf[32];
  std::snprintf(time_buf, sizeof time_buf, "%.3f", wall_seconds);
  for (const auto& [path, t] : s) {
    uint64_t st = 0, sf = 0, se = 0, ss = 0;
    std::string cases;
    const std::string classname = "dsim." + stem_of(path);
    for (const auto& [name, c] : t.checks) {
      ++st;
      std::string one = "    <testcase classname=\"" + xml_escape(classname) + "\" name=\"" + xml_escape(name) +
                        "\" file=\"" + xml_escape(path) + "\"" + (c.line > 0 ? " line=\"" + std::to_string(c.line) + "\"" : "") +
                        " time=\"0\"";
      const uint64_t runs = c.held + c.violated + c.inconclusive;
      if (!c.failing_seeds.empty()) {
        ++sf;
        std::vector<uint64_t> sorted = c.failing_seeds;
        std::sort(sorted.begin(), sorted.end());
        std::string seeds;
        for (size_t i = 0; i < sorted.size() && i < 50; ++i) seeds += (i ? " " : "") + std::to_string(sorted[i]);
        if (c.failing_seeds.size() > 50) seeds += " ...";
        const std::string msg = std::to_string(c.failing_seeds.size()) + " of " + std::to_string(runs) + " seeds " +
                                (c.expected_violated ? "did not violate " : "violated ") + name + ": " + c.first_message;
        one += ">\n      <failure message=\"" + xml_escape(msg) + "\" type=\"" +
               (c.expected_violated ? "ExpectedViolationMissing" : "InvariantViolation") + "\">" +
               xml_escape("failing seeds: " + seeds + "\nreproduce: " + c.first_repro) + "</failure>\n" +
               "      <system-out>" + xml_escape("reproduce: " + c.first_repro) + "</system-out>\n    </testcase>\n";
      } else if (c.expect_some && c.violated == 0) {
        ++sf;
        const std::string msg = "none of " + std::to_string(runs) + " seeds violated " + name +
                                " (expected on some seed: expect.seeds some)";
        one += ">\n      <failure message=\"" + xml_escape(msg) + "\" type=\"ExpectedViolationMissing\">" +
               xml_escape(msg) + "</failure>\n    </testcase>\n";
      } else if (c.expect_some) {
        one += ">\n      <system-out>" +
               xml_escape("found by " + std::to_string(c.violated) + " of " + std::to_string(runs) +
                          " seeds: " + seed_list(c.found_seeds, 50, c.violated)) +
               "</system-out>\n    </testcase>\n";
      } else if (c.inconclusive == runs) {
        ++ss;
        one += ">\n      <skipped message=\"inconclusive on every seed\"/>\n    </testcase>\n";
      } else {
        one += "/>\n";
      }
      cases += one;
    }
    if (t.errors > 0) {
      ++st;
      ++se;
      std::string msgs;
      for (const auto& m : t.error_messages) msgs += m + "\n";
      cases += "    <testcase classname=\"" + xml_escape(classname) + "\" name=\"run\" file=\"" + xml_escape(path) +
               "\" time=\"0\">\n      <error message=\"" + std::to_string(t.errors) + " runs could not be judged\" type=\"RunError\">" +
               xml_escape(msgs) + "</error>\n    </testcase>\n";
    }
    tests += st;
    failures += sf;
    errors += se;
    skipped += ss;
    suites += "  <testsuite name=\"" + xml_escape(path) + "\" tests=\"" + std::to_string(st) + "\" failures=\"" +
              std::to_string(sf) + "\" errors=\"" + std::to_string(se) + "\" skipped=\"" + std::to_string(ss) +
              "\" time=\"" + time_buf + "\">\n    <properties><property name=\"runs\" value=\"" +
              std::to_string(t.runs) + "\"/></properties>\n" + cases + "  </testsuite>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dsim\" tests=\"" + std::to_string(tests) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\" skipped=\"" +
         std::to_string(skipped) + "\" time=\"" + time_buf + "\">\n" + suites + "</testsuites>\n";
}

std::string summary_text(const Summary& s, size_t max_seeds) {
  std::string out;
  for (const auto& [path, t] : s) {
    // Results files are user files: printable() on everything from them.
    out += printable(path) + ": " + std::to_string(t.runs) + " runs, " + std::to_string(t.unexpected) + " unexpected" +
           (t.errors ? ", " + std::to_string(t.errors) + " errors" : "") + "\n";
    for (const auto& [name, c] : t.checks) {
      char line[256];
      std::snprintf(line, sizeof line, "  %-24s %-9s held %llu, violated %llu, inconclusive %llu%s\n", printable(name).c_str(),
                    analysis::to_string(c.kind), static_cast<unsigned long long>(c.held),
                    static_cast<unsigned long long>(c.violated), static_cast<unsigned long long>(c.inconclusive),
                    c.expect_some ? " (violation expected on some seed)" : c.expected_violated ? " (violation expected)" : "");
      out += line;
      if (c.expect_some) {
        out += c.violated == 0 ? "    NOT FOUND: no seed violated it\n"
                               : "    found by seeds: " + seed_list(c.found_seeds, max_seeds, c.violated) + "\n";
      }
      if (c.failing_seeds.empty()) continue;
      std::vector<uint64_t> sorted = c.failing_seeds;
      std::sort(sorted.begin(), sorted.end());
      out += "    failing seeds:";
      for (size_t i = 0; i < sorted.size() && i < max_seeds; ++i) out += " " + std::to_string(sorted[i]);
      if (c.failing_seeds.size() > max_seeds) out += " ... (" + std::to_string(c.failing_seeds.size()) + " in all)";
      out += "\n    first: " + printable(c.first_message) + "\n    reproduce: " + printable(c.first_repro) + "\n";
    }
    for (const auto& m : t.error_messages) out += "  error: " + printable(m) + "\n";
  }
  return out;
}

}  // namespace dsim::cli
