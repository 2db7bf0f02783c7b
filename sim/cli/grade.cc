// `dsim grade`: runs a lab battery (docs/grading.md) against a protocol and
// awards points. A battery is a YAML file listing tests; each test is a
// scenario, the checks it grades, its points, its seeds and who sees it.
// A test's points are all or nothing: every graded check must hold (an
// inconclusive verdict is a failure, never a pass) on every seed.
//
// Everything written is deterministic: the same battery, protocol and
// build give byte-identical tables, results.json and JUnit files (no wall
// clock in any of them), whatever --jobs is.
//
// Batch mode (--batch) grades many submissions, each an executable that
// contains dsim::main with its protocol: one child process per
// (submission, test), bounded by --jobs and --timeout, so a submission that
// crashes or hangs loses that test with the reason and the grader goes on.
#include "sim/cli/grade.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "analysis/report.h"
#include "dsim/text.h"
#include "dsim/version.h"
#include "dsim/yaml_reader.h"
#include "sim/cli/exit_codes.h"
#include "sim/cli/options.h"
#include "sim/cli/results.h"
#include "sim/cli/terminal.h"
#include "sim/cli/workers.h"
#include "sim/core/printable.h"
#include "sim/scenario/loader.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/shrink.h"
#include "sim/scenario/units.h"
#include "sim/scenario/writer.h"

namespace dsim::cli {
namespace po = boost::program_options;

namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string_view> kVisibilities = {"visible", "hidden", "after_due_date", "after_published"};

struct Budget {
  double max_messages_per_commit = 0;  // 0: no bound
  double min_commits_per_second = 0;   // of simulated time; 0: no bound
};

struct Test {
  std::string name;
  std::string description;
  std::string scenario;  // as written in the battery
  std::string path;      // resolved against the battery's folder
  int64_t points = 0;
  uint64_t seeds = 0;
  std::string visibility = "visible";
  std::vector<std::string> checks;
  std::optional<Budget> budget;
};

struct Battery {
  std::string path;
  std::string name;
  std::string protocol;    // the protocol the scenarios name
  std::string executable;  // the lab program, for reproduction lines
  std::vector<Test> tests;
};

bool hidden(const Test& t) { return t.visibility != "visible"; }

std::string dir_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

std::optional<std::string> read_file(const std::string& path, std::string* error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    *error = path + ": error: cannot read (not a regular file)";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) {
    *error = path + ": error: cannot read";
    return std::nullopt;
  }
  return ss.str();
}

bool is_identifier(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// The battery file, strictly: every problem with file:line:col.
std::optional<Battery> load_battery(const std::string& path, scenario::Diagnostics& diag) {
  std::string err;
  const auto text = read_file(path, &err);
  if (!text) {
    diag.error(-1, -1, "cannot read the battery (not a readable regular file)");
    return std::nullopt;
  }
  diag.set_source(path, *text);
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    diag.error(e.mark.line, e.mark.column, e.msg);
    return std::nullopt;
  }
  scenario::YamlReader y(diag);
  Battery b;
  b.path = path;
  if (!y.check_map(root, "battery", {"version", "name", "description", "protocol", "executable", "seeds", "tests"})) {
    if (y.ok()) y.error(root, "a battery is a mapping with version, name, protocol and tests");
    return std::nullopt;
  }
  for (const char* key : {"version", "name", "protocol", "tests"}) y.require(root, key, "battery");
  if (auto v = root["version"]) y.integer(v, "version", 1, 1);
  if (auto v = root["name"]) b.name = y.string(v, "name").value_or("");
  if (auto v = root["protocol"]) b.protocol = y.string(v, "protocol").value_or("");
  if (auto v = root["executable"]) b.executable = y.string(v, "executable").value_or("");
  uint64_t default_seeds = 10;
  if (auto v = root["seeds"]) default_seeds = static_cast<uint64_t>(y.integer(v, "seeds", 1, 100000).value_or(10));
  const YAML::Node tests = root["tests"];
  if (tests && !tests.IsSequence()) {
    y.error(tests, "'tests' must be a list of tests");
  } else if (tests) {
    if (tests.size() == 0) y.error(tests, "'tests' lists no test");
    std::set<std::string> names;
    for (const YAML::Node& n : tests) {
      Test t;
      t.seeds = default_seeds;
      if (!y.check_map(n, "tests[]",
                       {"name", "description", "scenario", "points", "seeds", "visibility", "checks", "budget"})) {
        if (y.ok()) y.error(n, "a test is a mapping (name, scenario, points, checks, ...)");
        continue;
      }
      for (const char* key : {"name", "scenario", "points", "checks"}) y.require(n, key, "tests[]");
      if (auto v = n["name"]) {
        t.name = y.string(v, "tests[].name").value_or("");
        if (!t.name.empty() && !is_identifier(t.name)) {
          y.error(v, "test name '" + t.name + "' must be lower-case letters, digits, '_' or '-'");
        } else if (!t.name.empty() && !names.insert(t.name).second) {
          y.error(v, "duplicate test name '" + t.name + "'");
        }
      }
      if (auto v = n["description"]) t.description = y.string(v, "tests[].description").value_or("");
      if (auto v = n["scenario"]) {
        t.scenario = y.string(v, "tests[].scenario").value_or("");
        t.path = !t.scenario.empty() && t.scenario[0] == '/' ? t.scenario : dir_of(path) + t.scenario;
        struct stat st {};
        if (!t.scenario.empty() && (::stat(t.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))) {
          y.error(v, "scenario '" + t.path + "' is not a readable file (paths are relative to the battery)");
        }
      }
      if (auto v = n["points"]) t.points = y.integer(v, "tests[].points", 1, 1000).value_or(0);
      if (auto v = n["seeds"]) t.seeds = static_cast<uint64_t>(y.integer(v, "tests[].seeds", 1, 100000).value_or(1));
      if (auto v = n["visibility"]) {
        const auto vis = y.string(v, "tests[].visibility").value_or("visible");
        if (std::find(kVisibilities.begin(), kVisibilities.end(), vis) == kVisibilities.end()) {
          y.error(v, "visibility '" + vis + "' is not one of visible, hidden, after_due_date, after_published");
        }
        t.visibility = vis;
      }
      if (auto v = n["checks"]) {
        if (!v.IsSequence() || v.size() == 0) {
          y.error(v, "'checks' must be a non-empty list of the scenario's check names");
        } else {
          for (const YAML::Node& c : v) {
            if (auto s = y.string(c, "tests[].checks[]")) t.checks.push_back(*s);
          }
        }
      }
      if (auto v = n["budget"]) {
        Budget bud;
        if (y.check_map(v, "tests[].budget", {"max_messages_per_commit", "min_commits_per_second"})) {
          if (auto m = v["max_messages_per_commit"]) {
            bud.max_messages_per_commit =
                static_cast<double>(y.integer(m, "budget.max_messages_per_commit", 1, 1'000'000).value_or(0));
          }
          if (auto m = v["min_commits_per_second"]) {
            bud.min_commits_per_second =
                static_cast<double>(y.integer(m, "budget.min_commits_per_second", 1, 1'000'000).value_or(0));
          }
          if (!v["max_messages_per_commit"] && !v["min_commits_per_second"]) {
            y.error(v, "a budget names max_messages_per_commit and/or min_commits_per_second");
          }
        }
        t.budget = bud;
      }
      b.tests.push_back(std::move(t));
    }
  }
  if (!y.ok()) return std::nullopt;
  return b;
}

// The scenario's text with `protocol: FROM` and its `FROM:` section renamed
// to TO, spliced at yaml-cpp's byte positions so every other line and
// column stays where the file has it (errors point into the real file).
bool substitute_protocol(std::string* text, const std::string& from, const std::string& to, std::string* error) {
  if (from == to) return true;
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception&) {
    return true;  // the loader reports the syntax error with its position
  }
  if (!root.IsMap()) return true;
  std::vector<std::pair<size_t, size_t>> spans;  // (pos, length) of each `from` to replace
  bool named = false;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
    if (key == from && it->first.Mark().pos >= 0) spans.push_back({static_cast<size_t>(it->first.Mark().pos), from.size()});
    if (key == "protocol" && it->second.IsScalar()) {
      if (it->second.Scalar() != from) {
        *error = "the scenario's protocol is '" + it->second.Scalar() + "', the battery's is '" + from + "'";
        return false;
      }
      const size_t pos = static_cast<size_t>(it->second.Mark().pos);
      const bool quoted = pos < text->size() && ((*text)[pos] == '"' || (*text)[pos] == '\'');
      spans.push_back({pos + (quoted ? 1 : 0), from.size()});
      named = true;
    }
  }
  if (!named) return true;  // the loader reports the missing protocol
  std::sort(spans.rbegin(), spans.rend());
  for (const auto& [pos, len] : spans) {
    if (text->compare(pos, len, from) != 0) {
      *error = "cannot rename the protocol '" + from + "' in place (write it as a plain scalar)";
      return false;
    }
    text->replace(pos, len, to);
  }
  return true;
}

// --with KEY=VALUE: KEY: VALUE added to (or replaced in) the protocol's
// section. The result is re-emitted YAML, so its positions are not the
// file's; it is for checking a battery against planted bugs.
bool apply_with(std::string* text, const std::string& section, const std::vector<std::pair<std::string, std::string>>& with,
                std::string* error) {
  if (with.empty()) return true;
  try {
    YAML::Node root = YAML::Load(*text);
    YAML::Node sec = root[section];
    if (!sec || sec.IsNull()) {
      root[section] = YAML::Node(YAML::NodeType::Map);
      sec = root[section];
    }
    if (!sec.IsMap()) {
      *error = "the scenario's '" + section + "' section is not a mapping";
      return false;
    }
    for (const auto& [k, v] : with) sec[k] = v;
    YAML::Emitter out;
    out << root;
    *text = std::string(out.c_str()) + "\n";
    return true;
  } catch (const YAML::Exception& e) {
    *error = e.what();
    return false;
  }
}

struct SeedResult {
  bool pass = false;
  std::string reason;  // why it failed
  std::string check;   // the first graded check that did not hold ("" for a budget or a run error)
  uint64_t messages = 0, commits = 0;
};

// Counts what the budget bounds: requests answered ok (distinct request
// ids) from the trace.
class CommitCounter final : public trace::Consumer {
 public:
  void consume(const trace::Event& e) override {
    if (e.kind != "client_response") return;
    const trace::Value* ok = e.find("ok");
    if (!ok || !std::holds_alternative<bool>(*ok) || !std::get<bool>(*ok)) return;
    if (auto req = e.get_int("req")) reqs_.insert(*req);
  }
  uint64_t commits() const { return reqs_.size(); }

 private:
  std::set<int64_t> reqs_;
};

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

SeedResult judge(const scenario::Scenario& s, const Test& t, uint64_t seed) {
  scenario::RunOptions opt;
  opt.seed = seed;
  opt.fingerprint = false;
  CommitCounter counter;
  opt.observers.push_back(&counter);
  const scenario::RunReport r = scenario::run_scenario(s, opt);
  SeedResult out;
  out.messages = r.counters.sent;
  out.commits = counter.commits();
  if (!r.node_failure.empty()) {
    out.reason = "node failure: " + r.node_failure;  // no check to shrink against: the run stops itself
    return out;
  }
  if (!r.schedule_error.empty()) {
    // The test scripts a schedule (a counterexample from dsim explore) and
    // this node did not do what a step needs, e.g. never sent the message
    // to deliver: the test fails with the step, not as "did not run".
    out.reason = "the test's schedule cannot be replayed: " + r.schedule_error;
    return out;
  }
  for (const std::string& name : t.checks) {
    const auto it = std::find_if(r.checks.begin(), r.checks.end(), [&](const auto& c) { return c.name == name; });
    if (it == r.checks.end()) {
      out.reason = name + " did not run";
      out.check = name;
      return out;
    }
    if (it->status == analysis::Status::kHeld) continue;
    out.check = name;
    if (it->status == analysis::Status::kViolated) {
      out.reason = name + " violated" +
                   (it->violation ? " at " + analysis::format_time(it->violation->t_ns) + ": " + it->violation->message : "");
    } else {
      out.reason = name + " inconclusive (counts as failed): " + it->note;
    }
    return out;
  }
  if (t.budget) {
    const double secs = static_cast<double>(s.duration.ns) / 1e9;
    if (out.commits == 0) {
      out.reason = "budget: no request was committed";
      return out;
    }
    const double per_commit = static_cast<double>(out.messages) / static_cast<double>(out.commits);
    const double rate = static_cast<double>(out.commits) / secs;
    if (t.budget->max_messages_per_commit > 0 && per_commit > t.budget->max_messages_per_commit) {
      out.reason = "budget: " + fixed(per_commit, 1) + " messages per committed request, more than the " +
                   fixed(t.budget->max_messages_per_commit, 0) + " allowed";
      return out;
    }
    if (t.budget->min_commits_per_second > 0 && rate < t.budget->min_commits_per_second) {
      out.reason = "budget: " + fixed(rate, 1) + " committed requests per simulated second, fewer than the " +
                   fixed(t.budget->min_commits_per_second, 0) + " required";
      return out;
    }
  }
  out.pass = true;
  return out;
}

struct TestOutcome {
  const Test* test = nullptr;
  std::string error;  // the scenario could not be prepared: the test scores 0
  std::vector<SeedResult> seeds;
  uint64_t passed = 0;
  uint64_t first_failing = 0;  // 0: none
  std::string repro;
  std::string artifacts;  // what --out wrote for the first failing seed
  double messages_per_commit = -1, commits_per_second = -1;  // budget tests: over all seeds
  int64_t score() const { return error.empty() && passed == seeds.size() && !seeds.empty() ? test->points : 0; }
};

struct Options {
  std::string protocol;  // the protocol under test
  std::vector<std::pair<std::string, std::string>> with;
  std::set<std::string> only;
  std::optional<uint64_t> seed;
  std::string out_dir;
  bool reveal = false;
  bool quiet = false;
  unsigned jobs = 1;
};

std::string program_name(const Battery& b, const Options& o) {
  return o.protocol == b.protocol || b.executable.empty() ? "dsim" : b.executable;
}

// What a student sees of a hidden test: its name, points and whether it
// passed; never its scenario, seeds, messages or reproduction line.
std::string hidden_note(const Test& t) {
  return "hidden test (" + t.visibility + "): details are not shown";
}

std::string seed_line(const TestOutcome& o) {
  return std::to_string(o.passed) + "/" + std::to_string(o.seeds.size());
}

const SeedResult* first_failure(const TestOutcome& o) {
  if (o.first_failing == 0) return nullptr;
  for (size_t i = 0; i < o.seeds.size(); ++i) {
    if (!o.seeds[i].pass) return &o.seeds[i];
  }
  return nullptr;
}

// The details of one test for people: failing seed, why, how to replay.
std::string details(const TestOutcome& o, bool reveal) {
  const Test& t = *o.test;
  if (hidden(t) && !reveal) return hidden_note(t);
  std::string out;
  if (!o.error.empty()) return "error: " + o.error;
  out += seed_line(o) + " seeds passed";
  if (o.messages_per_commit >= 0) {
    out += "; " + fixed(o.messages_per_commit, 1) + " messages per committed request, " +
           fixed(o.commits_per_second, 1) + " committed requests per simulated second";
  }
  if (const SeedResult* f = first_failure(o)) {
    out += "\nfirst failing seed " + std::to_string(o.first_failing) + ": " + f->reason + "\nreproduce: " + o.repro;
    if (!o.artifacts.empty()) out += "\n" + o.artifacts;
  }
  return out;
}

std::string table(const Battery& b, const Options& opt, const std::vector<TestOutcome>& outcomes) {
  std::string out = "dsim grade: " + printable(b.name) + " (" + printable(b.path) + "), protocol " + printable(opt.protocol) +
                    (opt.with.empty() ? "" : " with") ;
  for (const auto& [k, v] : opt.with) out += " " + printable(k) + "=" + printable(v);
  out += "\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-30s %9s %9s  %s\n", "test", "points", "seeds", "first failing seed");
  out += line;
  int64_t total = 0, max = 0;
  for (const auto& o : outcomes) {
    const Test& t = *o.test;
    total += o.score();
    max += t.points;
    const std::string pts = std::to_string(o.score()) + "/" + std::to_string(t.points);
    std::string first = "-";
    if (hidden(t) && !opt.reveal) {
      first = o.score() == t.points ? "- (hidden test)" : "(hidden test)";
    } else if (!o.error.empty()) {
      first = "error: " + o.error.substr(0, o.error.find('\n'));  // the rest is in results.json
    } else if (const SeedResult* f = first_failure(o)) {
      first = "seed " + std::to_string(o.first_failing) + ": " + f->reason;
    }
    const std::string seeds = (hidden(t) && !opt.reveal) || !o.error.empty() ? "-" : seed_line(o);
    std::snprintf(line, sizeof line, "%-30s %9s %9s  ", printable(t.name).c_str(), pts.c_str(), seeds.c_str());
    out += line + printable(first) + "\n";
    if (o.first_failing && (!hidden(t) || opt.reveal)) {
      out += std::string(52, ' ') + "reproduce: " + printable(o.repro) + "\n";
      if (!o.artifacts.empty()) {
        for (std::string_view l : split(o.artifacts, '\n')) out += std::string(52, ' ') + printable(std::string(l)) + "\n";
      }
    }
  }
  std::snprintf(line, sizeof line, "%-30s %9s\n", "total", (std::to_string(total) + "/" + std::to_string(max)).c_str());
  out += line;
  return out;
}

// Gradescope's results.json (gradescope-autograders.readthedocs.io,
// "Autograder Specifications"): top-level score, output, visibility,
// stdout_visibility and tests[] with name, number, score, max_score,
// status, output and visibility. No execution_time: it would be wall clock.
std::string gradescope_json(const Battery& b, const Options& opt, const std::vector<TestOutcome>& outcomes) {
  Json root;
  int64_t total = 0, max = 0;
  Json tests = Json::array();
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const TestOutcome& o = outcomes[i];
    const Test& t = *o.test;
    total += o.score();
    max += t.points;
    Json j;
    j["name"] = t.name;
    j["number"] = std::to_string(i + 1);
    j["score"] = o.score();
    j["max_score"] = t.points;
    j["status"] = o.score() == t.points ? "passed" : "failed";
    j["output"] = (hidden(t) && !opt.reveal ? "" : (t.description.empty() ? "" : t.description + "\n")) + details(o, opt.reveal);
    j["visibility"] = t.visibility;
    tests.push_back(std::move(j));
  }
  root["score"] = total;
  root["output"] = b.name + ": " + std::to_string(total) + "/" + std::to_string(max) + " points (graded by dsim " +
                   std::string(DSIM_VERSION) + ", protocol " + opt.protocol + ")";
  root["visibility"] = "visible";
  root["stdout_visibility"] = "hidden";
  root["tests"] = std::move(tests);
  return root.dump(2) + "\n";
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r' ? '?' : c);
    }
  }
  return out;
}

// One testcase per battery test; time is 0 (no wall clock: the file is
// byte-identical between runs).
std::string grade_junit(const Battery& b, const Options& opt, const std::vector<TestOutcome>& outcomes) {
  uint64_t failures = 0, errors = 0;
  std::string cases;
  const std::string classname = "dsim.grade." + b.name;
  for (const auto& o : outcomes) {
    const Test& t = *o.test;
    std::string c = "    <testcase classname=\"" + xml_escape(classname) + "\" name=\"" + xml_escape(t.name) + "\"" +
                    (hidden(t) && !opt.reveal ? "" : " file=\"" + xml_escape(t.path) + "\"") + " time=\"0\"";
    const std::string pts = std::to_string(o.score()) + "/" + std::to_string(t.points) + " points";
    if (!o.error.empty()) {
      ++errors;
      c += ">\n      <error message=\"" + xml_escape(hidden(t) && !opt.reveal ? pts : pts + ": " + o.error) +
           "\" type=\"ScenarioError\"/>\n    </testcase>\n";
    } else if (o.score() < t.points) {
      ++failures;
      const SeedResult* f = first_failure(o);
      const std::string msg = hidden(t) && !opt.reveal ? pts + ", " + hidden_note(t)
                                                       : pts + ", " + seed_line(o) + " seeds passed: seed " +
                                                             std::to_string(o.first_failing) + ": " + (f ? f->reason : "");
      c += ">\n      <failure message=\"" + xml_escape(msg) + "\" type=\"GradeFailure\">" +
           xml_escape(details(o, opt.reveal)) + "</failure>\n    </testcase>\n";
    } else {
      c += ">\n      <system-out>" + xml_escape(pts + ", " + seed_line(o) + " seeds passed") + "</system-out>\n    </testcase>\n";
    }
    cases += c;
  }
  const std::string counts = "tests=\"" + std::to_string(outcomes.size()) + "\" failures=\"" + std::to_string(failures) +
                             "\" errors=\"" + std::to_string(errors) + "\" skipped=\"0\" time=\"0\"";
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dsim grade\" " + counts + ">\n  <testsuite name=\"" +
         xml_escape(b.name) + "\" " + counts + ">\n    <properties><property name=\"protocol\" value=\"" +
         xml_escape(opt.protocol) + "\"/></properties>\n" + cases + "  </testsuite>\n</testsuites>\n";
}

int grade_usage(const std::string& msg) {
  std::fprintf(stderr, "dsim: error: %s\nTry 'dsim grade --help' for usage.\n", msg.c_str());
  return kExitUsage;
}

po::options_description grade_options() {
  po::options_description d(
      "dsim grade BATTERY.yaml [--protocol NAME] [options]\n"
      "dsim grade BATTERY.yaml --batch SUBMISSION... --csv FILE [options]");
  d.add_options()
      ("protocol", po::value<std::string>(), "the protocol under test (default: the battery's); its scenarios are run "
                                             "with their protocol and section renamed to it")
      ("only", po::value<std::vector<std::string>>(), "grade only this test (repeatable)")
      ("seed", po::value<std::string>(), "run only this seed of each test (to replay a failure)")
      ("results", po::value<std::string>(), "write Gradescope's results.json to FILE")
      ("junit", po::value<std::string>(), "write a JUnit XML report to FILE")
      ("out", po::value<std::string>(), "for each failing test's first failing seed write, under DIR/TEST/, the scenario "
                                        "as run, its trace, an HTML report and a shrunk scenario")
      ("reveal", "show hidden tests' details too (for instructors)")
      ("with", po::value<std::vector<std::string>>(), "KEY=VALUE: add KEY: VALUE to the protocol's section of every "
                                                      "scenario (e.g. bug=commit_previous_term, to check a battery)")
      ("jobs,j", po::value<int64_t>()->default_value(std::clamp(std::thread::hardware_concurrency(), 1u, 64u)),
       "simulations (or, with --batch, child processes) at once, 1..1024")
      ("batch", po::value<std::vector<std::string>>()->multitoken(),
       "grade these submissions: lab executables, or folders holding one at --exe")
      ("exe", po::value<std::string>(), "with --batch: the executable's path inside a submission folder "
                                        "(default: the battery's executable)")
      ("csv", po::value<std::string>(), "with --batch: the summary CSV (one row per submission)")
      ("timeout", po::value<int64_t>()->default_value(120), "with --batch: seconds one test of one submission may take")
      ("quiet,q", "no table on standard output")
      ("help,h", "show this help");
  return d;
}

// ---- Running one battery in this process.

// Prepares every test's scenario, runs every (test, seed) on a pool of
// threads, and fills the outcomes in battery order.
std::vector<TestOutcome> run_battery(const Registry& reg, const Battery& b, const Options& opt,
                                     std::vector<std::optional<scenario::Scenario>>* specs, int* exit_code) {
  std::vector<TestOutcome> outcomes;
  for (const Test& t : b.tests) {
    if (!opt.only.empty() && !opt.only.count(t.name)) continue;
    TestOutcome o;
    o.test = &t;
    std::optional<scenario::Scenario> spec;
    std::string err;
    std::optional<std::string> text = read_file(t.path, &err);
    if (text && !substitute_protocol(&*text, b.protocol, opt.protocol, &err)) text.reset();
    if (text && !apply_with(&*text, opt.protocol, opt.with, &err)) text.reset();
    if (text) {
      scenario::Diagnostics diag(t.path, *text);
      spec = scenario::load_scenario_text(reg, *text, t.path, diag);
      if (!spec) {
        // The student's protocol refused the scenario (e.g. a section key
        // it does not read): this test scores 0, the others still run.
        // With the battery's own protocol the battery itself is broken.
        err = diag.render(false);
        while (!err.empty() && err.back() == '\n') err.pop_back();
        if (opt.protocol == b.protocol && opt.with.empty()) *exit_code = kExitInvalidInput;
      }
    } else {
      *exit_code = kExitInvalidInput;  // a scenario the battery names cannot be read
    }
    if (spec) {
      if (!spec->expect_violated.empty()) {
        err = t.path + ": a graded scenario must expect no violation (remove its expect: block)";
        spec.reset();
        *exit_code = kExitInvalidInput;
      } else {
        for (const auto& c : t.checks) {
          if (std::none_of(spec->checks.begin(), spec->checks.end(), [&](const auto& k) { return k.name == c; })) {
            err = t.path + ": test " + t.name + " grades '" + c + "', which the scenario does not check";
            spec.reset();
            *exit_code = kExitInvalidInput;
            break;
          }
        }
      }
    }
    if (spec) {
      // A node that does nothing must not pass: a test demands liveness.
      const bool live = std::any_of(t.checks.begin(), t.checks.end(), [&](const std::string& c) {
        const auto info = reg.find_checker(c, spec->protocol);
        return info && info->kind == analysis::CheckKind::kLiveness;
      });
      if (!live) {
        err = b.path + ": test " + t.name + " grades no liveness check, so a node that does nothing could pass it";
        *exit_code = kExitInvalidInput;
        spec.reset();
      }
    }
    if (!spec) o.error = err.empty() ? "cannot load " + t.path : err;
    outcomes.push_back(std::move(o));
    specs->push_back(std::move(spec));
  }

  struct Job {
    size_t test;
    uint64_t seed;
    size_t slot;
  };
  std::vector<Job> jobs;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (!(*specs)[i]) continue;
    if (opt.seed) {
      outcomes[i].seeds.resize(1);
      jobs.push_back({i, *opt.seed, 0});
      continue;
    }
    outcomes[i].seeds.resize(outcomes[i].test->seeds);
    for (uint64_t s = 1; s <= outcomes[i].test->seeds; ++s) jobs.push_back({i, s, static_cast<size_t>(s - 1)});
  }
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::string internal;
  auto worker = [&]() {
    for (size_t k; (k = next.fetch_add(1)) < jobs.size();) {
      const Job& j = jobs[k];
      SeedResult r;
      try {
        r = judge(*(*specs)[j.test], *outcomes[j.test].test, j.seed);
      } catch (const std::exception& e) {
        r.reason = std::string("the run failed: ") + e.what();
        std::lock_guard<std::mutex> lock(mu);
        if (internal.empty()) internal = e.what();
      }
      outcomes[j.test].seeds[j.slot] = std::move(r);
    }
  };
  run_workers(static_cast<unsigned>(std::min<size_t>(opt.jobs, std::max<size_t>(1, jobs.size()))), worker);
  if (!internal.empty()) *exit_code = kExitInternal;

  const std::string prog = program_name(b, opt);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    TestOutcome& o = outcomes[i];
    uint64_t msgs = 0, commits = 0;
    for (size_t s = 0; s < o.seeds.size(); ++s) {
      const uint64_t seed = opt.seed ? *opt.seed : s + 1;
      msgs += o.seeds[s].messages;
      commits += o.seeds[s].commits;
      if (o.seeds[s].pass) {
        ++o.passed;
      } else if (o.first_failing == 0) {
        o.first_failing = seed;
      }
    }
    if (o.test->budget && (*specs)[i] && commits > 0) {
      o.messages_per_commit = static_cast<double>(msgs) / static_cast<double>(commits);
      o.commits_per_second = static_cast<double>(commits) /
                             (static_cast<double>((*specs)[i]->duration.ns) / 1e9 * static_cast<double>(o.seeds.size()));
    }
    if (o.first_failing) {
      std::vector<std::string> argv = {prog, "grade", b.path};
      if (opt.protocol != b.protocol) argv.insert(argv.end(), {"--protocol", opt.protocol});
      for (const auto& [k, v] : opt.with) argv.insert(argv.end(), {"--with", k + "=" + v});
      argv.insert(argv.end(), {"--only", o.test->name, "--seed", std::to_string(o.first_failing)});
      if (!opt.out_dir.empty()) argv.insert(argv.end(), {"--out", opt.out_dir});
      o.repro = shell_join(argv);
    }
  }
  return outcomes;
}

// --out: for the first failing seed of a test, the scenario as run, its
// trace, an HTML report and a shrunk scenario. Returns what it wrote.
std::string write_artifacts(const Registry& reg, const std::string& dir, const scenario::Scenario& s, const TestOutcome& o,
                            const std::string& prog) {
  const std::string base = dir + "/" + o.test->name;
  ::mkdir(dir.c_str(), 0777);
  ::mkdir(base.c_str(), 0777);
  const std::string stem = base + "/seed-" + std::to_string(o.first_failing);
  std::string out;
  const std::string yaml_path = stem + ".yaml";
  if (write_output(yaml_path, scenario::scenario_to_yaml(s, "Graded by dsim grade: test " + o.test->name)).empty()) {
    out += "scenario: " + yaml_path + " (run: " + shell_join({prog, "run", yaml_path, "--seed", std::to_string(o.first_failing)}) + ")\n";
  }
  scenario::RunOptions opt;
  opt.seed = o.first_failing;
  opt.trace_path = stem + ".jsonl";
  // The trace (and the report's reproduce line) names the scenario as the
  // student's node ran it, not the battery's file, which names the reference.
  scenario::Scenario as_run = s;
  as_run.path = yaml_path;
  as_run.id = yaml_path;
  const auto r = scenario::run_scenario(as_run, opt);
  if (r.trace_error.empty()) {
    out += "trace: " + opt.trace_path + " (read it: " + shell_join({prog, "show", opt.trace_path}) + ")\n";
    std::string html;
    auto hints = [&reg](std::string_view p) {
      const Protocol* def = reg.find(p);
      return def ? def->report_hints() : ReportHints{};
    };
    if (analysis::build_report(reg, hints, opt.trace_path, &html).empty() &&
        write_output(stem + ".html", html).empty()) {
      out += "report: " + stem + ".html\n";
    }
  }
  const SeedResult* f = first_failure(o);
  if (f && !f->check.empty()) {
    std::string why;
    const auto shrunk = scenario::shrink(reg, s, o.first_failing, f->check, &why);
    if (shrunk) {
      scenario::Scenario small = shrunk->scenario;
      small.name = s.name + "-shrunk";
      small.description = "Shrunk by dsim grade from test " + o.test->name + " seed " +
                          std::to_string(o.first_failing) + ": " + shrunk->check + ". " + shrunk->message;
      const std::string small_path = stem + "-shrunk.yaml";
      small.path = small_path;
      if (write_output(small_path, scenario::scenario_to_yaml(small)).empty()) {
        out += "shrunk: " + small_path + " (" + std::to_string(shrunk->faults_after) + " faults, " +
               std::to_string(shrunk->nodes_after) + " nodes, " + analysis::format_time(shrunk->time_after.ns) + ")\n";
      }
    } else {
      out += "shrunk: not possible (" + why + ")\n";
    }
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// ---- Batch grading: child processes.

struct ChildResult {
  int64_t score = 0;
  std::string note;  // why 0 when the child did not report
  Json test;         // the child's results.json entry for the test, when it wrote one
};

// Runs argv with stdout/stderr to /dev/null, killed after timeout_s.
// Returns the wait status, or -1 on timeout.
int run_child(const std::vector<std::string>& argv, int64_t timeout_s, std::string* error) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    *error = "cannot fork";
    return -2;
  }
  if (pid == 0) {
    // Only async-signal-safe calls until exec (the grader has threads).
    // The child dies with the thread that started it: a grader killed or
    // interrupted leaves no submission running.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, STDIN_FILENO);
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
    }
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) return status;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c == '\n' || c == '\r' ? ' ' : c;
  }
  return out + "\"";
}

int run_batch(const Battery& b, const po::variables_map& vm, const Options& opt, int64_t timeout_s) {
  const auto subs = vm["batch"].as<std::vector<std::string>>();
  const std::string exe_rel = vm.count("exe") ? vm["exe"].as<std::string>() : b.executable;
  if (!vm.count("csv") && !vm.count("results")) return grade_usage("--batch needs --csv FILE (or, for one submission, --results FILE)");
  if (vm.count("results") && subs.size() != 1) return grade_usage("--batch with --results grades one submission");
  std::vector<std::string> exes;
  for (const auto& s : subs) {
    struct stat st {};
    std::string exe = s;
    if (::stat(s.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      if (exe_rel.empty()) return grade_usage("a submission is a folder: give --exe (or executable: in the battery)");
      exe = s + "/" + exe_rel;
    }
    exes.push_back(exe);
  }
  std::vector<const Test*> tests;
  for (const auto& t : b.tests) {
    if (opt.only.empty() || opt.only.count(t.name)) tests.push_back(&t);
  }
  if (tests.empty()) {
    std::fprintf(stderr, "dsim: nothing to grade (no test matches --only)\n");
    return kExitNothingRan;
  }
  const std::string tmp_dir_file = private_temp_path("batch");
  if (tmp_dir_file.empty()) {
    std::fprintf(stderr, "dsim: error: cannot create a temporary directory\n");
    return kExitIo;
  }
  const std::string tmp = dir_of(tmp_dir_file);
  std::vector<std::vector<ChildResult>> grid(exes.size(), std::vector<ChildResult>(tests.size()));
  std::atomic<size_t> next{0};
  const size_t total = exes.size() * tests.size();
  auto worker = [&]() {
    for (size_t k; (k = next.fetch_add(1)) < total;) {
      const size_t si = k / tests.size(), ti = k % tests.size();
      ChildResult& cr = grid[si][ti];
      if (access(exes[si].c_str(), X_OK) != 0) {
        cr.note = "no executable " + exes[si];
        continue;
      }
      const std::string res = tmp + "r" + std::to_string(k) + ".json";
      std::vector<std::string> argv = {exes[si], "grade", b.path, "--only", tests[ti]->name, "--results", res,
                                       "--quiet", "--jobs", "1"};
      if (!opt.protocol.empty()) argv.insert(argv.end(), {"--protocol", opt.protocol});
      for (const auto& [key, v] : opt.with) argv.insert(argv.end(), {"--with", key + "=" + v});
      if (opt.reveal) argv.push_back("--reveal");
      std::string err;
      const int status = run_child(argv, timeout_s, &err);
      if (status == -1) {
        cr.note = tests[ti]->name + ": timed out after " + std::to_string(timeout_s) + "s";
      } else if (status == -2) {
        cr.note = tests[ti]->name + ": " + err;
      } else if (WIFSIGNALED(status)) {
        cr.note = tests[ti]->name + ": crashed (signal " + std::to_string(WTERMSIG(status)) + ")";
      } else if (WIFEXITED(status) && WEXITSTATUS(status) != kExitOk && WEXITSTATUS(status) != kExitViolation) {
        cr.note = tests[ti]->name + ": exit " + std::to_string(WEXITSTATUS(status));
      }
      std::ifstream in(res);
      const Json j = Json::parse(in, nullptr, false);
      if (cr.note.empty() && (j.is_discarded() || !j.contains("tests") || j["tests"].size() != 1 ||
                              !j["tests"][0].contains("score") || !j["tests"][0]["score"].is_number())) {
        cr.note = tests[ti]->name + ": no results (is this a lab executable built with dsim?)";
      }
      if (cr.note.empty()) {
        cr.score = std::clamp<int64_t>(j["tests"][0]["score"].get<int64_t>(), 0, tests[ti]->points);
        cr.test = j["tests"][0];
      }
      ::unlink(res.c_str());
    }
  };
  run_workers(static_cast<unsigned>(std::min<size_t>(opt.jobs, total)), worker);
  remove_private_temp(tmp_dir_file);

  std::string csv = "submission";
  int64_t max = 0;
  for (const Test* t : tests) {
    csv += "," + csv_field(t->name);
    max += t->points;
  }
  csv += ",total,max,notes\n";
  for (size_t si = 0; si < exes.size(); ++si) {
    int64_t total_pts = 0;
    std::string notes;
    csv += csv_field(subs[si]);
    for (size_t ti = 0; ti < tests.size(); ++ti) {
      csv += "," + std::to_string(grid[si][ti].score);
      total_pts += grid[si][ti].score;
      if (!grid[si][ti].note.empty()) notes += (notes.empty() ? "" : "; ") + grid[si][ti].note;
    }
    csv += "," + std::to_string(total_pts) + "," + std::to_string(max) + "," + csv_field(notes) + "\n";
    if (!opt.quiet) {
      std::printf("%-40s %4lld/%lld%s%s\n", printable(subs[si]).c_str(), static_cast<long long>(total_pts),
                  static_cast<long long>(max), notes.empty() ? "" : "  ", printable(notes).c_str());
    }
  }
  std::vector<std::pair<std::string, std::string>> files;
  if (vm.count("csv")) files.emplace_back(vm["csv"].as<std::string>(), csv);
  if (vm.count("results")) {
    // One submission's Gradescope results.json, assembled from its children:
    // a test whose child crashed or hung still gets its entry, with 0.
    Json root, list = Json::array();
    int64_t total = 0;
    for (size_t ti = 0; ti < tests.size(); ++ti) {
      const Test& t = *tests[ti];
      const ChildResult& cr = grid[0][ti];
      Json j = cr.test;
      if (j.is_null()) {
        j["name"] = t.name;
        j["score"] = 0;
        j["max_score"] = t.points;
        j["status"] = "failed";
        j["output"] = hidden(t) && !opt.reveal ? hidden_note(t) : "the run did not finish: " + cr.note;
        j["visibility"] = t.visibility;
      }
      j["number"] = std::to_string(ti + 1);
      total += cr.score;
      list.push_back(std::move(j));
    }
    root["score"] = total;
    root["output"] = b.name + ": " + std::to_string(total) + "/" + std::to_string(max) + " points (graded by dsim " +
                     std::string(DSIM_VERSION) + ", each test in its own process)";
    root["visibility"] = "visible";
    root["stdout_visibility"] = "hidden";
    root["tests"] = std::move(list);
    files.emplace_back(vm["results"].as<std::string>(), root.dump(2) + "\n");
  }
  for (const auto& [path, text] : files) {
    if (const auto err = write_output(path, text); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  return kExitOk;
}

}  // namespace

int cmd_grade(const Registry& reg, const std::vector<std::string>& args) {
  const po::options_description opts = grade_options();
  if (std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "--help" || a == "-h"; })) {
    std::cout << opts
              << "\nEach test scores its points only if every graded check holds on every seed (inconclusive "
                 "counts as failed).\nExit codes: 0 full points, 1 some points lost, 2 usage error, 3 invalid "
                 "battery or scenario,\n6 a resource limit, 70 internal error, 74 I/O error. With --batch: 0 once "
                 "the CSV is written.\n";
    return kExitOk;
  }
  int code = kExitOk;
  const auto vm = parse_command(args, opts, "battery", "grade", &code);
  if (!vm) return code;
  const std::string battery_path = (*vm)["battery"].as<std::vector<std::string>>()[0];
  Options opt;
  const int64_t jobs = (*vm)["jobs"].as<int64_t>();
  if (jobs < 1 || jobs > 1024) return grade_usage("--jobs must be between 1 and 1024");
  opt.jobs = static_cast<unsigned>(jobs);
  opt.reveal = vm->count("reveal") > 0;
  opt.quiet = vm->count("quiet") > 0;
  if (vm->count("only")) {
    for (const auto& o : (*vm)["only"].as<std::vector<std::string>>()) opt.only.insert(o);
  }
  if (vm->count("with")) {
    for (const auto& w : (*vm)["with"].as<std::vector<std::string>>()) {
      const size_t eq = w.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == w.size()) return grade_usage("--with takes KEY=VALUE, got '" + w + "'");
      opt.with.emplace_back(w.substr(0, eq), w.substr(eq + 1));
    }
  }
  if (vm->count("seed")) {
    uint64_t s = 0;
    std::string why;
    if (!scenario::parse_seed((*vm)["seed"].as<std::string>(), &s, &why)) return grade_usage(why);
    opt.seed = s;
  }
  for (const char* name : {"results", "junit", "out", "csv", "exe"}) {
    if (vm->count(name) && (*vm)[name].as<std::string>().empty()) return grade_usage(std::string("--") + name + " needs a value");
  }
  if (vm->count("results") && vm->count("junit") && (*vm)["results"].as<std::string>() == (*vm)["junit"].as<std::string>()) {
    return grade_usage("--results and --junit both write " + (*vm)["junit"].as<std::string>());
  }
  // Machine output on standard output replaces the table there.
  for (const char* name : {"results", "junit"}) {
    if (vm->count(name) && ((*vm)[name].as<std::string>() == "-" || (*vm)[name].as<std::string>() == "/dev/stdout")) {
      opt.quiet = true;
    }
  }
  if (vm->count("out")) opt.out_dir = (*vm)["out"].as<std::string>();
  const int64_t timeout_s = (*vm)["timeout"].as<int64_t>();
  if (timeout_s < 1 || timeout_s > 86400) return grade_usage("--timeout must be between 1 and 86400 seconds");
  const bool batch = vm->count("batch") > 0;
  if (!batch) {
    for (const char* name : {"csv", "exe"}) {
      if (vm->count(name)) return grade_usage(std::string("--") + name + " goes with --batch");
    }
  } else {
    for (const char* name : {"junit", "out", "seed"}) {
      if (vm->count(name)) return grade_usage(std::string("--") + name + " does not go with --batch");
    }
  }

  scenario::Diagnostics diag(battery_path);
  const auto battery = load_battery(battery_path, diag);
  if (!battery) {
    std::fputs(diag.render(use_color(ColorMode::kAuto)).c_str(), stderr);
    return kExitInvalidInput;
  }
  for (const auto& o : opt.only) {
    if (std::none_of(battery->tests.begin(), battery->tests.end(), [&](const Test& t) { return t.name == o; })) {
      return grade_usage("the battery has no test '" + o + "'");
    }
  }
  if (batch) {
    opt.protocol = vm->count("protocol") ? (*vm)["protocol"].as<std::string>() : "";
    return run_batch(*battery, *vm, opt, timeout_s);
  }
  opt.protocol = vm->count("protocol") ? (*vm)["protocol"].as<std::string>() : battery->protocol;
  if (!reg.find(opt.protocol)) {
    std::string names;
    for (auto n : reg.names()) names += (names.empty() ? "" : ", ") + std::string(n);
    return grade_usage("this program has no protocol '" + opt.protocol + "' (it has: " + names + ")");
  }

  int exit_code = kExitOk;
  std::vector<std::optional<scenario::Scenario>> specs;
  std::vector<TestOutcome> outcomes = run_battery(reg, *battery, opt, &specs, &exit_code);
  if (exit_code == kExitInvalidInput) {
    for (const auto& o : outcomes) {
      if (!o.error.empty()) std::fprintf(stderr, "%s\n", o.error.c_str());
    }
    return exit_code;
  }
  if (!opt.out_dir.empty()) {
    struct stat st {};
    if (::mkdir(opt.out_dir.c_str(), 0777) != 0 && !(errno == EEXIST && ::stat(opt.out_dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
      std::fprintf(stderr, "dsim: error: --out %s: cannot create the directory: %s\n", opt.out_dir.c_str(), std::strerror(errno));
      return exit_code_for_write_errno(errno);
    }
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (!outcomes[i].first_failing || !specs[i] || (hidden(*outcomes[i].test) && !opt.reveal)) continue;
      outcomes[i].artifacts = write_artifacts(reg, opt.out_dir, *specs[i], outcomes[i], program_name(*battery, opt));
    }
  }
  if (!opt.quiet) std::fputs(table(*battery, opt, outcomes).c_str(), stdout);
  for (const auto& [flag, text] : {std::pair<const char*, std::string>{"results", gradescope_json(*battery, opt, outcomes)},
                                   {"junit", grade_junit(*battery, opt, outcomes)}}) {
    if (!vm->count(flag)) continue;
    if (const auto err = write_output((*vm)[flag].as<std::string>(), text); !err.empty()) {
      std::fprintf(stderr, "dsim: error: %s\n", err.c_str());
      return err.exit_code();
    }
  }
  if (exit_code != kExitOk) return exit_code;
  const bool full = std::all_of(outcomes.begin(), outcomes.end(), [](const TestOutcome& o) { return o.score() == o.test->points; });
  return full ? kExitOk : kExitViolation;
}

}  // namespace dsim::cli
