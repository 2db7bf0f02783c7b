#include "protocols/mapreduce/wordcount.h"

#include "dsim/assert.h"
#include "dsim/prng.h"
#include "dsim/stored_int.h"

namespace dsim::mapreduce {

int64_t word_of(const JobShape& s, int64_t record, int64_t k) {
  DSIM_ASSERT(record >= 0 && record < s.records);
  DSIM_ASSERT(k >= 0 && k < s.words_per_record);
  uint64_t h = mix64(static_cast<uint64_t>(s.input_seed) ^ 0x6D61707265647563ull);
  h = mix64(h ^ static_cast<uint64_t>(s.job));
  h = mix64(h ^ static_cast<uint64_t>(record));
  h = mix64(h ^ static_cast<uint64_t>(k));
  // Squaring a uniform draw skews the vocabulary (a few common words, many
  // rare ones), as text is: partitions get unequal loads.
  const uint64_t u = h % static_cast<uint64_t>(s.vocab);
  return static_cast<int64_t>(u * u / static_cast<uint64_t>(s.vocab));
}

std::pair<int64_t, int64_t> split_of(const JobShape& s, int64_t m) {
  DSIM_ASSERT(m >= 0 && m < s.map_tasks);
  return {m * s.records / s.map_tasks, (m + 1) * s.records / s.map_tasks};
}

int64_t partition_of(const JobShape& s, int64_t word) {
  DSIM_ASSERT(word >= 0);
  return word % s.reduce_tasks;
}

PartitionResult result_of(const Counts& counts) {
  PartitionResult r;
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (const auto& [w, c] : counts) {
    if (c == 0) continue;
    r.total += c;
    h = mix64(h ^ mix64((static_cast<uint64_t>(w) << 32) ^ static_cast<uint64_t>(c)));
  }
  // Kept below 2^53 so the digest survives any JSON reader as a number.
  r.digest = static_cast<int64_t>(h >> 11);
  return r;
}

std::vector<PartitionResult> sequential(const JobShape& s) {
  std::vector<Counts> parts(static_cast<size_t>(s.reduce_tasks));
  for (int64_t r = 0; r < s.records; ++r) {
    for (int64_t k = 0; k < s.words_per_record; ++k) {
      const int64_t w = word_of(s, r, k);
      ++parts[static_cast<size_t>(partition_of(s, w))][w];
    }
  }
  std::vector<PartitionResult> out;
  out.reserve(parts.size());
  for (const auto& p : parts) out.push_back(result_of(p));
  return out;
}

std::string encode_counts(const Counts& counts) {
  std::string out;
  for (const auto& [w, c] : counts) {
    out += std::to_string(w);
    out += ' ';
    out += std::to_string(c);
    out += ' ';
  }
  return out;
}

void parse_counts(std::string_view text, Counts* out) {
  while (!text.empty()) {
    const int64_t w = take_stored_int(text, ' ');
    const int64_t c = take_stored_int(text, ' ');
    DSIM_ASSERT(w >= 0);
    DSIM_ASSERT(c > 0);
    (*out)[w] += c;
  }
}

}  // namespace dsim::mapreduce
