// The job every MapReduce run computes: a word count over input that is
// generated, not stored, so the coordinator, the workers and the checkers
// derive the same records from the same few numbers (a JobShape), and the
// checker can redo the whole computation sequentially from the trace alone.
//
// Record r of job j holds `words_per_record` words, each an integer in
// [0, vocab) drawn from a hash of (input_seed, j, r, k): a pure function, no
// random stream. Map task m reads the records of split m, [lo, hi); word w
// belongs to reduce partition w % reduce_tasks.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dsim::mapreduce {

struct JobShape {
  int64_t job = 0;
  int64_t records = 0;
  int64_t map_tasks = 0;
  int64_t reduce_tasks = 0;
  int64_t words_per_record = 0;
  int64_t vocab = 0;
  int64_t input_seed = 0;
};

// The output of one reduce partition, or of the whole job: how many words
// it counted, and a digest of its (word, count) pairs in word order.
struct PartitionResult {
  int64_t total = 0;
  int64_t digest = 0;
};

// REQUIRES: 0 <= record < s.records, 0 <= k < s.words_per_record.
int64_t word_of(const JobShape& s, int64_t record, int64_t k);
// The records of map task m: [first, second).
std::pair<int64_t, int64_t> split_of(const JobShape& s, int64_t m);
int64_t partition_of(const JobShape& s, int64_t word);

// Word counts as a sorted map, and the result a reducer reports for them.
using Counts = std::map<int64_t, int64_t>;
PartitionResult result_of(const Counts& counts);

// The sequential computation: every reduce partition's result.
std::vector<PartitionResult> sequential(const JobShape& s);

// The wire and storage format of counts: "w c w c ..." (decimal, spaces).
// Adding: parse_counts adds into *out, so appended outputs add up.
std::string encode_counts(const Counts& counts);
void parse_counts(std::string_view text, Counts* out);

}  // namespace dsim::mapreduce
