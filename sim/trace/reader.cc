#include "sim/trace/reader.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "sim/core/input.h"
#include "sim/trace/json_line.h"
#include "sim/core/printable.h"

namespace dsim::trace {

using Json = nlohmann::ordered_json;

void Reader::fail(size_t column, const std::string& msg) {
  // The message may quote the file's bytes; it is printed on a terminal.
  error_ = path_ + ":" + std::to_string(line_no_) + ":" + std::to_string(column) + ": error: " + printable(msg);
}

std::string Reader::open(const std::string& path) {
  path_ = path;
  if (const std::string why = input_problem(path); !why.empty()) return path + ":1:1: error: " + why;
  in_.open(path == "-" ? "/dev/stdin" : path, std::ios::binary);
  if (!in_) return path + ": error: cannot open trace file: " + errno_text();
  if (!next(&meta_)) {
    if (error_.empty()) error_ = path + ":1:1: error: empty trace (expected a meta header line)";
    return error_;
  }
  if (meta_.kind != "meta") {
    line_no_ = 1;
    fail(1, "first line must be the meta header (kind \"meta\"), found kind \"" + meta_.kind + "\"");
    return error_;
  }
  const auto schema = meta_.get_str("schema");
  if (!schema) {
    fail(1, "meta header has no \"schema\" string");
    return error_;
  }
  if (*schema != kSchema) {
    fail(1, "unsupported trace schema \"" + std::string(*schema) + "\" (this dsim reads \"" + std::string(kSchema) +
                "\"; a newer dsim may read it)");
    return error_;
  }
  return {};
}

Reader::Got Reader::read_line(std::string_view* line) {
  if (buf_.empty()) buf_.resize(size_t{1} << 20);
  for (;;) {
    const char* from = buf_.data() + begin_;
    const size_t have = end_ - begin_;
    if (const void* nl = std::memchr(from, '\n', have)) {
      const size_t len = static_cast<size_t>(static_cast<const char*>(nl) - from);
      if (len > kMaxLineBytes) return Got::kTooLong;
      *line = std::string_view(from, len);
      begin_ += len + 1;
      return Got::kLine;
    }
    if (have > kMaxLineBytes) return Got::kTooLong;
    if (eof_) {
      if (have == 0) return Got::kEnd;
      *line = std::string_view(from, have);
      begin_ = end_;
      return Got::kLine;
    }
    if (begin_ > 0) {  // keep the partial line, make room behind it
      std::memmove(buf_.data(), from, have);
      begin_ = 0;
      end_ = have;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);  // a line longer than the buffer
    const std::streamsize got =
        in_.rdbuf() ? in_.rdbuf()->sgetn(buf_.data() + end_, static_cast<std::streamsize>(buf_.size() - end_)) : 0;
    if (got <= 0) {
      eof_ = true;
    } else {
      end_ += static_cast<size_t>(got);
    }
  }
}

bool Reader::next(Event* out) {
  for (;;) {
    std::string_view line;
    const Got got = read_line(&line);
    if (got == Got::kEnd) break;
    ++line_no_;
    if (got == Got::kTooLong) {
      throw ResourceLimit(path_ + ":" + std::to_string(line_no_) + ":1: a line longer than " +
                          std::to_string(kMaxLineBytes >> 20) + " MiB (is this a trace file?)");
    }
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank lines
    out->seq = line_no_;
    return parse_line(line, out);
  }
  if (in_.bad()) {
    fail(1, "read error: " + errno_text());
  } else if (schema_ && !saw_end_ && error_.empty()) {
    // A run that was killed, or a file cut off: judging what is there
    // would pass a run nobody saw finish.
    ++line_no_;
    fail(1, "incomplete trace (no end event): the run that wrote it did not finish, or the file was cut off");
  }
  return false;
}

namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// A JSON string of plain printable ASCII without escapes, starting after its
// opening quote; `p` ends after the closing quote. False for anything else.
bool scan_plain_string(const char*& p, const char* end, std::string_view* out) {
  const char* begin = p;
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') {
      *out = std::string_view(begin, static_cast<size_t>(p - begin));
      ++p;
      return true;
    }
    if (c == '\\' || c < 0x20 || c >= 0x7f) return false;
  }
  return false;
}

}  // namespace

bool Reader::parse_flat(std::string_view text) {
  flat_.clear();
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end && is_ws(*p)) ++p;
  if (p == end || *p != '{') return false;
  ++p;
  for (;;) {
    while (p < end && is_ws(*p)) ++p;
    if (p == end || *p != '"') return false;  // also an empty object: the general parser says what is missing
    ++p;
    FlatField f{};
    if (!scan_plain_string(p, end, &f.key)) return false;
    while (p < end && is_ws(*p)) ++p;
    if (p == end || *p != ':') return false;
    ++p;
    while (p < end && is_ws(*p)) ++p;
    if (p == end) return false;
    if (*p == '"') {
      ++p;
      f.type = FlatField::kString;
      if (!scan_plain_string(p, end, &f.s)) return false;
    } else if (*p == 't' || *p == 'f') {
      const std::string_view word = *p == 't' ? "true" : "false";
      if (static_cast<size_t>(end - p) < word.size() || std::string_view(p, word.size()) != word) return false;
      p += word.size();
      f.type = FlatField::kBool;
      f.i = word.size() == 4;
    } else {
      // An integer of at most 18 digits (always an int64), no leading zero,
      // no fraction or exponent; anything else is the general parser's.
      const bool neg = *p == '-';
      if (neg) ++p;
      const char* digits = p;
      uint64_t v = 0;  // unsigned: a longer number wraps (defined) and is refused below
      while (p < end && *p >= '0' && *p <= '9') v = v * 10 + static_cast<uint64_t>(*p++ - '0');
      const size_t n = static_cast<size_t>(p - digits);
      if (n == 0 || n > 18 || (n > 1 && *digits == '0')) return false;
      if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return false;
      f.type = FlatField::kInt;
      f.i = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
    }
    for (const FlatField& seen : flat_) {
      if (seen.key == f.key) return false;  // a duplicate key: the general parser's error
    }
    flat_.push_back(f);
    while (p < end && is_ws(*p)) ++p;
    if (p == end) return false;
    if (*p == ',') {
      ++p;
      continue;
    }
    if (*p != '}') return false;
    ++p;
    break;
  }
  while (p < end && is_ws(*p)) ++p;
  return p == end;
}

// The checks the general path makes, on a line the scanner read. Any that
// fails returns false, and the general path then reads the line again and
// writes the error: nothing here changes state before all have passed.
bool Reader::accept_flat(std::string_view text, Event* out) {
  const FlatField *t = nullptr, *node = nullptr, *kind = nullptr;
  for (const FlatField& f : flat_) {
    const std::string_view k = f.key;
    if (k.size() == 1 && k[0] == 't') {
      t = &f;
    } else if (k.size() == 4 && k == "node") {
      node = &f;
    } else if (k.size() == 4 && k == "kind") {
      kind = &f;
    } else if ((k == "index" || k == "from") && f.type == FlatField::kInt && f.i > 0 &&
               static_cast<uint64_t>(f.i) > line_no_) {
      return false;
    }
  }
  if (!t || t->type != FlatField::kInt || t->i < 0 || t->i < last_t_) return false;
  if (!node || node->type != FlatField::kString) return false;
  if (!kind || kind->type != FlatField::kString || kind->s.empty()) return false;
  if (schema_) {
    if (saw_end_ || kind->s == "meta") return false;
    if (const EventSchema* es = schema_->find(kind->s)) {
      for (const FieldSchema& fs : es->fields) {
        const FlatField* got = nullptr;
        for (const FlatField& f : flat_) {
          if (f.key == fs.name) got = &f;
        }
        if (!got) {
          if (fs.required) return false;
          continue;
        }
        const bool ok = fs.type == FieldType::kInt    ? got->type == FlatField::kInt
                        : fs.type == FieldType::kString ? got->type == FlatField::kString
                        : fs.type == FieldType::kBool   ? got->type == FlatField::kBool
                                                        : false;
        if (!ok) return false;
      }
    } else if (schema_->checks_protocol_kinds()) {
      return false;
    }
    if (kind->s == "end") saw_end_ = true;
  }
  last_t_ = t->i;
  out->t = t->i;
  out->node.assign(node->s);
  out->kind.assign(kind->s);
  // Reuse the event's strings: most lines have the same keys as the last.
  size_t n = 0;
  for (const FlatField& f : flat_) {
    if (&f == t || &f == node || &f == kind) continue;
    if (out->fields.size() <= n) out->fields.emplace_back();
    auto& [k, v] = out->fields[n++];
    k.assign(f.key);
    if (f.type == FlatField::kInt) {
      v = f.i;
    } else if (f.type == FlatField::kBool) {
      v = f.i != 0;
    } else if (auto* s = std::get_if<std::string>(&v)) {
      s->assign(f.s);
    } else {
      v.emplace<std::string>(f.s);
    }
  }
  out->fields.resize(n);
  out->meta_json.clear();
  if (out->kind == "meta") out->meta_json.assign(text);
  return true;
}

bool Reader::parse_line(std::string_view text, Event* out) {
  if (fast_path_ && parse_flat(text) && accept_flat(text, out)) return true;
  text_.assign(text);
  return parse_general(text_, out);
}

bool Reader::parse_general(const std::string& text, Event* out) {
  Json j;
  size_t column = 1;
  std::string why;
  if (!parse_json_line(text, &j, &column, &why)) {
    fail(column, why);
    return false;
  }
  if (!j.is_object()) {
    fail(1, "each line must be a JSON object");
    return false;
  }
  const auto t = j.find("t");
  if (t == j.end() || !t->is_number_integer() ||
      (t->is_number_unsigned() && t->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) || t->get<int64_t>() < 0) {
    fail(1, "missing or invalid \"t\" (expected an integer >= 0, virtual time in ns)");
    return false;
  }
  const auto node = j.find("node");
  if (node == j.end() || !node->is_string()) {
    fail(1, "missing or invalid \"node\" (expected a string)");
    return false;
  }
  const auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string() || kind->get<std::string>().empty()) {
    fail(1, "missing or invalid \"kind\" (expected a non-empty string)");
    return false;
  }
  const int64_t tv = t->get<int64_t>();
  if (tv < last_t_) {
    fail(1, "time goes backwards: t=" + std::to_string(tv) + " after t=" + std::to_string(last_t_));
    return false;
  }
  last_t_ = tv;
  out->t = tv;
  out->node = node->get<std::string>();
  out->kind = kind->get<std::string>();
  out->fields.clear();
  out->meta_json.clear();
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "t" || k == "node" || k == "kind") continue;
    const Json& v = it.value();
    // Log indexes count entries, each appended on a line of its own, so an
    // index beyond the line number is corrupt; checkers size logs by it.
    const bool beyond = v.is_number_unsigned() ? v.get<uint64_t>() > line_no_
                        : v.is_number_integer() ? v.get<int64_t>() > 0 && static_cast<uint64_t>(v.get<int64_t>()) > line_no_
                                                : false;
    if ((k == "index" || k == "from") && beyond) {
      fail(1, "\"" + k + "\" is " + v.dump() + ", impossible on line " + std::to_string(line_no_) +
                  " (a log index cannot exceed the number of lines before it)");
      return false;
    }
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      out->fields.emplace_back(k, v.dump());  // beyond int64: kept as text, like other unknown shapes
    } else if (v.is_number_integer()) {
      out->fields.emplace_back(k, v.get<int64_t>());
    } else if (v.is_string()) {
      out->fields.emplace_back(k, v.get<std::string>());
    } else if (v.is_boolean()) {
      out->fields.emplace_back(k, v.get<bool>());
    } else {
      out->fields.emplace_back(k, v.dump());
    }
  }
  if (out->kind == "meta") out->meta_json = text;
  if (schema_ && !validate(j, text, out->kind)) return false;
  return true;
}

namespace {

// The 1-based column of `key`'s value in the line, or of the line's end.
size_t column_of(const std::string& text, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  size_t at = text.find(quoted);
  if (at == std::string::npos) return 1;
  at += quoted.size();
  while (at < text.size() && (text[at] == ' ' || text[at] == ':')) ++at;
  return at + 1;
}

template <typename J>
std::string json_type(const J& v) {
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
}

template <typename J>
bool has_type(const J& v, FieldType t) {
  switch (t) {
    case FieldType::kInt: return v.is_number_integer();
    case FieldType::kString: return v.is_string();
    case FieldType::kBool: return v.is_boolean();
    case FieldType::kArray: return v.is_array();
  }
  return false;
}

std::string article(FieldType t) { return t == FieldType::kInt || t == FieldType::kArray ? "an " : "a "; }

}  // namespace

template <typename J>
bool Reader::validate(const J& j, const std::string& text, const std::string& kind) {
  if (saw_end_) {
    fail(1, "event after the end event (kind \"" + kind + "\"): the end is the last line of a trace");
    return false;
  }
  if (kind == "meta") {
    fail(column_of(text, "kind"), "a second meta header (the header is the first line only)");
    return false;
  }
  if (kind == "end") saw_end_ = true;
  const EventSchema* es = schema_->find(kind);
  if (!es) {
    if (!schema_->checks_protocol_kinds()) return true;  // the protocol does not declare its kinds
    fail(column_of(text, "kind"), "unknown event kind \"" + kind + "\" for protocol " + schema_->protocol() +
                                      " (its kinds: " + schema_->own_kinds() + "; see docs/trace-schema.md)");
    return false;
  }
  for (const FieldSchema& f : es->fields) {
    const auto it = j.find(std::string(f.name));
    if (it == j.end()) {
      if (!f.required) continue;
      fail(text.find_last_of('}') == std::string::npos ? 1 : text.find_last_of('}') + 1,
           "event \"" + kind + "\" has no \"" + std::string(f.name) + "\" (expected " + article(f.type) +
               std::string(to_string(f.type)) + ")");
      return false;
    }
    if (!has_type(*it, f.type)) {
      fail(column_of(text, f.name), "\"" + std::string(f.name) + "\" of event \"" + kind + "\" must be " +
                                        article(f.type) + std::string(to_string(f.type)) + ", found " + json_type(*it) +
                                        " (" + it->dump() + ")");
      return false;
    }
  }
  return true;
}

}  // namespace dsim::trace
