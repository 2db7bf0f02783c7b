// Tagged integer ids and protocol counters. A NodeId (or a Ballot, a Slot,
// ...) cannot be mixed up with a count or an index of another kind without an
// explicit .value.
#pragma once
#include <cstdint>

namespace dsim {

struct NodeId {
  uint32_t value = 0;
  constexpr auto operator<=>(const NodeId&) const = default;
};

// Inputs from outside the cluster (workload, clients) arrive as messages whose
// sender is this id. It is never a valid index into the node table.
inline constexpr NodeId kExternal{0xFFFF'FFFFu};

// A timer handle: slot index in the low 32 bits, slot generation in the high
// 32 bits, so a stale handle (timer fired or cancelled, slot reused) is
// recognised and ignored.
struct TimerId {
  uint64_t value = 0;
  constexpr auto operator<=>(const TimerId&) const = default;
  constexpr bool valid() const { return value != 0; }
};

// ---- Protocol counters -------------------------------------------------------
// Terms, log indices, ballots and slots are all int64_t on the wire (Message
// fields f[] stay int64_t; a protocol converts at the message boundary with
// T{m.f[i]} and x.value) and in traces and storage. In memory each is its own
// type, so a ballot cannot be compared with a slot, or a term stored as an
// index, without spelling out .value. Construction is explicit (T{v});
// comparison is by value (<=>). Each carries only the arithmetic protocols
// use: next() for the successor, + / - an int64_t offset where an offset is
// natural (indices and slots), and the distance between two of them.

// A Raft term: the election epoch. Only ever compared and advanced.
struct Term {
  int64_t value = 0;
  constexpr auto operator<=>(const Term&) const = default;
  constexpr Term next() const { return {value + 1}; }
};

// A position in a Raft log (1-based there; 0 means "before the first entry").
struct LogIndex {
  int64_t value = 0;
  constexpr auto operator<=>(const LogIndex&) const = default;
  constexpr LogIndex next() const { return {value + 1}; }
  constexpr LogIndex prev() const { return {value - 1}; }
  constexpr LogIndex operator+(int64_t k) const { return {value + k}; }
  constexpr LogIndex operator-(int64_t k) const { return {value - k}; }
  constexpr int64_t operator-(LogIndex o) const { return value - o.value; }
  constexpr LogIndex& operator++() { ++value; return *this; }
};

// A Paxos ballot (proposal number). Ballots are totally ordered and a
// protocol makes them unique per proposer; kNoBallot, below every real
// ballot, stands for "none yet" (nothing promised, nothing accepted) and is
// written as -1 in messages, traces and storage.
struct Ballot {
  int64_t value = 0;
  constexpr auto operator<=>(const Ballot&) const = default;
  constexpr bool valid() const { return value >= 0; }
};
inline constexpr Ballot kNoBallot{-1};

// A Multi-Paxos log slot (0-based): one instance of consensus.
struct Slot {
  int64_t value = 0;
  constexpr auto operator<=>(const Slot&) const = default;
  constexpr Slot next() const { return {value + 1}; }
  constexpr Slot prev() const { return {value - 1}; }
  constexpr Slot operator+(int64_t k) const { return {value + k}; }
  constexpr Slot operator-(int64_t k) const { return {value - k}; }
  constexpr int64_t operator-(Slot o) const { return value - o.value; }
  constexpr Slot& operator++() { ++value; return *this; }
};

}  // namespace dsim
