#include "sim/trace/writer.h"

#include <array>
#include <cstring>
#include <new>
#include <system_error>

#include "dsim/bytes.h"
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

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;

// Whether none of the 8 bytes of `w` needs escaping (a control character,
// '"' or '\\'); bytes >= 0x80 (UTF-8) pass unchanged. Exact: each test is
// true iff some byte is below 0x20 or equals the quote or the backslash.
inline bool plain_word(uint64_t w) {
  const uint64_t ctl = (w - kOnes * 0x20) & ~w & kHighs;
  const uint64_t q = w ^ (kOnes * '"');
  const uint64_t b = w ^ (kOnes * '\\');
  const uint64_t quote = (q - kOnes) & ~q & kHighs;
  const uint64_t slash = (b - kOnes) & ~b & kHighs;
  return (ctl | quote | slash) == 0;
}


// Copies `n` bytes of plain text (no byte needs escaping) and returns true,
// or returns false having written nothing that counts. Strings up to 16
// bytes (keys, kinds, node names, most values) take two overlapping loads
// and stores, never reading outside `src[0, n)`.
[[gnu::always_inline]] inline bool copy_plain(char* p, const char* src, size_t n) {
  if (n >= 8) {
    if (n > 16) {
      size_t i = 0;
      for (; i + 8 <= n; i += 8) {
        const uint64_t w = load_word<uint64_t>(src + i);
        if (!plain_word(w)) return false;
        std::memcpy(p + i, &w, 8);
      }
      const uint64_t last = load_word<uint64_t>(src + n - 8);
      if (!plain_word(last)) return false;
      std::memcpy(p + n - 8, &last, 8);
      return true;
    }
    const uint64_t a = load_word<uint64_t>(src), b = load_word<uint64_t>(src + n - 8);
    if (!plain_word(a) || !plain_word(b)) return false;
    std::memcpy(p, &a, 8);
    std::memcpy(p + n - 8, &b, 8);
    return true;
  }
  if (n >= 4) {
    const uint32_t a = load_word<uint32_t>(src), b = load_word<uint32_t>(src + n - 4);
    if (!plain_word(uint64_t{a} | uint64_t{b} << 32)) return false;
    std::memcpy(p, &a, 4);
    std::memcpy(p + n - 4, &b, 4);
    return true;
  }
  if (n >= 2) {
    const uint16_t a = load_word<uint16_t>(src), b = load_word<uint16_t>(src + n - 2);
    // The two upper bytes are padded with a plain letter.
    if (!plain_word(uint64_t{a} | uint64_t{b} << 16 | (kOnes * 'a') << 32)) return false;
    std::memcpy(p, &a, 2);
    std::memcpy(p + n - 2, &b, 2);
    return true;
  }
  if (n == 1) {
    const auto c = static_cast<unsigned char>(*src);
    if (c < 0x20 || c == '"' || c == '\\') return false;
    *p = *src;
  }
  return true;
}

// A string with something to escape, one byte at a time (after the
// opening quote).
[[gnu::noinline]] char* put_escaped(char* p, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
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

// Byte for byte what append_json_string writes (the golden hashes pin it):
// plain text a word at a time, a string with something to escape one byte
// at a time.
[[gnu::always_inline]] inline char* put_string(char* p, std::string_view s) {
  *p++ = '"';
  if (!copy_plain(p, s.data(), s.size())) [[unlikely]] return put_escaped(p, s);
  p += s.size();
  *p++ = '"';
  return p;
}

// "00" "01" ... "99": two digits at a time.
constexpr auto kPairs = [] {
  std::array<char, 200> a{};
  for (int i = 0; i < 100; ++i) {
    a[2 * i] = static_cast<char>('0' + i / 10);
    a[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return a;
}();

inline char* put_pair(char* p, uint32_t v) {  // v < 100, two digits
  std::memcpy(p, &kPairs[v * 2], 2);
  return p + 2;
}

// 1 or 2 digits.
inline char* put_1or2(char* p, uint32_t v) {
  if (v < 10) {
    *p = static_cast<char>('0' + v);
    return p + 1;
  }
  return put_pair(p, v);
}

// Exactly 4 digits of v < 10^4.
inline char* put4(char* p, uint32_t v) { return put_pair(put_pair(p, v / 100), v % 100); }

// Exactly 8 digits of v < 10^8 (two independent halves).
inline char* put8(char* p, uint32_t v) { return put4(put4(p, v / 10000), v % 10000); }

// v < 10^8 without leading zeros.
inline char* put_upto8(char* p, uint32_t v) {
  if (v < 100) return put_1or2(p, v);
  if (v < 10000) return put_pair(put_1or2(p, v / 100), v % 100);
  if (v < 1000000) return put4(put_1or2(p, v / 10000), v % 10000);
  return put_pair(put4(put_1or2(p, v / 1000000), v / 100 % 10000), v % 100);
}

// 100 and up (times, message ids), and negative values: at most 8 digits at
// a time, the lower parts at fixed widths.
[[gnu::noinline]] char* put_big(char* p, int64_t value) {
  uint64_t v = static_cast<uint64_t>(value);
  if (value < 0) {
    *p++ = '-';
    v = 0 - v;
  }
  constexpr uint64_t k8 = 100000000;
  if (v < k8) return put_upto8(p, static_cast<uint32_t>(v));
  if (v < k8 * k8) return put8(put_upto8(p, static_cast<uint32_t>(v / k8)), static_cast<uint32_t>(v % k8));
  const uint64_t top = v / (k8 * k8);  // at most 4 digits (2^64 < 10^20)
  const uint64_t rest = v % (k8 * k8);
  return put8(put8(put_upto8(p, static_cast<uint32_t>(top)), static_cast<uint32_t>(rest / k8)), static_cast<uint32_t>(rest % k8));
}

// Small values (terms, indexes, counts, flags) are most of a trace's
// integers: one or two digits inline.
[[gnu::always_inline]] inline char* put_int(char* p, int64_t v) {
  if (static_cast<uint64_t>(v) < 10) {
    *p = static_cast<char>('0' + v);
    return p + 1;
  }
  if (static_cast<uint64_t>(v) < 100) {
    std::memcpy(p, &kPairs[static_cast<size_t>(v) * 2], 2);
    return p + 2;
  }
  return put_big(p, v);
}

template <size_t N>
char* put_lit(char* p, const char (&s)[N]) {
  std::memcpy(p, s, N - 1);
  return p + N - 1;
}

std::string node_prefix(std::string_view name) {
  std::string out = ",\"node\":";
  append_json_string(out, name);
  out += ",\"kind\":";
  return out;
}

}  // namespace

JsonlWriter::JsonlWriter(std::vector<std::string> node_names, std::string header_members)
    : global_prefix_(node_prefix("*")), external_prefix_(node_prefix("$ext")), sha_(std::make_unique<Sha256>()) {
  node_prefix_.reserve(node_names.size());
  for (const std::string& n : node_names) node_prefix_.push_back(node_prefix(n));
  ring_.resize(kRing);
  for (Chunk& c : ring_) {
    c.data = std::make_unique<char[]>(kChunkBytes);
    c.cap = kChunkBytes;
  }
  cur_ = &ring_[0];
  last_t_ = 0;
  t_len_ = static_cast<size_t>(put_int(put_lit(t_text_, "{\"t\":"), 0) - t_text_);
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
// leave a half trace behind. The thread stops first, without writing what
// is still queued.
JsonlWriter::~JsonlWriter() { stop_worker(/*abandon=*/true); }

std::string JsonlWriter::open(const std::string& path) {
  DSIM_ASSERT(file_ == nullptr && lines_ == 0);
  file_ = std::make_unique<OutputFile>();
  std::string err = file_->open(path);
  if (!err.empty()) file_.reset();
  return err;
}

void JsonlWriter::consume(const Chunk& c) {
  if (consumed_++ == fail_chunk_) [[unlikely]] throw std::bad_alloc();
  const std::string_view bytes(c.data.get(), c.len);
  sha_->update(bytes);
  if (file_) file_->write(bytes);  // an error sticks; finish() reports it
}

void JsonlWriter::worker_loop() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    while (done_ == submitted_ && !stop_) {
      worker_waiting_ = true;
      work_cv_.wait(lk);
      worker_waiting_ = false;
    }
    if (abandon_ || done_ == submitted_) return;  // stopped (and drained, unless abandoned)
    const Chunk& c = ring_[done_ % kRing];
    const bool failed = worker_error_ != nullptr;
    lk.unlock();
    std::exception_ptr error;
    if (!failed) {
      try {
        consume(c);  // the producer does not touch this chunk until done_ passes it
      } catch (...) {
        error = std::current_exception();
      }
    }
    lk.lock();
    if (error) worker_error_ = error;  // later chunks are only counted: the run is failing
    ++done_;
    if (producer_waiting_) space_cv_.notify_one();
  }
}

void JsonlWriter::submit_chunk() {
  if (cur_->len == 0) return;
  bytes_ += cur_->len;
  if (!worker_.joinable() && threaded_) {
    try {
      worker_ = std::thread([this] { worker_loop(); });
      used_thread_ = true;
    } catch (const std::system_error&) {
      threaded_ = false;  // no thread to be had: the same work, inline
    }
  }
  if (!worker_.joinable()) {
    consume(*cur_);
    cur_->len = 0;
    return;
  }
  std::unique_lock<std::mutex> lk(mu_);
  ++submitted_;
  // Woken for half a ring at a time, not for every chunk: each wake-up is a
  // system call on both sides.
  if (worker_waiting_ && submitted_ - done_ >= kWakeBatch) work_cv_.notify_one();
  while (submitted_ - done_ >= kRing) {
    producer_waiting_ = true;
    space_cv_.wait(lk);
    producer_waiting_ = false;
  }
  const std::exception_ptr error = worker_error_;
  lk.unlock();
  cur_ = &ring_[submitted_ % kRing];
  cur_->len = 0;
  if (error) std::rethrow_exception(error);
}

void JsonlWriter::next_chunk(size_t need) {
  submit_chunk();
  if (need > cur_->cap) {  // one line larger than a chunk (a big message body)
    cur_->data = std::make_unique<char[]>(need);
    cur_->cap = need;
  }
}

void JsonlWriter::stop_worker(bool abandon) {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
    abandon_ = abandon;
    if (worker_waiting_) work_cv_.notify_one();
  }
  worker_.join();
}

void JsonlWriter::write_header() {
  std::memcpy(room(header_.size()), header_.data(), header_.size());
  cur_->len += header_.size();
  ++lines_;
}

void JsonlWriter::event(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) {
  if (lines_ == 0) [[unlikely]] write_header();
  const std::string* prefix;
  if (node.value < node_prefix_.size()) [[likely]] {
    prefix = &node_prefix_[node.value];
  } else if (node == kGlobal) {
    prefix = &global_prefix_;
  } else {
    DSIM_ASSERT(node == kExternal);
    prefix = &external_prefix_;
  }
  size_t bound = 8 + kIntBound + prefix->size() + string_bound(kind.size());
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
  if (t.ns != last_t_) [[unlikely]] {
    // Most lines share the time of the line before (a broadcast, a
    // delivery and what it caused): "{"t":<digits>" is rendered once.
    last_t_ = t.ns;
    t_len_ = static_cast<size_t>(put_int(put_lit(t_text_, "{\"t\":"), t.ns) - t_text_);
  }
  std::memcpy(p, t_text_, 32);  // fixed size: the line's bound is more than 32
  p += t_len_;
  std::memcpy(p, prefix->data(), prefix->size());
  p += prefix->size();
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
  cur_->len += static_cast<size_t>(p - start);
  ++lines_;
}

std::string JsonlWriter::finish() {
  if (lines_ == 0) write_header();  // a run with no events still has its header
  if (worker_.joinable()) {
    submit_chunk();
    stop_worker(/*abandon=*/false);
    if (worker_error_) std::rethrow_exception(worker_error_);  // after the join: no other reader left
  } else if (cur_->len > 0) {
    bytes_ += cur_->len;
    consume(*cur_);  // a trace of less than one chunk: no thread for it
    cur_->len = 0;
  }
  hash_hex_ = sha_->hex_digest();
  if (!file_) return {};
  std::string err = file_->commit();
  file_.reset();
  return err;
}

}  // namespace dsim::trace
