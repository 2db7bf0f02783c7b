// Streams a run's events as JSON Lines (docs/trace-schema.md).
//
// Memory stays flat: lines are formatted straight into one reused chunk
// buffer (no std::string per line); each full chunk is hashed (SHA-256 of
// the bytes, so the fingerprint costs no second pass) and written in one
// call.
//
// Atomicity: with a path, bytes go through an OutputFile (a unique
// temporary file beside `path`, renamed into place by finish(); devices and
// FIFOs written directly). A run that crashes or is interrupted leaves no
// file at `path` that looks whole (the destructor, the signal handler or the
// assertion handler removes the temporary file). Without a path only the
// hash is computed.
#pragma once
#include <cstdio>
#include <memory>
#include <string>
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

  // Opens the output (OutputFile::open). Returns an error message, or empty.
  std::string open(const std::string& path);
  void event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) override;
  // Flushes, closes and renames. Returns an error message, or empty.
  std::string finish();
  // Hex SHA-256 of every byte written (valid after finish()).
  const std::string& sha256_hex() const { return hash_hex_; }
  uint64_t lines() const { return lines_; }
  uint64_t bytes() const { return bytes_; }

 private:
  // Room for `n` more bytes at the end of the chunk (flushing it first
  // when full). Returns where to write.
  char* room(size_t n);
  void flush_chunk();
  void write_header();
  std::string_view name_of(NodeId n) const;

  std::vector<std::string> names_;
  std::string header_;  // the meta line, written before the first event
  std::unique_ptr<char[]> chunk_;
  size_t chunk_cap_ = 0, chunk_len_ = 0;
  std::unique_ptr<Sha256> sha_;
  std::unique_ptr<OutputFile> file_;
  std::string hash_hex_;
  uint64_t lines_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace dsim::trace
