// Where the simulator keeps the bodies of messages in flight.
//
// A body up to kMaxSmall bytes is a block in 64 KiB chunks: a 4-byte length
// and the bytes, rounded up to 8. Blocks of one size (in 8-byte units) are
// recycled through a free list threaded through the free blocks themselves,
// so a body costs its bytes plus at most 11, with no malloc header, no
// std::string object and no per-body allocation in steady state. (A
// std::string per body cost 32 bytes of object and a malloc chunk's header
// and rounding: 44 bytes on a 100-byte body.) A larger body is a pooled
// std::string that keeps its capacity for the next, moved in and out of the
// message being delivered without a copy.
//
// Like a slab allocator, memory freed in one size is reused only for that
// size: the arena holds the peak of each size in flight, never more.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dsim/assert.h"
#include "sim/core/slot_pool.h"

namespace dsim {

class BodyArena {
 public:
  // Handles are never 0 (0 means "no body" to the simulator).
  static constexpr uint32_t kLarge = 0x8000'0000u;  // a pooled string's index | kLarge
  static constexpr size_t kMaxSmall = 2044;         // 256 units: 4-byte length + 2044 bytes

  // Stores a copy of `bytes` (non-empty).
  uint32_t store(const std::string& bytes) {
    DSIM_ASSERT(!bytes.empty());
    if (bytes.size() > kMaxSmall || chunks_.size() >= kMaxChunks) return store_large(bytes);
    const uint32_t units = units_for(bytes.size());
    uint32_t h = free_[units];
    uint64_t* block;
    if (h != 0) {
      block = at(h);
      uint32_t next;
      std::memcpy(&next, block, sizeof next);
      free_[units] = next;
    } else {
      if (top_ + units > kChunkUnits) grow();
      h = (static_cast<uint32_t>(chunks_.size() - 1) << kUnitBits) | top_;
      top_ += units;
      block = at(h);
    }
    const auto len = static_cast<uint32_t>(bytes.size());
    std::memcpy(block, &len, sizeof len);
    std::memcpy(reinterpret_cast<char*>(block) + sizeof len, bytes.data(), bytes.size());
    return h;
  }

  // The body as the node reads it: copied into `out` (whose capacity is
  // reused), or a large body's string swapped with it; take_back() returns
  // a swapped string to its slot after the callback.
  void lend(uint32_t h, std::string& out) {
    if (h & kLarge) {
      out.swap(large_[h & ~kLarge]);
      return;
    }
    const uint64_t* block = at(h);
    uint32_t len;
    std::memcpy(&len, block, sizeof len);
    out.assign(reinterpret_cast<const char*>(block) + sizeof len, len);
  }
  void take_back(uint32_t h, std::string& out) {
    if (h & kLarge) out.swap(large_[h & ~kLarge]);
  }

  // Bytes held in chunks (for tests and memory accounting).
  size_t chunk_bytes() const { return chunks_.size() * kChunkUnits * sizeof(uint64_t); }

  void free(uint32_t h) {
    if (h & kLarge) {
      large_.free(h & ~kLarge);
      return;
    }
    uint64_t* block = at(h);
    uint32_t len;
    std::memcpy(&len, block, sizeof len);
    const uint32_t units = units_for(len);
    std::memcpy(block, &free_[units], sizeof(uint32_t));
    free_[units] = h;
  }

 private:
  static constexpr uint32_t kUnitBits = 13;  // 8-byte units per 64 KiB chunk
  static constexpr uint32_t kChunkUnits = 1u << kUnitBits;
  static constexpr size_t kMaxChunks = size_t{1} << (31 - kUnitBits);  // 16 GiB; past it, large strings
  static uint32_t units_for(size_t len) { return static_cast<uint32_t>((len + sizeof(uint32_t) + 7) / 8); }

  uint64_t* at(uint32_t h) { return chunks_[h >> kUnitBits].get() + (h & (kChunkUnits - 1)); }

  void grow() {
    chunks_.push_back(std::make_unique_for_overwrite<uint64_t[]>(kChunkUnits));
    // Unit 0 of the first chunk is never handed out: handles are never 0.
    top_ = chunks_.size() == 1 ? 1 : 0;
  }

  uint32_t store_large(const std::string& bytes) {
    const uint32_t i = large_.alloc();
    DSIM_ASSERT(i < kLarge);
    large_[i] = bytes;  // into the slot's buffer: no allocation once warm
    return i | kLarge;
  }

  std::vector<std::unique_ptr<uint64_t[]>> chunks_;
  uint32_t top_ = kChunkUnits;  // units used in the last chunk (full: the first store grows)
  uint32_t free_[kMaxSmall / 8 + 2] = {};  // per size in units: the first free block, 0 = none
  SlotPool<std::string> large_;
};

}  // namespace dsim
