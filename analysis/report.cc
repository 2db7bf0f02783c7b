#include "analysis/report.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

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
// Written into *out (cleared first), a buffer reused for every event.
void fields_text(const trace::Event& e, std::string* out, bool skip_message_keys = false) {
  out->clear();
  for (const auto& [k, v] : e.fields) {
    if (skip_message_keys && (k == "msg" || k == "to" || k == "type")) continue;
    if (!out->empty()) *out += ' ';
    *out += k;
    *out += '=';
    // As dsim show writes them: a string with a space (or none) in quotes.
    const auto* str = std::get_if<std::string>(&v);
    const bool quote = str && (str->empty() || str->find(' ') != std::string::npos);
    if (quote) *out += '"';
    append_value(*out, v);
    if (quote) *out += '"';
  }
}

// A JSON string that may sit inside the page's <script> (see
// append_script_safe): '<' is written as \u003c.
void append_json_text(std::string& out, std::string_view s) { trace::append_json_string(out, s, true); }

// Strings -> dense ids in first-seen order. Open addressing over a
// power-of-two table of (hash, id): the report interns a million strings
// (kinds, message contents, log values), and std::unordered_map's prime
// modulo and node chasing were a tenth of the whole build.
class HashInterner {
 public:
  uint32_t id(std::string_view name) {
    if (names_.size() * 2 >= slots_.size()) grow();
    const uint64_t h = std::hash<std::string_view>{}(name);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.id == kEmpty) {
        s = {h, static_cast<uint32_t>(names_.size())};
        names_.emplace_back(name);
        return s.id;
      }
      if (s.hash == h && names_[s.id] == name) return s.id;
    }
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t hash = 0;
    uint32_t id = kEmpty;
  };
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(64, old.size() * 2), Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.id == kEmpty) continue;
      size_t i = s.hash & mask_;
      while (slots_[i].id != kEmpty) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  std::vector<std::string> names_;
};

// Message id -> its row: the same open addressing, for integer keys (ids
// come from the trace, so any int64 may appear). Looked up, never iterated.
class RowOfId {
 public:
  // The row of `id`, or nullptr.
  uint64_t* find(int64_t id) {
    if (slots_.empty()) return nullptr;
    for (size_t i = slot_of(id);; i = (i + 1) & mask_) {
      if (slots_[i].row1 == 0) return nullptr;
      if (slots_[i].id == id) return &slots_[i].row1;
    }
  }
  void set(int64_t id, uint64_t row) {
    if (used_ * 2 >= slots_.size()) grow();
    for (size_t i = slot_of(id);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.row1 == 0) {
        s = {id, row + 1};
        ++used_;
        return;
      }
      if (s.id == id) {
        s.row1 = row + 1;
        return;
      }
    }
  }

 private:
  struct Slot {
    int64_t id = 0;
    uint64_t row1 = 0;  // the row + 1; 0: an empty slot
  };
  size_t slot_of(int64_t id) const {
    return static_cast<size_t>((static_cast<uint64_t>(id) * 0x9e3779b97f4a7c15u) >> 20) & mask_;
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(64, old.size() * 2), Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.row1 == 0) continue;
      size_t i = slot_of(s.id);
      while (slots_[i].row1 != 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0, used_ = 0;
};

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
  void close() { text += ']'; }
};

// Appends `json` with every '<' written as \u003c: inside <script>,
// "</script>" would end the element, and '<' only ever occurs inside JSON
// strings, where \u003c means the same.
void append_script_safe(std::string& out, std::string_view json) {
  for (size_t at = 0; at < json.size();) {
    const size_t lt = std::min(json.find('<', at), json.size());
    out.append(json, at, lt - at);
    if (lt < json.size()) out += "\\u003c";
    at = lt + 1;
  }
}

// A guess at a trace's line count from its size, to size the columns once
// instead of growing them (each regrowth copies and frees megabytes).
size_t estimated_lines(const std::string& path) {
  struct stat st {};
  if (path == "-" || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return std::min<size_t>(static_cast<size_t>(st.st_size) / 64, kReportMaxEvents);
}


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
  // Installs a snapshot through `index` (entry `index` has `epoch`): a log
  // that has that entry keeps everything; otherwise it becomes the
  // committed prefix as `donor`'s log holds it (a log with that entry at
  // `index`, so the same entries up to it), or when no log has it, just a
  // placeholder entry at `index` with `placeholder` as its value. The
  // snapshot is committed and applied.
  void install(int64_t t, int64_t index, int64_t epoch, const NodeLog* donor, int64_t placeholder) {
    const auto own = live.find(index);
    if (own == live.end() || versions[own->second].epoch != epoch) {
      if (donor) {
        for (auto it = live.begin(); it != live.end() && it->first <= index;) {
          if (donor->live.count(it->first) == 0) {
            versions[it->second].to = t;
            it = live.erase(it);
          } else {
            ++it;
          }
        }
        for (auto it = donor->live.begin(); it != donor->live.end() && it->first <= index; ++it) {
          const Version& v = donor->versions[it->second];
          put(t, it->first, v.epoch, v.value);
        }
      } else {
        put(t, index, epoch, placeholder);
      }
      truncate(t, index + 1);
    }
    commit.set(t, std::max(commit.last, index));
    applied.set(t, std::max(applied.last, index));
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
  std::map<std::string, int, std::less<>> index;
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
  auto node_of = [&](std::string_view name) -> int {
    if (name == "*" || name == "$ext") return -1;
    if (auto it = index.find(name); it != index.end()) return it->second;
    index.emplace(std::string(name), static_cast<int>(nodes.size()));
    nodes.emplace_back(name);
    return static_cast<int>(nodes.size()) - 1;
  };

  // Messages: one row per copy, kept in send order.
  struct Msg {
    int64_t t, recv = -1, drop = -1, id;
    int from, to, type;
    uint32_t info;  // the contents, as "key=value ..." (interned: heartbeats repeat)
    bool dup = false;
  };
  std::vector<Msg> msgs;
  RowOfId msg_row;
  // Events for the cursor: time, node, kind; text for all but sends and
  // deliveries, which point at their message's row instead (ev_msg).
  Column ev_t, ev_node, ev_kind;
  std::vector<int64_t> ev_msg;
  // Each event's own fields as text ("key=value ..."), as codes into the
  // table ev_texts: 0 the empty text, 1 the next text not seen before, k >= 2
  // the text k - 2 places before the newest (recent texts recur, so codes
  // stay short).
  Column ev_text;
  HashInterner ev_texts;
  if (const size_t lines = estimated_lines(trace_path); lines > 0) {
    ev_t.text.reserve(lines * 8);
    ev_node.text.reserve(lines * 3);
    ev_kind.text.reserve(lines * 3);
    ev_msg.reserve(lines);
    ev_text.text.reserve(lines * 3);
    msgs.reserve(lines / 3);
  }
  uint64_t n_events = 0;
  int64_t last_t = 0;
  HashInterner kinds, types, infos, values;
  std::string text;  // one event's fields as text, reused
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
  // What each kind of event means to the report, worked out once per kind
  // (ids in first-seen order) instead of comparing strings per event.
  struct KindRole {
    bool send, deliver, drop, timer, role, crash, restart, pause, partition, clog, request, response;
    bool entry, truncate, recover, install, commit, apply;
    std::vector<size_t> state;  // the state hints this kind feeds
    int out = -1;  // its id in the page's kind table, once an event of it is shown
  };
  HashInterner kind_ids;
  std::vector<KindRole> kind_roles;
  auto role_of = [&](const std::string& k) -> KindRole& {
    const uint32_t id = kind_ids.id(k);
    if (id == kind_roles.size()) {
      KindRole r{};
      r.send = k == "send";
      r.deliver = k == "deliver";
      r.drop = k == "drop";
      r.timer = k == "timer";
      r.role = k == "role";
      r.crash = k == "crash";
      r.restart = k == "restart";
      r.pause = k == "pause";
      r.partition = k == "partition" || k == "isolate" || k == "cut" || k == "heal";
      r.clog = k == "clog";
      r.request = k == "client_request";
      r.response = k == "client_response";
      r.entry = has_log && k == lh.entry_kind;
      r.truncate = has_log && k == lh.truncate_kind;
      r.recover = has_log && k == lh.recover_kind;
      r.install = has_log && !lh.install_kind.empty() && k == lh.install_kind;
      r.commit = has_log && k == lh.commit_kind;
      r.apply = has_log && k == lh.apply_kind;
      for (size_t h = 0; h < hint.state.size(); ++h) {
        if (k == hint.state[h].kind) r.state.push_back(h);
      }
      kind_roles.push_back(std::move(r));
    }
    return kind_roles[id];
  };
  trace::Event e;
  while (reader.next(&e)) {
    checker.consume(e);
    end = std::max(end, e.t);
    const int n = node_of(e.node);
    const std::string& k = e.kind;
    KindRole& kr = role_of(k);
    // The message row this event is about (a send, a delivery), or -1.
    int64_t row = -1;
    if (kr.send) {
      if (msgs.size() >= kReportMaxMessages) {
        truncated = true;
      } else {
        const auto to = e.get_str("to");
        const int64_t id = e.get_int("msg").value_or(0);
        row = static_cast<int64_t>(msgs.size());
        msg_row.set(id, msgs.size());
        msgs.push_back(Msg{e.t, -1, -1, id, n,
                           to ? node_of(*to) : n, static_cast<int>(types.id(e.get_str("type").value_or("msg"))),
                           (fields_text(e, &text, /*skip_message_keys=*/true), infos.id(text))});
      }
    } else if (kr.deliver || kr.drop) {
      if (const uint64_t* at = msg_row.find(e.get_int("msg").value_or(-1))) {  // else an input, or beyond the cap
        const size_t at_row = static_cast<size_t>(*at - 1);
        Msg& m = msgs[at_row];
        row = static_cast<int64_t>(at_row);
        if (m.recv == -1 && m.drop == -1) {
          (kr.deliver ? m.recv : m.drop) = e.t;
        } else if (msgs.size() < kReportMaxMessages) {  // the other copy of a duplicate
          Msg copy = m;
          copy.recv = copy.drop = -1;
          (kr.deliver ? copy.recv : copy.drop) = e.t;
          copy.dup = true;
          row = static_cast<int64_t>(msgs.size());
          msgs.push_back(copy);
        }
      }
    }
    if (!kr.timer) {
      if (n_events < kReportMaxEvents) {
        ev_t.add(e.t - last_t);
        last_t = e.t;
        ev_node.add(n);
        if (kr.out < 0) kr.out = static_cast<int>(kinds.id(k));
        ev_kind.add(kr.out);
        const bool message_event = kr.send || kr.deliver;  // their text comes from the message table
        ev_msg.push_back(message_event || kr.drop ? row : -1);
        if (message_event && row >= 0) text.clear();
        else fields_text(e, &text);
        // The text as a code (see ev_texts): the same text recurs on every
        // node (an entry appended, committed, applied everywhere).
        if (text.empty()) {
          ev_text.add(0);
        } else {
          const size_t newest = ev_texts.names().size();
          const uint32_t id = ev_texts.id(text);
          ev_text.add(id == newest ? 1 : static_cast<int64_t>(newest - 1 - id) + 2);
        }
        ++n_events;
      } else {
        truncated = true;
      }
    }
    if (n >= 0) {
      for (const size_t h : kr.state) {
        const trace::Value* v = e.find(hint.state[h].field);
        if (!v) continue;
        if (state_steps.size() <= static_cast<size_t>(n)) state_steps.resize(static_cast<size_t>(n) + 1);
        auto& row_steps = state_steps[static_cast<size_t>(n)];
        row_steps.resize(state_labels.size());
        row_steps[state_column[h]].set(e.t, values.id(value_text(*v)));
      }
    }
    if (has_log && n >= 0) {
      if (kr.entry) {
        if (const auto index = e.get_int(lh.index_field)) {
          const trace::Value* v = e.find(lh.value_field);
          log_of(n).put(e.t, *index, e.get_int(lh.epoch_field).value_or(0), values.id(v ? value_text(*v) : ""));
        }
      }
      if (kr.truncate) {
        if (const auto from = e.get_int(lh.truncate_field)) log_of(n).truncate(e.t, *from);
      }
      if (kr.recover) {
        if (const auto len = e.get_int(lh.recover_length_field)) log_of(n).truncate(e.t, *len + 1);
      }
      if (kr.install) {
        const auto index = e.get_int(lh.install_index_field);
        const auto epoch = e.get_int(lh.install_epoch_field);
        if (index && epoch) {
          log_of(n);  // first, so that no resize moves the donor
          const NodeLog* donor = nullptr;
          for (size_t m = 0; m < logs.size() && !donor; ++m) {
            if (m == static_cast<size_t>(n)) continue;
            const auto it = logs[m].live.find(*index);
            if (it != logs[m].live.end() && logs[m].versions[it->second].epoch == *epoch) donor = &logs[m];
          }
          log_of(n).install(e.t, *index, *epoch, donor, donor ? 0 : values.id("(snapshot)"));
        }
      }
      if (kr.commit) {
        if (const auto c = e.get_int(lh.commit_field)) {
          if (lh.commit_is_index) log_of(n).commit.set(e.t, *c);
          else log_of(n).decide(e.t, *c);
        }
      }
      if (kr.apply) {
        if (const auto a = e.get_int(lh.apply_field)) log_of(n).applied.set(e.t, *a);
      }
      if (kr.crash) log_of(n).crash(e.t);
    }
    if (kr.role) {
      close_role(n, e.t);
      role_open[n] = Open{e.t, std::string(e.get_str("role").value_or("?")), e.get_int(hint.epoch_field).value_or(0)};
    } else if (kr.crash) {
      close_role(n, e.t);
      crashed_since[n] = e.t;
    } else if (kr.restart) {
      if (auto it = crashed_since.find(n); it != crashed_since.end()) {
        down.push_back({n, it->second, e.t, "crashed"});
        crashed_since.erase(it);
      }
    } else if (kr.pause) {
      down.push_back({n, e.t, e.t + e.get_int("for_ns").value_or(0), "paused"});
    } else if (kr.partition) {
      if (partition) faults.push_back({partition->first, e.t, partition->second});
      partition.reset();
      if (k != "heal") {
        partition = std::make_pair(e.t, k == "cut" ? "cut " + std::string(e.get_str("from").value_or("")) + "->" +
                                                         std::string(e.get_str("to").value_or(""))
                                                   : k + " " + std::string(e.get_str("groups").value_or("")));
      }
    } else if (kr.clog) {
      faults.push_back({e.t, e.t + e.get_int("for_ns").value_or(0),
                        "clog " + std::string(e.get_str("target").value_or(e.get_str("from").value_or("")))});
    } else if (kr.request) {
      op_rows[e.get_int("req").value_or(0)] = ops.size();
      ops.push_back({n, e.t, -1, -1, e.get_int("req").value_or(0)});
    } else if (kr.response) {
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
  for (Column* c : {&m_from, &m_to, &m_type, &m_dup, &m_id}) c->text.reserve(msgs.size() * 2 + 2);
  for (Column* c : {&m_t, &m_recv, &m_drop, &m_info}) c->text.reserve(msgs.size() * 8 + 2);
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
  const std::string ev_msg_text = row_deltas(ev_msg);
  std::string ev_texts_json = "[";
  for (const std::string& t : ev_texts.names()) {
    if (ev_texts_json.size() > 1) ev_texts_json += ',';
    append_json_text(ev_texts_json, t);  // with '<' as \u003c, as the page needs
  }
  ev_texts_json += ']';
  for (Column* c : {&ev_t, &ev_node, &ev_kind, &ev_text, &m_t, &m_from, &m_to, &m_type, &m_recv, &m_drop, &m_dup, &m_id, &m_info}) {
    c->close();
  }
  // The page, written once into a buffer of its final size. Only the
  // parts with strings from the trace need '<' escaped: the number columns
  // cannot hold one, and ev_texts_json was escaped as it was written.
  static const std::string page_head = report_head();
  const std::string_view tail = kReportTail;
  const std::vector<std::pair<std::string_view, const std::string*>> columns = {
      {",\"ev\":{\"dt\":", &ev_t.text}, {",\"node\":", &ev_node.text}, {",\"kind\":", &ev_kind.text},
      {",\"msg\":", &ev_msg_text}, {",\"text\":", &ev_text.text}, {",\"texts\":", &ev_texts_json},
      {"},\"msg\":{\"dt\":", &m_t.text},
      {",\"from\":", &m_from.text}, {",\"to\":", &m_to.text}, {",\"type\":", &m_type.text},
      {",\"recv\":", &m_recv.text}, {",\"drop\":", &m_drop.text}, {",\"dup\":", &m_dup.text},
      {",\"id\":", &m_id.text}, {",\"info\":", &m_info.text}};
  size_t size = page_head.size() + json.size() + json.size() / 16 + log_json.size() + log_json.size() / 16 +
                state_json.size() + state_json.size() / 16 + tail.size() + 64;
  for (const auto& [key, text] : columns) size += key.size() + text->size();
  html->clear();
  html->reserve(size);
  *html += page_head;
  append_script_safe(*html, json);
  for (const auto& [key, text] : columns) {
    *html += key;
    *html += *text;
  }
  *html += "},\"log\":";
  append_script_safe(*html, log_json);
  *html += ",\"state\":";
  append_script_safe(*html, state_json);
  *html += '}';
  *html += tail;
  return {};
}

}  // namespace dsim::analysis
