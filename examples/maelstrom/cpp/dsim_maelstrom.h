// A header-only Maelstrom node library for C++ (nlohmann-json), the same
// shape as Maelstrom's demo libraries and examples/maelstrom/python/
// dsim_maelstrom.py, speaking dsim's deterministic extension when offered
// (docs/maelstrom.md) and plain Maelstrom otherwise.
//
//   dsim_maelstrom::Node node;
//   node.on("echo", [&](const json& msg) {
//     node.reply(msg, {{"type", "echo_ok"}, {"echo", msg["body"]["echo"]}});
//   });
//   return node.run();
//
// Time and randomness must come from node.now_ms() and node.rng() for a run
// to be reproducible. rng() is std::mt19937_64 (fully specified by the
// standard); use its raw output, not <random>'s distributions, whose
// results differ between standard libraries.
#pragma once
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace dsim_maelstrom {

using json = nlohmann::json;

class Node {
 public:
  using Handler = std::function<void(const json& msg)>;

  std::string node_id;
  std::vector<std::string> node_ids;
  bool deterministic = false;

  void on(const std::string& type, Handler h) { handlers_[type] = std::move(h); }
  void on_init(std::function<void()> f) { init_hooks_.push_back(std::move(f)); }

  std::mt19937_64& rng() { return rng_; }
  // Milliseconds: virtual time in deterministic mode, else a monotonic clock.
  double now_ms() const {
    if (deterministic) return static_cast<double>(now_ns_) / 1e6;
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  void log(const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); }

  void send(const std::string& dest, const json& body) {
    out_ += json({{"src", node_id}, {"dest", dest}, {"body", body}}).dump();
    out_ += '\n';
  }
  void reply(const json& req, json body) {
    body["in_reply_to"] = req["body"]["msg_id"];
    send(req["src"].get<std::string>(), body);
  }
  // `cb` gets the reply, or a synthetic error (code 0) after `timeout_ms` (< 0: none).
  void rpc(const std::string& dest, json body, Handler cb, double timeout_ms = -1) {
    const int64_t id = ++next_msg_id_;
    body["msg_id"] = id;
    int64_t timer = -1;
    if (timeout_ms >= 0) {
      timer = after(timeout_ms, [this, id, dest]() {
        auto it = callbacks_.find(id);
        if (it == callbacks_.end()) return;
        Handler h = std::move(it->second.first);
        callbacks_.erase(it);
        h(json({{"src", dest},
                {"dest", node_id},
                {"body", {{"type", "error"}, {"code", 0}, {"text", "rpc timeout"}, {"in_reply_to", id}}}}));
      });
    }
    callbacks_[id] = {std::move(cb), timer};
    send(dest, body);
  }
  // A one-shot timer; returns its id for cancel().
  int64_t after(double ms, std::function<void()> fn) {
    const int64_t id = ++next_timer_;
    timers_[id] = {now_ms() + ms, std::move(fn)};
    if (deterministic) send("dsim", {{"type", "dsim_set_timer"}, {"id", id}, {"delay_ms", ms}});
    return id;
  }
  void cancel(int64_t id) {
    if (timers_.erase(id) && deterministic) send("dsim", {{"type", "dsim_cancel_timer"}, {"id", id}});
  }
  void every(double ms, std::function<void()> fn) {
    auto tick = std::make_shared<std::function<void()>>();
    *tick = [this, ms, fn, tick]() {
      fn();
      after(ms, *tick);
    };
    after(ms, *tick);
  }

  int run() {
    std::string buf;
    char chunk[65536];
    for (;;) {
      if (!deterministic && !timers_.empty()) {
        double next = 1e300;
        for (const auto& [id, t] : timers_) next = std::min(next, t.first);
        const double wait = next - now_ms();
        pollfd p{0, POLLIN, 0};
        if (poll(&p, 1, wait <= 0 ? 0 : static_cast<int>(wait) + 1) == 0) {
          fire_due();
          continue;
        }
      }
      const ssize_t n = read(0, chunk, sizeof chunk);
      if (n <= 0) return 0;
      buf.append(chunk, static_cast<size_t>(n));
      size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        const std::string line = buf.substr(0, nl);
        buf.erase(0, nl + 1);
        if (!line.empty()) input(line);
      }
      if (!deterministic) fire_due();
    }
  }

 private:
  void flush() {
    if (!out_.empty()) {
      std::fwrite(out_.data(), 1, out_.size(), stdout);
      out_.clear();
    }
    std::fflush(stdout);
  }
  void fire_due() {
    bool any = false;
    for (;;) {
      auto due = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second.first <= now_ms() && (due == timers_.end() || it->second.first < due->second.first)) due = it;
      }
      if (due == timers_.end()) break;
      auto fn = std::move(due->second.second);
      timers_.erase(due);
      fn();
      any = true;
    }
    if (any) flush();
  }
  void input(const std::string& line) {
    const json msg = json::parse(line);
    if (msg.contains("dsim_now")) now_ns_ = msg["dsim_now"].get<int64_t>();
    dispatch(msg);
    if (deterministic) send("dsim", {{"type", "dsim_sync"}});
    flush();
  }
  void dispatch(const json& msg) {
    const json& body = msg["body"];
    const std::string type = body.value("type", "");
    if (type == "init") {
      node_id = body["node_id"].get<std::string>();
      node_ids = body["node_ids"].get<std::vector<std::string>>();
      if (body.contains("dsim") && body["dsim"].value("version", 0) == 1) {
        deterministic = true;
        rng_.seed(body["dsim"].value("seed", uint64_t{0}));
      }
      json ok = {{"type", "init_ok"}, {"in_reply_to", body["msg_id"]}};
      if (deterministic) ok["dsim"] = 1;
      // init_ok first: dsim reads the announcement before anything else.
      std::string rest;
      rest.swap(out_);
      send(msg["src"].get<std::string>(), ok);
      for (auto& f : init_hooks_) f();
      out_ += rest;
      return;
    }
    if (type == "dsim_timer") {
      auto it = timers_.find(body["id"].get<int64_t>());
      if (it == timers_.end()) return;
      auto fn = std::move(it->second.second);
      timers_.erase(it);
      fn();
      return;
    }
    if (body.contains("in_reply_to")) {
      auto it = callbacks_.find(body["in_reply_to"].get<int64_t>());
      if (it != callbacks_.end()) {
        Handler h = std::move(it->second.first);
        const int64_t timer = it->second.second;
        callbacks_.erase(it);
        if (timer >= 0) cancel(timer);
        h(msg);
        return;
      }
    }
    auto h = handlers_.find(type);
    if (h == handlers_.end()) {
      if (body.contains("msg_id")) reply(msg, {{"type", "error"}, {"code", 10}, {"text", "no handler for " + type}});
      return;
    }
    h->second(msg);
  }

  std::map<std::string, Handler> handlers_;
  std::vector<std::function<void()>> init_hooks_;
  std::map<int64_t, std::pair<Handler, int64_t>> callbacks_;  // msg_id -> (callback, timer id)
  std::map<int64_t, std::pair<double, std::function<void()>>> timers_;  // id -> (deadline ms, fn)
  int64_t next_msg_id_ = 0, next_timer_ = 0, now_ns_ = 0;
  std::mt19937_64 rng_{0};
  std::string out_;
};

}  // namespace dsim_maelstrom
