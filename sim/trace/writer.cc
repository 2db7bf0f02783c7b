#include "sim/trace/writer.h"

#include <charconv>
#include <cstring>

#include "dsim/assert.h"
#include "dsim/trace_event.h"
#include "sim/trace/json_text.h"
#include "sim/trace/sha256.h"

namespace dsim::trace {
namespace {

constexpr size_t kChunkBytes = size_t{1} << 16;

// The most bytes a JSON string of `n` bytes can take ("\u001f" per byte).
constexpr size_t string_bound(size_t n) { return 2 + 6 * n; }
constexpr size_t kIntBound = 20;  // "-9223372036854775808"

// Byte for byte what append_json_string writes (the golden hashes pin it).
char* put_string(char* p, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != '"' && c != '\\') [[likely]] {
      *p++ = ch;
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"': *p++ = '"'; break;
      case '\\': *p++ = '\\'; break;
      case '\n': *p++ = 'n'; break;
      case '\r': *p++ = 'r'; break;
      case '\t': *p++ = 't'; break;
      default:
        *p++ = 'u';
        *p++ = '0';
        *p++ = '0';
        *p++ = kHex[c >> 4];
        *p++ = kHex[c & 15];
    }
  }
  *p++ = '"';
  return p;
}

char* put_int(char* p, int64_t v) { return std::to_chars(p, p + kIntBound, v).ptr; }

template <size_t N>
char* put_lit(char* p, const char (&s)[N]) {
  std::memcpy(p, s, N - 1);
  return p + N - 1;
}

}  // namespace

JsonlWriter::JsonlWriter(std::vector<std::string> node_names, std::string header_members)
    : names_(std::move(node_names)),
      chunk_(std::make_unique<char[]>(kChunkBytes)),
      chunk_cap_(kChunkBytes),
      sha_(std::make_unique<Sha256>()) {
  header_ = R"({"t":0,"node":"*","kind":"meta","schema":")";
  header_ += kSchema;
  header_ += '"';
  if (!header_members.empty()) {
    header_ += ',';
    header_ += header_members;
  }
  header_ += "}\n";  // written with the first event, once the file is open
}

// Without finish(), file_'s destructor removes the temporary file: never
// leave a half trace behind.
JsonlWriter::~JsonlWriter() = default;

std::string JsonlWriter::open(const std::string& path) {
  DSIM_ASSERT(file_ == nullptr && lines_ == 0);
  file_ = std::make_unique<OutputFile>();
  std::string err = file_->open(path);
  if (!err.empty()) file_.reset();
  return err;
}

std::string_view JsonlWriter::name_of(NodeId n) const {
  if (n == kGlobal) return "*";
  if (n == kExternal) return "$ext";
  DSIM_ASSERT(n.value < names_.size());
  return names_[n.value];
}

void JsonlWriter::flush_chunk() {
  if (chunk_len_ == 0) return;
  const std::string_view bytes(chunk_.get(), chunk_len_);
  sha_->update(bytes);
  bytes_ += chunk_len_;
  if (file_) file_->write(bytes);  // an error sticks; finish() reports it
  chunk_len_ = 0;
}

char* JsonlWriter::room(size_t n) {
  if (chunk_len_ + n > chunk_cap_) {
    flush_chunk();
    if (n > chunk_cap_) {  // one line larger than a chunk (a big message body)
      chunk_cap_ = n;
      chunk_ = std::make_unique<char[]>(chunk_cap_);
    }
  }
  return chunk_.get() + chunk_len_;
}

void JsonlWriter::write_header() {
  std::memcpy(room(header_.size()), header_.data(), header_.size());
  chunk_len_ += header_.size();
  ++lines_;
}

void JsonlWriter::event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) {
  if (lines_ == 0) write_header();
  const std::string_view name = name_of(node);
  size_t bound = 32 + kIntBound + string_bound(name.size()) + string_bound(kind.size());
  for (const Field& f : fields) {
    bound += 2 + string_bound(f.key.size());
    if (const auto* s = std::get_if<std::string_view>(&f.value)) {
      bound += string_bound(s->size());
    } else {
      bound += kIntBound;  // an integer, or true/false
    }
  }
  char* const start = room(bound);
  char* p = start;
  p = put_lit(p, "{\"t\":");
  p = put_int(p, t.ns);
  p = put_lit(p, ",\"node\":");
  p = put_string(p, name);
  p = put_lit(p, ",\"kind\":");
  p = put_string(p, kind);
  for (const Field& f : fields) {
    *p++ = ',';
    p = put_string(p, f.key);
    *p++ = ':';
    if (const auto* i = std::get_if<int64_t>(&f.value)) {
      p = put_int(p, *i);
    } else if (const auto* s = std::get_if<std::string_view>(&f.value)) {
      p = put_string(p, *s);
    } else if (std::get<bool>(f.value)) {
      p = put_lit(p, "true");
    } else {
      p = put_lit(p, "false");
    }
  }
  p = put_lit(p, "}\n");
  DSIM_ASSERT(static_cast<size_t>(p - start) <= bound);
  chunk_len_ += static_cast<size_t>(p - start);
  ++lines_;
}

std::string JsonlWriter::finish() {
  if (lines_ == 0) write_header();  // a run with no events still has its header
  flush_chunk();
  hash_hex_ = sha_->hex_digest();
  if (!file_) return {};
  std::string err = file_->commit();
  file_.reset();
  return err;
}

}  // namespace dsim::trace
