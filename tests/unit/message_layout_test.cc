// Message contents in traces (Protocol::message_layout) and what the HTML
// report builds from them: the keys are well formed for every protocol, a
// Raft run's sends carry them consistently, and the report embeds the
// per-node log view and the narration.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "analysis/report.h"
#include "dsim/protocol.h"
#include "sim/scenario/runner.h"
#include "sim/trace/reader.h"
#include "catalogue.h"

using namespace dsim;

TEST_CASE("message layouts: keys are named, unique and never a reserved key") {
  int described = 0;
  for (const auto& p : dsim::testing::registry().protocols()) {
    for (uint32_t type = 0; type < 256; ++type) {
      const MessageLayout* l = p->message_layout(type);
      if (!l) continue;
      ++described;
      CAPTURE(p->name());
      CAPTURE(type);
      CHECK(!p->message_name(type).empty());
      std::set<std::string_view> keys;
      for (const MessageField& f : l->f) {
        if (f.name.empty()) continue;
        CHECK(keys.insert(f.name).second);
        CHECK(f.name != "msg");
        CHECK(f.name != "to");
        CHECK(f.name != "type");
        CHECK(f.name != "index");
        CHECK(f.name != "from");
        if (f.as == MessageField::As::kName) CHECK(!f.names.empty());
      }
      if (!l->body.empty()) CHECK(keys.insert(l->body).second);
    }
  }
  CHECK(described >= 15);  // Raft, Paxos and Multi-Paxos at least
}

TEST_CASE("message layouts: docs/trace-schema.md lists every described message with its keys in order") {
  std::ifstream in(std::string(DSIM_SOURCE_DIR) + "/docs/trace-schema.md");
  REQUIRE(in);
  // Rows "| protocol | `type`, `type` | `key`, `key` (notes) |" of the table.
  std::map<std::pair<std::string, std::string>, std::string> rows;
  const std::regex row(R"(^\| ([a-z_]+) \| ([^|]+) \| ([^|]+) \|$)");
  const std::regex tick("`([^`]+)`");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, row)) continue;
    std::string keys = m[3];
    // Notes in parentheses name values, not keys.
    keys = std::regex_replace(keys, std::regex(R"(\([^)]*\))"), "");
    std::string listed;
    for (std::sregex_iterator k(keys.begin(), keys.end(), tick), end; k != end; ++k) listed += (*k)[1].str() + ",";
    const std::string types = m[2];
    for (std::sregex_iterator t(types.begin(), types.end(), tick), end; t != end; ++t) {
      rows[{m[1].str(), (*t)[1].str()}] = listed;
    }
  }
  int checked = 0;
  for (const auto& p : dsim::testing::registry().protocols()) {
    for (uint32_t type = 0; type < 256; ++type) {
      const MessageLayout* l = p->message_layout(type);
      if (!l) continue;
      std::string want;
      for (const MessageField& f : l->f) {
        if (!f.name.empty()) want += std::string(f.name) + ",";
      }
      if (!l->body.empty()) want += std::string(l->body) + ",";
      const auto key = std::make_pair(std::string(p->name()), std::string(p->message_name(type)));
      CAPTURE(key.first);
      CAPTURE(key.second);
      REQUIRE(rows.count(key));
      CHECK(rows[key] == want);
      ++checked;
    }
  }
  CHECK(checked >= 15);
}

namespace {
std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("dsim-msg-") + name)).string();
}
}  // namespace

TEST_CASE("message layouts: a Raft run's sends say what each message carried") {
  const std::string path = temp_path("raft.jsonl");
  scenario::RunOptions opt;
  opt.seed = 1;
  opt.trace_path = path;
  const auto r = scenario::run_scenario(dsim::testing::load_catalogue("scenarios/teaching/raft-leader-crash.yaml"), opt);
  REQUIRE(r.trace_error.empty());
  trace::Reader reader;
  REQUIRE(reader.open(path).empty());
  trace::Event e;
  int votes = 0, appends_with_entries = 0, replies = 0;
  while (reader.next(&e)) {
    if (e.kind != "send") continue;
    const auto type = e.get_str("type").value_or("");
    if (type == "vote_reply") {
      ++votes;
      const trace::Value* granted = e.find("granted");
      REQUIRE(granted != nullptr);
      REQUIRE(std::holds_alternative<bool>(*granted));
      const auto why = e.get_str("why");
      REQUIRE(why.has_value());
      CHECK(std::get<bool>(*granted) == (*why == "granted"));
    } else if (type == "append_entries") {
      REQUIRE(e.get_int("prev_index").has_value());
      REQUIRE(e.get_int("prev_term").has_value());
      REQUIRE(e.get_int("leader_commit").has_value());
      if (e.get_int("entries").value_or(0) > 0) ++appends_with_entries;
    } else if (type == "append_reply") {
      ++replies;
      CHECK(e.find("success") != nullptr);
      CHECK(e.get_int("match_index").has_value());
    }
  }
  CHECK(reader.error().empty());
  CHECK(votes > 0);
  CHECK(appends_with_entries > 0);
  CHECK(replies > 0);

  // The report: the narration given, the log view's data per node.
  std::string html;
  const auto hints = [](std::string_view protocol) {
    const Protocol* p = dsim::testing::registry().find(protocol);
    return p ? p->report_hints() : ReportHints{};
  };
  REQUIRE(analysis::build_report(dsim::testing::registry(), hints, path, &html, "Watch the <leader> crash").empty());
  CHECK(html.find(R"("description":"Watch the \u003cleader> crash")") != std::string::npos);
  CHECK(html.find(R"("log":{"index":"index","epoch":"term","value":"cmd")") != std::string::npos);
  CHECK(html.find("\"infos\":[") != std::string::npos);
  std::filesystem::remove(path);
}
