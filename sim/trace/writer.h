// Streams a run's events as JSON Lines (docs/trace-schema.md).
//
// Memory stays flat: each line is formatted into one reused buffer and
// written through a fixed-size stdio buffer. The SHA-256 of the bytes is
// computed as they go, so the fingerprint costs no second pass.
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
  void write_line();
  std::string_view name_of(NodeId n) const;

  std::vector<std::string> names_;
  std::string line_;
  std::unique_ptr<Sha256> sha_;
  std::unique_ptr<OutputFile> file_;
  std::string hash_hex_;
  uint64_t lines_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace dsim::trace
