#include "sim/core/simulator.h"

#include "sim/core/send_fields.h"

#include <cstddef>
#include <array>
#include <utility>

namespace dsim {

std::string_view Node::message_name(uint32_t) const { return "msg"; }

// ---- Set-up ------------------------------------------------------------------

Simulator::Simulator(uint64_t seed) : seed_(seed) {}
Simulator::~Simulator() = default;

NodeId Simulator::add_node(std::string name, NodeFactory factory, NodeClock clock) {
  DSIM_ASSERT_MSG(!started_, "nodes are added before the run starts");
  DSIM_ASSERT(nodes_.size() < kGlobal.value);
  const NodeId id{static_cast<uint32_t>(nodes_.size())};
  Rng rng = Rng::derive(seed_, "node/" + name);
  nodes_.push_back(NodeRec{nullptr, Context(this, id), true, false, false, Duration{0}, clock, rng});
  cold_.push_back(NodeCold{0, 0, {}, std::move(name), std::move(factory), Storage{}});
  return id;
}

const std::string& Simulator::name(NodeId n) const {
  static const std::string kGlobalName = "*";
  static const std::string kExternalName = "$ext";
  if (n == kGlobal) return kGlobalName;
  if (n == kExternal) return kExternalName;
  return cold(n).name;
}

std::string_view Simulator::role(NodeId n) const {
  const NodeRec& r = rec(n);
  if (!r.up || !r.node) return {};
  return r.node->role();
}

void Simulator::schedule_action(Time at, uint64_t id) {
  DSIM_ASSERT(at >= now_);
  push(at, EventKind::kAction, 0, id);
}

void Simulator::inject(Time at, NodeId to, const Message& m) {
  DSIM_ASSERT(at >= now_);
  DSIM_ASSERT(to.value < nodes_.size());
  push_delivery(at, store_message(kExternal, to, ++next_msg_id_, m));
}

bool Simulator::ordered_accepts(Time at) {
  if (ordered_head_ == ordered_.size()) {
    ordered_.clear();
    ordered_head_ = 0;
    return true;
  }
  if (at < key_time(ordered_.back().key)) return false;
  // A long run that keeps appending while never draining (a far-off action
  // waits at the end) drops its consumed prefix now and then: amortised O(1).
  if (ordered_head_ >= 4096 && ordered_head_ * 2 >= ordered_.size()) {
    ordered_.erase(ordered_.begin(), ordered_.begin() + static_cast<std::ptrdiff_t>(ordered_head_));
    ordered_head_ = 0;
  }
  return true;
}

void Simulator::schedule_action_in_order(Time at, uint64_t id) {
  DSIM_ASSERT(at >= now_);
  if (!ordered_accepts(at)) return schedule_action(at, id);
  ordered_.push_back(Event{make_key(at, next_seq_++), EventKind::kAction, 0, id});
}

void Simulator::inject_in_order(Time at, NodeId to, const Message& m) {
  DSIM_ASSERT(at >= now_);
  DSIM_ASSERT(to.value < nodes_.size());
  if (!ordered_accepts(at)) return inject(at, to, m);
  // As inject(): the message id first, then the sequence.
  const uint32_t s = store_message(kExternal, to, ++next_msg_id_, m);
  const uint64_t seq = next_seq_++;
  pool_[s].seq_arrived = seq << 1;
  ordered_.push_back(Event{make_key(at, seq), EventKind::kDeliver, s, 0});
}

uint32_t Simulator::store_message(NodeId from, NodeId to, uint64_t id, const Message& m) {
  const uint32_t s = pool_.alloc();
  InFlight& f = pool_[s];
  f.seq_arrived = 0;
  f.id = id;
  f.from = from;
  f.to = to;
  f.type = m.type;
  f.f = m.f;
  f.body = m.body.empty() ? 0 : bodies_.store(m.body);
  return s;
}

void Simulator::free_message(uint32_t s) {
  if (const uint32_t b = pool_[s].body; b != 0) bodies_.free(b);
  pool_.free(s);
}

// ---- The loop ----------------------------------------------------------------

void Simulator::start_all() {
  started_ = true;
  // No node is added from here on: give back the vector's spare capacity
  // (up to half of it). Nothing points into it yet: contexts reach nodes
  // only in callbacks, which start below.
  nodes_.shrink_to_fit();
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    NodeRec& r = nodes_[i];
    r.node = cold_[i].factory(NodeId{i});
    DSIM_ASSERT(r.node != nullptr);
    emit(NodeId{i}, "start", std::span<const Field>{});
    begin_callback(NodeId{i}, r);
    r.node->on_start(r.ctx);
    end_callback(NodeId{i}, r);
  }
}

void Simulator::ask_sink() {
  emit_send_ = sink_ && sink_->wants("send");
  emit_deliver_ = sink_ && sink_->wants("deliver");
  emit_input_ = sink_ && sink_->wants("input");
  emit_timer_ = sink_ && sink_->wants("timer");
}

RunResult Simulator::run(Time until, uint64_t max_events) {
  DSIM_ASSERT(until >= now_);
  ask_sink();
  RunResult result;
  try {
    if (!started_) start_all();
    run_loop(until, max_events, result);
  } catch (const NodeFailure& f) {
    // The node's own code found it broke a rule: the run ends here, and the
    // trace says who, when and why. Nothing else runs after it.
    result.failed_node = f.node();
    result.failure = f.what();
    emit(f.node(), "node_failure", {{"reason", std::string_view(result.failure)}});
    result.end = now_;
    return result;
  }
  return result;
}

void Simulator::run_loop(Time until, uint64_t max_events, RunResult& result) {
  const auto limit = static_cast<uint64_t>(until.ns);
  constexpr uint64_t kNone = UINT64_MAX;  // no pending item (times are < 2^63)
  // Prefetching what comes next pays when the queues and what they name are
  // out of cache; below this many pending items they are not, and finding
  // the next top (the root's smallest child) costs mispredicted branches
  // for nothing (a few percent of a 5-node run).
  constexpr size_t kPrefetchFrom = 1024;
  // The same for node records: a few hundred lines stay in cache, 100,000
  // nodes' do not (whatever the queues hold).
  const bool many_nodes = nodes_.size() >= kPrefetchFrom;
  for (;;) {
    // Three sources, merged by (time, sequence): the event heap, the timer
    // heap and the ordered stream. The times decide; only a tie reads the
    // sequences (a timer's sits in its slot, often a cache miss away).
    const uint64_t et = events_.empty() ? kNone : events_.top_time();
    const uint64_t tt = timers_.empty() ? kNone : timers_.top_time();
    const bool have_ordered = ordered_head_ != ordered_.size();
    const uint64_t ot = have_ordered ? static_cast<uint64_t>(key_time(ordered_[ordered_head_].key).ns) : kNone;
    if (et == kNone && tt == kNone && !have_ordered) break;
    const auto heap_seq = [&] {
      return events_.top_is_ref() ? pool_[events_.top_ref()].seq_arrived >> 1 : events_.top_seq();
    };
    const bool take_timer = tt < et || (tt == et && tt != kNone && timers_.top_seq() < heap_seq());
    uint64_t t = take_timer ? tt : et;
    const bool take_ordered =
        ot < t || (ot == t && have_ordered &&
                   key_seq(ordered_[ordered_head_].key) < (take_timer ? timers_.top_seq() : heap_seq()));
    if (take_ordered) t = ot;
    if (t > limit) break;
    if (counters_.events >= max_events) {
      result.budget_exhausted = true;
      break;
    }
    DSIM_ASSERT(static_cast<int64_t>(t) >= now_.ns);  // time never goes backwards
    now_ = Time{static_cast<int64_t>(t)};
    ++counters_.events;
    if (take_ordered) {
      const Event e = ordered_[ordered_head_++];
      if (ordered_head_ == ordered_.size()) {
        ordered_.clear();
        ordered_head_ = 0;
      }
      dispatch(e);
    } else if (take_timer) {
      const uint32_t s = timers_.pop_top();
      // Likewise for timers: the slot of the one after next starts loading,
      // and the next one's owner record (its slot was loaded an event ago).
      if (timers_.size() >= kPrefetchFrom) {
        timers_.prefetch_after_top();
        prefetch_node(timers_.slot(timers_.top_slot()).node);
      } else if (many_nodes && !timers_.empty()) {
        prefetch_node(timers_.slot(timers_.top_slot()).node);
      }
      fire_timer(s);
    } else {
      const Event e = events_.pop();
      // Message slots are cache misses waiting to happen (a run with many
      // messages in flight reads each one long after it was written). The
      // loop keeps two deliveries of lead: the slot of the one after next
      // (likely the smallest child of the heap's root) starts loading now;
      // the next one's slot started an event ago, so its destination can be
      // read without a stall and that node's record loaded too.
      if (events_.size() >= kPrefetchFrom) {
        if (const uint32_t r = events_.next_ref_hint(); r != EventHeap::kNoRef) {
          const InFlight& after = pool_[r];
          __builtin_prefetch(&after);
          __builtin_prefetch(reinterpret_cast<const char*>(&after) + sizeof(InFlight) - 1);
        }
      }
      if (many_nodes && !events_.empty() && events_.top_is_ref()) prefetch_node(pool_[events_.top_ref()].to);
      dispatch(e);
    }
    if (many_nodes) {
      // The next event's node record was prefetched before this callback
      // and has arrived: start loading the node object it points to (its
      // vtable pointer is the next callback's first read).
      if (!events_.empty() && events_.top_is_ref()) prefetch_object(pool_[events_.top_ref()].to);
      if (!timers_.empty()) prefetch_object(timers_.slot(timers_.top_slot()).node);
    }
    if (stop_requested_) {
      stop_requested_ = false;
      result.stopped = true;
      break;
    }
  }
  if (!result.budget_exhausted && !result.stopped) now_ = until;
  result.end = now_;
}

void Simulator::dispatch(const Event& e) {
  switch (e.kind) {
    case EventKind::kDeliver:
      deliver(e);
      return;
    case EventKind::kAction:
      DSIM_ASSERT(actions_ != nullptr);
      actions_->on_action(e.b);
      return;
    case EventKind::kResume:
      resume(NodeId{e.a}, e.b);
      return;
    case EventKind::kTimerFire:
      // A parked timer of a node that crashed after its pause ended is gone.
      if (timers_.slot(e.a).generation == e.b && timers_.is_parked(e.a)) fire_timer(e.a);
      return;
  }
  DSIM_ASSERT_MSG(false, "unknown event kind");
}

// ---- Messages ----------------------------------------------------------------

std::string_view Simulator::message_name(const NodeRec& r, uint32_t type) const {
  if (names_) {
    const std::string_view n = names_->message_name(type);
    if (!n.empty()) return n;
  }
  return r.node->message_name(type);
}

void Simulator::send(NodeId from, NodeId to, const Message& m) {
  DSIM_ASSERT(to.value < nodes_.size());
  DSIM_ASSERT(net_ != nullptr);
  ++counters_.sent;
  const uint64_t id = ++next_msg_id_;
  if (emit_send_) {
    const std::string_view type = message_name(rec(from), m.type);
    SendFields fields;
    const size_t n = send_fields(names_, id, cold(to).name, type, m, fields);
    emit(from, "send", std::span<const Field>(fields.data(), n));
  }
  Route route;
  net_->route(now_, from, to, &route);
  if (!route.drop_reason.empty()) {
    drop(from, id, route.drop_reason);
    return;
  }
  // Sent after a durable write in this callback: it leaves when the write
  // is done. (from may be kExternal for no one: only nodes send.)
  if (const NodeRec& src = rec(from); src.write_latency.ns != 0) {
    const NodeCold& c = cold(from);
    const uint64_t writes = c.storage.writing_syncs() - c.syncs_at_start;
    const Duration wait{src.write_latency.ns * static_cast<int64_t>(writes)};
    for (int c = 0; c < route.copies; ++c) route.deliver_at[c] = route.deliver_at[c] + wait;
  }
  DSIM_ASSERT(route.copies == 1 || route.copies == 2);
  for (int c = 0; c < route.copies; ++c) {
    DSIM_ASSERT(route.deliver_at[c] >= now_);
    push_delivery(route.deliver_at[c], store_message(from, to, id, m));
  }
  if (route.copies == 2) {
    ++counters_.duplicated;
    emit(from, "duplicate", {{"msg", static_cast<int64_t>(id)}});
  }
}

void Simulator::drop(NodeId n, uint64_t msg_id, std::string_view reason) {
  ++counters_.dropped;
  emit(n, "drop", {{"msg", static_cast<int64_t>(msg_id)}, {"reason", reason}});
}

void Simulator::deliver(const Event& e) {
  const uint32_t s = e.a;
  InFlight& f = pool_[s];
  NodeRec& dst = rec(f.to);
  // The arrived bit marks a message that already arrived and waited out a
  // pause: it sits in the node's socket buffer, past the network's reach.
  if (f.from != kExternal && (f.seq_arrived & 1) == 0) {
    const Arrival arrival = net_->arrive(now_, f.from, f.to);
    if (arrival.kind == Arrival::Kind::kDrop) {
      drop(f.to, f.id, arrival.drop_reason);
      free_message(s);
      return;
    }
    if (arrival.kind == Arrival::Kind::kHold) {
      DSIM_ASSERT(arrival.hold_until > now_);
      push_delivery(arrival.hold_until, s);
      return;
    }
  }
  if (!dst.up) {
    drop(f.to, f.id, "node_down");
    free_message(s);
    return;
  }
  if (dst.paused) {
    f.seq_arrived |= 1;
    cold(f.to).deferred.push_back(Event{e.key, EventKind::kDeliver, s, 0});
    return;
  }
  ++counters_.delivered;
  if (f.from == kExternal) {
    if (emit_input_) emit(f.to, "input", {{"msg", static_cast<int64_t>(f.id)}, {"type", message_name(dst, f.type)}});
  } else if (emit_deliver_) {
    emit(f.to, "deliver", {{"msg", static_cast<int64_t>(f.id)}, {"from", std::string_view(cold(f.from).name)}});
  }
  // The message is rebuilt in one Message the simulator keeps (its body
  // copied into a string that keeps its capacity, or a large one swapped
  // in); the slot stays allocated while the node reads it, and sends from
  // the callback take other slots. Deliveries never nest, so one Message
  // serves them all.
  Message& m = delivering_;
  m.type = f.type;
  m.f = f.f;
  if (f.body != 0) {
    bodies_.lend(f.body, m.body);
  } else {
    m.body.clear();
  }
  const NodeId from = f.from, to = f.to;
  begin_callback(to, dst);
  dst.node->on_message(dst.ctx, from, m);
  end_callback(to, dst);
  if (const uint32_t b = pool_[s].body; b != 0) bodies_.take_back(b, m.body);  // a large body's slot keeps its buffer
  free_message(s);
}

// ---- Timers ------------------------------------------------------------------

TimerId Simulator::set_timer(NodeId n, Duration after, uint64_t tag) {
  DSIM_ASSERT(after.ns >= 0);
  NodeRec& r = rec(n);
  DSIM_ASSERT(r.up);
  const Duration global_span = r.clock.to_global(after);
  return timers_.add(make_key(now_ + global_span, next_seq_++), n, tag);
}

bool Simulator::cancel_timer(NodeId n, TimerId id) {
  uint32_t s;
  if (!timers_.resolve(id, &s)) return false;
  DSIM_ASSERT_MSG(timers_.slot(s).node == n, "a node cancels only its own timers");
  if (timers_.is_parked(s)) {
    // It expired during a pause and waits in the deferred list; the node has
    // not seen it, so cancelling still wins. The bumped generation makes the
    // deferred fire a no-op.
    timers_.release(s);
  } else {
    timers_.remove(s);
  }
  return true;
}

void Simulator::fire_timer(uint32_t s) {
  const TimerHeap::Slot slot = timers_.slot(s);
  NodeRec& r = rec(slot.node);
  DSIM_ASSERT(r.up);  // a crash releases the node's timers
  if (r.paused) {
    cold(slot.node).deferred.push_back(Event{make_key(now_, 0), EventKind::kTimerFire, s, slot.generation});
    return;
  }
  const TimerId id{(static_cast<uint64_t>(slot.generation) << 32) | s};
  timers_.release(s);  // before the callback, so the node may re-arm at once
  ++counters_.timers_fired;
  if (emit_timer_) emit(slot.node, "timer", {{"tag", static_cast<int64_t>(slot.tag)}});
  begin_callback(slot.node, r);
  r.node->on_timer(r.ctx, id, slot.tag);
  end_callback(slot.node, r);
}

// ---- Faults ------------------------------------------------------------------

void Simulator::crash(NodeId n, bool lose_unsynced) {
  NodeRec& r = rec(n);
  NodeCold& c = cold(n);
  if (!r.up) {
    emit(n, "fault_skipped", {{"fault", std::string_view("crash")}, {"reason", std::string_view("already down")}});
    return;
  }
  emit(n, "crash", {{"lose_unsynced", lose_unsynced}, {"unsynced_writes", static_cast<int64_t>(c.storage.unsynced())}});
  r.up = false;
  r.paused = false;
  r.busy = false;
  ++c.pause_epoch;
  r.node.reset();
  // Rare event: scanning the timer slots here keeps the common path free of
  // per-node bookkeeping.
  for (uint32_t s = 0; s < timers_.slot_count(); ++s) {
    const TimerHeap::Slot& sl = timers_.slot(s);
    if (sl.node != n || !timers_.is_armed(s)) continue;
    if (timers_.is_parked(s)) {
      timers_.release(s);
    } else {
      timers_.remove(s);
    }
  }
  for (const Event& e : c.deferred) {
    if (e.kind == EventKind::kDeliver) {
      drop(n, pool_[e.a].id, "node_down");
      free_message(e.a);
    }
  }
  c.deferred.clear();
  c.storage.on_crash(lose_unsynced);
}

void Simulator::restart(NodeId n) {
  NodeRec& r = rec(n);
  if (r.up) {
    emit(n, "fault_skipped", {{"fault", std::string_view("restart")}, {"reason", std::string_view("already up")}});
    return;
  }
  r.up = true;
  r.node = cold(n).factory(n);
  DSIM_ASSERT(r.node != nullptr);
  emit(n, "restart", std::span<const Field>{});
  begin_callback(n, r);
  r.node->on_recover(r.ctx);
  end_callback(n, r);
}

void Simulator::pause(NodeId n, Duration d) {
  DSIM_ASSERT(d.ns > 0);
  NodeRec& r = rec(n);
  if (!r.up) {
    emit(n, "fault_skipped", {{"fault", std::string_view("pause")}, {"reason", std::string_view("node down")}});
    return;
  }
  emit(n, "pause", {{"for_ns", d.ns}});
  r.paused = true;  // a pause during a pause extends it: the later resume wins
  r.busy = false;   // ... and so does one during a storage write
  push(now_ + d, EventKind::kResume, n.value, ++cold(n).pause_epoch);
}

void Simulator::resume(NodeId n, uint64_t epoch) {
  NodeRec& r = rec(n);
  NodeCold& c = cold(n);
  if (!r.up || !r.paused || epoch != c.pause_epoch) return;  // superseded
  r.paused = false;
  if (r.busy) {
    r.busy = false;  // its storage write is done (traced when it began)
  } else {
    emit(n, "resume", {{"held", static_cast<int64_t>(c.deferred.size())}});
  }
  // Everything held back happens now, in the order it arrived.
  for (const Event& e : c.deferred) {
    if (e.kind == EventKind::kDeliver) {
      push_delivery(now_, e.a);
    } else {
      push(now_, e.kind, e.a, e.b);
    }
  }
  c.deferred.clear();
}

void Simulator::charge_writes(NodeId n, NodeRec& r) {
  const uint64_t writes = cold(n).storage.writing_syncs() - cold(n).syncs_at_start;
  if (writes == 0 || !r.up) return;
  // The callback's durable writes run one after another: the node is busy
  // (like a pause) until the last one is done.
  const Duration busy{r.write_latency.ns * static_cast<int64_t>(writes)};
  emit(n, "storage_write", {{"syncs", static_cast<int64_t>(writes)}, {"busy_ns", busy.ns}});
  r.paused = true;
  r.busy = true;
  push(now_ + busy, EventKind::kResume, n.value, ++cold(n).pause_epoch);
}

void Simulator::clock_jump(NodeId n, Duration by) {
  NodeRec& r = rec(n);
  r.clock.jump(now_, by);
  emit(n, "clock_jump", {{"by_ns", by.ns}, {"local_ns", r.clock.local(now_).ns}});
}

void Simulator::clock_drift(NodeId n, int64_t ppm) {
  NodeRec& r = rec(n);
  r.clock.set_drift(now_, ppm);
  emit(n, "clock_drift", {{"ppm", ppm}});
}

void Simulator::emit_global(std::string_view kind, std::initializer_list<Field> fields) {
  emit(kGlobal, kind, std::span<const Field>(fields.begin(), fields.size()));
}

}  // namespace dsim
