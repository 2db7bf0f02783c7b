// BodyArena: the bodies of messages in flight (sim/core/body_arena.h).
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "dsim/prng.h"
#include "sim/core/body_arena.h"

using namespace dsim;

namespace {
std::string body(Rng& rng, size_t len) {
  std::string s(len, '\0');
  for (char& c : s) c = static_cast<char>(rng.below(256));
  return s;
}
}  // namespace

TEST_CASE("body arena: every body comes back byte for byte, small and large, through random stores and frees") {
  BodyArena arena;
  Rng rng(7);
  std::map<uint32_t, std::string> live;
  std::string out = "left over";
  // Sizes around every boundary: 1 byte, unit edges, the small/large edge.
  const size_t edges[] = {1, 3, 4, 5, 11, 12, 13, 100, 2035, 2043, 2044, 2045, 2052, 5000};
  for (int step = 0; step < 60000; ++step) {
    const uint64_t op = rng.below(10);
    if (op < 5 || live.empty()) {
      const size_t len = rng.below(3) == 0 ? edges[rng.below(std::size(edges))] : 1 + rng.below(2100);
      std::string b = body(rng, len);
      const uint32_t h = arena.store(b);
      REQUIRE(h != 0);
      REQUIRE_MESSAGE(!live.contains(h), "handle " << h << " handed out twice");
      live.emplace(h, std::move(b));
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng.below(live.size())));
      arena.lend(it->first, out);
      REQUIRE(out == it->second);
      arena.take_back(it->first, out);
      if (op < 8) {
        arena.free(it->first);
        live.erase(it);
      }
    }
  }
  for (const auto& [h, b] : live) {
    arena.lend(h, out);
    CHECK(out == b);
    arena.take_back(h, out);
  }
  CHECK(live.size() > 1000);
}

TEST_CASE("body arena: freed blocks are reused, so churn at a steady size does not grow it") {
  BodyArena arena;
  Rng rng(3);
  std::vector<uint32_t> held;
  const std::string b(100, 'x');
  for (int i = 0; i < 5000; ++i) held.push_back(arena.store(b));
  const size_t peak = arena.chunk_bytes();
  // 5,000 100-byte bodies: 104 bytes each (length and rounding) and one
  // partly used chunk.
  CHECK(peak >= 5000 * 104);
  CHECK(peak <= 5000 * 104 + 65536);
  for (int round = 0; round < 50; ++round) {
    for (uint32_t h : held) arena.free(h);
    held.clear();
    for (int i = 0; i < 5000; ++i) held.push_back(arena.store(b));
  }
  CHECK(arena.chunk_bytes() == peak);
}

TEST_CASE("body arena: a large body is lent by swapping, not copied, and goes back to its slot") {
  BodyArena arena;
  const std::string big(BodyArena::kMaxSmall + 1, 'L');
  const uint32_t h = arena.store(big);
  CHECK((h & BodyArena::kLarge) != 0);
  std::string out;
  arena.lend(h, out);
  CHECK(out == big);
  const char* lent = out.data();
  arena.take_back(h, out);
  CHECK(out.empty());
  arena.lend(h, out);
  CHECK(out.data() == lent);  // the same buffer again: no copy either way
  arena.take_back(h, out);
  CHECK(arena.store(std::string(BodyArena::kMaxSmall, 's')) < BodyArena::kLarge);
}
