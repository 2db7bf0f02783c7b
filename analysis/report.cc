#include "analysis/report.h"

#include <algorithm>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>

#include "analysis/offline.h"
#include "analysis/report_template.h"
#include "sim/trace/reader.h"

namespace dsim::analysis {
namespace {

using Json = nlohmann::ordered_json;

std::string fields_text(const trace::Event& e) {
  std::string out;
  for (const auto& [k, v] : e.fields) {
    if (!out.empty()) out += ' ';
    out += k + "=";
    if (const auto* i = std::get_if<int64_t>(&v)) out += std::to_string(*i);
    else if (const auto* s = std::get_if<std::string>(&v)) out += *s;
    else out += std::get<bool>(v) ? "true" : "false";
  }
  return out;
}

}  // namespace

std::string build_report(const std::string& trace_path, std::string* html) {
  const OfflineResult checks = check_trace(trace_path, std::nullopt);
  if (!checks.error.empty()) return checks.error;
  trace::Reader reader;
  if (std::string err = reader.open(trace_path); !err.empty()) return err;

  std::vector<std::string> nodes;
  std::map<std::string, int> index;
  {
    const Json m = Json::parse(reader.meta().meta_json, nullptr, false);
    if (m.is_object() && m.contains("nodes") && m["nodes"].is_array()) {
      for (const auto& n : m["nodes"]) {
        if (n.is_string() && index.emplace(n.get<std::string>(), static_cast<int>(nodes.size())).second) {
          nodes.push_back(n.get<std::string>());
        }
      }
    }
  }
  auto node_of = [&](const std::string& name) -> int {
    if (name == "*" || name == "$ext") return -1;
    auto [it, fresh] = index.emplace(name, static_cast<int>(nodes.size()));
    if (fresh) nodes.push_back(name);
    return it->second;
  };

  Json events = Json::array(), msgs = Json::array(), roles = Json::array(), down = Json::array(),
       faults = Json::array(), ops = Json::array();
  struct Msg {
    size_t row;
    bool delivered = false;
  };
  std::map<int64_t, Msg> msg_rows;
  struct Open {
    int64_t t;
    std::string role;
    int64_t term;
  };
  std::map<int, Open> role_open;
  std::map<int, int64_t> crashed_since;
  std::map<int64_t, size_t> op_rows;  // req -> row in ops
  std::optional<std::pair<int64_t, std::string>> partition;
  int64_t end = 0;
  bool truncated = false;
  auto close_role = [&](int n, int64_t t) {
    auto it = role_open.find(n);
    if (it == role_open.end()) return;
    if (t > it->second.t) roles.push_back({n, it->second.t, t, it->second.role, it->second.term});
    role_open.erase(it);
  };
  trace::Event e;
  while (reader.next(&e)) {
    end = std::max(end, e.t);
    const int n = node_of(e.node);
    if (e.kind != "timer") {
      if (events.size() < kReportMaxMessages) {
        events.push_back({e.t, n, e.kind, fields_text(e)});
      } else {
        truncated = true;
      }
    }
    const std::string& k = e.kind;
    if (k == "send") {
      if (msgs.size() >= kReportMaxMessages) {
        truncated = true;
        continue;
      }
      const auto to = e.get_str("to");
      msg_rows[e.get_int("msg").value_or(0)] = Msg{msgs.size()};
      msgs.push_back({e.t, n, to ? node_of(std::string(*to)) : n, std::string(e.get_str("type").value_or("msg")), -1, -1, 0});
    } else if (k == "deliver" || k == "drop") {
      auto it = msg_rows.find(e.get_int("msg").value_or(-1));
      if (it == msg_rows.end()) continue;  // an input, or beyond the cap
      Json& row = msgs[it->second.row];
      const size_t col = k == "deliver" ? 4 : 5;
      if (!it->second.delivered && row[4] == -1 && row[5] == -1) {
        row[col] = e.t;
        it->second.delivered = true;
      } else if (msgs.size() < kReportMaxMessages) {  // the other copy of a duplicate
        Json copy = row;
        copy[4] = -1;
        copy[5] = -1;
        copy[col] = e.t;
        copy[6] = 1;
        msgs.push_back(copy);
      }
    } else if (k == "role") {
      close_role(n, e.t);
      role_open[n] = Open{e.t, std::string(e.get_str("role").value_or("?")), e.get_int("term").value_or(0)};
    } else if (k == "crash") {
      close_role(n, e.t);
      crashed_since[n] = e.t;
    } else if (k == "restart") {
      if (auto it = crashed_since.find(n); it != crashed_since.end()) {
        down.push_back({n, it->second, e.t, "crashed"});
        crashed_since.erase(it);
      }
    } else if (k == "pause") {
      down.push_back({n, e.t, e.t + e.get_int("for_ns").value_or(0), "paused"});
    } else if (k == "partition" || k == "isolate" || k == "cut" || k == "heal") {
      if (partition) faults.push_back({partition->first, e.t, partition->second});
      partition.reset();
      if (k != "heal") {
        partition = std::make_pair(e.t, k == "cut" ? "cut " + std::string(e.get_str("from").value_or("")) + "->" +
                                                         std::string(e.get_str("to").value_or(""))
                                                   : k + " " + std::string(e.get_str("groups").value_or("")));
      }
    } else if (k == "clog") {
      faults.push_back({e.t, e.t + e.get_int("for_ns").value_or(0),
                        "clog " + std::string(e.get_str("target").value_or(e.get_str("from").value_or("")))});
    } else if (k == "client_request") {
      const int64_t req = e.get_int("req").value_or(0);
      op_rows[req] = ops.size();
      ops.push_back({n, e.t, -1, -1, req});
    } else if (k == "client_response") {
      auto it = op_rows.find(e.get_int("req").value_or(0));
      if (it == op_rows.end()) continue;
      const trace::Value* ok = e.find("ok");
      ops[it->second][2] = e.t;
      ops[it->second][3] = ok && std::holds_alternative<bool>(*ok) && std::get<bool>(*ok) ? 1 : 0;
    }
  }
  if (!reader.error().empty()) return reader.error();
  for (int n = 0; n < static_cast<int>(nodes.size()); ++n) close_role(n, end);
  for (const auto& [n, t] : crashed_since) down.push_back({n, t, end, "crashed"});
  if (partition) faults.push_back({partition->first, end, partition->second});
  for (auto& o : ops) {
    if (o[2] == -1) o[2] = end;
  }
  std::stable_sort(msgs.begin(), msgs.end(), [](const Json& a, const Json& b) { return a[0].get<int64_t>() < b[0].get<int64_t>(); });
  int64_t max_flight = 0;
  for (const auto& m : msgs) {
    const int64_t stop = m[4] != -1 ? m[4].get<int64_t>() : m[5] != -1 ? m[5].get<int64_t>() : end;
    max_flight = std::max(max_flight, stop - m[0].get<int64_t>());
  }
  Json cj = Json::array();
  for (const auto& c : checks.checks) {
    Json one{{"name", c.name}, {"kind", to_string(c.kind)}, {"status", to_string(c.status)}, {"note", c.note}};
    if (c.violation) one["violation"] = {{"t", c.violation->t_ns}, {"node", c.violation->node}, {"message", c.violation->message}};
    cj.push_back(one);
  }
  const Json data{{"schema", "dsim.report/1"},
                  {"meta", {{"scenario", checks.scenario}, {"seed", checks.seed}, {"trace", trace_path},
                            {"repro", "dsim run " + checks.scenario + " --seed " + checks.seed}}},
                  {"nodes", nodes},
                  {"end", end},
                  {"events", events},
                  {"msgs", msgs},
                  {"maxFlight", max_flight},
                  {"roles", roles},
                  {"down", down},
                  {"faults", faults},
                  {"ops", ops},
                  {"checks", cj},
                  {"truncated", truncated}};
  std::string json = data.dump();
  // Inside <script>, "</script>" would end the element: '<' only ever
  // occurs inside JSON strings, where \u003c means the same.
  std::string safe;
  safe.reserve(json.size());
  for (char c : json) {
    if (c == '<') safe += "\\u003c";
    else safe.push_back(c);
  }
  *html = std::string(kReportHead) + safe + kReportTail;
  return {};
}

}  // namespace dsim::analysis
