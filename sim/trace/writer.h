// Streams a run's events as JSON Lines (docs/trace-schema.md).
//
// Memory stays flat: lines are formatted straight into a ring of sixteen
// reused 64 KiB chunks (1 MiB; no std::string per line). Each full chunk is
// hashed (SHA-256 of the bytes, so the fingerprint costs no second pass)
// and written in one call, by a second thread once the first chunk is full: the
// run formats the next chunk while the previous one is hashed and written.
// The chunks are handed over and consumed strictly in order, so the bytes
// and the hash are those of formatting and writing everything on one
// thread (which is what happens for a trace smaller than one chunk, or when
// no thread can be started).
//
// Atomicity: with a path, bytes go through an OutputFile (a unique
// temporary file beside `path`, renamed into place by finish(); devices and
// FIFOs written directly). A run that crashes or is interrupted leaves no
// file at `path` that looks whole (the destructor, the signal handler or the
// assertion handler removes the temporary file). Without a path only the
// hash is computed. A write error sticks in the OutputFile and finish()
// reports it, exactly as without the thread.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dsim/event_sink.h"
#include "sim/core/output_file.h"

namespace dsim::trace {

class Sha256;

class JsonlWriter final : public EventSink {
 public:
  // `node_names[i]` names NodeId{i}. `header_json` is the meta object's
  // extra members, already JSON text without braces (may be empty).
  JsonlWriter(std::vector<std::string> node_names, std::string header_members);
  ~JsonlWriter() override;
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;

  // Opens the output (OutputFile::open). Returns an error message, or empty.
  std::string open(const std::string& path);
  void event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) override;
  // Flushes, closes and renames. Returns an error message, or empty.
  std::string finish();
  // Hex SHA-256 of every byte written (valid after finish()).
  const std::string& sha256_hex() const { return hash_hex_; }
  uint64_t lines() const { return lines_; }
  uint64_t bytes() const { return bytes_; }

  // Tests: whether the hashing and writing thread ran (it starts with the
  // first full chunk), and forbidding it (everything on the caller's thread).
  bool used_thread() const { return used_thread_; }
  void set_threaded(bool on) { threaded_ = on; }
  // Tests: the consumer throws std::bad_alloc on the chunk with this index
  // (0 = the first), as it would when memory runs out under --max-memory.
  void fail_chunk_for_test(uint64_t index) { fail_chunk_ = index; }

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t cap = 0;
    size_t len = 0;
  };
  // Sixteen chunks, the thread woken for eight at a time: fewer wake-ups
  // (each a system call on both sides) than eight and four, same speed.
  static constexpr size_t kRing = 16;
  static constexpr size_t kWakeBatch = kRing / 2;

  // Room for `n` more bytes at the end of the current chunk (handing it
  // over first when full). Returns where to write.
  char* room(size_t n) {
    if (cur_->len + n > cur_->cap) [[unlikely]] next_chunk(n);
    return cur_->data.get() + cur_->len;
  }
  void next_chunk(size_t need);
  // Hands the current chunk (if not empty) to the consumer and takes the
  // next free one.
  void submit_chunk();
  // Hashes and writes one chunk (the consumer's work).
  void consume(const Chunk& c);
  void worker_loop();
  // Stops the thread: after draining every submitted chunk, or (`abandon`)
  // as soon as it can.
  void stop_worker(bool abandon);
  void write_header();

  // Pre-rendered `{"t":` ... is per event; `,"node":"<name>","kind":` per node.
  std::vector<std::string> node_prefix_;
  std::string global_prefix_, external_prefix_;
  std::string header_;  // the meta line, written before the first event
  // The start of the last line, "{"t":<digits>" (at most 25 bytes; the
  // rest is room for put_int's fixed-size stores).
  int64_t last_t_ = 0;
  char t_text_[48] = {};
  size_t t_len_ = 0;
  std::vector<Chunk> ring_;
  Chunk* cur_ = nullptr;  // ring_[submitted_ % kRing], owned by the producer
  std::unique_ptr<Sha256> sha_;
  std::unique_ptr<OutputFile> file_;
  std::string hash_hex_;
  uint64_t lines_ = 0;
  uint64_t bytes_ = 0;
  bool threaded_ = true;
  bool used_thread_ = false;
  uint64_t consumed_ = 0;  // chunks consumed, for fail_chunk_
  uint64_t fail_chunk_ = UINT64_MAX;

  // Producer/consumer hand-over (all under mu_).
  std::mutex mu_;
  std::condition_variable work_cv_, space_cv_;
  uint64_t submitted_ = 0, done_ = 0;
  bool stop_ = false, abandon_ = false;
  bool worker_waiting_ = false, producer_waiting_ = false;
  // What the worker threw (e.g. std::bad_alloc under --max-memory): it
  // stops consuming and the simulation thread rethrows it, so the error
  // takes the same path as one thrown there (never std::terminate).
  std::exception_ptr worker_error_;
  std::thread worker_;
};

}  // namespace dsim::trace
