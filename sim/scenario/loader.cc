#include "sim/scenario/loader.h"

#include <algorithm>
#include <filesystem>
#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "sim/core/input.h"
#include "sim/core/utf8.h"
#include "sim/scenario/units.h"
#include "sim/trace/schema.h"
#include "dsim/yaml_reader.h"
#include "dsim/assert.h"
#include "dsim/registry.h"
#include "dsim/text.h"

namespace dsim::scenario {

namespace {

constexpr int64_t kMaxNodes = 1'000'000;

bool valid_node_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

std::string where_at(std::string_view list, size_t i) { return std::string(list) + "[" + std::to_string(i) + "]"; }

class Loader {
 public:
  Loader(const Registry& reg, Diagnostics& d, Scenario& s) : reg_(reg), r_(d), s_(s) {}

  void load(const YAML::Node& root);

 private:
  void nodes(const YAML::Node& n);
  std::optional<NodeId> node_ref(const YAML::Node& n, std::string_view where);
  // single: the fault hits one node (a node, a role, {random: role}); else
  // also {all: role} and {all_but: X}.
  std::optional<Target> target(const YAML::Node& n, std::string_view where, bool single = true);
  std::optional<Target> role_or_node(const YAML::Node& n, std::string_view where);
  void storage(const YAML::Node& n);
  bool reorder(const YAML::Node& n, std::string_view where, Ratio* p, net::LatencyModel* delay);
  std::optional<double> real(const YAML::Node& n, std::string_view where, const char* example);
  std::optional<net::LatencyModel> latency(const YAML::Node& n, std::string_view where, bool in_mixture = false);
  void network(const YAML::Node& n);
  void link_fields(const YAML::Node& n, std::string_view where, net::LinkSpec* spec);
  void topology(const YAML::Node& n);
  void clocks(const YAML::Node& n);
  void protocol_section(const YAML::Node& root);
  void clients(const YAML::Node& n);
  const std::string& name_of(NodeId id) const {
    return id.value < s_.nodes.size() ? s_.nodes[id.value] : s_.client_names[id.value - s_.nodes.size()];
  }
  void workload(const YAML::Node& n);
  void faults(const YAML::Node& n);
  void fault(const YAML::Node& n, std::string_view where);
  void nemesis(const YAML::Node& n);
  void checks(const YAML::Node& n);
  void expect(const YAML::Node& n);
  // `schedule:` and `explore:` (after everything they may conflict with).
  void scripted(const YAML::Node& root);
  std::optional<ScheduleStep> step(const YAML::Node& n, std::string_view where);
  void explore(const YAML::Node& n);
  std::optional<EventPattern> pattern(const YAML::Node& n, std::string_view where, std::string_view count_key,
                                      uint32_t* count);
  std::optional<Time> time_within_run(const YAML::Node& n, std::string_view where);
  // The protocols whose `what` includes `has`, as "a/b" for messages.
  std::string protocols_with(const std::function<bool(const Protocol&)>& has) const;

  const Registry& reg_;
  YamlReader r_;
  Scenario& s_;
  std::map<std::string, NodeId, std::less<>> by_name_;
  YAML::Node nodes_key_;
};

void Loader::load(const YAML::Node& root) {
  if (!root.IsMap()) {
    r_.check_map(root, "", {});  // reports what the file holds instead
    return;
  }
  // The fixed keys, and any protocol's section (an error below unless it is
  // the scenario's own protocol's).
  std::vector<std::string_view> allowed = {"version", "name", "description", "protocol", "seed", "duration", "max_events",
                                           "nodes", "clocks", "network", "clients", "workload", "storage", "faults",
                                           "nemesis", "checks", "expect", "schedule", "explore"};
  for (std::string_view p : reg_.names()) allowed.push_back(p);
  if (!r_.check_map_keys(root, "", allowed)) return;
  if (r_.require(root, "version", "")) {
    if (auto v = r_.integer(root["version"], "version", 1, INT32_MAX)) {
      if (*v > kScenarioVersion) {
        r_.error(root["version"], "scenario version " + std::to_string(*v) + " is newer than this dsim supports (" +
                                      std::to_string(kScenarioVersion) + "); upgrade dsim to run it");
      }
    }
  }
  if (r_.require(root, "name", "")) {
    if (auto v = r_.string(root["name"], "name")) s_.name = *v;
  }
  if (auto d = root["description"]) {
    if (auto v = r_.string(d, "description")) s_.description = *v;
  }
  if (r_.require(root, "protocol", "")) {
    if (auto v = r_.string(root["protocol"], "protocol")) {
      if (const Protocol* p = reg_.find(*v)) {
        s_.protocol = *v;
        s_.def = p;
      } else {
        const auto all = reg_.names();
        std::string list;
        for (auto n : all) list += (list.empty() ? "" : ", ") + std::string(n);
        const std::string hint = closest(*v, all);
        r_.error(root["protocol"], "unknown protocol '" + *v + "'" +
                                       (hint.empty() ? " (known: " + list + ")" : "; did you mean '" + hint + "'?"));
      }
    }
  }
  if (auto n = root["seed"]) {
    if (auto v = r_.string(n, "seed")) {
      uint64_t seed = 0;
      std::string why;
      if (parse_seed(*v, &seed, &why)) {
        s_.seed = seed;
      } else {
        r_.error(n, why);
      }
    }
  }
  if (r_.require(root, "duration", "")) {
    if (auto v = r_.duration(root["duration"], "duration")) {
      if (v->ns <= 0) {
        r_.error(root["duration"], "'duration' must be positive");
      } else {
        s_.duration = *v;
      }
    }
  }
  if (auto n = root["max_events"]) {
    if (auto v = r_.integer(n, "max_events", 1, INT64_MAX)) s_.max_events = static_cast<uint64_t>(*v);
  }
  if (r_.require(root, "nodes", "")) {
    nodes_key_ = root["nodes"];
    nodes(root["nodes"]);
  }
  const bool have_nodes = !s_.nodes.empty();
  s_.clocks.assign(s_.nodes.size(), ClockSpec{});
  if (auto n = root["network"]) network(n);
  if (!have_nodes) return;  // everything below names nodes
  protocol_section(root);
  if (auto n = root["clients"]) {
    if (s_.def && !s_.def->accepts_clients()) {
      r_.error(n, "'clients' (key-value clients) apply to protocols " +
                      protocols_with([](const Protocol& p) { return p.accepts_clients(); }) + ", not " + s_.protocol);
    } else {
      clients(n);
    }
  }
  if (auto n = root["clocks"]) clocks(n);
  if (auto n = root["workload"]) {
    if (auto c = root["clients"]) {
      // The workload's requests go to the servers outside the clients'
      // history: a linearizability check then sees values that no client
      // wrote and reports a violation that is not one.
      r_.error(n, "'workload' and 'clients' cannot be combined: the workload's requests are not part of the clients' "
                  "history, so the history checks would judge writes they never saw; keep one of them (the clients "
                  "are at line " + std::to_string(c.Mark().line + 1) + ")");
    } else {
      workload(n);
    }
  }
  if (auto n = root["storage"]) storage(n);
  if (auto n = root["faults"]) faults(n);
  if (auto n = root["nemesis"]) nemesis(n);
  if (auto n = root["checks"]) {
    checks(n);
  } else if (s_.def) {
    for (const auto& c : reg_.checkers_of(*s_.def)) {
      if (!c.needs_clients || s_.clients.count > 0) s_.checks.push_back({std::string(c.name), 0, 0});
    }
  }
  if (auto n = root["expect"]) expect(n);
  scripted(root);
}

void Loader::protocol_section(const YAML::Node& root) {
  // Sections of other protocols are errors; the scenario's own protocol
  // reads its section (or its defaults when there is none) and checks the
  // node layout.
  for (std::string_view p : reg_.names()) {
    const YAML::Node n = root[std::string(p)];
    if (n && p != s_.protocol && !s_.protocol.empty()) {
      r_.error(n, "section '" + std::string(p) + "' does not apply to protocol '" + s_.protocol + "'");
    }
  }
  if (!s_.def) return;
  const YAML::Node n = root[s_.protocol];
  SectionReader sr(r_, s_.nodes, nodes_key_);
  s_.config = s_.def->read(sr, n ? &n : nullptr);
  DSIM_ASSERT_MSG(s_.config || !r_.ok(), "a protocol's read() returned no config without an error");
}

std::string Loader::protocols_with(const std::function<bool(const Protocol&)>& has) const {
  std::string list;
  for (const auto& p : reg_.protocols()) {
    if (has(*p)) list += (list.empty() ? "" : "/") + std::string(p->name());
  }
  return list.empty() ? "none" : list;
}

void Loader::nodes(const YAML::Node& n) {
  std::vector<std::string> names;
  if (n.IsScalar()) {
    auto count = r_.integer(n, "nodes", 1, kMaxNodes);
    if (!count) return;
    for (int64_t i = 1; i <= *count; ++i) names.push_back(std::string("n").append(std::to_string(i)));
  } else if (n.IsSequence()) {
    if (n.size() == 0 || n.size() > kMaxNodes) {
      r_.error(n, "'nodes' must list between 1 and " + std::to_string(kMaxNodes) + " names");
      return;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      auto name = r_.string(n[i], where_at("nodes", i));
      if (!name) return;
      if (!valid_node_name(*name)) {
        r_.error(n[i], "invalid node name '" + *name +
                           "': use a letter followed by letters, digits, '_', '-' or '.' (at most 64)");
        return;
      }
      if (std::find(names.begin(), names.end(), *name) != names.end()) {
        r_.error(n[i], "node '" + *name + "' is listed twice in 'nodes'");
        return;
      }
      names.push_back(*name);
    }
  } else {
    r_.error(n, std::string("expected a node count or a list of node names for 'nodes', got ") + YamlReader::type_name(n));
    return;
  }
  s_.nodes = std::move(names);
  for (uint32_t i = 0; i < s_.nodes.size(); ++i) by_name_.emplace(s_.nodes[i], NodeId{i});
}

std::optional<NodeId> Loader::node_ref(const YAML::Node& n, std::string_view where) {
  auto name = r_.string(n, where);
  if (!name) return std::nullopt;
  if (auto it = by_name_.find(*name); it != by_name_.end()) return it->second;
  std::vector<std::string_view> names(s_.nodes.begin(), s_.nodes.end());
  const std::string hint = closest(*name, names);
  std::string known = s_.nodes.size() <= 8 ? "" : " ...";
  std::string list;
  for (size_t i = 0; i < s_.nodes.size() && i < 8; ++i) list += (i ? ", " : "") + s_.nodes[i];
  r_.error(n, "unknown node '" + *name + "' in '" + std::string(where) + "'" +
                  (hint.empty() ? " (nodes: " + list + known + ")" : "; did you mean '" + hint + "'?"));
  return std::nullopt;
}

std::optional<Target> Loader::role_or_node(const YAML::Node& n, std::string_view where) {
  auto name = r_.string(n, where);
  if (!name) return std::nullopt;
  if (auto it = by_name_.find(*name); it != by_name_.end()) return Target{it->second, {}};
  std::vector<std::string_view> roles;
  if (s_.def) roles = s_.def->roles();
  if (std::find(roles.begin(), roles.end(), *name) != roles.end()) return Target{std::nullopt, *name};
  if (roles.empty()) {
    node_ref(n, where);  // reports the unknown node
    return std::nullopt;
  }
  // Neither: say what would have been accepted, nearest first.
  std::vector<std::string_view> known(roles.begin(), roles.end());
  for (const auto& nn : s_.nodes) known.push_back(nn);
  const std::string hint = closest(*name, known);
  std::string role_list;
  for (auto r : roles) role_list += (role_list.empty() ? "" : ", ") + std::string(r);
  r_.error(n, "unknown node or role '" + *name + "' in '" + std::string(where) + "'" +
                  (hint.empty() ? "" : "; did you mean '" + hint + "'?") + " (roles of " + s_.protocol + ": " +
                  role_list + ")");
  return std::nullopt;
}

std::optional<Target> Loader::target(const YAML::Node& n, std::string_view where, bool single) {
  if (!n.IsMap()) return role_or_node(n, where);
  if (!r_.check_map(n, where, {"role", "random", "all", "all_but"})) return std::nullopt;
  if (n.size() != 1) {
    r_.error(n, "'" + std::string(where) + "' takes one of role, random, all or all_but, e.g. {random: follower}");
    return std::nullopt;
  }
  const std::string key = n.begin()->first.Scalar();
  const YAML::Node v = n[key];
  const std::string vwhere = YamlReader::join(where, key);
  auto t = role_or_node(v, vwhere);
  if (!t) return std::nullopt;
  using P = Target::Pick;
  if (key == "role" || key == "all_but") {
    if (key == "role" && t->node) {
      r_.error(v, "'" + vwhere + "' must be a role, not node '" + v.Scalar() + "'");
      return std::nullopt;
    }
    t->pick = key == "role" ? P::kOne : P::kOthers;
  } else {
    if (t->node) {
      r_.error(v, "'" + vwhere + "' must be a role (" + (key == "random" ? "one of its holders is drawn" : "it hits every holder") +
                      "), not node '" + v.Scalar() + "'");
      return std::nullopt;
    }
    t->pick = key == "random" ? P::kRandom : P::kAll;
  }
  if (single && !t->single()) {
    r_.error(n, "'" + std::string(where) + "' hits one node here: write a node, a role or {random: ROLE}");
    return std::nullopt;
  }
  return t;
}

std::optional<double> Loader::real(const YAML::Node& n, std::string_view where, const char* example) {
  auto text = r_.string(n, where);
  if (!text) return std::nullopt;
  double x = 0;
  const auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), x);
  if (ec != std::errc() || p != text->data() + text->size()) {
    r_.error(n, "invalid " + std::string(where) + " \"" + *text + "\": expected a number such as " + example);
    return std::nullopt;
  }
  return x;
}

std::optional<net::LatencyModel> Loader::latency(const YAML::Node& n, std::string_view where, bool in_mixture) {
  using LM = net::LatencyModel;
  std::optional<LM> m;
  if (n.IsScalar()) {
    auto d = r_.duration(n, where);
    if (!d) return std::nullopt;
    m = LM::constant(*d);
  } else {
    if (!r_.check_map(n, where, {"dist", "value", "min", "max", "mean", "stddev", "median", "sigma", "scale", "shape", "of"})) {
      return std::nullopt;
    }
    if (!r_.require(n, "dist", where)) return std::nullopt;
    auto dist = r_.string(n["dist"], YamlReader::join(where, "dist"));
    if (!dist) return std::nullopt;
    auto need = [&](std::initializer_list<std::string_view> keys) {
      bool ok = true;
      for (const auto& kv : n) {
        const YAML::Node key = kv.first;
        const std::string k = key.Scalar();
        if (k == "dist" || k.starts_with("x-")) continue;
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
          r_.error(key, "'" + k + "' is not a parameter of the " + *dist + " distribution");
          ok = false;
        }
      }
      for (std::string_view k : keys) {
        if (k != "max" || *dist != "pareto") ok = r_.require(n, k, where) && ok;
      }
      return ok;
    };
    auto dur = [&](std::string_view k) { return r_.duration(n[std::string(k)], YamlReader::join(where, k)); };
    if (*dist == "constant") {
      if (!need({"value"})) return std::nullopt;
      if (auto v = dur("value")) m = LM::constant(*v);
    } else if (*dist == "uniform") {
      if (!need({"min", "max"})) return std::nullopt;
      auto lo = dur("min"), hi = dur("max");
      if (lo && hi) m = LM::uniform(*lo, *hi);
    } else if (*dist == "normal") {
      if (!need({"mean", "stddev"})) return std::nullopt;
      auto mean = dur("mean"), sd = dur("stddev");
      if (mean && sd) m = LM::normal(*mean, *sd);
    } else if (*dist == "exponential") {
      if (!need({"mean"})) return std::nullopt;
      if (auto mean = dur("mean")) m = LM::exponential(*mean);
    } else if (*dist == "lognormal") {
      if (!need({"median", "sigma"})) return std::nullopt;
      auto median = dur("median");
      auto sigma_text = r_.string(n["sigma"], YamlReader::join(where, "sigma"));
      if (median && sigma_text) {
        double sigma = 0;
        const auto [p, ec] = std::from_chars(sigma_text->data(), sigma_text->data() + sigma_text->size(), sigma);
        if (ec != std::errc() || p != sigma_text->data() + sigma_text->size()) {
          r_.error(n["sigma"], "invalid sigma \"" + *sigma_text + "\": expected a number such as 0.5");
        } else {
          m = LM::lognormal(*median, sigma);
        }
      }
    } else if (*dist == "pareto") {
      // max is optional (need() does not require it for pareto).
      if (!need({"scale", "shape", "max"})) return std::nullopt;
      auto scale = dur("scale");
      auto shape = real(n["shape"], YamlReader::join(where, "shape"), "1.5");
      std::optional<Duration> cap = Duration{0};
      if (n["max"]) cap = dur("max");
      if (scale && shape && cap) m = LM::pareto(*scale, *shape, *cap);
    } else if (*dist == "mixture") {
      if (in_mixture) {
        r_.error(n["dist"], "a mixture component cannot itself be a mixture");
        return std::nullopt;
      }
      if (!need({"of"})) return std::nullopt;
      const YAML::Node of = n["of"];
      const std::string owhere = YamlReader::join(where, "of");
      if (!of.IsSequence() || of.size() == 0) {
        r_.error(of, "'" + owhere + "' must be a non-empty list of {weight: N, latency: ...}");
        return std::nullopt;
      }
      std::vector<LM::Component> parts;
      bool ok = true;
      for (size_t i = 0; i < of.size(); ++i) {
        const std::string cw = where_at(owhere, i);
        const YAML::Node c = of[i];
        if (!r_.check_map(c, cw, {"weight", "latency"}) || !r_.require(c, "weight", cw) || !r_.require(c, "latency", cw)) {
          ok = false;
          continue;
        }
        auto w = r_.integer(c["weight"], YamlReader::join(cw, "weight"), 1, 1'000'000);
        auto l = latency(c["latency"], YamlReader::join(cw, "latency"), true);
        if (!w || !l) {
          ok = false;
          continue;
        }
        parts.push_back({static_cast<uint32_t>(*w), *l});
      }
      if (!ok) return std::nullopt;
      m = LM::mixture(std::move(parts));
    } else {
      const std::string hint =
          closest(*dist, {"constant", "uniform", "normal", "exponential", "lognormal", "pareto", "mixture"});
      r_.error(n["dist"], "unknown latency distribution '" + *dist + "'" +
                              (hint.empty() ? " (expected constant, uniform, normal, exponential, lognormal, pareto or mixture)"
                                            : "; did you mean '" + hint + "'?"));
    }
  }
  if (!m) return std::nullopt;
  if (const std::string why = m->validate(); !why.empty()) {
    r_.error(n, "invalid latency for '" + std::string(where) + "': " + why);
    return std::nullopt;
  }
  return m;
}

void Loader::link_fields(const YAML::Node& n, std::string_view where, net::LinkSpec* spec) {
  if (auto v = n["latency"]) {
    if (auto m = latency(v, YamlReader::join(where, "latency"))) spec->latency = *m;
  }
  if (auto v = n["drop"]) {
    if (auto p = r_.probability(v, YamlReader::join(where, "drop"))) spec->drop = *p;
  }
  if (auto v = n["duplicate"]) {
    if (auto p = r_.probability(v, YamlReader::join(where, "duplicate"))) spec->duplicate = *p;
  }
  if (auto v = n["reorder"]) reorder(v, YamlReader::join(where, "reorder"), &spec->reorder, &spec->reorder_delay);
}

bool Loader::reorder(const YAML::Node& n, std::string_view where, Ratio* p, net::LatencyModel* delay) {
  if (!r_.check_map(n, where, {"probability", "delay"})) return false;
  if (!r_.require(n, "probability", where) || !r_.require(n, "delay", where)) return false;
  auto prob = r_.probability(n["probability"], YamlReader::join(where, "probability"));
  auto d = latency(n["delay"], YamlReader::join(where, "delay"));
  if (!prob || !d) return false;
  *p = *prob;
  *delay = *d;
  return true;
}

void Loader::storage(const YAML::Node& n) {
  if (!r_.check_map(n, "storage", {"write_latency", "nodes"})) return;
  if (auto v = n["write_latency"]) s_.storage.write_latency = r_.duration(v, "storage.write_latency").value_or(Duration{0});
  if (auto v = n["nodes"]) {
    if (!r_.check_free_map(v, "storage.nodes")) return;
    for (const auto& kv : v) {
      const YAML::Node key = kv.first;
      const std::string where = "storage.nodes." + key.Scalar();
      auto id = node_ref(key, "storage.nodes");
      auto d = r_.duration(kv.second, where);
      if (!id || !d) continue;
      if (id->value >= s_.nodes.size()) {
        r_.error(key, "'storage.nodes' names servers; '" + key.Scalar() + "' is a client");
        continue;
      }
      s_.storage.per_node.emplace_back(*id, *d);
    }
  }
}

void Loader::network(const YAML::Node& n) {
  if (!r_.check_map(n, "network", {"latency", "drop", "duplicate", "reorder", "links", "topology"})) return;
  link_fields(n, "network", &s_.network);
  if (s_.nodes.empty()) return;
  if (auto links = n["links"]) {
    if (!links.IsSequence()) {
      r_.error(links, std::string("expected a list for 'network.links', got ") + YamlReader::type_name(links));
    } else {
      for (size_t i = 0; i < links.size(); ++i) {
        const std::string where = where_at("network.links", i);
        const YAML::Node l = links[i];
        if (!r_.check_map(l, where, {"from", "to", "latency", "drop", "duplicate", "reorder", "both_ways"})) continue;
        if (!r_.require(l, "from", where) || !r_.require(l, "to", where)) continue;
        auto from = node_ref(l["from"], YamlReader::join(where, "from"));
        auto to = node_ref(l["to"], YamlReader::join(where, "to"));
        net::LinkSpec spec = s_.network;
        link_fields(l, where, &spec);
        bool both = false;
        if (auto b = l["both_ways"]) both = r_.boolean(b, YamlReader::join(where, "both_ways")).value_or(false);
        if (!from || !to) continue;
        if (*from == *to) {
          r_.error(l, "a link joins two different nodes ('" + where + "' names " + name_of(*from) + " twice)");
          continue;
        }
        s_.links.push_back({*from, *to, spec});
        if (both) s_.links.push_back({*to, *from, spec});
      }
    }
  }
  if (auto t = n["topology"]) topology(t);
}

void Loader::topology(const YAML::Node& n) {
  if (!r_.check_map(n, "network.topology", {"zones", "intra_zone", "links"})) return;
  if (!r_.require(n, "zones", "network.topology")) return;
  const YAML::Node zones = n["zones"];
  if (!r_.check_free_map(zones, "network.topology.zones")) return;
  TopologySpec t;
  t.zone_of.assign(s_.nodes.size(), UINT32_MAX);
  Duration intra{0};
  if (auto v = n["intra_zone"]) intra = r_.duration(v, "network.topology.intra_zone").value_or(Duration{0});
  bool ok = true;
  std::map<std::string, uint32_t, std::less<>> zone_ids;
  for (const auto& kv : zones) {
    const YAML::Node key = kv.first;
    const YAML::Node members = kv.second;
    const std::string zname = key.Scalar();
    const auto zid = static_cast<uint32_t>(t.zone_names.size());
    zone_ids.emplace(zname, zid);
    t.zone_names.push_back(zname);
    t.intra.push_back(intra);
    const std::string where = "network.topology.zones." + zname;
    if (!members.IsSequence()) {
      r_.error(members, "expected a list of nodes for '" + where + "'");
      ok = false;
      continue;
    }
    for (size_t i = 0; i < members.size(); ++i) {
      auto id = node_ref(members[i], where_at(where, i));
      if (!id) {
        ok = false;
        continue;
      }
      if (t.zone_of[id->value] != UINT32_MAX) {
        r_.error(members[i], "node '" + name_of(*id) + "' is in two zones ('" +
                                    t.zone_names[t.zone_of[id->value]] + "' and '" + zname + "')");
        ok = false;
        continue;
      }
      t.zone_of[id->value] = zid;
    }
  }
  for (uint32_t i = 0; i < s_.nodes.size() && ok; ++i) {
    if (t.zone_of[i] == UINT32_MAX) {
      r_.error(zones, "node '" + s_.nodes[i] + "' is in no zone: with a topology, every node belongs to one zone");
      ok = false;
    }
  }
  if (auto links = n["links"]) {
    if (!links.IsSequence()) {
      r_.error(links, "expected a list for 'network.topology.links'");
      return;
    }
    for (size_t i = 0; i < links.size(); ++i) {
      const std::string where = where_at("network.topology.links", i);
      const YAML::Node l = links[i];
      if (!r_.check_map(l, where, {"between", "latency"})) {
        ok = false;
        continue;
      }
      if (!r_.require(l, "between", where) || !r_.require(l, "latency", where)) {
        ok = false;
        continue;
      }
      const YAML::Node b = l["between"];
      auto lat = r_.duration(l["latency"], YamlReader::join(where, "latency"));
      if (!b.IsSequence() || b.size() != 2) {
        r_.error(b, "'" + where + ".between' must name exactly two zones, e.g. [us-east, eu-west]");
        ok = false;
        continue;
      }
      uint32_t z[2] = {0, 0};
      for (int k = 0; k < 2; ++k) {
        auto zn = r_.string(b[k], where + ".between");
        auto it = zn ? zone_ids.find(*zn) : zone_ids.end();
        if (it == zone_ids.end()) {
          if (zn) r_.error(b[k], "unknown zone '" + *zn + "' in '" + where + ".between'");
          ok = false;
        } else {
          z[k] = it->second;
        }
      }
      if (!lat) ok = false;
      if (ok) t.links.push_back({z[0], z[1], *lat});
    }
  }
  if (!ok) return;
  net::Topology check;
  if (auto err = net::Topology::build(static_cast<uint32_t>(t.zone_names.size()), t.zone_of, t.intra, t.links, &check)) {
    // Name the zones rather than their indices.
    for (uint32_t a = 0; a < t.zone_names.size(); ++a) {
      for (uint32_t b = a + 1; b < t.zone_names.size(); ++b) {
        if (*err == "zones " + std::to_string(a) + " and " + std::to_string(b) + " are not connected") {
          r_.error(n, "zones '" + t.zone_names[a] + "' and '" + t.zone_names[b] +
                          "' are not connected by any path of 'network.topology.links'");
          return;
        }
      }
    }
    r_.error(n, *err);
    return;
  }
  s_.topology = std::move(t);
}

void Loader::clocks(const YAML::Node& n) {
  if (!n.IsMap()) {
    r_.error(n, std::string("expected a mapping of node -> {offset, drift_ppm} for 'clocks', got ") +
                    YamlReader::type_name(n));
    return;
  }
  std::map<uint32_t, int> seen;
  for (const auto& kv : n) {
    const YAML::Node key = kv.first;
    if (key.IsScalar() && key.Scalar().starts_with("x-")) continue;
    auto id = node_ref(key, "clocks");
    if (!id) continue;
    if (auto [pos, fresh] = seen.try_emplace(id->value, key.Mark().line + 1); !fresh) {
      r_.error(key, "duplicate key '" + name_of(*id) + "' in 'clocks' (first defined at line " +
                              std::to_string(pos->second) + ")");
      continue;
    }
    const std::string where = "clocks." + name_of(*id);
    const YAML::Node c = kv.second;
    if (!r_.check_map(c, where, {"offset", "drift_ppm"})) continue;
    ClockSpec& spec = s_.clocks[id->value];
    if (auto v = c["offset"]) spec.offset = r_.duration(v, YamlReader::join(where, "offset"), true).value_or(Duration{0});
    if (auto v = c["drift_ppm"]) {
      spec.drift_ppm =
          r_.integer(v, YamlReader::join(where, "drift_ppm"), -NodeClock::kPpmLimit, NodeClock::kPpmLimit).value_or(0);
    }
  }
}


void Loader::clients(const YAML::Node& n) {
  if (!r_.check_map(n, "clients", {"count", "at", "keys", "zipf", "mix", "think", "rate", "retries", "timeout", "start", "stop",
                                   "stop_writes", "latency"})) return;
  ClientsSpec& c = s_.clients;
  if (r_.require(n, "count", "clients")) {
    c.count = static_cast<uint32_t>(r_.integer(n["count"], "clients.count", 1, 100'000).value_or(0));
  }
  // A server, or a zone of the topology (its servers, in node order).
  auto attach = [&](const YAML::Node& v, const std::string& where) {
    if (s_.topology && v.IsScalar()) {
      const auto& zones = s_.topology->zone_names;
      if (auto z = std::find(zones.begin(), zones.end(), v.Scalar()); z != zones.end()) {
        const auto zid = static_cast<uint32_t>(z - zones.begin());
        for (uint32_t i = 0; i < s_.nodes.size(); ++i) {
          if (s_.topology->zone_of[i] == zid) c.at.push_back(NodeId{i});
        }
        return;
      }
    }
    if (auto id = node_ref(v, where)) c.at.push_back(*id);
  };
  if (auto v = n["at"]) {
    if (v.IsSequence()) {
      for (size_t i = 0; i < v.size(); ++i) attach(v[i], where_at("clients.at", i));
    } else {
      attach(v, "clients.at");
    }
  }
  if (auto v = n["keys"]) c.keys = static_cast<uint32_t>(r_.integer(v, "clients.keys", 1, 1'000'000).value_or(c.keys));
  SectionReader(r_, s_.nodes, nodes_key_).number(n, "clients", "zipf", 0, 10, &c.zipf, " (0: uniform keys)");
  if (auto v = n["mix"]) {
    if (r_.check_map(v, "clients.mix", {"read", "write", "cas"})) {
      c.read_pct = c.write_pct = c.cas_pct = 0;
      if (auto x = v["read"]) c.read_pct = static_cast<uint32_t>(r_.integer(x, "clients.mix.read", 0, 100).value_or(0));
      if (auto x = v["write"]) c.write_pct = static_cast<uint32_t>(r_.integer(x, "clients.mix.write", 0, 100).value_or(0));
      if (auto x = v["cas"]) c.cas_pct = static_cast<uint32_t>(r_.integer(x, "clients.mix.cas", 0, 100).value_or(0));
      if (c.read_pct + c.write_pct + c.cas_pct != 100) {
        r_.error(v, "'clients.mix' percentages must add up to 100 (they add up to " +
                        std::to_string(c.read_pct + c.write_pct + c.cas_pct) + ")");
      }
    }
  }
  if (auto v = n["think"]) {
    if (auto r = r_.duration_range(v, "clients.think")) {
      c.think_min = r->first;
      c.think_max = r->second;
    }
  }
  if (auto v = n["rate"]) c.rate = static_cast<uint32_t>(r_.integer(v, "clients.rate", 1, 1'000'000).value_or(0));
  if (auto v = n["retries"]) c.retries = static_cast<uint32_t>(r_.integer(v, "clients.retries", 0, 100).value_or(0));
  if (auto v = n["latency"]) c.latency = latency(v, "clients.latency");
  if (n["rate"] && n["think"]) r_.error(n["think"], "'clients.think' is for closed loops; with 'clients.rate' operations arrive on their own");
  if (auto v = n["timeout"]) {
    if (auto d = r_.duration(v, "clients.timeout")) {
      if (d->ns <= 0) r_.error(v, "'clients.timeout' must be positive");
      else c.timeout = *d;
    }
  }
  if (auto v = n["start"]) c.start = time_within_run(v, "clients.start").value_or(c.start);
  if (auto v = n["stop"]) c.stop = time_within_run(v, "clients.stop");
  if (auto v = n["stop_writes"]) c.stop_writes = time_within_run(v, "clients.stop_writes");
  const auto servers = static_cast<uint32_t>(s_.nodes.size());
  for (uint32_t i = 0; i < c.count; ++i) {
    std::string name = std::string("c").append(std::to_string(i + 1));
    if (by_name_.count(name)) {
      r_.error(n["count"], "client name '" + name + "' is already a server's name; rename the servers");
      return;
    }
    by_name_.emplace(name, NodeId{servers + i});
    s_.client_names.push_back(std::move(name));
  }
}

std::optional<Time> Loader::time_within_run(const YAML::Node& n, std::string_view where) {
  auto d = r_.duration(n, where);
  if (!d) return std::nullopt;
  if (s_.duration.ns > 0 && *d > s_.duration) {
    r_.error(n, "'" + std::string(where) + "' is after the end of the run (duration " +
                    analysis::format_time(s_.duration.ns) + ")");
    return std::nullopt;
  }
  return Time{0} + *d;
}

void Loader::workload(const YAML::Node& n) {
  // The keys: the generic ones and every protocol's count key; a key the
  // scenario's protocol does not take is an error naming those that do.
  std::vector<std::string_view> allowed = {"to", "keys", "from", "start", "interval", "client_latency"};
  for (const auto& p : reg_.protocols()) {
    const auto k = p->workload().count_key;
    if (!k.empty() && std::find(allowed.begin(), allowed.end(), k) == allowed.end()) allowed.push_back(k);
  }
  if (!r_.check_map_keys(n, "workload", allowed)) return;
  WorkloadSpec& w = s_.workload;
  const WorkloadInputs mine = s_.def ? s_.def->workload() : WorkloadInputs{};
  auto takes = [](const Protocol& p, std::string_view key) {
    const WorkloadInputs in = p.workload();
    if (key == "to") return in.kind == WorkloadInputs::Kind::kToLeader;
    if (key == "keys") return in.keys;
    return in.count_key == key;
  };
  auto only_for = [&](std::string_view key) {
    const YAML::Node v = n[std::string(key)];
    if (!v) return false;
    if (s_.def && !takes(*s_.def, key)) {
      r_.error(v, "'workload." + std::string(key) + "' applies to protocol " +
                      protocols_with([&](const Protocol& p) { return takes(p, key); }) + ", not " + s_.protocol);
      return false;
    }
    return true;
  };
  for (size_t i = 6; i < allowed.size(); ++i) {
    const std::string key(allowed[i]);
    if (only_for(key) && key == mine.count_key) {
      w.count = static_cast<uint32_t>(r_.integer(n[key], "workload." + key, 0, mine.max_count).value_or(0));
    }
  }
  if (only_for("keys")) w.keys = static_cast<uint32_t>(r_.integer(n["keys"], "workload.keys", 1, 1'000'000).value_or(10));
  if (only_for("to")) {
    if (auto t = r_.string(n["to"], "workload.to")) {
      if (*t == "leader") w.to_leader = true;
      else if (*t == "any") w.to_leader = false;
      else r_.error(n["to"], "'workload.to' must be 'leader' (the current leader, else any node) or 'any'");
    }
  }
  if (auto v = n["from"]) {
    if (v.IsScalar() && v.Scalar() == "any") {
      w.from.clear();
    } else if (v.IsSequence()) {
      for (size_t i = 0; i < v.size(); ++i) {
        if (auto id = node_ref(v[i], where_at("workload.from", i))) w.from.push_back(*id);
      }
    } else if (auto id = node_ref(v, "workload.from")) {
      w.from.push_back(*id);
    }
  }
  if (auto v = n["start"]) w.start = time_within_run(v, "workload.start").value_or(Time{0});
  if (auto v = n["client_latency"]) w.client_latency = latency(v, "workload.client_latency");
  w.interval_min = w.interval_max = milliseconds(100);
  if (auto v = n["interval"]) {
    if (auto r = r_.duration_range(v, "workload.interval")) {
      w.interval_min = r->first;
      w.interval_max = r->second;
    }
  }
}

void Loader::faults(const YAML::Node& n) {
  if (!n.IsSequence()) {
    r_.error(n, std::string("expected a list for 'faults', got ") + YamlReader::type_name(n));
    return;
  }
  for (size_t i = 0; i < n.size(); ++i) fault(n[i], where_at("faults", i));
  std::stable_sort(s_.faults.begin(), s_.faults.end(), [](const FaultSpec& a, const FaultSpec& b) { return a.at < b.at; });
}

void Loader::fault(const YAML::Node& n, std::string_view where) {
  using T = FaultSpec::Type;
  static const std::vector<std::pair<std::string_view, T>> kActions = {
      {"crash", T::kCrash},     {"restart", T::kRestart}, {"pause", T::kPause}, {"partition", T::kPartition},
      {"isolate", T::kIsolate}, {"cut", T::kCut},         {"heal", T::kHeal},   {"clog", T::kClog},
      {"clock", T::kClockJump}, {"disconnect", T::kDisconnect}, {"reconnect", T::kReconnect}, {"network", T::kNetwork}};
  if (!r_.check_map(n, where, {"at", "crash", "restart", "pause", "partition", "isolate", "cut", "heal", "clog", "clock",
                               "disconnect", "reconnect", "network", "for", "restart_after", "lose_unsynced", "jump",
                               "drift_ppm"})) {
    return;
  }
  FaultSpec f;
  f.line = n.Mark().line + 1;
  std::string action;
  for (const auto& [name, type] : kActions) {
    if (!n[std::string(name)]) continue;
    if (!action.empty()) {
      r_.error(n[std::string(name)], "'" + std::string(where) + "' has two actions, '" + action + "' and '" +
                                         std::string(name) + "': write one fault per list item");
      return;
    }
    action = name;
    f.type = type;
  }
  if (action.empty()) {
    r_.error(n, "'" + std::string(where) +
                    "' has no action (expected one of crash, restart, pause, partition, isolate, cut, heal, clog, clock, "
                    "disconnect, reconnect, network)");
    return;
  }
  bool ok = true;
  if (r_.require(n, "at", where)) {
    auto at = time_within_run(n["at"], YamlReader::join(where, "at"));
    ok = at.has_value();
    if (at) f.at = *at;
  } else {
    ok = false;
  }
  // Companion keys each action accepts.
  std::vector<std::string_view> allowed;
  switch (f.type) {
    case T::kCrash: allowed = {"restart_after", "lose_unsynced"}; break;
    case T::kPause: case T::kClog: allowed = {"for"}; break;
    case T::kPartition: case T::kIsolate: case T::kCut: case T::kDisconnect: case T::kNetwork: allowed = {"for"}; break;
    case T::kClockJump: allowed = {"jump", "drift_ppm"}; break;
    default: break;
  }
  for (std::string_view k : {"for", "restart_after", "lose_unsynced", "jump", "drift_ppm"}) {
    if (n[std::string(k)] && std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      r_.error(n[std::string(k)], "'" + std::string(k) + "' does not apply to a " + action + " fault");
      ok = false;
    }
  }
  const YAML::Node v = n[action];
  const std::string vwhere = YamlReader::join(where, action);
  auto positive = [&](const YAML::Node& d, std::string_view key) -> std::optional<Duration> {
    auto x = r_.duration(d, YamlReader::join(where, key));
    if (x && x->ns <= 0) {
      r_.error(d, "'" + YamlReader::join(where, key) + "' must be positive");
      return std::nullopt;
    }
    return x;
  };
  if (auto d = n["for"]) {
    f.for_ = positive(d, "for");
    ok = ok && f.for_.has_value();
  }
  switch (f.type) {
    case T::kDisconnect:
    case T::kReconnect: {
      auto t = target(v, vwhere, false);
      if (!t) ok = false;
      else f.target = *t;
      break;
    }
    case T::kNetwork: {
      if (!r_.check_map(v, vwhere, {"latency", "drop", "duplicate", "reorder"})) {
        ok = false;
        break;
      }
      NetworkChange& c = f.network;
      if (auto x = v["latency"]) ok = (c.latency = latency(x, YamlReader::join(vwhere, "latency"))).has_value() && ok;
      if (auto x = v["drop"]) ok = (c.drop = r_.probability(x, YamlReader::join(vwhere, "drop"))).has_value() && ok;
      if (auto x = v["duplicate"]) {
        ok = (c.duplicate = r_.probability(x, YamlReader::join(vwhere, "duplicate"))).has_value() && ok;
      }
      if (auto x = v["reorder"]) {
        Ratio p;
        net::LatencyModel d;
        if (reorder(x, YamlReader::join(vwhere, "reorder"), &p, &d)) {
          c.reorder = p;
          c.reorder_delay = d;
        } else {
          ok = false;
        }
      }
      if (ok && !c.latency && !c.drop && !c.duplicate && !c.reorder) {
        r_.error(v, "'" + vwhere + "' changes nothing: give latency, drop, duplicate or reorder");
        ok = false;
      }
      break;
    }
    case T::kCrash:
    case T::kRestart:
    case T::kPause:
    case T::kIsolate: {
      auto t = target(v, vwhere, f.type == T::kIsolate);
      if (!t) {
        ok = false;
        break;
      }
      f.target = *t;  // a role resolves when the fault fires
      if (f.type == T::kPause && !f.for_) {
        r_.require(n, "for", where);
        ok = false;
      }
      if (auto d = n["restart_after"]) {
        f.restart_after = positive(d, "restart_after");
        ok = ok && f.restart_after.has_value();
      }
      if (auto d = n["lose_unsynced"]) {
        auto b = r_.boolean(d, YamlReader::join(where, "lose_unsynced"));
        ok = ok && b.has_value();
        f.lose_unsynced = b.value_or(false);
      }
      break;
    }
    case T::kPartition: {
      if (!v.IsSequence() || v.size() == 0) {
        r_.error(v, "'" + vwhere + "' must be a list of groups, e.g. [[n1], [n2, n3]]");
        ok = false;
        break;
      }
      std::map<uint32_t, size_t> group_of;
      std::map<std::string, size_t> role_of;  // roles named as whole groups' members
      bool dynamic = false, rest = false;
      std::vector<std::vector<Target>> expr_groups;
      for (size_t g = 0; g < v.size(); ++g) {
        const YAML::Node grp = v[g];
        if (grp.IsScalar() && grp.Scalar() == "rest") {
          // The nodes no other group names: one group, as when left out.
          if (rest) {
            r_.error(grp, "'rest' appears twice in '" + vwhere + "'");
            ok = false;
          }
          rest = true;
          continue;
        }
        if (!grp.IsSequence() || grp.size() == 0) {
          r_.error(grp, "each group of '" + vwhere + "' must be a non-empty list of nodes or roles, or 'rest'");
          ok = false;
          continue;
        }
        std::vector<NodeId> members;
        std::vector<Target> exprs;
        for (size_t i = 0; i < grp.size(); ++i) {
          auto t = target(grp[i], where_at(where_at(vwhere, g), i), false);
          if (!t) {
            ok = false;
            continue;
          }
          exprs.push_back(*t);
          if (!t->node || t->pick != Target::Pick::kOne) {
            dynamic = true;
            // The same role twice (e.g. leader in two groups) can only
            // collide; random picks avoid each other, so they may repeat.
            if (t->pick != Target::Pick::kRandom) {
              const std::string key = t->role + "/" + std::to_string(static_cast<int>(t->pick));
              auto [it, fresh] = role_of.try_emplace(key, g);
              if (!fresh) {
                r_.error(grp[i], "'" + grp[i].as<std::string>("...") + "' appears twice in the partition");
                ok = false;
              }
            }
            continue;
          }
          const std::optional<NodeId> id = t->node;
          auto [it, fresh] = group_of.try_emplace(id->value, g);
          if (!fresh) {
            r_.error(grp[i], "node '" + name_of(*id) + "' appears twice in the partition (" +
                                 (it->second == g ? "in the same group" : "also in group " + std::to_string(it->second)) +
                                 ")");
            ok = false;
            continue;
          }
          members.push_back(*id);
        }
        f.groups.push_back(std::move(members));
        expr_groups.push_back(std::move(exprs));
      }
      if (f.groups.empty() && ok) {
        r_.error(v, "'" + vwhere + "' needs at least one group besides 'rest'");
        ok = false;
      }
      if (dynamic) {
        f.groups.clear();
        f.group_targets = std::move(expr_groups);
      }
      break;
    }
    case T::kCut:
    case T::kClog: {
      if (f.type == T::kClog && !f.for_) {
        r_.require(n, "for", where);
        ok = false;
      }
      if (v.IsMap()) {
        if (!r_.check_map(v, vwhere, {"from", "to"}) || !r_.require(v, "from", vwhere) || !r_.require(v, "to", vwhere)) {
          ok = false;
          break;
        }
        auto from = node_ref(v["from"], YamlReader::join(vwhere, "from"));
        auto to = node_ref(v["to"], YamlReader::join(vwhere, "to"));
        if (!from || !to) {
          ok = false;
          break;
        }
        if (*from == *to) {
          r_.error(v, "'" + vwhere + "' must join two different nodes");
          ok = false;
          break;
        }
        f.from = *from;
        f.to = *to;
        f.link = true;
      } else if (f.type == T::kClog) {
        auto t = target(v, vwhere);
        if (!t) {
          ok = false;
          break;
        }
        f.target = *t;
      } else {
        r_.error(v, "'" + vwhere + "' must be {from: A, to: B} (A can no longer reach B)");
        ok = false;
      }
      break;
    }
    case T::kHeal: {
      auto s = r_.string(v, vwhere);
      if (s && *s != "all") {
        r_.error(v, "'" + vwhere + "' must be 'all' (heal removes every partition, cut and disconnection)");
        ok = false;
      }
      break;
    }
    case T::kClockJump:
    case T::kClockDrift: {
      auto t = target(v, vwhere);
      if (!t) ok = false;
      else f.target = *t;
      const bool has_jump = static_cast<bool>(n["jump"]);
      const bool has_drift = static_cast<bool>(n["drift_ppm"]);
      if (has_jump == has_drift) {
        r_.error(n, "'" + std::string(where) + "' needs exactly one of 'jump' (e.g. -50ms) or 'drift_ppm' (e.g. 200)");
        ok = false;
        break;
      }
      if (has_jump) {
        auto j = r_.duration(n["jump"], YamlReader::join(where, "jump"), true);
        ok = ok && j.has_value();
        f.jump = j.value_or(Duration{0});
      } else {
        f.type = T::kClockDrift;
        auto p = r_.integer(n["drift_ppm"], YamlReader::join(where, "drift_ppm"), -NodeClock::kPpmLimit, NodeClock::kPpmLimit);
        ok = ok && p.has_value();
        f.drift_ppm = p.value_or(0);
      }
      break;
    }
  }
  if (ok) s_.faults.push_back(std::move(f));
}

void Loader::nemesis(const YAML::Node& n) {
  using K = NemesisSpec::Kind;
  if (!r_.check_map(n, "nemesis", {"faults", "interval", "duration", "max_down", "from", "until", "lose_unsynced"})) return;
  NemesisSpec m;
  bool ok = r_.require(n, "faults", "nemesis") && r_.require(n, "until", "nemesis");
  if (!ok) return;
  static const std::vector<std::pair<std::string_view, K>> kKinds = {
      {"crash", K::kCrash}, {"pause", K::kPause},     {"partition", K::kPartition}, {"isolate", K::kIsolate},
      {"clog", K::kClog},   {"disconnect", K::kDisconnect}};
  const YAML::Node kinds = n["faults"];
  if (!kinds.IsSequence() || kinds.size() == 0) {
    r_.error(kinds, "'nemesis.faults' must be a non-empty list, e.g. [crash, partition]");
    return;
  }
  for (size_t i = 0; i < kinds.size(); ++i) {
    auto s = r_.string(kinds[i], where_at("nemesis.faults", i));
    if (!s) {
      ok = false;
      continue;
    }
    auto it = std::find_if(kKinds.begin(), kKinds.end(), [&](const auto& p) { return p.first == *s; });
    if (it == kKinds.end()) {
      const std::string hint = closest(*s, {"crash", "pause", "partition", "isolate", "clog", "disconnect"});
      r_.error(kinds[i], "unknown nemesis fault '" + *s + "'" +
                             (hint.empty() ? " (expected crash, pause, partition, isolate, clog or disconnect)"
                                           : "; did you mean '" + hint + "'?"));
      ok = false;
      continue;
    }
    m.kinds.push_back(it->second);
  }
  m.interval_min = m.interval_max = seconds(1);
  if (auto v = n["interval"]) {
    auto r = r_.duration_range(v, "nemesis.interval");
    if (r && r->first.ns <= 0) {
      r_.error(v, "'nemesis.interval' must be positive");
      r.reset();
    }
    ok = ok && r.has_value();
    if (r) std::tie(m.interval_min, m.interval_max) = *r;
  }
  m.duration_min = m.duration_max = milliseconds(500);
  if (auto v = n["duration"]) {
    auto r = r_.duration_range(v, "nemesis.duration");
    if (r && r->first.ns <= 0) {
      r_.error(v, "'nemesis.duration' must be positive");
      r.reset();
    }
    ok = ok && r.has_value();
    if (r) std::tie(m.duration_min, m.duration_max) = *r;
  }
  if (auto v = n["max_down"]) {
    auto d = r_.integer(v, "nemesis.max_down", 0, static_cast<int64_t>(s_.nodes.size()) - 1);
    ok = ok && d.has_value();
    m.max_down = static_cast<uint32_t>(d.value_or(0));
  }
  if (auto v = n["from"]) {
    auto t = time_within_run(v, "nemesis.from");
    ok = ok && t.has_value();
    m.from = t.value_or(Time{0});
  }
  auto until = time_within_run(n["until"], "nemesis.until");
  ok = ok && until.has_value();
  m.until = until.value_or(Time{0});
  if (until && m.until <= m.from) {
    r_.error(n["until"], "'nemesis.until' must be after 'nemesis.from'");
    ok = false;
  }
  if (auto v = n["lose_unsynced"]) {
    auto b = r_.boolean(v, "nemesis.lose_unsynced");
    ok = ok && b.has_value();
    m.lose_unsynced = b.value_or(false);
  }
  if (ok) s_.nemesis = m;
}

// ---- schedule: and explore:

// The key of `key` in `map`: an error about a whole section points at its name.
YAML::Node key_node(const YAML::Node& map, std::string_view key) {
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.first;
  }
  return map;
}

constexpr size_t kMaxScheduleSteps = 1'000'000;
constexpr int64_t kMaxBudget = 1'000;

void Loader::scripted(const YAML::Node& root) {
  const YAML::Node sched = root["schedule"];
  const YAML::Node expl = root["explore"];
  // Each decides every step of the run itself: nothing else may add faults,
  // traffic or timing of its own.
  auto alone = [&](std::string_view name, std::initializer_list<std::string_view> others, std::string_view why) {
    bool ok = true;
    for (std::string_view other : others) {
      const YAML::Node o = root[std::string(other)];
      if (!o) continue;
      r_.error(key_node(root, name), "'" + std::string(name) + "' cannot be combined with '" + std::string(other) +
                                         "' (line " + std::to_string(key_node(root, other).Mark().line + 1) + "): " +
                                         std::string(why));
      ok = false;
    }
    return ok;
  };
  if (sched) {
    const bool ok_alone = alone("schedule", {"nemesis", "faults", "clients", "explore"},
                                "a schedule lists every step of the run, and nothing else happens");
    if (!sched.IsSequence()) {
      r_.error(sched, std::string("expected a list of steps for 'schedule', got ") + YamlReader::type_name(sched));
      return;
    }
    if (sched.size() == 0) {
      r_.error(sched, "'schedule' lists no steps (leave it out for a timed run)");
      return;
    }
    if (sched.size() > kMaxScheduleSteps) {
      r_.error(sched, "'schedule' has " + std::to_string(sched.size()) + " steps; at most " +
                          std::to_string(kMaxScheduleSteps) + " are allowed");
      return;
    }
    std::vector<ScheduleStep> steps;
    bool ok = ok_alone;
    const WorkloadInputs in = s_.def ? s_.def->workload() : WorkloadInputs{};
    uint32_t inputs = 0;
    for (size_t i = 0; i < sched.size(); ++i) {
      const std::string where = where_at("schedule", i);
      auto st = step(sched[i], where);
      if (!st) {
        ok = false;
        continue;
      }
      if (st->kind == ScheduleStep::Kind::kInput && s_.def) {
        ++inputs;
        if (in.kind == WorkloadInputs::Kind::kNone) {
          r_.error(sched[i], "'" + where + "' gives a workload input, and protocol " + s_.protocol + " takes none");
          ok = false;
        } else if (inputs > s_.workload.count) {
          r_.error(sched[i], "'" + where + "' gives workload input " + std::to_string(inputs) + ", and the workload has " +
                                 std::to_string(s_.workload.count) + " (workload." + std::string(in.count_key) + ")");
          ok = false;
        }
      }
      steps.push_back(*st);
    }
    // Step k (from 1) happens at k ms: the run must outlast the last one.
    const Duration need{static_cast<int64_t>(steps.size() + 1) * 1'000'000};
    if (ok && s_.duration.ns > 0 && s_.duration < need) {
      r_.error(root["duration"], "'duration' is " + duration_text(s_.duration) + ", too short for the schedule's " +
                                     std::to_string(steps.size()) + " steps: step k happens at k ms, so the run needs at "
                                     "least " + duration_text(need) + " (steps + 1 ms)");
      ok = false;
    }
    if (ok) s_.schedule = std::move(steps);
  }
  if (expl) {
    const bool ok_alone = alone("explore", {"nemesis", "faults", "clients"},
                                "dsim explore chooses every step itself, faults included (within the budgets of "
                                "'explore')");
    explore(expl);
    if (!ok_alone) s_.explore.reset();
  }
}

std::optional<ScheduleStep> Loader::step(const YAML::Node& n, std::string_view where) {
  using K = ScheduleStep::Kind;
  static const std::vector<std::pair<std::string_view, K>> kKinds = {
      {"deliver", K::kDeliver}, {"drop", K::kDrop},       {"duplicate", K::kDuplicate}, {"timer", K::kTimer},
      {"crash", K::kCrash},     {"restart", K::kRestart}, {"input", K::kInput}};
  if (!r_.check_map(n, where, {"deliver", "drop", "duplicate", "timer", "crash", "restart", "input", "tag", "lose_unsynced"})) {
    return std::nullopt;
  }
  ScheduleStep st;
  st.line = n.Mark().line + 1;
  std::string action;
  for (const auto& [name, kind] : kKinds) {
    if (!n[std::string(name)]) continue;
    if (!action.empty()) {
      r_.error(n[std::string(name)], "'" + std::string(where) + "' has two actions, '" + action + "' and '" +
                                         std::string(name) + "': write one step per list item");
      return std::nullopt;
    }
    action = name;
    st.kind = kind;
  }
  if (action.empty()) {
    r_.error(n, "'" + std::string(where) +
                    "' has no action (expected one of deliver, drop, duplicate, timer, crash, restart, input)");
    return std::nullopt;
  }
  bool ok = true;
  if (auto t = n["tag"]; t && st.kind != K::kTimer) {
    r_.error(t, "'tag' applies to a timer step, not to " + action);
    ok = false;
  }
  if (auto l = n["lose_unsynced"]; l && st.kind != K::kCrash) {
    r_.error(l, "'lose_unsynced' applies to a crash step, not to " + action);
    ok = false;
  }
  const YAML::Node v = n[action];
  const std::string vwhere = YamlReader::join(where, action);
  auto server = [&](const YAML::Node& x, std::string_view w) -> std::optional<NodeId> {
    auto id = node_ref(x, w);
    if (id && id->value >= s_.nodes.size()) {
      r_.error(x, "'" + std::string(w) + "' names client '" + x.Scalar() + "'; a schedule drives the servers");
      return std::nullopt;
    }
    return id;
  };
  switch (st.kind) {
    case K::kDeliver:
    case K::kDrop:
    case K::kDuplicate: {
      if (!v.IsMap()) {
        r_.error(v, "'" + vwhere + "' must be {from: A, to: B, nth: N} (the Nth message A sent to B, from 1)");
        return std::nullopt;
      }
      if (!r_.check_map(v, vwhere, {"from", "to", "nth"})) return std::nullopt;
      bool have = r_.require(v, "from", vwhere);
      have = r_.require(v, "to", vwhere) && have;
      have = r_.require(v, "nth", vwhere) && have;
      if (!have) return std::nullopt;
      auto from = server(v["from"], YamlReader::join(vwhere, "from"));
      auto to = server(v["to"], YamlReader::join(vwhere, "to"));
      auto nth = r_.integer(v["nth"], YamlReader::join(vwhere, "nth"), 1, UINT32_MAX);
      if (!from || !to || !nth) return std::nullopt;
      st.node = *from;
      st.to = *to;
      st.nth = static_cast<uint32_t>(*nth);
      break;
    }
    case K::kTimer:
    case K::kCrash:
    case K::kRestart:
    case K::kInput: {
      auto id = server(v, vwhere);
      if (!id) return std::nullopt;
      st.node = *id;
      st.to = *id;
      break;
    }
  }
  if (st.kind == K::kTimer) {
    if (!r_.require(n, "tag", where)) return std::nullopt;
    auto tag = r_.integer(n["tag"], YamlReader::join(where, "tag"), 0, INT64_MAX);
    if (!tag) return std::nullopt;
    st.tag = static_cast<uint64_t>(*tag);
  }
  if (auto l = n["lose_unsynced"]; l && st.kind == K::kCrash) {
    auto b = r_.boolean(l, YamlReader::join(where, "lose_unsynced"));
    if (!b) return std::nullopt;
    st.lose_unsynced = *b;
  }
  if (!ok) return std::nullopt;
  return st;
}

void Loader::explore(const YAML::Node& n) {
  if (!r_.check_map(n, "explore", {"strategy", "max_depth", "max_states", "max_time", "crashes", "restarts",
                                   "lose_unsynced", "drops", "duplicates", "fifo", "inputs", "goals", "prune"})) {
    return;
  }
  ExploreSpec e;
  e.line = n.Mark().line + 1;
  bool ok = true;
  if (auto v = n["strategy"]) {
    if (auto s = r_.string(v, "explore.strategy")) {
      if (*s == "bfs") {
        e.strategy = ExploreSpec::Strategy::kBfs;
      } else if (*s == "dfs") {
        e.strategy = ExploreSpec::Strategy::kDfs;
      } else if (*s == "random") {
        e.strategy = ExploreSpec::Strategy::kRandom;
      } else {
        const std::string hint = closest(*s, {"bfs", "dfs", "random"});
        r_.error(v, "unknown strategy '" + *s + "' in 'explore.strategy'" +
                        (hint.empty() ? " (expected bfs: breadth-first, shortest counterexample; dfs: depth-first; or random: random walks)"
                                      : "; did you mean '" + hint + "'?"));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  auto count = [&](const char* key, int64_t lo, int64_t hi, auto* out) {
    const YAML::Node v = n[key];
    if (!v) return;
    auto x = r_.integer(v, std::string("explore.") + key, lo, hi);
    if (!x) {
      ok = false;
      return;
    }
    *out = static_cast<std::remove_pointer_t<decltype(out)>>(*x);
  };
  count("max_depth", 1, 1'000'000, &e.max_depth);
  count("max_states", 1, INT64_MAX, &e.max_states);
  count("crashes", 0, kMaxBudget, &e.crashes);
  count("restarts", 0, kMaxBudget, &e.restarts);
  count("drops", 0, kMaxBudget, &e.drops);
  count("duplicates", 0, kMaxBudget, &e.duplicates);
  if (auto v = n["max_time"]) {
    auto d = r_.duration(v, "explore.max_time");
    if (d && d->ns <= 0) {
      r_.error(v, "'explore.max_time' must be positive");
      d.reset();
    }
    ok = ok && d.has_value();
    e.max_time = d;
  }
  if (auto v = n["fifo"]) {
    auto b = r_.boolean(v, "explore.fifo");
    ok = ok && b.has_value();
    e.fifo = b.value_or(false);
  }
  if (auto v = n["lose_unsynced"]) {
    auto b = r_.boolean(v, "explore.lose_unsynced");
    ok = ok && b.has_value();
    e.lose_unsynced = b.value_or(false);
    if (e.lose_unsynced && e.crashes == 0 && ok) {
      r_.error(v, "'explore.lose_unsynced' applies to crashes, and 'explore.crashes' is 0");
      ok = false;
    }
  }
  // Inputs: unset means the workload's count.
  const WorkloadInputs in = s_.def ? s_.def->workload() : WorkloadInputs{};
  if (auto v = n["inputs"]) {
    if (s_.def && in.kind == WorkloadInputs::Kind::kNone) {
      r_.error(v, "'explore.inputs': protocol " + s_.protocol + " takes no workload inputs");
      ok = false;
    } else if (auto x = r_.integer(v, "explore.inputs", 0, in.max_count)) {
      e.inputs = static_cast<uint32_t>(*x);
    } else {
      ok = false;
    }
  }
  auto patterns = [&](const char* key, const char* count_key, std::vector<std::pair<EventPattern, uint32_t>>* out) {
    const YAML::Node v = n[key];
    if (!v) return;
    const std::string where = std::string("explore.") + key;
    if (!v.IsSequence()) {
      r_.error(v, "expected a list for '" + where + "', got " + YamlReader::type_name(v) + ", e.g. [{kind: role, where: "
                                                                                         "{role: leader}, " +
                      count_key + ": 1}]");
      ok = false;
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      uint32_t c = 0;
      auto p = pattern(v[i], where_at(where, i), count_key, &c);
      if (!p) {
        ok = false;
        continue;
      }
      out->emplace_back(std::move(*p), c);
    }
  };
  patterns("goals", "at_least", &e.goals);
  patterns("prune", "more_than", &e.prunes);
  if (ok) s_.explore = std::move(e);
}

std::optional<EventPattern> Loader::pattern(const YAML::Node& n, std::string_view where, std::string_view count_key,
                                            uint32_t* count) {
  if (!r_.check_map_keys(n, where, {"kind", "where", count_key})) return std::nullopt;
  EventPattern p;
  p.line = n.Mark().line + 1;
  bool ok = r_.require(n, "kind", where);
  // A goal counts one matching event unless it says more; a prune says its
  // bound (pruning at the first matching event would rarely be meant).
  *count = 1;
  if (count_key == "more_than") ok = r_.require(n, count_key, where) && ok;
  if (!ok) return std::nullopt;
  auto kind = r_.string(n["kind"], YamlReader::join(where, "kind"));
  if (!kind) return std::nullopt;
  p.kind = *kind;
  // The kind and its fields as the trace schema knows them, when the
  // protocol declares its events: a misspelt one would never match.
  const trace::Schema schema(s_.protocol, s_.def ? s_.def->events() : std::vector<trace::EventSchema>{});
  const trace::EventSchema* ev = schema.find(*kind);
  if (!ev && schema.checks_protocol_kinds()) {
    std::vector<std::string_view> kinds;
    const auto own = s_.def->events();
    for (const auto& k : own) kinds.push_back(k.kind);
    for (const auto& k : trace::engine_events()) kinds.push_back(k.kind);
    for (const auto& k : trace::fault_events()) kinds.push_back(k.kind);
    const std::string hint = closest(*kind, kinds);
    r_.error(n["kind"], "unknown event kind '" + *kind + "' in '" + YamlReader::join(where, "kind") + "'" +
                            (hint.empty() ? " (kinds of " + s_.protocol + ": " + schema.own_kinds() + ")"
                                          : "; did you mean '" + hint + "'?"));
    return std::nullopt;
  }
  if (auto w = n["where"]) {
    const std::string wwhere = YamlReader::join(where, "where");
    if (!r_.check_free_map(w, wwhere)) return std::nullopt;
    for (const auto& kv : w) {
      const YAML::Node key = kv.first;
      const YAML::Node val = kv.second;
      const std::string field = key.Scalar();
      const std::string fwhere = YamlReader::join(wwhere, field);
      const trace::FieldSchema* f = nullptr;
      if (ev) {
        for (const auto& x : ev->fields) {
          if (x.name == field) f = &x;
        }
        if (!f) {
          std::vector<std::string_view> names;
          for (const auto& x : ev->fields) names.push_back(x.name);
          const std::string hint = closest(field, names);
          r_.error(key, "event '" + *kind + "' has no field '" + field + "'" +
                            (hint.empty() ? " (fields: " + trace::keys_text(*ev) + ")" : "; did you mean '" + hint + "'?"));
          ok = false;
          continue;
        }
      }
      std::optional<std::string> text;
      using FT = trace::FieldType;
      if (f && f->type == FT::kInt) {
        if (auto x = r_.integer(val, fwhere, INT64_MIN, INT64_MAX)) text = std::to_string(*x);
      } else if (f && f->type == FT::kBool) {
        if (auto b = r_.boolean(val, fwhere)) text = *b ? "true" : "false";
      } else if (f && f->type == FT::kArray) {
        r_.error(key, "'" + fwhere + "' is a list field; a pattern matches integer, string and boolean fields");
      } else {
        text = r_.string(val, fwhere);
      }
      if (!text) {
        ok = false;
        continue;
      }
      p.where.emplace_back(field, std::move(*text));
    }
  }
  if (auto c = n[std::string(count_key)]) {
    auto x = r_.integer(c, YamlReader::join(where, count_key), count_key == "at_least" ? 1 : 0, UINT32_MAX);
    if (!x) return std::nullopt;
    *count = static_cast<uint32_t>(*x);
  }
  if (!ok) return std::nullopt;
  return p;
}

void Loader::checks(const YAML::Node& n) {
  if (!n.IsSequence()) {
    r_.error(n, std::string("expected a list for 'checks', got ") + YamlReader::type_name(n));
    return;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string where = where_at("checks", i);
    const YAML::Node c = n[i];
    analysis::CheckSpec spec;
    spec.line = c.Mark().line + 1;
    if (c.IsMap() && (!r_.check_map(c, where, {"name", "within"}) || !r_.require(c, "name", where))) continue;
    // yaml-cpp Nodes have reference semantics: assigning one Node to another
    // writes into the tree, so pick the name node in one initialisation.
    const YAML::Node name_node = c.IsMap() ? c["name"] : c;
    if (c.IsMap()) {
      if (auto w = c["within"]) {
        auto d = r_.duration(w, YamlReader::join(where, "within"));
        if (!d) continue;
        if (d->ns <= 0) {
          r_.error(w, "'" + where + ".within' must be positive");
          continue;
        }
        spec.within_ns = d->ns;
      }
    }
    auto name = r_.string(name_node, where);
    if (!name) continue;
    std::optional<analysis::CheckerInfo> info;
    if (s_.def) {
      for (const auto& c : reg_.checkers_of(*s_.def)) {
        if (c.name == *name) info = c;
      }
    }
    if (!info) {
      const auto all = reg_.all_checkers();
      const auto it = std::find_if(all.begin(), all.end(), [&](const auto& l) { return l.info.name == *name; });
      if (it == all.end()) {
        std::vector<std::string_view> names;
        for (const auto& l : all) names.push_back(l.info.name);
        const std::string hint = closest(*name, names);
        r_.error(name_node, "unknown check '" + *name + "'" + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
        continue;
      }
      if (!s_.def) continue;  // the protocol is wrong, reported already
      std::string list;
      for (size_t k = 0; k < it->protocols.size(); ++k) {
        list += (k == 0 ? "" : k + 1 == it->protocols.size() ? " or " : ", ") + std::string(it->protocols[k]);
      }
      r_.error(name_node, "check '" + *name + "' is for protocol " + list + ", not " + s_.protocol);
      continue;
    }
    if (info->needs_clients && s_.clients.count == 0) {
      r_.error(name_node, "check '" + *name + "' judges the clients' history, and the scenario has no 'clients'");
      continue;
    }
    if (spec.within_ns > 0 && !info->takes_within()) {
      r_.error(c["within"], "'within' applies to liveness checks only; '" + *name + "' is a safety check");
      continue;
    }
    if (std::any_of(s_.checks.begin(), s_.checks.end(), [&](const auto& s) { return s.name == *name; })) {
      r_.error(name_node, "check '" + *name + "' is listed twice");
      continue;
    }
    spec.name = *name;
    s_.checks.push_back(spec);
  }
}

void Loader::expect(const YAML::Node& n) {
  if (!r_.check_map(n, "expect", {"violated", "seeds"})) return;
  if (auto v = n["seeds"]) {
    if (auto text = r_.string(v, "expect.seeds")) {
      if (*text == "some") {
        s_.expect_some_seeds = true;
        if (!n["violated"] || !n["violated"].IsSequence() || n["violated"].size() == 0) {
          r_.error(v, "'expect.seeds: some' needs the violations some seed must find in 'expect.violated'");
        }
      } else if (*text != "all") {
        r_.error(v, "'expect.seeds' must be 'all' (every seed shows exactly the expected violations) or 'some' "
                    "(at least one seed of a sweep does, and no seed violates another check)");
      }
    }
  }
  if (auto v = n["violated"]) {
    if (!v.IsSequence()) {
      r_.error(v, "'expect.violated' must be a list of check names");
      return;
    }
    for (size_t i = 0; i < v.size(); ++i) {
      auto name = r_.string(v[i], where_at("expect.violated", i));
      if (!name) continue;
      if (std::none_of(s_.checks.begin(), s_.checks.end(), [&](const auto& c) { return c.name == *name; })) {
        r_.error(v[i], "'" + *name + "' is expected to be violated but is not among the scenario's checks");
        continue;
      }
      s_.expect_violated.push_back(*name);
    }
  }
}

}  // namespace

std::string scenario_identity(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty() || path == "-") return path;
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (ec) return fs::path(path).lexically_normal().string();
  const fs::path abs = (fs::path(path).is_absolute() ? fs::path(path) : cwd / path).lexically_normal();
  const fs::path rel = abs.lexically_relative(cwd);
  // Outside the working directory ("../x.yaml"): the absolute path, so that
  // every spelling of the file still gives one identity.
  if (rel.empty() || *rel.begin() == "..") return abs.string();
  return rel.string();
}

std::optional<Scenario> load_scenario_text(const Registry& reg, const std::string& text, const std::string& path,
                                           Diagnostics& diag) {
  diag.set_source(path, text);
  // A NUL byte is never YAML text (a binary file, /dev/zero piped in):
  // say so with its position before the parser says something stranger.
  if (const size_t nul = text.find('\0'); nul != std::string::npos) {
    const auto line = static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n'));
    const size_t bol = text.rfind('\n', nul);
    diag.error(line, static_cast<int>(bol == std::string::npos ? nul : nul - bol - 1),
               "a NUL byte: this is not a text file (a scenario is YAML text)");
    return std::nullopt;
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diag.error(e.mark.is_null() ? -1 : e.mark.line, e.mark.is_null() ? -1 : e.mark.column, "YAML syntax: " + e.msg);
    return std::nullopt;
  }
  if (root.IsNull() || !root.IsDefined()) {
    // yaml-cpp gives an empty, comment-only or CR-only file no position.
    diag.error(0, 0, "the file holds no scenario (it is empty or only comments); expected a mapping with version, "
                     "name, protocol, ...");
    return std::nullopt;
  }
  Scenario s;
  s.path = path;
  s.id = scenario_identity(path);
  try {
    Loader(reg, diag, s).load(root);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on some malformed trees while we walk them (e.g. an
    // alias to nowhere); it is the user's input, so it is a diagnostic.
    diag.error(e.mark.is_null() ? -1 : e.mark.line, e.mark.is_null() ? -1 : e.mark.column, e.msg);
  }
  if (!diag.ok()) return std::nullopt;
  return s;
}

std::optional<Scenario> load_scenario_file(const Registry& reg, const std::string& path, Diagnostics& diag) {
  // The path goes into every JSON output (trace header, summaries, results
  // files), and JSON is UTF-8: refuse the name here rather than mangle it
  // there, where a replay could no longer find the file.
  if (!valid_utf8(path)) {
    diag.set_source(path, {});
    diag.error(0, 0, "the file name is not valid UTF-8 (dsim writes it into JSON outputs); rename the file");
    return std::nullopt;
  }
  if (const std::string why = input_problem(path); !why.empty()) {
    diag.set_source(path, {});
    diag.error(0, 0, why);
    return std::nullopt;
  }
  std::ifstream in(path == "-" ? "/dev/stdin" : path, std::ios::binary);
  if (!in) {
    diag.set_source(path, {});
    diag.error(-1, -1, "cannot read scenario file: " + errno_text());
    return std::nullopt;
  }
  std::string text;
  if (!read_all(in, &text, kMaxScenarioBytes)) {
    throw ResourceLimit(path + ": larger than " + std::to_string(kMaxScenarioBytes >> 20) +
                        " MiB, the limit for a scenario file (is it a scenario?)");
  }
  if (in.bad()) {
    diag.set_source(path, {});
    diag.error(-1, -1, "cannot read scenario file: " + errno_text());
    return std::nullopt;
  }
  return load_scenario_text(reg, text, path, diag);
}

}  // namespace dsim::scenario
