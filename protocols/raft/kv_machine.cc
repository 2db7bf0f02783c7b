#include "protocols/raft/kv_machine.h"

#include "dsim/assert.h"
#include "dsim/kv.h"
#include "dsim/stored_int.h"

namespace dsim::raft {

std::string_view KvMachine::message_name(uint32_t type) const {
  return type == kv::kKvRequest ? "kv_request" : "unknown";
}

void KvMachine::on_message(RaftNode& raft, Context& ctx, NodeId from, const Message& m) {
  DSIM_ASSERT_MSG(m.type == kv::kKvRequest, "unknown raft message type");
  const NodeId client = kv::origin(m, from);
  const kv::Request r = kv::decode_request(m);
  if (cfg_.bug == Config::Bug::kStaleReads && r.op == kv::kRead) {
    // The planted bug: whatever this node's state machine holds, however
    // far behind (or cut off) it is.
    const kv::Result res = kv::apply(kv_, r);
    ctx.send(client, kv::reply(r.id, res.status, res.value));
    return;
  }
  if (raft.is_leader() && r.op == kv::kRead && cfg_.reads != Config::Reads::kLog && raft.committed_in_term()) {
    if (cfg_.reads == Config::Reads::kLease && raft.lease_valid(ctx)) {
      // Applied up to the commit index already (apply is synchronous).
      ctx.send(client, kv::reply(r.id, kv::kOk, kv::apply(kv_, r).value));
      return;
    }
    const LogIndex index = raft.commit_index();
    const int64_t round = raft.start_round(ctx);  // the round that confirms leadership
    reads_.push_back({client, r.id, r.key, index, round});
    serve_reads(raft, ctx);
    return;
  }
  if (raft.is_leader()) {
    std::string cmd = "@" + std::to_string(client.value) + " " + std::to_string(r.id) + " " +
                      std::to_string(static_cast<int64_t>(r.op)) + " " + m.body;
    raft.propose_entry(ctx, std::move(cmd));
    return;
  }
  if (const std::optional<NodeId> leader = raft.leader_hint(); leader && m.f[3] < 3) {  // forward, at most 3 hops
    Message fwd = m;
    fwd.f[2] = client.value + 1;
    fwd.f[3] = m.f[3] + 1;
    ctx.send(*leader, fwd);
    return;
  }
  ctx.send(client, kv::reply(r.id, kv::kFail, "no leader known"));  // not appended anywhere: a definite failure
}

void KvMachine::serve_reads(RaftNode& raft, Context& ctx) {
  std::vector<PendingRead> waiting;
  for (PendingRead& r : reads_) {
    if (raft.round_confirmed(ctx, r.seq) && raft.applied_index() >= r.index) {
      kv::Request q;
      q.op = kv::kRead;
      q.key = r.key;
      ctx.send(r.client, kv::reply(r.id, kv::kOk, kv::apply(kv_, q).value));
    } else {
      waiting.push_back(std::move(r));
    }
  }
  reads_ = std::move(waiting);
}

void KvMachine::apply_entry(RaftNode& raft, Context& ctx, LogIndex, const Entry& e) {
  // Client operations "@..." or commands "key=value"; the no-op is empty.
  if (!e.cmd.empty() && e.cmd[0] == '@') {
    apply_kv(raft, ctx, e);
  } else if (const size_t eq = e.cmd.find('='); eq != std::string::npos) {
    const std::string_view key(e.cmd.data(), eq);
    const std::string_view value = std::string_view(e.cmd).substr(eq + 1);
    if (index_.size() != kv_.size()) [[unlikely]] index_.rebuild(kv_);
    const uint64_t h = KeyIndex::hash(key);
    if (std::string* v = index_.find(key, h)) {
      v->assign(value);  // into the old value's buffer
    } else {
      index_.insert(h, *kv_.emplace(std::string(key), std::string(value)).first);
    }
  }
}

// ---- KeyIndex ----------------------------------------------------------------------

uint64_t KvMachine::KeyIndex::hash(std::string_view key) {
  // FNV-1a: keys are short, and the order of slots never shows.
  uint64_t h = 0xcbf29ce484222325u;
  for (const char c : key) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3u;
  return h | (uint64_t{1} << 63);  // never 0, the empty mark
}

void KvMachine::KeyIndex::clear() {
  slots_.clear();
  size_ = 0;
}

namespace {
// Equal keys; short ones (the usual) compared inline rather than by a
// memcmp call.
bool same(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.size() > 16) return a == b;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}
}  // namespace

std::string* KvMachine::KeyIndex::find(std::string_view key, uint64_t h) const {
  if (size_ == 0) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.hash == 0) return nullptr;
    if (s.hash == h && same(s.kv->first, key)) return &s.kv->second;
  }
}

void KvMachine::KeyIndex::insert(uint64_t h, std::pair<const std::string, std::string>& kv) {
  if ((size_ + 1) * 2 > slots_.size()) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    size_ = 0;
    for (const Slot& s : old) {
      if (s.hash != 0) insert(s.hash, *s.kv);
    }
  }
  const size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  while (slots_[i].hash != 0) i = (i + 1) & mask;
  slots_[i] = Slot{h, &kv};
  ++size_;
}

void KvMachine::KeyIndex::rebuild(std::map<std::string, std::string>& kv) {
  clear();
  for (auto& entry : kv) insert(hash(entry.first), entry);
}

void KvMachine::apply_kv(RaftNode& raft, Context& ctx, const Entry& e) {
  // "@<client> <id> <op> key\tvalue\tnext"
  std::string_view s = e.cmd;
  s.remove_prefix(1);
  Message m;
  m.type = kv::kKvRequest;
  const auto client = static_cast<uint32_t>(take_stored_int(s, ' '));
  m.f[0] = take_stored_int(s, ' ');
  m.f[1] = take_stored_int(s, ' ');
  m.body = std::string(s);
  const kv::Request r = kv::decode_request(m);
  const kv::Result res = kv::apply(kv_, r);
  if (raft.is_leader() && e.term == raft.term()) ctx.send(NodeId{client}, kv::reply(r.id, res.status, res.value));
}

void KvMachine::on_applied(RaftNode& raft, Context& ctx) {
  if (raft.is_leader() && !reads_.empty()) serve_reads(raft, ctx);
}

void KvMachine::on_round_acked(RaftNode& raft, Context& ctx, int64_t) {
  if (!reads_.empty()) serve_reads(raft, ctx);
}

void KvMachine::on_leadership(RaftNode&, Context& ctx, bool leader) {
  if (leader) return;
  for (const PendingRead& r : reads_) ctx.send(r.client, kv::reply(r.id, kv::kFail, "lost leadership"));  // reads change nothing
  reads_.clear();
}

void KvMachine::snapshot(std::string& out) const {
  for (const auto& [k, v] : kv_) {
    out += std::to_string(k.size());
    out += ':';
    out += k;
    out += std::to_string(v.size());
    out += ':';
    out += v;
  }
}

void KvMachine::restore(RaftNode&, Context&, std::string_view data) {
  DSIM_ASSERT(reads_.empty());  // a leader never restores: it is the one that sends snapshots
  kv_.clear();
  index_.clear();  // its pointers named the nodes just freed
  auto take = [&data] {
    const auto len = static_cast<size_t>(take_stored_int(data, ':'));
    DSIM_ASSERT_MSG(len <= data.size(), "corrupt key-value snapshot");
    std::string s(data.substr(0, len));
    data.remove_prefix(len);
    return s;
  };
  while (!data.empty()) {
    std::string k = take();
    kv_.emplace_hint(kv_.end(), std::move(k), take());
  }
}

}  // namespace dsim::raft
