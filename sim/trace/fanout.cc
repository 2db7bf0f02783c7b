#include "sim/trace/fanout.h"

#include <algorithm>
#include <cstring>

#include "dsim/bytes.h"
#include "dsim/assert.h"

namespace dsim::trace {

void Fanout::add(Consumer* c) {
  std::vector<std::string> kinds;
  for (std::string_view k : c->kinds()) kinds.emplace_back(k);
  consumers_.emplace_back(c, std::move(kinds));
  c->share(shared_);
  // Routes are built as kinds are first seen; a new consumer changes them.
  routes_.clear();
  route_index_.clear();
  cache_ = {};
  last_route_ = SIZE_MAX;
}

// Kinds and keys are short ("append", "index"): compared inline by
// same_bytes (dsim/bytes.h), not by a call to memcmp (2% of a Raft run
// here) or a byte loop (a quarter of event()).

[[gnu::always_inline]] inline const Fanout::Route& Fanout::cached_route(std::string_view kind) {
  // Literals sit a few bytes apart: a multiplicative hash spreads them
  // (shifts of the address made the hot kinds share slots).
  const auto addr = reinterpret_cast<uintptr_t>(kind.data());
  const uint64_t h = (static_cast<uint64_t>(addr) + kind.size()) * 0x9E3779B97F4A7C15ull;
  CacheEntry& slot = cache_[h >> (64 - kCacheBits)];
  if (slot.data == kind.data() && slot.size == kind.size()) {
    // The same address may hold other text by now (a kind built in a
    // buffer): the text decides.
    const Route& r = routes_[slot.route];
    if (same_bytes(r.kind.data(), kind.data(), kind.size())) [[likely]] return r;
  }
  return slow_route_of(kind, slot);
}

const Fanout::Route& Fanout::route_of(std::string_view kind) { return cached_route(kind); }

const Fanout::Route& Fanout::slow_route_of(std::string_view kind, CacheEntry& slot) {
  auto it = route_index_.find(kind);
  if (it == route_index_.end()) {
    Route r;
    r.kind = std::string(kind);
    for (const auto& [c, kinds] : consumers_) {
      if (kinds.empty() || std::find(kinds.begin(), kinds.end(), kind) != kinds.end()) {
        r.to.push_back(Target{c, c->takes_views()});
        r.events = r.events || !r.to.back().view;
      }
    }
    routes_.push_back(std::move(r));
    it = route_index_.emplace(std::string(kind), static_cast<uint32_t>(routes_.size() - 1)).first;
  }
  slot = CacheEntry{kind.data(), kind.size(), it->second};
  return routes_[it->second];
}

namespace {

// Keys, node names and kinds repeat from one event to the next: comparing
// is cheaper than assigning (std::string::assign is an out-of-line call
// even for a short string).
void set(std::string& to, std::string_view from) {
  if (to.size() == from.size() && same_bytes(to.data(), from.data(), from.size())) return;
  to.assign(from);
}

}  // namespace

void Fanout::convert(Time t, NodeId node, const Route& route, std::span<const Field> fields) {
  Event& e = scratch_;
  e.t = t.ns;
  e.seq = seq_;
  if (node.value != last_node_) {
    last_node_ = node.value;
    e.source = node == kGlobal || node == kExternal ? Event::kNoSource : node.value;
    if (node == kGlobal) {
      e.node.assign("*");
    } else if (node == kExternal) {
      e.node.assign("$ext");
    } else {
      DSIM_ASSERT(node.value < names_.size());
      e.node.assign(names_[node.value]);
    }
  }
  const auto route_index = static_cast<size_t>(&route - routes_.data());
  if (route_index != last_route_) {
    last_route_ = route_index;
    e.kind.assign(route.kind);
  }
  e.fields.resize(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    auto& [key, value] = e.fields[i];
    set(key, fields[i].key);
    const FieldValue& v = fields[i].value;
    if (const auto* n = std::get_if<int64_t>(&v)) {
      value = *n;
    } else if (const auto* s = std::get_if<std::string_view>(&v)) {
      // Into the string already there, keeping its buffer.
      if (auto* held = std::get_if<std::string>(&value)) {
        held->assign(*s);
      } else {
        value.emplace<std::string>(*s);
      }
    } else {
      value = std::get<bool>(v);
    }
  }
}

std::string_view Fanout::name_of(NodeId node) const {
  if (node == kGlobal) return "*";
  if (node == kExternal) return "$ext";
  DSIM_ASSERT(node.value < names_.size());
  return names_[node.value];
}

void Fanout::event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) {
  if (writer_) writer_->event(t, node, kind, fields);
  if (consumers_.empty()) return;
  const Route& r = cached_route(kind);
  if (r.to.empty()) return;
  ++seq_;
  if (r.events) convert(t, node, r, fields);
  // `fields` arrives on the stack, written as two words; copied into the
  // view as one 16-byte load, that load waits for both stores to retire (a
  // failed store forward: a fifth of this function on a Raft run). Held in
  // registers first, it is read as the two words it was written as.
  const Field* field_data = fields.data();
  size_t field_count = fields.size();
#if defined(__GNUC__)
  asm("" : "+r"(field_data), "+r"(field_count));
#endif
  const EventView v{t.ns, name_of(node), r.kind, std::span<const Field>(field_data, field_count),
                    node == kGlobal || node == kExternal ? Event::kNoSource : node.value, seq_};
  for (const Target& to : r.to) {
    if (to.view) {
      to.c->consume_view(v);
    } else {
      to.c->consume(scratch_);
    }
  }
}

}  // namespace dsim::trace
