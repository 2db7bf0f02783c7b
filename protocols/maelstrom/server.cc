#include "protocols/maelstrom/server.h"

#include <sys/stat.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "dsim/assert.h"
#include "protocols/maelstrom/workload.h"

namespace dsim::maelstrom {
namespace {

using Json = nlohmann::json;

// Timer tags: the program's own timers carry their id under kChildTimer.
constexpr uint64_t kChildTimer = 1ull << 60;
constexpr uint64_t kOpTimeout = 2ull << 60;
constexpr uint64_t kFinalReads = 3ull << 60;
constexpr uint64_t kPoll = 4ull << 60;
constexpr uint64_t kTagMask = 15ull << 60;

constexpr int64_t kFinalBase = 1'000'000'000;  // op numbers of final reads: kFinalBase + server * 1000 + j

std::string clip(const std::string& s) { return s.size() <= 200 ? s : s.substr(0, 200) + "..."; }

std::string tail_note(const std::string& tail) {
  if (tail.empty()) return "";
  std::string t = tail;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  const size_t cut = t.size() > 600 ? t.size() - 600 : 0;
  return "\n  its last stderr output:\n    " + t.substr(cut);
}

}  // namespace

namespace {
// Body type names: only the order of first use differs between runs that
// share a process (a sweep), and traces print the names, never the numbers.
std::mutex g_names_mu;
std::deque<std::string>& type_names() {
  static std::deque<std::string> v;  // a deque: views of its strings stay valid
  return v;
}
std::map<std::string, uint32_t, std::less<>>& type_ids() {
  static std::map<std::string, uint32_t, std::less<>> m;
  return m;
}
constexpr size_t kMaxTypeNames = 4096;  // a program inventing types without end shares one name
}  // namespace

uint32_t envelope_type(std::string_view body_type) {
  std::lock_guard<std::mutex> lock(g_names_mu);
  auto& ids = type_ids();
  if (auto it = ids.find(body_type); it != ids.end()) return it->second;
  auto& names = type_names();
  if (names.size() >= kMaxTypeNames) body_type = "other";
  if (auto it = ids.find(body_type); it != ids.end()) return it->second;
  names.emplace_back(body_type);
  const uint32_t id = kEnvelopeBase + static_cast<uint32_t>(names.size() - 1);
  ids.emplace(std::string(body_type), id);
  return id;
}

std::string_view envelope_name(uint32_t type) {
  std::lock_guard<std::mutex> lock(g_names_mu);
  const auto& names = type_names();
  if (!is_envelope(type) || type - kEnvelopeBase >= names.size()) return {};
  return names[type - kEnvelopeBase];
}

bool definite_error(int64_t code) {
  // 0 timeout and 13 crash are indefinite; so is any code we do not know.
  switch (code) {
    case 1: case 10: case 11: case 12: case 14: case 20: case 21: case 22: case 30:
      return true;
    default:
      return false;
  }
}

std::unique_ptr<Node> make_server(std::shared_ptr<const Config> cfg,
                                  std::shared_ptr<const std::vector<std::string>> names) {
  return std::make_unique<ServerNode>(std::move(cfg), std::move(names));
}

std::string_view ServerNode::message_name(uint32_t type) const {
  return type == kClientOp ? "client_op" : envelope_name(type);
}

std::string ServerNode::who() const { return "maelstrom node " + self_ + " (" + cfg_->command + ")"; }

std::optional<NodeId> ServerNode::lookup(std::string_view name) const {
  for (uint32_t i = 0; i < names_->size(); ++i) {
    if ((*names_)[i] == name) return NodeId{i};
  }
  return std::nullopt;
}

std::string ServerNode::envelope(Context& ctx, const std::string& src, const std::string& body_json) {
  std::string s = "{\"src\":" + Json(src).dump() + ",\"dest\":" + Json(self_).dump();
  if (deterministic_) s += ",\"dsim_now\":" + std::to_string(ctx.now().ns);
  s += ",\"body\":" + body_json + "}";
  return s;
}

void ServerNode::on_start(Context& ctx) {
  self_ = std::string(ctx.node_name(ctx.self()));
  start_process(ctx);
  if (cfg_->workload == Workload::kBroadcast) {
    clients_.insert("c0");
    feed(ctx, envelope(ctx, "c0", topology_body(*cfg_, *names_, ctx.self().value, next_msg_id_++)));
  }
  if (cfg_->final_reads.ns > 0) {
    const Duration left = cfg_->final_reads - (ctx.now() - Time{0});
    if (left.ns >= 0) ctx.set_timer(left, kFinalReads);
  }
  if (!deterministic_) ctx.set_timer(milliseconds(50), kPoll);
}

void ServerNode::on_recover(Context& ctx) {
  restarted_ = true;
  on_start(ctx);
}

void ServerNode::start_process(Context& ctx) {
  std::vector<std::string> argv{cfg_->command};
  argv.insert(argv.end(), cfg_->args.begin(), cfg_->args.end());
  std::string dir = cfg_->log_dir;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/dsim-maelstrom";
  }
  mkdir(dir.c_str(), 0755);  // an existing one is fine; a failure shows at open
  const std::string log_path = dir + "/" + self_ + ".stderr";
  static std::atomic<bool> told{false};
  if (cfg_->log_dir.empty() && !told.exchange(true)) {
    std::fprintf(stderr, "dsim: maelstrom: each node's stderr goes to %s/<node>.stderr (maelstrom.log_dir)\n",
                 dir.c_str());
  }
  if (const std::string err = proc_.start(argv, log_path, cfg_->log_limit, restarted_); !err.empty()) {
    fatal(who() + ": cannot start the program: " + err);
  }
  Json ids = Json::array();
  for (uint32_t i = 0; i < cfg_->servers; ++i) ids.push_back((*names_)[i]);
  Json body = {{"type", "init"}, {"msg_id", next_msg_id_++}, {"node_id", self_}, {"node_ids", ids}};
  if (cfg_->mode != Mode::kBestEffort) {
    // The extension: a seed from this node's stream (53 bits: exact in every JSON reader).
    body["dsim"] = {{"version", 1}, {"seed", ctx.rng().next() & ((1ull << 53) - 1)}};
  }
  clients_.insert("c0");
  const std::string line = "{\"src\":\"c0\",\"dest\":" + Json(self_).dump() + ",\"body\":" + body.dump() + "}";
  if (!proc_.write_line(line)) {
    fatal(who() + ": exited before reading init (" + proc_.exit_status() + ")" + tail_note(proc_.stderr_tail()));
  }
  collect(ctx, true);
  initialized_ = true;
  const bool det = deterministic_;
  ctx.emit("m_mode", {{"mode", std::string_view(det ? "deterministic" : "best_effort")},
                      {"reproducible", det},
                      {"workload", workload_names()[static_cast<size_t>(cfg_->workload)]}});
  if (!det) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
      std::fprintf(stderr,
                   "dsim: warning: %s does not speak the dsim extension: best-effort mode, this run is NOT "
                   "reproducible\n",
                   who().c_str());
    }
  }
}

void ServerNode::feed(Context& ctx, const std::string& line) {
  if (deterministic_ && proc_.has_unread_output()) {
    // Output after a dsim_sync and before the next input: the program acts
    // on its own (a thread, a real timer), which a deterministic run cannot
    // place in virtual time.
    std::string extra;
    proc_.read_line(&extra, 0);
    fatal(who() + ": wrote output after its dsim_sync, outside any input (deterministic mode allows output only "
                  "in answer to an input): " +
          clip(extra));
  }
  if (!proc_.write_line(line)) {
    fatal(who() + ": exited (" + proc_.exit_status() + ") instead of reading its input" +
          tail_note(proc_.stderr_tail()));
  }
  collect(ctx, false);
}

void ServerNode::collect(Context& ctx, bool init) {
  bool synced = false, init_ok = false;
  std::string line;
  for (;;) {
    if (init && init_ok && !deterministic_) return;
    if (!init && !deterministic_) {
      // Best effort: whatever the program says until it is quiet.
      const auto r = proc_.read_line(&line, cfg_->quiet_ms);
      if (r == ChildProcess::Read::kTimeout) return;
      if (r == ChildProcess::Read::kEof) {
        fatal(who() + ": exited (" + proc_.exit_status() + ")" + tail_note(proc_.stderr_tail()));
      }
      handle_line(ctx, line, &synced, &init_ok);
      continue;
    }
    if (synced) return;
    const int64_t wait = init && !init_ok ? cfg_->init_timeout_ms : cfg_->reply_timeout_ms;
    const auto r = proc_.read_line(&line, wait);
    if (r == ChildProcess::Read::kTimeout) {
      fatal(who() + (init && !init_ok ? ": no init_ok within " + std::to_string(wait) + "ms (real time) of init"
                                      : ": no dsim_sync within " + std::to_string(wait) +
                                            "ms (real time) of its last input") +
            tail_note(proc_.stderr_tail()));
    }
    if (r == ChildProcess::Read::kEof) {
      fatal(who() + ": exited " + (init && !init_ok ? "before answering init" : "while handling an input") + " (" +
            proc_.exit_status() + ")" + tail_note(proc_.stderr_tail()));
    }
    handle_line(ctx, line, &synced, &init_ok);
  }
}

void ServerNode::handle_line(Context& ctx, const std::string& line, bool* synced, bool* init_ok) {
  const std::string at = who() + ": stdout line " + std::to_string(proc_.lines_read()) + ": ";
  Json j = Json::parse(line, nullptr, false);
  if (j.is_discarded()) fatal(at + "not JSON: " + clip(line));
  if (!j.is_object()) fatal(at + "not a JSON object: " + clip(line));
  const auto src = j.find("src");
  const auto dest = j.find("dest");
  const auto body = j.find("body");
  if (src == j.end() || !src->is_string()) fatal(at + "missing string field \"src\": " + clip(line));
  if (dest == j.end() || !dest->is_string()) fatal(at + "missing string field \"dest\": " + clip(line));
  if (body == j.end() || !body->is_object()) fatal(at + "missing object field \"body\": " + clip(line));
  const auto type = body->find("type");
  if (type == body->end() || !type->is_string()) fatal(at + "body has no string \"type\": " + clip(line));
  if (src->get<std::string>() != self_) {
    fatal(at + "src is " + src->dump() + ", but this node is \"" + self_ + "\": " + clip(line));
  }
  const std::string d = dest->get<std::string>();
  const std::string t = type->get<std::string>();
  if (d == "dsim") {
    if (t == "dsim_sync") {
      if (!deterministic_) fatal(at + "dsim_sync from a program that did not announce the extension in init_ok");
      *synced = true;
      return;
    }
    const auto id = body->find("id");
    if (id == body->end() || !id->is_number_integer()) fatal(at + t + " needs an integer \"id\": " + clip(line));
    const int64_t tid = id->get<int64_t>();
    if (tid < 0 || tid >= (1ll << 59)) fatal(at + "timer id out of range [0, 2^59): " + clip(line));
    if (t == "dsim_set_timer") {
      const auto ms = body->find("delay_ms");
      if (ms == body->end() || !ms->is_number() || ms->get<double>() < 0 || ms->get<double>() > 1e12) {
        fatal(at + "dsim_set_timer needs a number \"delay_ms\" >= 0: " + clip(line));
      }
      const int64_t ns = static_cast<int64_t>(std::llround(ms->get<double>() * 1e6));
      if (auto it = child_timers_.find(tid); it != child_timers_.end()) ctx.cancel_timer(it->second);
      child_timers_[tid] = ctx.set_timer(nanoseconds(ns), kChildTimer | static_cast<uint64_t>(tid));
      return;
    }
    if (t == "dsim_cancel_timer") {
      if (auto it = child_timers_.find(tid); it != child_timers_.end()) {
        ctx.cancel_timer(it->second);
        child_timers_.erase(it);
      }
      return;
    }
    fatal(at + "unknown request to dsim \"" + t + "\": " + clip(line));
  }
  if (!initialized_ && !*init_ok) {
    if (t == "init_ok" && d == "c0") {
      *init_ok = true;
      const auto ext = body->find("dsim");
      deterministic_ = cfg_->mode != Mode::kBestEffort && ext != body->end() && *ext == Json(1);
      if (cfg_->mode == Mode::kDeterministic && !deterministic_) {
        fatal(who() + ": init_ok does not announce the dsim extension (\"dsim\": 1), but the scenario asks for "
                      "mode: deterministic");
      }
      return;
    }
  }
  if (clients_.count(d)) {
    const auto irt = body->find("in_reply_to");
    if (irt == body->end() || !irt->is_number_integer()) {
      fatal(at + "a reply to client " + d + " without an integer in_reply_to: " + clip(line));
    }
    int64_t code = -1;
    std::string status = "ok";
    if (t == "error") {
      const auto c = body->find("code");
      if (c == body->end() || !c->is_number_integer()) fatal(at + "an error without an integer code: " + clip(line));
      code = c->get<int64_t>();
      status = definite_error(code) ? "fail" : "info";
    }
    complete(ctx, d, status, body->dump(), code);
    return;
  }
  const auto to = lookup(d);
  if (!to) fatal(at + "unknown destination \"" + d + "\" (not a node, a service or one of its clients): " + clip(line));
  if (*to == ctx.self()) fatal(at + "a message to itself: " + clip(line));
  Message m;
  m.type = envelope_type(t);
  j.erase("dsim_now");  // the receiver's clock goes there
  m.body = j.dump();
  ctx.send(*to, m);
}

void ServerNode::on_message(Context& ctx, NodeId from, const Message& m) {
  if (from == kExternal) {
    DSIM_ASSERT(m.type == kClientOp);
    const int64_t op = m.f[0] - 1;
    DSIM_ASSERT(op >= 0);
    const Request req = make_request(*cfg_, op, static_cast<uint64_t>(m.f[1]), next_msg_id_++, &kafka_next_);
    client_request(ctx, op, "c" + std::to_string(op + 1), req.f, req.body, false);
    return;
  }
  DSIM_ASSERT(is_envelope(m.type));
  // Re-address nothing: the envelope is what the sender's program wrote.
  std::string line = m.body;
  if (deterministic_) {
    DSIM_ASSERT(!line.empty() && line[0] == '{');
    line.insert(1, "\"dsim_now\":" + std::to_string(ctx.now().ns) + ",");
  }
  feed(ctx, line);
}

void ServerNode::client_request(Context& ctx, int64_t op, const std::string& client, const std::string& f,
                                const std::string& body_json, bool final_read) {
  ctx.emit("m_invoke", {{"op", op},
                        {"client", std::string_view(client)},
                        {"f", std::string_view(f)},
                        {"final", final_read},
                        {"body", std::string_view(body_json)}});
  clients_.insert(client);
  Pending p;
  p.op = op;
  p.f = f;
  p.timeout = ctx.set_timer(cfg_->timeout, kOpTimeout | static_cast<uint64_t>(op));
  pending_[client] = p;
  feed(ctx, envelope(ctx, client, body_json));
}

void ServerNode::complete(Context& ctx, const std::string& client, const std::string& type,
                          const std::string& body_json, int64_t code) {
  auto it = pending_.find(client);
  if (it == pending_.end()) return;  // a late or repeated reply: the client has moved on, as in Maelstrom
  ctx.cancel_timer(it->second.timeout);
  const int64_t op = it->second.op;
  pending_.erase(it);
  note_reply(*cfg_, body_json, &kafka_next_);
  ctx.emit("m_complete", {{"op", op},
                          {"type", std::string_view(type)},
                          {"code", code},
                          {"body", std::string_view(body_json)}});
}

void ServerNode::final_reads(Context& ctx) {
  const auto bodies = final_read_bodies(*cfg_);
  for (size_t j = 0; j < bodies.size(); ++j) {
    const int64_t op = kFinalBase + static_cast<int64_t>(ctx.self().value) * 1000 + static_cast<int64_t>(j);
    std::string body = bodies[j].body;
    // msg_id is this node's: put it in.
    Json b = Json::parse(body);
    b["msg_id"] = next_msg_id_++;
    client_request(ctx, op, "c" + std::to_string(op + 1), bodies[j].f, b.dump(), true);
  }
}

void ServerNode::on_timer(Context& ctx, TimerId, uint64_t tag) {
  const uint64_t kind = tag & kTagMask;
  const int64_t v = static_cast<int64_t>(tag & ~kTagMask);
  if (kind == kChildTimer) {
    child_timers_.erase(v);
    feed(ctx, envelope(ctx, "dsim", Json({{"type", "dsim_timer"}, {"id", v}}).dump()));
    return;
  }
  if (kind == kOpTimeout) {
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->second.op != v) continue;
      ctx.emit("m_complete", {{"op", v},
                              {"type", std::string_view("info")},
                              {"code", int64_t{0}},
                              {"body", std::string_view("{\"type\":\"error\",\"code\":0,\"text\":\"client timeout\"}")}});
      pending_.erase(it);
      return;
    }
    return;
  }
  if (kind == kFinalReads) {
    final_reads(ctx);
    return;
  }
  DSIM_ASSERT(kind == kPoll);
  // Best effort: pick up what the program wrote on its own (its own timers).
  std::string line;
  bool synced = false, init_ok = false;
  while (proc_.read_line(&line, 0) == ChildProcess::Read::kLine) handle_line(ctx, line, &synced, &init_ok);
  ctx.set_timer(milliseconds(50), kPoll);
}

}  // namespace dsim::maelstrom
