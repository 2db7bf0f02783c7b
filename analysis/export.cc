#include "analysis/export.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "sim/trace/reader.h"

namespace dsim::analysis {
namespace {

using Json = nlohmann::ordered_json;

// Microseconds written exactly: 1500125 ns -> "1500.125".
std::string us(int64_t ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
  return buf;
}

struct Meta {
  std::vector<std::string> nodes;
  std::string seed, scenario, protocol;
  std::string epoch = "term";  // the role events' epoch field (the protocol's report hints)
};

Meta read_meta(const trace::Event& meta) {
  Meta m;
  const Json j = Json::parse(meta.meta_json, nullptr, false);
  if (j.is_object()) {
    if (j.contains("nodes") && j["nodes"].is_array()) {
      for (const auto& n : j["nodes"]) {
        if (n.is_string()) m.nodes.push_back(n.get<std::string>());
      }
    }
    if (j.contains("seed") && j["seed"].is_string()) m.seed = j["seed"].get<std::string>();
    if (j.contains("scenario") && j["scenario"].is_string()) m.scenario = j["scenario"].get<std::string>();
    if (j.contains("protocol") && j["protocol"].is_string()) m.protocol = j["protocol"].get<std::string>();
  }
  return m;
}

std::string field_text(const trace::Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return std::get<bool>(v) ? "true" : "false";
}

// ---- Perfetto ----------------------------------------------------------------

class PerfettoWriter {
 public:
  explicit PerfettoWriter(Meta meta) : meta_(std::move(meta)) {
    for (size_t i = 0; i < meta_.nodes.size(); ++i) pid_of_.emplace(meta_.nodes[i], static_cast<int>(i + 1));
  }

  void consume(const trace::Event& e) {
    end_ = std::max(end_, e.t);
    if (e.node == "*") {
      global(e);
      return;
    }
    const int pid = pid_for(e.node);
    NodeState& n = nodes_[pid];
    if (e.kind == "role") {
      close_role(pid, e.t);
      n.role = std::string(e.get_str("role").value_or("?"));
      n.term = e.get_int(meta_.epoch).value_or(0);
      n.role_since = e.t;
      counter(pid, e.t);
    } else if (e.kind == "crash") {
      close_role(pid, e.t);
      n.role = "crashed";
      n.role_since = e.t;
      instant(pid, 2, e.t, "crash", "fault", {});
    } else if (e.kind == "restart") {
      close_role(pid, e.t);
      n.role.clear();
      instant(pid, 2, e.t, "restart", "fault", {});
    } else if (e.kind == "pause") {
      add(e.t, slice(pid, 3, e.t, e.get_int("for_ns").value_or(1000), "paused", "fault", {}));
    } else if (e.kind == "commit") {
      n.commit = e.get_int("index").value_or(0);
      counter(pid, e.t);
      instant(pid, 2, e.t, "commit", "protocol", e);
    } else if (e.kind == "send") {
      const int64_t msg = e.get_int("msg").value_or(0);
      const std::string type(e.get_str("type").value_or("msg"));
      msg_type_[msg] = type;
      short_slice(pid, e.t, "send " + type, e, [msg, type](Json& flow) {
        flow = Json{{"ph", "s"}, {"name", type}, {"cat", "msg"}, {"id", msg}};
      });
    } else if (e.kind == "deliver") {
      const int64_t msg = e.get_int("msg").value_or(0);
      auto it = msg_type_.find(msg);
      const std::string type = it == msg_type_.end() ? "msg" : it->second;
      const bool first = delivered_.insert(msg).second;  // a duplicate gets no second arrow
      short_slice(pid, e.t, "recv " + type, e, [msg, type, first](Json& flow) {
        if (first) flow = Json{{"ph", "f"}, {"bp", "e"}, {"name", type}, {"cat", "msg"}, {"id", msg}};
      });
    } else if (e.kind == "drop") {
      auto it = msg_type_.find(e.get_int("msg").value_or(0));
      instant(pid, 2, e.t, "drop " + (it == msg_type_.end() ? std::string("msg") : it->second), "msg", e);
    } else if (e.kind != "timer" && e.kind != "start" && e.kind != "input" && e.kind != "duplicate") {
      instant(pid, 2, e.t, e.kind, "protocol", e);
    }
  }

  std::string finish() {
    for (auto& [pid, n] : nodes_) {
      (void)n;
      close_role(pid, end_);
      flush_short(pid, INT64_MAX);
    }
    if (partition_since_) add(*partition_since_, slice(faults_pid(), 1, *partition_since_, end_ - *partition_since_,
                                                       partition_name_, "fault", {}));
    std::stable_sort(items_.begin(), items_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Json head = Json::array();
    for (const auto& [name, pid] : pid_of_) {
      head.push_back({{"ph", "M"}, {"pid", pid}, {"name", "process_name"}, {"args", {{"name", name}}}});
      head.push_back({{"ph", "M"}, {"pid", pid}, {"name", "process_sort_index"}, {"args", {{"sort_index", pid}}}});
      for (const auto& [tid, tname] : {std::pair{1, "role"}, std::pair{2, "events"}, std::pair{3, "faults"}}) {
        head.push_back({{"ph", "M"}, {"pid", pid}, {"tid", tid}, {"name", "thread_name"}, {"args", {{"name", tname}}}});
      }
    }
    const int fp = faults_pid();
    head.push_back({{"ph", "M"}, {"pid", fp}, {"name", "process_name"}, {"args", {{"name", "faults"}}}});
    head.push_back({{"ph", "M"}, {"pid", fp}, {"name", "process_sort_index"}, {"args", {{"sort_index", fp}}}});
    head.push_back({{"ph", "M"}, {"pid", fp}, {"tid", 1}, {"name", "thread_name"}, {"args", {{"name", "network"}}}});
    std::string out = "{\"displayTimeUnit\":\"ms\",\"otherData\":" +
                      Json({{"seed", meta_.seed}, {"scenario", meta_.scenario}, {"exporter", "dsim"}}).dump() +
                      ",\"traceEvents\":[\n";
    bool first = true;
    for (const auto& h : head) {
      out += (first ? "" : ",\n") + h.dump();
      first = false;
    }
    for (const auto& [t, text] : items_) {
      (void)t;
      out += ",\n" + text;
    }
    return out + "\n]}\n";
  }

 private:
  struct Short {
    int64_t t;
    Json slice;
    Json flow;  // may be null
  };
  struct NodeState {
    std::string role;
    int64_t term = 0, commit = 0;
    int64_t role_since = 0;
    std::vector<Short> pending;  // events-track slices whose duration is not known yet
  };

  int pid_for(const std::string& node) {
    auto [it, fresh] = pid_of_.try_emplace(node, static_cast<int>(pid_of_.size() + 1));
    return it->second;
  }
  int faults_pid() const { return static_cast<int>(std::max(pid_of_.size(), meta_.nodes.size()) + 1); }

  static std::string ts_json(const Json& j, int64_t t) {
    // nlohmann would print the microsecond value as a double; write it exactly.
    std::string s = j.dump();
    const std::string marker = "\"ts\":\"@\"";
    const size_t at = s.find(marker);
    if (at != std::string::npos) s.replace(at, marker.size(), "\"ts\":" + us(t));
    const std::string dmarker = "\"dur\":\"@";
    const size_t d = s.find(dmarker);
    if (d != std::string::npos) {
      const size_t end = s.find('"', d + dmarker.size());
      const int64_t dur = std::stoll(s.substr(d + dmarker.size(), end - d - dmarker.size()));
      s.replace(d, end - d + 1, "\"dur\":" + us(dur));
    }
    return s;
  }

  static Json args_of(const trace::Event& e) {
    Json a = Json::object();
    for (const auto& [k, v] : e.fields) a[k] = field_text(v);
    return a;
  }

  std::string slice(int pid, int tid, int64_t t, int64_t dur_ns, const std::string& name, const char* cat, Json args) {
    Json j{{"ph", "X"}, {"pid", pid}, {"tid", tid}, {"ts", "@"}, {"dur", "@" + std::to_string(std::max<int64_t>(1, dur_ns))},
           {"name", name}, {"cat", cat}};
    if (!args.is_null() && !args.empty()) j["args"] = std::move(args);
    return ts_json(j, t);
  }

  void add(int64_t t, std::string text) { items_.emplace_back(t, std::move(text)); }

  void instant(int pid, int tid, int64_t t, const std::string& name, const char* cat, const trace::Event& e) {
    Json j{{"ph", "i"}, {"s", "t"}, {"pid", pid}, {"tid", tid}, {"ts", "@"}, {"name", name}, {"cat", cat}};
    if (!e.fields.empty()) j["args"] = args_of(e);
    add(t, ts_json(j, t));
  }
  void instant(int pid, int tid, int64_t t, const std::string& name, const char* cat, std::nullptr_t) {
    add(t, ts_json(Json{{"ph", "i"}, {"s", "t"}, {"pid", pid}, {"tid", tid}, {"ts", "@"}, {"name", name}, {"cat", cat}}, t));
  }

  // Send/receive slices last 1us, or less when the node's next event comes
  // sooner: slices on one track must nest, never overlap partly.
  template <typename F>
  void short_slice(int pid, int64_t t, const std::string& name, const trace::Event& e, F make_flow) {
    flush_short(pid, t);
    Short s;
    s.t = t;
    s.slice = Json{{"ph", "X"}, {"pid", pid}, {"tid", 2}, {"ts", "@"}, {"dur", "@"}, {"name", name}, {"cat", "msg"},
                   {"args", args_of(e)}};
    make_flow(s.flow);
    nodes_[pid].pending.push_back(std::move(s));
  }

  void flush_short(int pid, int64_t next_t) {
    auto& pending = nodes_[pid].pending;
    if (pending.empty() || pending.back().t == next_t) return;  // same instant: they end together
    const int64_t dur = std::min<int64_t>(1000, next_t - pending.back().t);
    for (Short& s : pending) {
      s.slice["dur"] = "@" + std::to_string(dur);
      add(s.t, ts_json(s.slice, s.t));
      if (!s.flow.is_null()) {
        Json f = s.flow;
        f["pid"] = pid;
        f["tid"] = 2;
        f["ts"] = "@";
        add(s.t, ts_json(f, s.t));
      }
    }
    pending.clear();
  }

  void close_role(int pid, int64_t t) {
    NodeState& n = nodes_[pid];
    if (n.role.empty() || t <= n.role_since) return;
    Json args = n.role == "crashed" ? Json::object() : Json{{meta_.epoch, n.term}};
    add(n.role_since, slice(pid, 1, n.role_since, t - n.role_since, n.role, "role", args));
    n.role.clear();
  }

  void counter(int pid, int64_t t) {
    const NodeState& n = nodes_[pid];
    add(t, ts_json(Json{{"ph", "C"}, {"pid", pid}, {"ts", "@"}, {"name", "replication"},
                        {"args", {{meta_.epoch, n.term}, {"commit_index", n.commit}}}},
                   t));
  }

  void global(const trace::Event& e) {
    const int fp = faults_pid();
    if (e.kind == "partition" || e.kind == "isolate" || e.kind == "cut") {
      if (partition_since_) add(*partition_since_, slice(fp, 1, *partition_since_, e.t - *partition_since_, partition_name_, "fault", {}));
      partition_since_ = e.t;
      partition_name_ = e.kind == "cut" ? "cut " + std::string(e.get_str("from").value_or("")) + "->" +
                                              std::string(e.get_str("to").value_or(""))
                                        : e.kind + " " + std::string(e.get_str("groups").value_or(""));
    } else if (e.kind == "heal") {
      if (partition_since_) add(*partition_since_, slice(fp, 1, *partition_since_, e.t - *partition_since_, partition_name_, "fault", {}));
      partition_since_.reset();
    } else if (e.kind == "clog") {
      add(e.t, slice(fp, 1, e.t, e.get_int("for_ns").value_or(1000), "clog", "fault", args_of(e)));
    } else if (e.kind != "meta") {
      Json j{{"ph", "i"}, {"s", "g"}, {"pid", fp}, {"tid", 1}, {"ts", "@"}, {"name", e.kind}, {"cat", "fault"}};
      if (!e.fields.empty()) j["args"] = args_of(e);
      add(e.t, ts_json(j, e.t));
    }
  }

  Meta meta_;
  std::map<std::string, int> pid_of_;
  std::map<int, NodeState> nodes_;
  std::map<int64_t, std::string> msg_type_;
  std::set<int64_t> delivered_;
  std::vector<std::pair<int64_t, std::string>> items_;
  std::optional<int64_t> partition_since_;
  std::string partition_name_;
  int64_t end_ = 0;
};

}  // namespace

std::string export_perfetto(const std::string& trace_path, std::string* out,
                            const std::function<ReportHints(std::string_view)>& hints) {
  trace::Reader reader;
  if (std::string err = reader.open(trace_path); !err.empty()) return err;
  Meta meta = read_meta(reader.meta());
  if (hints) meta.epoch = std::string(hints(meta.protocol).epoch_field);
  PerfettoWriter w(std::move(meta));
  trace::Event e;
  while (reader.next(&e)) w.consume(e);
  if (!reader.error().empty()) return reader.error();
  *out = w.finish();
  return {};
}

std::string export_shiviz(const std::string& trace_path, std::string* out) {
  trace::Reader reader;
  if (std::string err = reader.open(trace_path); !err.empty()) return err;
  const Meta meta = read_meta(reader.meta());
  using Clock = std::map<std::string, uint64_t>;  // sorted keys, as ShiViz wants
  std::map<std::string, Clock> vc;
  std::map<int64_t, Clock> sent;  // msg id -> the sender's clock at the send
  std::map<int64_t, std::string> type_of;
  std::string body;
  auto log = [&](const std::string& host, int64_t t, const std::string& text) {
    Json clock = Json::object();
    for (const auto& [h, v] : vc[host]) clock[h] = v;
    body += host + " " + clock.dump() + " @" + std::to_string(t) + "ns " + text + "\n";
  };
  trace::Event e;
  while (reader.next(&e)) {
    if (e.node == "*" || e.kind == "timer" || e.kind == "duplicate" || e.kind == "start") continue;
    Clock& mine = vc[e.node];
    if (e.kind == "deliver") {
      const int64_t msg = e.get_int("msg").value_or(0);
      if (auto it = sent.find(msg); it != sent.end()) {
        for (const auto& [h, v] : it->second) mine[h] = std::max(mine[h], v);
      }
      ++mine[e.node];
      log(e.node, e.t, "recv " + type_of[msg] + " from " + std::string(e.get_str("from").value_or("?")) + " msg=" + std::to_string(msg));
      continue;
    }
    ++mine[e.node];
    std::string text = e.kind;
    if (e.kind == "send") {
      const int64_t msg = e.get_int("msg").value_or(0);
      type_of[msg] = std::string(e.get_str("type").value_or("msg"));
      sent[msg] = mine;
      text = "send " + type_of[msg] + " to " + std::string(e.get_str("to").value_or("?")) + " msg=" + std::to_string(msg);
    } else {
      for (const auto& [k, v] : e.fields) text += " " + k + "=" + field_text(v);
    }
    for (char& c : text) {
      if (c == '\n') c = ' ';
    }
    log(e.node, e.t, text);
  }
  if (!reader.error().empty()) return reader.error();
  *out = "(?<host>\\S+) (?<clock>\\{[^}]*\\}) @(?<time>\\d+)ns (?<event>.*)\n=== (?<trace>.*) ===\n=== seed=" +
         (meta.seed.empty() ? std::string("?") : meta.seed) + " ===\n" + body;
  return {};
}

}  // namespace dsim::analysis
