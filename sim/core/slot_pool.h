// A pool of fixed-type slots with stable addresses and LIFO reuse.
//
// Slots live in chunks that never move, so a reference to a slot stays
// valid while other slots are allocated (a node may send from inside the
// callback that is reading its message). LIFO reuse keeps the slot just
// freed, still in cache, the next one handed out. Chunks are kept for the
// life of the pool: the steady state allocates nothing.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "dsim/assert.h"

namespace dsim {

template <typename T>
class SlotPool {
 public:
  static constexpr uint32_t kChunkShift = 10;
  static constexpr uint32_t kChunkSize = 1u << kChunkShift;

  T& operator[](uint32_t i) {
    DSIM_ASSERT(i < size_);
    return chunks_[i >> kChunkShift][i & (kChunkSize - 1)];
  }

  const T& operator[](uint32_t i) const {
    DSIM_ASSERT(i < size_);
    return chunks_[i >> kChunkShift][i & (kChunkSize - 1)];
  }

  uint32_t alloc() {
    if (!free_.empty()) {
      const uint32_t s = free_.back();
      free_.pop_back();
      return s;
    }
    if ((size_ & (kChunkSize - 1)) == 0) chunks_.push_back(std::make_unique<T[]>(kChunkSize));
    return size_++;
  }

  void free(uint32_t i) {
    DSIM_ASSERT(i < size_);
    free_.push_back(i);
  }

  uint32_t capacity() const { return size_; }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::vector<uint32_t> free_;
  uint32_t size_ = 0;
};

}  // namespace dsim
