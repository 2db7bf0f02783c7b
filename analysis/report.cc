#include "analysis/report.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>

#include "analysis/interner.h"
#include "analysis/offline.h"
#include "analysis/report_template.h"
#include "sim/trace/json_text.h"
#include "sim/trace/reader.h"
#include "sim/trace/sha256.h"

namespace dsim::analysis {
namespace {

using Json = nlohmann::ordered_json;

// The report's <head>, with the CSP naming the SHA-256 of the one inline
// script (base64, as CSP wants it) instead of allowing any inline script.
// Computed from the template itself, so editing the script cannot make the
// hash stale.
std::string report_head() {
  const std::string_view tail = kReportTail;
  const size_t open = tail.find("<script>");
  const size_t begin = open + std::string_view("<script>").size();
  const size_t end = tail.find("</script>", begin);
  trace::Sha256 sha;
  sha.update(tail.substr(begin, end - begin));
  const std::string hex = sha.hex_digest();
  std::string raw;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (size_t i = 0; i < raw.size(); i += 3) {
    const auto byte = [&](size_t k) { return k < raw.size() ? static_cast<unsigned char>(raw[k]) : 0u; };
    const unsigned v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    b64 += kB64[v >> 18 & 63];
    b64 += kB64[v >> 12 & 63];
    b64 += i + 1 < raw.size() ? kB64[v >> 6 & 63] : '=';
    b64 += i + 2 < raw.size() ? kB64[v & 63] : '=';
  }
  std::string head = kReportHead;
  head.replace(head.find(kScriptHashMarker), std::string_view(kScriptHashMarker).size(), b64);
  return head;
}

std::string fields_text(const trace::Event& e) {
  std::string out;
  for (const auto& [k, v] : e.fields) {
    if (!out.empty()) out += ' ';
    out += k;
    out += '=';
    if (const auto* i = std::get_if<int64_t>(&v)) {
      trace::append_int(out, *i);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      out += *s;
    } else {
      out += std::get<bool>(v) ? "true" : "false";
    }
  }
  return out;
}

}  // namespace

namespace {

// Columnar, delta-encoded number arrays, written by hand: a million-event
// run stays tens of megabytes and builds in a second or two.
void put_int(std::string& out, int64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

struct Column {
  std::string text = "[";
  bool first = true;
  void add(int64_t v) {
    if (!first) text += ',';
    first = false;
    put_int(text, v);
  }
  std::string done() const { return text + "]"; }
};


bool is_network(const std::string& k) {
  return k == "send" || k == "deliver" || k == "drop" || k == "duplicate" || k == "input";
}

}  // namespace

std::string build_report(const CheckerCatalog& catalog, const std::function<ReportHints(std::string_view)>& hints,
                         const std::string& trace_path, std::string* html) {
  // One pass: the checks and the drawing read the same events.
  trace::Reader reader;
  if (std::string err = reader.open(trace_path); !err.empty()) return err;
  TraceChecks checker(catalog);
  if (std::string err = checker.begin(trace_path, reader.meta(), std::nullopt); !err.empty()) return err;

  std::vector<std::string> nodes;
  std::map<std::string, int> index;
  ReportHints hint;
  {
    const Json m = Json::parse(reader.meta().meta_json, nullptr, false);
    if (m.is_object() && m.contains("protocol") && m["protocol"].is_string()) hint = hints(m["protocol"].get<std::string>());
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

  // Messages: one row per copy, kept in send order.
  struct Msg {
    int64_t t, recv = -1, drop = -1;
    int from, to, type;
    bool dup = false;
  };
  std::vector<Msg> msgs;
  std::map<int64_t, size_t> msg_row;
  // Events for the cursor: time, node, kind; text only for non-network ones.
  Column ev_t, ev_node, ev_kind;
  std::string ev_text = "[";
  uint64_t n_events = 0;
  int64_t last_t = 0;
  Interner kinds, types;
  Json roles = Json::array(), down = Json::array(), faults = Json::array(), ops = Json::array();
  struct Open {
    int64_t t;
    std::string role;
    int64_t term;
  };
  std::map<int, Open> role_open;
  std::map<int, int64_t> crashed_since;
  std::map<int64_t, size_t> op_rows;
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
    checker.consume(e);
    end = std::max(end, e.t);
    const int n = node_of(e.node);
    const std::string& k = e.kind;
    if (k != "timer") {
      if (n_events < kReportMaxEvents) {
        ev_t.add(e.t - last_t);
        last_t = e.t;
        ev_node.add(n);
        ev_kind.add(kinds.id(k));
        if (n_events) ev_text += ',';
        trace::append_json_string(ev_text, is_network(k) ? std::string() : fields_text(e));
        ++n_events;
      } else {
        truncated = true;
      }
    }
    if (k == "send") {
      if (msgs.size() >= kReportMaxMessages) {
        truncated = true;
        continue;
      }
      const auto to = e.get_str("to");
      msg_row[e.get_int("msg").value_or(0)] = msgs.size();
      msgs.push_back(Msg{e.t, -1, -1, n, to ? node_of(std::string(*to)) : n,
                         static_cast<int>(types.id(e.get_str("type").value_or("msg")))});
    } else if (k == "deliver" || k == "drop") {
      auto it = msg_row.find(e.get_int("msg").value_or(-1));
      if (it == msg_row.end()) continue;  // an input, or beyond the cap
      Msg& m = msgs[it->second];
      if (m.recv == -1 && m.drop == -1) {
        (k == "deliver" ? m.recv : m.drop) = e.t;
      } else if (msgs.size() < kReportMaxMessages) {  // the other copy of a duplicate
        Msg copy = m;
        copy.recv = copy.drop = -1;
        (k == "deliver" ? copy.recv : copy.drop) = e.t;
        copy.dup = true;
        msgs.push_back(copy);
      }
    } else if (k == "role") {
      close_role(n, e.t);
      role_open[n] = Open{e.t, std::string(e.get_str("role").value_or("?")), e.get_int(hint.epoch_field).value_or(0)};
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
      op_rows[e.get_int("req").value_or(0)] = ops.size();
      ops.push_back({n, e.t, -1, -1, e.get_int("req").value_or(0)});
    } else if (k == "client_response") {
      auto it = op_rows.find(e.get_int("req").value_or(0));
      if (it == op_rows.end()) continue;
      const trace::Value* ok = e.find("ok");
      ops[it->second][2] = e.t;
      ops[it->second][3] = ok && std::holds_alternative<bool>(*ok) && std::get<bool>(*ok) ? 1 : 0;
    }
  }
  if (!reader.error().empty()) return reader.error();
  const OfflineResult checks = checker.finish();
  for (int n = 0; n < static_cast<int>(nodes.size()); ++n) close_role(n, end);
  for (const auto& [n, t] : crashed_since) down.push_back({n, t, end, "crashed"});
  if (partition) faults.push_back({partition->first, end, partition->second});
  for (auto& o : ops) {
    if (o[2] == -1) o[2] = end;
  }
  std::stable_sort(msgs.begin(), msgs.end(), [](const Msg& a, const Msg& b) { return a.t < b.t; });
  Column m_t, m_from, m_to, m_type, m_recv, m_drop, m_dup;
  int64_t prev = 0, max_flight = 0;
  for (const Msg& m : msgs) {
    m_t.add(m.t - prev);  // delta-encoded send times
    prev = m.t;
    m_from.add(m.from);
    m_to.add(m.to);
    m_type.add(m.type);
    m_recv.add(m.recv < 0 ? -1 : m.recv - m.t);  // latency, or -1
    m_drop.add(m.drop < 0 ? -1 : m.drop - m.t);
    m_dup.add(m.dup ? 1 : 0);
    max_flight = std::max(max_flight, (m.recv >= 0 ? m.recv : m.drop >= 0 ? m.drop : end) - m.t);
  }
  Json cj = Json::array();
  for (const auto& c : checks.checks) {
    Json one{{"name", c.name}, {"kind", to_string(c.kind)}, {"status", to_string(c.status)}, {"note", c.note}};
    if (c.violation) one["violation"] = {{"t", c.violation->t_ns}, {"node", c.violation->node}, {"message", c.violation->message}};
    cj.push_back(one);
  }
  Json colours = Json::object();
  for (const auto& [role, colour] : hint.role_colours) colours[std::string(role)] = std::string(colour);
  const Json head{{"schema", "dsim.report/1"},
                  {"hints", {{"epoch", std::string(hint.epoch_label)}, {"epochShort", std::string(hint.epoch_short)},
                             {"colours", colours}}},
                  {"meta", {{"scenario", checks.scenario}, {"seed", checks.seed}, {"trace", trace_path},
                            {"repro", "dsim run " + checks.scenario + " --seed " + checks.seed}}},
                  {"nodes", nodes},
                  {"end", end},
                  {"kinds", kinds.names()},
                  {"types", types.names()},
                  {"maxFlight", max_flight},
                  {"roles", roles},
                  {"down", down},
                  {"faults", faults},
                  {"ops", ops},
                  {"checks", cj},
                  {"truncated", truncated}};
  std::string json = head.dump();
  json.pop_back();  // reopen the object for the big columns
  json += ",\"ev\":{\"dt\":" + ev_t.done() + ",\"node\":" + ev_node.done() + ",\"kind\":" + ev_kind.done() +
          ",\"text\":" + ev_text + "]}";
  json += ",\"msg\":{\"dt\":" + m_t.done() + ",\"from\":" + m_from.done() + ",\"to\":" + m_to.done() +
          ",\"type\":" + m_type.done() + ",\"recv\":" + m_recv.done() + ",\"drop\":" + m_drop.done() +
          ",\"dup\":" + m_dup.done() + "}}";
  // Inside <script>, "</script>" would end the element: '<' only ever
  // occurs inside JSON strings, where \u003c means the same.
  std::string safe;
  safe.reserve(json.size());
  for (char c : json) {
    if (c == '<') safe += "\\u003c";
    else safe.push_back(c);
  }
  static const std::string page_head = report_head();
  *html = page_head + safe + kReportTail;
  return {};
}

}  // namespace dsim::analysis
