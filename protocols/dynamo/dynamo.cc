#include "protocols/dynamo/dynamo.h"

#include <algorithm>

#include "dsim/assert.h"
#include "dsim/stored_int.h"

namespace dsim::dynamo {
namespace {

constexpr uint64_t kHandoffTag = 1;
constexpr uint64_t kAntiEntropyTag = 2;
constexpr uint64_t kTimeoutTag = 3;  // tag = op << 2 | 3

uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t hash_key(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, then mixed
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return mix(h);
}

std::string item_key(std::string_view key) { return std::string("d/").append(key); }

// ---- Encodings (dsim's own: corrupt input is a bug, so assertions).

std::string encode_clock(const Clock& c) {
  std::string out;
  for (const auto& [n, v] : c) {
    if (!out.empty()) out += ',';
    out.append(std::to_string(n)).append(1, '=').append(std::to_string(v));
  }
  return out;
}

Clock decode_clock(std::string_view s) {
  Clock c;
  while (!s.empty()) {
    const auto n = static_cast<uint32_t>(take_stored_int(s, '='));
    const size_t comma = s.find(',');
    c[n] = parse_stored_int(s.substr(0, comma));
    s.remove_prefix(comma == std::string_view::npos ? s.size() : comma + 1);
  }
  return c;
}

void encode_sibling(std::string& out, const Sibling& s) {
  out.append(s.value).append(1, '\t').append(std::to_string(s.version.time)).append(1, '\t');
  out.append(std::to_string(s.version.node)).append(1, '\t').append(encode_clock(s.clock)).append(1, '\n');
}

std::string encode_item(const Item& item) {
  std::string out;
  for (const Sibling& s : item.siblings) encode_sibling(out, s);
  return out;
}

// Reads one "value\ttime\tnode\tclock\n" from the front of `s`.
Sibling take_sibling(std::string_view& s) {
  Sibling sib;
  const size_t tab = s.find('\t');
  DSIM_ASSERT_MSG(tab != std::string_view::npos, "corrupt sibling");
  sib.value = std::string(s.substr(0, tab));
  s.remove_prefix(tab + 1);
  sib.version.time = take_stored_int(s, '\t');
  sib.version.node = take_stored_int(s, '\t');
  const size_t nl = s.find('\n');
  DSIM_ASSERT_MSG(nl != std::string_view::npos, "corrupt sibling clock");
  sib.clock = decode_clock(s.substr(0, nl));
  s.remove_prefix(nl + 1);
  return sib;
}

Item decode_item(std::string_view s) {
  Item item;
  while (!s.empty()) item.siblings.push_back(take_sibling(s));
  return item;
}

Clock merged(const Item& item) {
  Clock c;
  for (const Sibling& s : item.siblings) {
    for (const auto& [n, v] : s.clock) c[n] = std::max(c[n], v);
  }
  return c;
}

}  // namespace

bool descends(const Clock& a, const Clock& b) {
  for (const auto& [n, v] : b) {
    auto it = a.find(n);
    if (it == a.end() || it->second < v) return false;
  }
  return true;
}

const Sibling& Item::newest() const {
  DSIM_ASSERT(!siblings.empty());
  return *std::max_element(siblings.begin(), siblings.end(),
                           [](const Sibling& a, const Sibling& b) { return a.version < b.version; });
}

Ring::Ring(uint32_t servers, uint32_t vnodes) : servers_(servers) {
  for (uint32_t s = 0; s < servers; ++s) {
    for (uint32_t v = 0; v < vnodes; ++v) points_.emplace_back(mix((uint64_t{s} << 32) | v), s);
  }
  std::sort(points_.begin(), points_.end());
}

std::vector<uint32_t> Ring::walk(std::string_view key) const {
  std::vector<uint32_t> out;
  std::vector<bool> seen(servers_, false);
  const uint64_t h = hash_key(key);
  auto it = std::lower_bound(points_.begin(), points_.end(), std::make_pair(h, uint32_t{0}));
  for (size_t i = 0; i < points_.size() && out.size() < servers_; ++i, ++it) {
    if (it == points_.end()) it = points_.begin();
    if (!seen[it->second]) {
      seen[it->second] = true;
      out.push_back(it->second);
    }
  }
  return out;
}

std::unique_ptr<Node> make_node(const Config& cfg) { return std::make_unique<DynamoNode>(cfg); }

std::string_view message_type_name(uint32_t type) {
  switch (type) {
    case kPut: return "put";
    case kPutAck: return "put_ack";
    case kGet: return "get";
    case kGetReply: return "get_reply";
    case kSync: return "sync";
  }
  return {};
}

std::string_view DynamoNode::message_name(uint32_t type) const {
  std::string_view n = message_type_name(type);
  if (n.empty()) n = kv::message_type_name(type);
  return n.empty() ? "unknown" : n;
}

void DynamoNode::on_start(Context& ctx) {
  ring_ = std::make_unique<Ring>(ctx.cluster_size(), cfg_.vnodes);
  ctx.set_timer(cfg_.handoff_interval, kHandoffTag);
  if (cfg_.anti_entropy.ns > 0) {
    ctx.set_timer(cfg_.anti_entropy + Duration{ctx.rng().between(0, cfg_.anti_entropy.ns)}, kAntiEntropyTag);
  }
}

void DynamoNode::on_recover(Context& ctx) {
  // Replicas persist their data (synced on every change); hints and
  // in-flight requests are lost.
  Storage& st = ctx.storage();
  if (auto c = st.get("counter")) counter_ = parse_stored_int(*c);
  if (auto keys = st.get("keys")) {
    std::string_view s = *keys;
    while (!s.empty()) {
      const size_t end = s.find('\n');
      const std::string key(s.substr(0, end));
      s.remove_prefix(end == std::string_view::npos ? s.size() : end + 1);
      auto v = st.get(item_key(key));
      DSIM_ASSERT_MSG(v.has_value(), "dynamo key index names a missing item");
      data_[key] = decode_item(*v);
    }
  }
  on_start(ctx);
}

bool DynamoNode::merge_into(Item& into, const Item& incoming) const {
  bool changed = false;
  for (const Sibling& s : incoming.siblings) {
    if (cfg_.versioning == Config::Versioning::kLww) {
      if (into.siblings.empty() || into.siblings[0].version < s.version) {
        into.siblings = {s};
        changed = true;
      }
      continue;
    }
    // Vector clocks: drop s if something kept already descends from it;
    // else drop what s descends from, and keep s.
    if (std::any_of(into.siblings.begin(), into.siblings.end(), [&](const Sibling& t) { return descends(t.clock, s.clock); })) {
      continue;
    }
    std::erase_if(into.siblings, [&](const Sibling& t) { return descends(s.clock, t.clock); });
    into.siblings.push_back(s);
    changed = true;
  }
  return changed;
}

bool DynamoNode::store(Context& ctx, const std::string& key, const Item& item) {
  auto [it, fresh_key] = data_.try_emplace(key);
  if (!merge_into(it->second, item)) return false;
  Storage& st = ctx.storage();
  st.put(item_key(key), encode_item(it->second));
  if (fresh_key) {
    std::string keys;
    for (const auto& [k, v] : data_) keys.append(k).append(1, '\n');
    st.put("keys", keys);
  }
  st.sync();
  const Sibling& top = it->second.newest();
  ctx.emit("store", {{"key", std::string_view(key)}, {"value", std::string_view(top.value)},
                     {"version", top.version.time}, {"siblings", static_cast<int64_t>(it->second.siblings.size())}});
  return true;
}

void DynamoNode::send_put(Context& ctx, uint32_t to, int64_t op, const std::string& key, const Item& item,
                          int64_t hint_for) {
  Message m;
  m.type = kPut;
  m.f[0] = op;
  m.f[1] = item.newest().version.time;
  m.f[2] = item.newest().version.node;
  m.f[3] = hint_for + 1;
  m.body = key;
  m.body.append(1, '\n').append(encode_item(item));
  ctx.send(NodeId{to}, m);
}

// ---- Coordinator.

void DynamoNode::coordinate(Context& ctx, NodeId client, const kv::Request& r) {
  if (r.op == kv::kCas) {
    ctx.send(client, kv::reply(r.id, kv::kFail, "cas is not offered by the AP store"));
    return;
  }
  const int64_t op = next_op_++;
  Pending& p = pending_[op];
  p.client = client;
  p.req = r;
  std::vector<uint32_t> walk = ring_->walk(r.key);
  walk.resize(std::min<size_t>(walk.size(), cfg_.n));
  p.pref = walk;
  if (r.op == kv::kWrite) {
    p.version = Version{ctx.now().ns, ctx.self().value};
    Sibling s{r.value, p.version, {}};
    if (cfg_.versioning == Config::Versioning::kVectorClock) {
      // The client's context (what its last read saw), advanced here.
      s.clock = decode_clock(r.next);
      ++counter_;
      ctx.storage().put("counter", std::to_string(counter_));
      s.clock[ctx.self().value] = counter_;
    }
    p.answers.clear();
    p.context = s.clock;
    const Item item{{s}};
    for (uint32_t to : p.pref) {
      send_put(ctx, to, op, r.key, item, -1);
      p.asked.insert(to);
    }
  } else {
    Message m;
    m.type = kGet;
    m.f[0] = op;
    m.body = r.key;
    for (uint32_t to : p.pref) {
      ctx.send(NodeId{to}, m);
      p.asked.insert(to);
    }
  }
  p.timer = ctx.set_timer(cfg_.request_timeout, (static_cast<uint64_t>(op) << 2) | kTimeoutTag);
}

void DynamoNode::finish_read(Context& ctx, int64_t op, Pending& p) {
  Item all;
  for (const auto& [from, item] : p.answers) merge_into(all, item);
  if (all.siblings.empty()) {
    ctx.send(p.client, kv::reply(p.req.id, kv::kOk, ""));  // never written
  } else {
    if (all.siblings.size() > 1) {
      ctx.emit("siblings", {{"key", std::string_view(p.req.key)}, {"count", static_cast<int64_t>(all.siblings.size())}});
    }
    // Resolution for a register: the latest timestamp; the context covers
    // every sibling, so the client's next write supersedes them all.
    std::string body = all.newest().value;
    if (cfg_.versioning == Config::Versioning::kVectorClock) body.append(1, '\t').append(encode_clock(merged(all)));
    ctx.send(p.client, kv::reply(p.req.id, kv::kOk, body));
    if (cfg_.read_repair) {
      for (const auto& [from, item] : p.answers) {
        Item repaired = item;
        if (!merge_into(repaired, all)) continue;  // already has everything
        ctx.emit("repair", {{"key", std::string_view(p.req.key)}, {"to", ctx.node_name(NodeId{from})}});
        send_put(ctx, from, -1, p.req.key, all, -1);
      }
    }
  }
  ctx.cancel_timer(p.timer);
  pending_.erase(op);
}

void DynamoNode::timeout(Context& ctx, int64_t op) {
  auto it = pending_.find(op);
  if (it == pending_.end()) return;
  Pending& p = it->second;
  if (p.req.op == kv::kRead) {
    if (cfg_.hinted_handoff && !p.fallback) {
      // Sloppy read: ask the stand-ins too (they answer from their data or
      // the hints they hold).
      p.fallback = true;
      std::vector<uint32_t> walk = ring_->walk(p.req.key);
      Message m;
      m.type = kGet;
      m.f[0] = op;
      m.body = p.req.key;
      for (size_t i = cfg_.n, asked = 0; i < walk.size() && asked < cfg_.n; ++i) {
        if (p.asked.count(walk[i])) continue;
        p.asked.insert(walk[i]);
        ctx.send(NodeId{walk[i]}, m);
        ++asked;
      }
      p.timer = ctx.set_timer(cfg_.request_timeout, (static_cast<uint64_t>(op) << 2) | kTimeoutTag);
      return;
    }
    // A read that did not take effect is simply a failure.
    ctx.send(p.client, kv::reply(p.req.id, kv::kFail, "read quorum not reached"));
    pending_.erase(it);
    return;
  }
  if (cfg_.hinted_handoff && !p.fallback) {
    // Sloppy quorum: each silent replica gets a stand-in further along the
    // ring, which keeps the write with a hint and hands it back later.
    p.fallback = true;
    std::vector<uint32_t> walk = ring_->walk(p.req.key);
    size_t next = cfg_.n;
    const Item item{{Sibling{p.req.value, p.version, p.context}}};
    for (uint32_t replica : p.pref) {
      if (p.acked.count(replica)) continue;
      while (next < walk.size() && p.asked.count(walk[next])) ++next;
      if (next >= walk.size()) break;
      const uint32_t stand_in = walk[next++];
      p.asked.insert(stand_in);
      send_put(ctx, stand_in, op, p.req.key, item, replica);
    }
    p.timer = ctx.set_timer(cfg_.request_timeout, (static_cast<uint64_t>(op) << 2) | kTimeoutTag);
    return;
  }
  ctx.send(p.client, kv::reply(p.req.id, kv::kUnknown, "write quorum not reached"));
  pending_.erase(it);
}

// ---- Background repair.

void DynamoNode::handoff(Context& ctx) {
  for (const auto& [to, items] : hints_) {
    for (const auto& [key, item] : items) {
      ctx.emit("handoff", {{"key", std::string_view(key)}, {"to", ctx.node_name(NodeId{to})}});
      send_put(ctx, to, -1, key, item, -1);
    }
  }
  ctx.set_timer(cfg_.handoff_interval, kHandoffTag);
}

std::string DynamoNode::entries_for(uint32_t peer) const {
  std::string out;
  for (const auto& [key, item] : data_) {
    std::vector<uint32_t> walk = ring_->walk(key);
    const auto end = walk.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(walk.size(), cfg_.n));
    if (std::find(walk.begin(), end, peer) == end) continue;  // the peer does not replicate this key
    for (const Sibling& s : item.siblings) {
      out.append(key).append(1, '\t');
      encode_sibling(out, s);
    }
  }
  return out;
}

void DynamoNode::merge(Context& ctx, std::string_view s) {
  while (!s.empty()) {
    const size_t tab = s.find('\t');
    DSIM_ASSERT_MSG(tab != std::string_view::npos, "corrupt sync body");
    const std::string key(s.substr(0, tab));
    s.remove_prefix(tab + 1);
    store(ctx, key, Item{{take_sibling(s)}});
  }
}

void DynamoNode::anti_entropy(Context& ctx) {
  // The peer: a random fellow replica of some key this node holds (as
  // Dynamo syncs each key range with the range's replicas); with no data
  // yet, any server.
  std::set<uint32_t> fellows;
  for (const auto& [key, item] : data_) {
    const std::vector<uint32_t> walk = ring_->walk(key);
    for (size_t i = 0; i < walk.size() && i < cfg_.n; ++i) {
      if (walk[i] != ctx.self().value) fellows.insert(walk[i]);
    }
  }
  const uint32_t n = ctx.cluster_size();
  if (n > 1) {
    uint32_t peer = 0;
    if (!fellows.empty()) {
      peer = *std::next(fellows.begin(), static_cast<std::ptrdiff_t>(ctx.rng().below(fellows.size())));
    } else {
      peer = static_cast<uint32_t>(ctx.rng().below(n - 1));
      if (peer >= ctx.self().value) ++peer;
    }
    Message m;
    m.type = kSync;
    m.f[0] = 1;
    m.body = entries_for(peer);
    ctx.send(NodeId{peer}, m);
  }
  ctx.set_timer(cfg_.anti_entropy, kAntiEntropyTag);
}

void DynamoNode::on_timer(Context& ctx, TimerId, uint64_t tag) {
  if (tag == kHandoffTag) return handoff(ctx);
  if (tag == kAntiEntropyTag) return anti_entropy(ctx);
  DSIM_ASSERT((tag & 3) == kTimeoutTag);
  timeout(ctx, static_cast<int64_t>(tag >> 2));
}

void DynamoNode::on_message(Context& ctx, NodeId from, const Message& m) {
  switch (m.type) {
    case kv::kKvRequest:
      coordinate(ctx, kv::origin(m, from), kv::decode_request(m));
      return;
    case kPut: {
      const std::string_view body = m.body;
      const size_t nl = body.find('\n');
      DSIM_ASSERT_MSG(nl != std::string_view::npos, "corrupt put");
      const std::string key(body.substr(0, nl));
      const Item item = decode_item(body.substr(nl + 1));
      if (m.f[3] > 0) {
        const auto for_node = static_cast<uint32_t>(m.f[3] - 1);
        merge_into(hints_[for_node][key], item);
        ctx.emit("hint", {{"key", std::string_view(key)}, {"for", ctx.node_name(NodeId{for_node})}});
      } else {
        store(ctx, key, item);
      }
      Message ack;
      ack.type = kPutAck;
      ack.f[0] = m.f[0];
      ack.f[1] = m.f[1];
      ack.f[2] = m.f[2];
      ack.body = key;
      ctx.send(from, ack);
      return;
    }
    case kPutAck: {
      if (m.f[0] < 0) {  // a handoff (or repair) arrived: drop the hint it carried
        auto h = hints_.find(from.value);
        if (h == hints_.end()) return;
        auto it = h->second.find(m.body);
        if (it != h->second.end() && it->second.newest().version == Version{m.f[1], m.f[2]}) h->second.erase(it);
        if (h->second.empty()) hints_.erase(h);
        return;
      }
      auto it = pending_.find(m.f[0]);
      if (it == pending_.end()) return;
      Pending& p = it->second;
      p.acked.insert(from.value);
      if (p.acked.size() < cfg_.w) return;
      ctx.send(p.client, kv::reply(p.req.id, kv::kOk, ""));
      ctx.cancel_timer(p.timer);
      pending_.erase(it);
      return;
    }
    case kGet: {
      // Everything this node has for the key: its own data and any hints.
      Item all;
      if (auto it = data_.find(m.body); it != data_.end()) merge_into(all, it->second);
      for (const auto& [to, items] : hints_) {
        if (auto h = items.find(m.body); h != items.end()) merge_into(all, h->second);
      }
      Message r;
      r.type = kGetReply;
      r.f[0] = m.f[0];
      r.body = encode_item(all);
      ctx.send(from, r);
      return;
    }
    case kGetReply: {
      auto it = pending_.find(m.f[0]);
      if (it == pending_.end()) return;
      it->second.answers[from.value] = decode_item(m.body);
      if (it->second.answers.size() >= cfg_.r) finish_read(ctx, m.f[0], it->second);
      return;
    }
    case kSync: {
      merge(ctx, m.body);
      if (m.f[0] == 1) {
        Message r;
        r.type = kSync;
        r.f[0] = 0;
        r.body = entries_for(from.value);
        ctx.send(from, r);
      }
      return;
    }
  }
  DSIM_ASSERT_MSG(false, "unknown dynamo message type");
}

}  // namespace dsim::dynamo
