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
#include "sim/core/program.h"

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

void append_value(std::string& out, const trace::Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    trace::append_int(out, *i);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    out += *s;
  } else {
    out += std::get<bool>(v) ? "true" : "false";
  }
}

// `skip`: keys the report already shows another way (a send's msg, to, type).
std::string fields_text(const trace::Event& e, bool skip_message_keys = false) {
  std::string out;
  for (const auto& [k, v] : e.fields) {
    if (skip_message_keys && (k == "msg" || k == "to" || k == "type")) continue;
    if (!out.empty()) out += ' ';
    out += k;
    out += '=';
    // As dsim show writes them: a string with a space (or none) in quotes.
    const auto* str = std::get_if<std::string>(&v);
    const bool quote = str && (str->empty() || str->find(' ') != std::string::npos);
    if (quote) out += '"';
    append_value(out, v);
    if (quote) out += '"';
  }
  return out;
}

std::string value_text(const trace::Value& v) {
  std::string out;
  append_value(out, v);
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


// Events whose text the page builds from the message table (type, ends,
// contents) instead of carrying it per event.
bool is_message_event(const std::string& k) { return k == "send" || k == "deliver"; }

// A step function of time, as flat [t, v, t, v, ...]: a value changes at t.
struct Steps {
  std::vector<int64_t> tv;
  int64_t last = -1;  // -1: none yet (slot 0 is a slot)
  void set(int64_t t, int64_t v) {
    if (!tv.empty() && v == last) return;
    if (tv.size() >= 2 && tv[tv.size() - 2] == t) {
      tv.back() = v;  // two changes at one instant: the later one holds
    } else {
      tv.push_back(t);
      tv.push_back(v);
    }
    last = v;
  }
};

// One node's log through the run: every version of every entry, with the
// time it appeared and the time it was replaced or truncated (-1: still
// there at the end). The page finds the log at any cursor from these
// without replaying events.
struct NodeLog {
  struct Version {
    int64_t index, from, to, epoch, value;
  };
  std::vector<Version> versions;
  std::map<int64_t, size_t> live;  // index -> its current version
  std::map<int64_t, int64_t> decided;  // index -> since when (commit_is_index false)
  std::vector<int64_t> marks;  // flat [index, from, to] of decided periods
  Steps length, commit, applied;

  void put(int64_t t, int64_t index, int64_t epoch, int64_t value) {
    if (auto it = live.find(index); it != live.end()) {
      Version& old = versions[it->second];
      if (old.epoch == epoch && old.value == value) return;  // the same entry again (a duplicate accept)
      old.to = t;
    }
    live[index] = versions.size();
    versions.push_back({index, t, -1, epoch, value});
    length.set(t, live.rbegin()->first);
  }
  void truncate(int64_t t, int64_t from) {
    for (auto it = live.lower_bound(from); it != live.end(); it = live.erase(it)) versions[it->second].to = t;
    length.set(t, live.empty() ? -1 : live.rbegin()->first);
  }
  void decide(int64_t t, int64_t index) {
    if (decided.emplace(index, t).second) commit.set(t, std::max(commit.last, index));
  }
  // Commit and apply progress is volatile: a restarted node reports it anew.
  void crash(int64_t t) {
    for (const auto& [index, since] : decided) marks.insert(marks.end(), {index, since, t});
    decided.clear();
    commit.set(t, -1);
    applied.set(t, -1);
  }
  void finish() {
    for (const auto& [index, since] : decided) marks.insert(marks.end(), {index, since, -1});
    decided.clear();
    std::stable_sort(versions.begin(), versions.end(),
                     [](const Version& a, const Version& b) { return a.index < b.index; });
  }
};

// Each event's message row, small numbers for a large run: 0 for none, else
// the step from the previous row named, d + 1 when d >= 0, d when d < 0.
std::string row_deltas(const std::vector<int64_t>& rows) {
  std::string out = "[";
  int64_t last = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) out += ',';
    if (rows[i] < 0) {
      out += '0';
      continue;
    }
    const int64_t d = rows[i] - last;
    last = rows[i];
    put_int(out, d >= 0 ? d + 1 : d);
  }
  return out + "]";
}

std::string int_array(const std::vector<int64_t>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    put_int(out, v[i]);
  }
  return out + "]";
}

}  // namespace

std::string build_report(const CheckerCatalog& catalog, const std::function<ReportHints(std::string_view)>& hints,
                         const std::string& trace_path, std::string* html, const std::string& description) {
  // One pass: the checks and the drawing read the same events.
  trace::Reader reader;
  if (std::string err = reader.open(trace_path); !err.empty()) return err;
  TraceChecks checker(catalog);
  if (std::string err = checker.begin(trace_path, reader.meta(), std::nullopt); !err.empty()) return err;

  std::vector<std::string> nodes;
  std::map<std::string, int> index;
  ReportHints hint;
  std::string narration = description;
  {
    const Json m = Json::parse(reader.meta().meta_json, nullptr, false);
    if (m.is_object() && m.contains("protocol") && m["protocol"].is_string()) hint = hints(m["protocol"].get<std::string>());
    if (narration.empty() && m.is_object() && m.contains("description") && m["description"].is_string()) {
      narration = m["description"].get<std::string>();
    }
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
    int64_t t, recv = -1, drop = -1, id;
    int from, to, type;
    uint32_t info;  // the contents, as "key=value ..." (interned: heartbeats repeat)
    bool dup = false;
  };
  std::vector<Msg> msgs;
  std::map<int64_t, size_t> msg_row;
  // Events for the cursor: time, node, kind; text for all but sends and
  // deliveries, which point at their message's row instead (ev_msg).
  Column ev_t, ev_node, ev_kind;
  std::vector<int64_t> ev_msg;
  std::string ev_text = "[";
  uint64_t n_events = 0;
  int64_t last_t = 0;
  Interner kinds, types, infos, values;
  // The log view and the state columns the protocol's hints ask for.
  const LogHints& lh = hint.log;
  const bool has_log = !lh.entry_kind.empty();
  std::vector<NodeLog> logs;
  auto log_of = [&](int n) -> NodeLog& {
    if (logs.size() <= static_cast<size_t>(n)) logs.resize(static_cast<size_t>(n) + 1);
    return logs[static_cast<size_t>(n)];
  };
  std::vector<std::string> state_labels;
  std::vector<size_t> state_column;  // hint -> column (hints may share a label)
  for (const StateHint& h : hint.state) {
    auto it = std::find(state_labels.begin(), state_labels.end(), h.label);
    state_column.push_back(static_cast<size_t>(it - state_labels.begin()));
    if (it == state_labels.end()) state_labels.emplace_back(h.label);
  }
  std::vector<std::vector<Steps>> state_steps;  // [node][column], values interned in `values`
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
    // The message row this event is about (a send, a delivery), or -1.
    int64_t row = -1;
    if (k == "send") {
      if (msgs.size() >= kReportMaxMessages) {
        truncated = true;
      } else {
        const auto to = e.get_str("to");
        const int64_t id = e.get_int("msg").value_or(0);
        row = static_cast<int64_t>(msgs.size());
        msg_row[id] = msgs.size();
        msgs.push_back(Msg{e.t, -1, -1, id, n, to ? node_of(std::string(*to)) : n,
                           static_cast<int>(types.id(e.get_str("type").value_or("msg"))),
                           infos.id(fields_text(e, /*skip_message_keys=*/true))});
      }
    } else if (k == "deliver" || k == "drop") {
      auto it = msg_row.find(e.get_int("msg").value_or(-1));
      if (it != msg_row.end()) {  // else an input, or beyond the cap
        Msg& m = msgs[it->second];
        row = static_cast<int64_t>(it->second);
        if (m.recv == -1 && m.drop == -1) {
          (k == "deliver" ? m.recv : m.drop) = e.t;
        } else if (msgs.size() < kReportMaxMessages) {  // the other copy of a duplicate
          Msg copy = m;
          copy.recv = copy.drop = -1;
          (k == "deliver" ? copy.recv : copy.drop) = e.t;
          copy.dup = true;
          row = static_cast<int64_t>(msgs.size());
          msgs.push_back(copy);
        }
      }
    }
    if (k != "timer") {
      if (n_events < kReportMaxEvents) {
        ev_t.add(e.t - last_t);
        last_t = e.t;
        ev_node.add(n);
        ev_kind.add(kinds.id(k));
        ev_msg.push_back(is_message_event(k) || k == "drop" ? row : -1);
        if (n_events) ev_text += ',';
        trace::append_json_string(ev_text, is_message_event(k) && row >= 0 ? std::string() : fields_text(e));
        ++n_events;
      } else {
        truncated = true;
      }
    }
    if (n >= 0 && !hint.state.empty()) {
      for (size_t h = 0; h < hint.state.size(); ++h) {
        if (k != hint.state[h].kind) continue;
        const trace::Value* v = e.find(hint.state[h].field);
        if (!v) continue;
        if (state_steps.size() <= static_cast<size_t>(n)) state_steps.resize(static_cast<size_t>(n) + 1);
        auto& row_steps = state_steps[static_cast<size_t>(n)];
        row_steps.resize(state_labels.size());
        row_steps[state_column[h]].set(e.t, values.id(value_text(*v)));
      }
    }
    if (has_log && n >= 0) {
      if (k == lh.entry_kind) {
        if (const auto index = e.get_int(lh.index_field)) {
          const trace::Value* v = e.find(lh.value_field);
          log_of(n).put(e.t, *index, e.get_int(lh.epoch_field).value_or(0), values.id(v ? value_text(*v) : ""));
        }
      }
      if (k == lh.truncate_kind) {
        if (const auto from = e.get_int(lh.truncate_field)) log_of(n).truncate(e.t, *from);
      }
      if (k == lh.recover_kind) {
        if (const auto len = e.get_int(lh.recover_length_field)) log_of(n).truncate(e.t, *len + 1);
      }
      if (k == lh.commit_kind) {
        if (const auto c = e.get_int(lh.commit_field)) {
          if (lh.commit_is_index) log_of(n).commit.set(e.t, *c);
          else log_of(n).decide(e.t, *c);
        }
      }
      if (k == lh.apply_kind) {
        if (const auto a = e.get_int(lh.apply_field)) log_of(n).applied.set(e.t, *a);
      }
      if (k == "crash") log_of(n).crash(e.t);
    }
    if (k == "role") {
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
  // Rows in send order (a duplicate's copy was added when it arrived);
  // events that point at a row follow it.
  std::vector<size_t> order(msgs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return msgs[a].t < msgs[b].t; });
  std::vector<int64_t> new_row(msgs.size());
  for (size_t i = 0; i < order.size(); ++i) new_row[order[i]] = static_cast<int64_t>(i);
  for (int64_t& r : ev_msg) {
    if (r >= 0) r = new_row[static_cast<size_t>(r)];
  }
  {
    std::vector<Msg> sorted;
    sorted.reserve(msgs.size());
    for (size_t i : order) sorted.push_back(msgs[i]);
    msgs.swap(sorted);
  }
  Column m_t, m_from, m_to, m_type, m_recv, m_drop, m_dup, m_id, m_info;
  int64_t prev = 0, max_flight = 0, prev_id = 0;
  for (const Msg& m : msgs) {
    m_id.add(m.id - prev_id);  // delta-encoded message ids
    prev_id = m.id;
    m_info.add(m.info);
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
  // The log view: per node, entry versions as flat [index, from, to,
  // epoch, value] (sorted by index, then time), and step functions.
  std::string log_json = "null";
  if (has_log) {
    logs.resize(nodes.size());
    log_json = "{\"index\":";
    trace::append_json_string(log_json, lh.index_field);
    log_json += ",\"epoch\":";
    trace::append_json_string(log_json, lh.epoch_field);
    log_json += ",\"value\":";
    trace::append_json_string(log_json, lh.value_field);
    log_json += ",\"commitLabel\":";
    trace::append_json_string(log_json, lh.commit_label);
    log_json += std::string(",\"commitIsIndex\":") + (lh.commit_is_index ? "true" : "false") + ",\"nodes\":[";
    for (size_t i = 0; i < logs.size(); ++i) {
      NodeLog& l = logs[i];
      l.finish();
      std::vector<int64_t> flat;
      flat.reserve(l.versions.size() * 5);
      // Delta-coded against the previous version: index, from, value; `to`
      // as the time the version lived (-1: to the end).
      int64_t pi = 0, pf = 0, pv = 0;
      for (const auto& v : l.versions) {
        flat.insert(flat.end(), {v.index - pi, v.from - pf, v.to < 0 ? -1 : v.to - v.from, v.epoch, v.value - pv});
        pi = v.index;
        pf = v.from;
        pv = v.value;
      }
      if (i) log_json += ',';
      log_json += "{\"v\":" + int_array(flat) + ",\"len\":" + int_array(l.length.tv) + ",\"commit\":" +
                  int_array(l.commit.tv) + ",\"applied\":" + int_array(l.applied.tv) + ",\"marks\":" +
                  int_array(l.marks) + "}";
    }
    log_json += "]}";
  }
  std::string state_json = "{\"labels\":" + Json(state_labels).dump() + ",\"nodes\":[";
  state_steps.resize(nodes.size());
  for (size_t i = 0; i < state_steps.size(); ++i) {
    state_steps[i].resize(state_labels.size());
    if (i) state_json += ',';
    state_json += '[';
    for (size_t c = 0; c < state_steps[i].size(); ++c) state_json += (c ? "," : "") + int_array(state_steps[i][c].tv);
    state_json += ']';
  }
  state_json += "]}";
  Json colours = Json::object();
  for (const auto& [role, colour] : hint.role_colours) colours[std::string(role)] = std::string(colour);
  const Json head{{"schema", "dsim.report/1"},
                  {"hints", {{"epoch", std::string(hint.epoch_label)}, {"epochShort", std::string(hint.epoch_short)},
                             {"colours", colours}}},
                  {"meta", {{"scenario", checks.scenario}, {"seed", checks.seed}, {"trace", trace_path},
                            {"repro", program_name() + " run " + checks.scenario + " --seed " + checks.seed},
                            {"description", narration}}},
                  {"nodes", nodes},
                  {"end", end},
                  {"kinds", kinds.names()},
                  {"types", types.names()},
                  {"infos", infos.names()},
                  {"values", values.names()},
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
          ",\"msg\":" + row_deltas(ev_msg) + ",\"text\":" + ev_text + "]}";
  json += ",\"msg\":{\"dt\":" + m_t.done() + ",\"from\":" + m_from.done() + ",\"to\":" + m_to.done() +
          ",\"type\":" + m_type.done() + ",\"recv\":" + m_recv.done() + ",\"drop\":" + m_drop.done() +
          ",\"dup\":" + m_dup.done() + ",\"id\":" + m_id.done() + ",\"info\":" + m_info.done() + "}";
  json += ",\"log\":" + log_json + ",\"state\":" + state_json + "}";
  // Inside <script>, "</script>" would end the element: '<' only ever
  // occurs inside JSON strings, where \u003c means the same.
  // Written straight into the page: one copy of a large run's data, not two.
  static const std::string page_head = report_head();
  const std::string_view tail = kReportTail;
  html->clear();
  html->reserve(page_head.size() + json.size() + json.size() / 64 + tail.size());
  *html += page_head;
  for (char c : json) {
    if (c == '<') *html += "\\u003c";
    else html->push_back(c);
  }
  json.clear();
  json.shrink_to_fit();
  *html += tail;
  return {};
}

}  // namespace dsim::analysis
