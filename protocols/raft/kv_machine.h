// Raft's key-value store (the CP store of protocols/kv) as a StateMachine
// on RaftNode's log: client operations from kv::kKvRequest, plain
// "key=value" commands, and the three read paths of Config::reads.
//
// Writes (and reads through the log) are appended as
// "@<client> <id> <op> <body>" by the leader and answered once applied;
// followers forward to the leader they know, and without one reply "fail".
// ReadIndex reads wait for the commit index to be applied and for a
// majority to acknowledge a heartbeat round sent after the read arrived;
// lease reads are answered at once while RaftNode::lease_valid holds.
//
// Planted bug (Config::Bug::kStaleReads): any node answers reads from its
// own state, however far behind (or cut off) it is.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/raft/raft.h"

namespace dsim::raft {

class KvMachine final : public StateMachine {
 public:
  explicit KvMachine(const Config& cfg) : cfg_(cfg) {}

  void on_message(RaftNode& raft, Context& ctx, NodeId from, const Message& m) override;
  // Every entry reaches apply_entry; apply (for '#' commands) is not used.
  void apply(RaftNode&, Context&, LogIndex, std::string_view) override {}
  void apply_entry(RaftNode& raft, Context& ctx, LogIndex index, const Entry& e) override;
  void on_applied(RaftNode& raft, Context& ctx) override;
  void on_round_acked(RaftNode& raft, Context& ctx, int64_t round) override;
  void on_leadership(RaftNode& raft, Context& ctx, bool leader) override;
  std::string_view message_name(uint32_t type) const override;
  std::unique_ptr<StateMachine> clone() const override { return std::make_unique<KvMachine>(*this); }
  // The store and the pending reads (cfg_ is the same in every state).
  void fingerprint(Fingerprint& h) const override { h(kv_, reads_); }
  // It reads lease_valid and round_confirmed only for the read paths that
  // Config::reads names, which RaftNode's fingerprint already follows.
  bool uses_contact() const override { return false; }
  // The store, as "<key length>:<key><value length>:<value>" per key in key
  // order; pending reads are the leader's volatile business, not state.
  bool can_snapshot() const override { return true; }
  void snapshot(std::string& out) const override;
  void restore(RaftNode& raft, Context& ctx, std::string_view data) override;

  const std::map<std::string, std::string>& kv() const { return kv_; }

 private:
  void serve_reads(RaftNode& raft, Context& ctx);
  void apply_kv(RaftNode& raft, Context& ctx, const Entry& e);

  // Where each key's value sits in kv_, by hash: applying a "key=value"
  // command (every entry of the benchmark workloads) finds its key with
  // one hash and one comparison instead of a walk down the tree, whose
  // string comparisons were most of the apply's cost. kv_ stays the
  // store (its key order is what snapshots and fingerprints see); the index
  // is only a shortcut into it and is never iterated. It holds a slot per
  // key of kv_; kv_ never loses keys except in restore(), which empties
  // the index, and keys added elsewhere (kv::apply) show up as a size
  // difference that rebuilds it. A copy starts empty (its pointers would
  // name the other machine's map) and is rebuilt on first use.
  class KeyIndex {
   public:
    KeyIndex() = default;
    KeyIndex(const KeyIndex&) {}
    KeyIndex& operator=(const KeyIndex&) {
      clear();
      return *this;
    }
    size_t size() const { return size_; }
    void clear();
    // The value of `key` (hash `h`), nullptr when absent.
    std::string* find(std::string_view key, uint64_t h) const;
    void insert(uint64_t h, std::pair<const std::string, std::string>& kv);
    void rebuild(std::map<std::string, std::string>& kv);
    static uint64_t hash(std::string_view key);

   private:
    struct Slot {
      uint64_t hash = 0;  // 0: empty
      std::pair<const std::string, std::string>* kv = nullptr;
    };
    std::vector<Slot> slots_;  // a power of two, at most half full
    size_t size_ = 0;
  };

  Config cfg_;
  std::map<std::string, std::string> kv_;
  KeyIndex index_;
  // Reads without the log (leader only).
  struct PendingRead {
    NodeId client;
    int64_t id;
    std::string key;
    LogIndex index;  // answer once applied up to here
    int64_t seq;    // and once a majority acknowledged heartbeat round `seq`

    void fingerprint(Fingerprint& h) const { h(client, id, key, index, seq); }
  };
  std::vector<PendingRead> reads_;
};

}  // namespace dsim::raft
