// Reads a JSON Lines trace back into events, strictly: the first line must
// be the meta header of a schema version this build understands, every line
// must be an object with integer "t" >= 0, string "node" and string "kind",
// and time must never go backwards; a key may appear once per object, and
// a log index ("index", "from") cannot exceed the line number. Lines are
// capped at kMaxLineBytes (ResourceLimit). "-" reads standard input.
// Errors name file:line:col.
//
// Field values that are not integers, strings or booleans (the header's
// arrays, a student's nested objects) are kept as their JSON text, so
// readers ignore what they do not know instead of failing on it.
//
// Speed: most lines are flat objects of short ASCII strings, integers and
// booleans, and a hand-written scanner reads those straight into the Event
// (reusing its strings, without a JSON tree). Any line it does not fully
// understand (escapes, non-ASCII, arrays, numbers that are not plain
// integers, anything invalid or failing a check) goes to the general
// nlohmann parser, which also writes every error message, so the fast path
// changes no result and no message.
#pragma once
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dsim/trace_event.h"
#include "sim/trace/schema.h"

namespace dsim::trace {

class Reader {
 public:
  // Returns an error message, or empty.
  std::string open(const std::string& path);
  // Reads the next event. Returns false at the end of the file or on error;
  // then error() tells which (empty at a clean end).
  bool next(Event* out);
  const std::string& error() const { return error_; }
  // The header (valid after open() succeeded).
  const Event& meta() const { return meta_; }
  // Strict from here on (call after open()): every event is validated
  // against `schema` (an unknown kind when the protocol declares its kinds,
  // a missing key, a key of the wrong type), nothing may follow `end`, and
  // a file without `end` is an error: "incomplete trace (no end event)".
  void validate_with(std::unique_ptr<Schema> schema) { schema_ = std::move(schema); }
  uint64_t line() const { return line_no_; }
  // For tests: read every line with the general parser, to compare the
  // fast path with it (events and errors must be the same).
  void set_fast_path(bool on) { fast_path_ = on; }

 private:
  // One field of a line the fast scanner understood.
  struct FlatField {
    std::string_view key;
    enum Type : uint8_t { kInt, kString, kBool } type;
    int64_t i;  // kInt, kBool (0/1)
    std::string_view s;  // kString
  };
  enum class Got { kLine, kEnd, kTooLong };
  Got read_line(std::string_view* line);
  bool parse_line(std::string_view text, Event* out);
  bool parse_flat(std::string_view text);
  bool accept_flat(std::string_view text, Event* out);
  bool parse_general(const std::string& text, Event* out);
  template <typename J>
  bool validate(const J& j, const std::string& text, const std::string& kind);
  void fail(size_t column, const std::string& msg);

  std::string path_;
  std::ifstream in_;
  std::string text_;  // a line for the general parser
  std::vector<char> buf_;  // read ahead: [begin_, end_) not yet consumed
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::vector<FlatField> flat_;
  std::string error_;
  Event meta_;
  uint64_t line_no_ = 0;
  int64_t last_t_ = 0;
  std::unique_ptr<Schema> schema_;
  bool saw_end_ = false;
  bool fast_path_ = true;
};

}  // namespace dsim::trace
