#include "sim/scenario/writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "dsim/assert.h"

namespace dsim::scenario {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

std::string reorder_text(Ratio p, const net::LatencyModel& delay) {
  return "{probability: " + ratio_text(p) + ", delay: " + latency_text(delay) + "}";
}

std::string link_fields(const net::LinkSpec& l) {
  return "latency: " + latency_text(l.latency) + ", drop: " + ratio_text(l.drop) + ", duplicate: " + ratio_text(l.duplicate) +
         (l.reorder.num > 0 ? ", reorder: " + reorder_text(l.reorder, l.reorder_delay) : std::string());
}

}  // namespace

std::string ratio_text(Ratio r) {
  if (r.num == 0) return "0";
  if (r.num == r.den) return "1";
  // Parsed probabilities are num / 10^k.
  std::string digits = std::to_string(r.num);
  const std::string den = std::to_string(r.den);
  DSIM_ASSERT_MSG(den[0] == '1' && den.find_first_not_of('0', 1) == std::string::npos, "ratio not decimal");
  const size_t places = den.size() - 1;
  if (digits.size() < places) digits.insert(0, places - digits.size(), '0');
  return "0." + digits;
}

std::string latency_text(const net::LatencyModel& m) {
  using K = net::LatencyModel::Kind;
  switch (m.kind) {
    case K::kConstant: return duration_text(m.a);
    case K::kUniform: return "{dist: uniform, min: " + duration_text(m.a) + ", max: " + duration_text(m.b) + "}";
    case K::kNormal: return "{dist: normal, mean: " + duration_text(m.a) + ", stddev: " + duration_text(m.b) + "}";
    case K::kExponential: return "{dist: exponential, mean: " + duration_text(m.a) + "}";
    case K::kLognormal: {
      char sigma[32];
      const auto [end, ec] = std::to_chars(sigma, sigma + sizeof sigma, m.sigma);  // shortest exact form
      DSIM_ASSERT(ec == std::errc());
      return "{dist: lognormal, median: " + duration_text(m.a) + ", sigma: " + std::string(sigma, end) + "}";
    }
    case K::kPareto: {
      char shape[32];
      const auto [end, ec] = std::to_chars(shape, shape + sizeof shape, m.sigma);
      DSIM_ASSERT(ec == std::errc());
      return "{dist: pareto, scale: " + duration_text(m.a) + ", shape: " + std::string(shape, end) +
             (m.b.ns > 0 ? ", max: " + duration_text(m.b) : std::string()) + "}";
    }
    case K::kMixture: {
      std::string out = "{dist: mixture, of: [";
      for (size_t i = 0; i < m.parts.size(); ++i) {
        out += std::string(i ? ", " : "") + "{weight: " + std::to_string(m.parts[i].weight) +
               ", latency: " + latency_text(m.parts[i].model) + "}";
      }
      return out + "]}";
    }
  }
  return "";
}


std::string schedule_step_text(const ScheduleStep& st, const std::vector<std::string>& names) {
  using K = ScheduleStep::Kind;
  const auto message = [&](const char* what) {
    return std::string("{") + what + ": {from: " + names[st.node.value] + ", to: " + names[st.to.value] +
           ", nth: " + std::to_string(st.nth) + "}}";
  };
  switch (st.kind) {
    case K::kDeliver: return message("deliver");
    case K::kDrop: return message("drop");
    case K::kDuplicate: return message("duplicate");
    case K::kTimer: return "{timer: " + names[st.node.value] + ", tag: " + std::to_string(st.tag) + "}";
    case K::kCrash: return "{crash: " + names[st.node.value] + (st.lose_unsynced ? ", lose_unsynced: true}" : "}");
    case K::kRestart: return "{restart: " + names[st.node.value] + "}";
    case K::kInput: return "{input: " + names[st.node.value] + "}";
  }
  return "";
}

namespace {

// A pattern's field value: integers and booleans plain (the loader reads
// them by the field's type), anything else quoted.
std::string pattern_value(const std::string& v) {
  if (v == "true" || v == "false") return v;
  const size_t digits = v.starts_with('-') ? 1 : 0;
  if (v.size() > digits && v.find_first_not_of("0123456789", digits) == std::string::npos &&
      (v[digits] != '0' || v.size() == digits + 1)) {
    return v;
  }
  return quote(v);
}

std::string patterns_text(const std::vector<std::pair<EventPattern, uint32_t>>& list, const char* count_key) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& [p, count] = list[i];
    out += std::string(i ? ", " : "") + "{kind: " + p.kind;
    if (!p.where.empty()) {
      out += ", where: {";
      for (size_t k = 0; k < p.where.size(); ++k) {
        out += (k ? ", " : "") + p.where[k].first + ": " + pattern_value(p.where[k].second);
      }
      out += "}";
    }
    out += std::string(", ") + count_key + ": " + std::to_string(count) + "}";
  }
  return out + "]";
}

std::string explore_text(const ExploreSpec& e, bool takes_inputs) {
  std::string y = "explore:\n";
  y += std::string("  strategy: ") + (e.strategy == ExploreSpec::Strategy::kBfs   ? "bfs"
                                     : e.strategy == ExploreSpec::Strategy::kDfs ? "dfs"
                                                                                 : "random") + "\n";
  y += "  max_depth: " + std::to_string(e.max_depth) + "\n  max_states: " + std::to_string(e.max_states) + "\n";
  if (e.max_time) y += "  max_time: " + duration_text(*e.max_time) + "\n";
  y += "  crashes: " + std::to_string(e.crashes) + "\n  restarts: " + std::to_string(e.restarts) +
       "\n  lose_unsynced: " + (e.lose_unsynced ? "true" : "false") + "\n  drops: " + std::to_string(e.drops) +
       "\n  duplicates: " + std::to_string(e.duplicates) + "\n  fifo: " + (e.fifo ? "true" : "false") + "\n";
  if (takes_inputs && e.inputs) y += "  inputs: " + std::to_string(*e.inputs) + "\n";
  if (!e.goals.empty()) y += "  goals: " + patterns_text(e.goals, "at_least") + "\n";
  if (!e.prunes.empty()) y += "  prune: " + patterns_text(e.prunes, "more_than") + "\n";
  return y;
}

}  // namespace

std::string scenario_to_yaml(const Scenario& s, const std::string& header_comment,
                             const std::vector<std::string>& step_notes) {
  const std::vector<std::string> all = s.all_names();  // servers, then clients
  const auto name = [&](NodeId n) { return all[n.value]; };
  const auto target = [&](const Target& t) {
    const std::string who = t.node ? name(*t.node) : t.role;
    switch (t.pick) {
      case Target::Pick::kOne: return who;
      case Target::Pick::kRandom: return "{random: " + who + "}";
      case Target::Pick::kAll: return "{all: " + who + "}";
      case Target::Pick::kOthers: return "{all_but: " + who + "}";
    }
    return who;
  };
  std::string y;
  if (!header_comment.empty()) {
    size_t start = 0;
    while (start < header_comment.size()) {
      const size_t nl = header_comment.find('\n', start);
      y += "# " + header_comment.substr(start, nl == std::string::npos ? std::string::npos : nl - start) + "\n";
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  y += "version: 1\nname: " + quote(s.name) + "\n";
  if (!s.description.empty()) y += "description: " + quote(s.description) + "\n";
  y += "protocol: " + s.protocol + "\n";
  if (s.seed) y += "seed: " + std::to_string(*s.seed) + "\n";
  y += "duration: " + duration_text(s.duration) + "\n";
  if (s.max_events != 100'000'000) y += "max_events: " + std::to_string(s.max_events) + "\n";
  y += "nodes: [";
  for (size_t i = 0; i < s.nodes.size(); ++i) y += (i ? ", " : "") + s.nodes[i];
  y += "]\n";
  std::string clocks;
  for (size_t i = 0; i < s.clocks.size(); ++i) {
    if (s.clocks[i].offset.ns == 0 && s.clocks[i].drift_ppm == 0) continue;
    clocks += "  " + s.nodes[i] + ": {offset: " + duration_text(s.clocks[i].offset) +
              ", drift_ppm: " + std::to_string(s.clocks[i].drift_ppm) + "}\n";
  }
  if (!clocks.empty()) y += "clocks:\n" + clocks;
  if (s.def && s.config) y += s.def->write(*s.config, s.nodes);
  y += "network:\n  latency: " + latency_text(s.network.latency) + "\n  drop: " + ratio_text(s.network.drop) +
       "\n  duplicate: " + ratio_text(s.network.duplicate) + "\n";
  if (s.network.reorder.num > 0) y += "  reorder: " + reorder_text(s.network.reorder, s.network.reorder_delay) + "\n";
  if (!s.links.empty()) {
    y += "  links:\n";
    for (const auto& l : s.links) y += "    - {from: " + name(l.from) + ", to: " + name(l.to) + ", " + link_fields(l.spec) + "}\n";
  }
  if (s.topology) {
    const TopologySpec& t = *s.topology;
    y += "  topology:\n    zones: {";
    for (size_t z = 0; z < t.zone_names.size(); ++z) {
      y += (z ? ", " : "") + t.zone_names[z] + ": [";
      bool first = true;
      for (size_t n = 0; n < t.zone_of.size(); ++n) {
        if (t.zone_of[n] != z) continue;
        y += (first ? "" : ", ") + s.nodes[n];
        first = false;
      }
      y += "]";
    }
    y += "}\n    intra_zone: " + duration_text(t.intra.empty() ? Duration{0} : t.intra[0]) + "\n";
    if (!t.links.empty()) {
      y += "    links:\n";
      for (const auto& l : t.links) {
        y += "      - {between: [" + t.zone_names[l.a] + ", " + t.zone_names[l.b] + "], latency: " + duration_text(l.latency) + "}\n";
      }
    }
  }
  if (s.clients.count > 0) {
    const ClientsSpec& c = s.clients;
    y += "clients:\n  count: " + std::to_string(c.count) + "\n";
    if (!c.at.empty()) {
      y += "  at: [";
      for (size_t i = 0; i < c.at.size(); ++i) y += (i ? ", " : "") + s.nodes[c.at[i].value];
      y += "]\n";
    }
    char zipf[32];
    std::snprintf(zipf, sizeof zipf, "%.17g", c.zipf);
    y += "  keys: " + std::to_string(c.keys) + "\n  zipf: " + zipf + "\n  mix: {read: " + std::to_string(c.read_pct) +
         ", write: " + std::to_string(c.write_pct) + ", cas: " + std::to_string(c.cas_pct) + "}\n" +
         (c.rate ? std::string() : "  think: [" + duration_text(c.think_min) + ", " + duration_text(c.think_max) + "]\n") +
         "  timeout: " + duration_text(c.timeout) +
         "\n  start: " + duration_text(c.start - Time{0}) + "\n";
    if (c.stop) y += "  stop: " + duration_text(*c.stop - Time{0}) + "\n";
    if (c.stop_writes) y += "  stop_writes: " + duration_text(*c.stop_writes - Time{0}) + "\n";
    if (c.rate) y += "  rate: " + std::to_string(c.rate) + "\n";
    if (c.retries) y += "  retries: " + std::to_string(c.retries) + "\n";
    if (c.latency) y += "  latency: " + latency_text(*c.latency) + "\n";
  }
  const WorkloadSpec& w = s.workload;
  const WorkloadInputs in = s.def ? s.def->workload() : WorkloadInputs{};
  if (w.count > 0 && in.kind != WorkloadInputs::Kind::kNone) {
    y += "workload:\n  " + std::string(in.count_key) + ": " + std::to_string(w.count) + "\n";
    if (in.kind == WorkloadInputs::Kind::kToLeader) y += std::string("  to: ") + (w.to_leader ? "leader" : "any") + "\n";
    if (in.keys) y += "  keys: " + std::to_string(w.keys) + "\n";
    if (in.kind == WorkloadInputs::Kind::kPerNode) {
      if (w.from.empty()) {
        y += "  from: any\n";
      } else {
        y += "  from: [";
        for (size_t i = 0; i < w.from.size(); ++i) y += (i ? ", " : "") + name(w.from[i]);
        y += "]\n";
      }
    }
    y += "  start: " + duration_text(w.start - Time{0}) + "\n  interval: [" + duration_text(w.interval_min) + ", " +
         duration_text(w.interval_max) + "]\n";
    if (w.client_latency) y += "  client_latency: " + latency_text(*w.client_latency) + "\n";
  }
  if (s.storage.any()) {
    y += "storage:\n  write_latency: " + duration_text(s.storage.write_latency) + "\n";
    if (!s.storage.per_node.empty()) {
      y += "  nodes: {";
      for (size_t i = 0; i < s.storage.per_node.size(); ++i) {
        y += (i ? ", " : "") + name(s.storage.per_node[i].first) + ": " + duration_text(s.storage.per_node[i].second);
      }
      y += "}\n";
    }
  }
  if (!s.faults.empty()) {
    y += "faults:\n";
    using T = FaultSpec::Type;
    for (const FaultSpec& f : s.faults) {
      std::string item = "  - {at: " + duration_text(f.at - Time{0}) + ", ";
      switch (f.type) {
        case T::kCrash:
          item += "crash: " + target(f.target);
          if (f.restart_after) item += ", restart_after: " + duration_text(*f.restart_after);
          if (f.lose_unsynced) item += ", lose_unsynced: true";
          break;
        case T::kRestart: item += "restart: " + target(f.target); break;
        case T::kPause: item += "pause: " + target(f.target); break;
        case T::kPartition: {
          item += "partition: [";
          for (size_t g = 0; g < f.groups.size(); ++g) {
            item += std::string(g ? ", " : "") + "[";
            for (size_t i = 0; i < f.groups[g].size(); ++i) item += (i ? ", " : "") + name(f.groups[g][i]);
            item += "]";
          }
          for (size_t g = 0; g < f.group_targets.size(); ++g) {
            item += std::string(g ? ", " : "") + "[";
            for (size_t i = 0; i < f.group_targets[g].size(); ++i) item += (i ? ", " : "") + target(f.group_targets[g][i]);
            item += "]";
          }
          item += "]";
          break;
        }
        case T::kDisconnect: item += "disconnect: " + target(f.target); break;
        case T::kReconnect: item += "reconnect: " + target(f.target); break;
        case T::kNetwork: {
          const NetworkChange& c = f.network;
          std::string fields;
          auto add = [&](const std::string& part) { fields += (fields.empty() ? "" : ", ") + part; };
          if (c.latency) add("latency: " + latency_text(*c.latency));
          if (c.drop) add("drop: " + ratio_text(*c.drop));
          if (c.duplicate) add("duplicate: " + ratio_text(*c.duplicate));
          if (c.reorder) add("reorder: " + reorder_text(*c.reorder, c.reorder_delay.value_or(net::LatencyModel::constant(Duration{0}))));
          item += "network: {" + fields + "}";
          break;
        }
        case T::kIsolate: item += "isolate: " + target(f.target); break;
        case T::kCut: item += "cut: {from: " + name(f.from) + ", to: " + name(f.to) + "}"; break;
        case T::kHeal: item += "heal: all"; break;
        case T::kClog:
          item += f.link ? "clog: {from: " + name(f.from) + ", to: " + name(f.to) + "}" : "clog: " + target(f.target);
          break;
        case T::kClockJump: item += "clock: " + target(f.target) + ", jump: " + duration_text(f.jump); break;
        case T::kClockDrift: item += "clock: " + target(f.target) + ", drift_ppm: " + std::to_string(f.drift_ppm); break;
      }
      if (f.for_) item += ", for: " + duration_text(*f.for_);
      y += item + "}\n";
    }
  }
  if (s.nemesis) {
    const NemesisSpec& m = *s.nemesis;
    static const char* kKinds[] = {"crash", "pause", "partition", "isolate", "clog", "disconnect"};
    y += "nemesis:\n  faults: [";
    for (size_t i = 0; i < m.kinds.size(); ++i) y += std::string(i ? ", " : "") + kKinds[static_cast<int>(m.kinds[i])];
    y += "]\n  interval: [" + duration_text(m.interval_min) + ", " + duration_text(m.interval_max) + "]\n  duration: [" +
         duration_text(m.duration_min) + ", " + duration_text(m.duration_max) + "]\n  max_down: " +
         std::to_string(m.max_down) + "\n  from: " + duration_text(m.from - Time{0}) + "\n  until: " +
         duration_text(m.until - Time{0}) + "\n  lose_unsynced: " + (m.lose_unsynced ? "true" : "false") + "\n";
  }
  if (!s.schedule.empty()) {
    y += "schedule:\n";
    // Notes start in one column, so the steps read as a table.
    std::vector<std::string> steps;
    size_t width = 0;
    for (const ScheduleStep& st : s.schedule) {
      steps.push_back(schedule_step_text(st, all));
      width = std::max(width, steps.back().size());
    }
    for (size_t i = 0; i < steps.size(); ++i) {
      y += "  - " + steps[i];
      if (i < step_notes.size() && !step_notes[i].empty()) {
        std::string note = step_notes[i];
        std::replace(note.begin(), note.end(), '\n', ' ');
        std::replace(note.begin(), note.end(), '\r', ' ');
        y += std::string(width - steps[i].size() + 2, ' ') + "# " + note;
      }
      y += "\n";
    }
  }
  if (s.explore) y += explore_text(*s.explore, in.kind != WorkloadInputs::Kind::kNone);
  y += s.checks.empty() ? "checks: []\n" : "checks:\n";
  for (const auto& c : s.checks) {
    y += c.within_ns > 0 ? "  - {name: " + c.name + ", within: " + duration_text(Duration{c.within_ns}) + "}\n"
                         : "  - " + c.name + "\n";
  }
  if (!s.expect_violated.empty()) {
    y += "expect:\n  violated: [";
    for (size_t i = 0; i < s.expect_violated.size(); ++i) y += (i ? ", " : "") + s.expect_violated[i];
    y += "]\n";
    if (s.expect_some_seeds) y += "  seeds: some\n";
  }
  return y;
}

}  // namespace dsim::scenario
