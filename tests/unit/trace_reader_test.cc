// The trace reader's fast path (a hand-written scanner for flat lines)
// against its general parser (nlohmann): for every line, hand-picked or
// mutated at random, both must give the same events and the same error,
// byte for byte, with and without strict schema checking.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "registry.h"
#include "sim/core/input.h"
#include "sim/trace/reader.h"
#include "sim/trace/schema.h"
#include "test_support.h"

using namespace dsim;

namespace {

const std::string kMeta = R"({"t":0,"node":"*","kind":"meta","schema":"dsim.trace/1","protocol":"raft","nodes":["n1","n2"]})";
const std::string kEnd =
    R"({"t":90,"node":"*","kind":"end","events":1,"sent":0,"delivered":0,"dropped":0,"duplicated":0,"budget_exhausted":false})";

// Everything a reading produced, as text: each event in full, then the error.
std::string read_all_events(const std::string& path, bool fast, bool strict) {
  trace::Reader r;
  r.set_fast_path(fast);
  std::string out = r.open(path);
  if (!out.empty()) return "open: " + out;
  if (strict) r.validate_with(std::make_unique<trace::Schema>("raft", dsim::testing::registry().protocol_events("raft")));
  trace::Event e;
  try {
    while (r.next(&e)) {
      out += std::to_string(e.t) + "|" + e.node + "|" + e.kind + "|" + e.meta_json;
      for (const auto& [k, v] : e.fields) {
        out += "|" + k + "=";
        if (const auto* i = std::get_if<int64_t>(&v)) out += "i" + std::to_string(*i);
        else if (const auto* s = std::get_if<std::string>(&v)) out += "s" + *s;
        else out += std::get<bool>(v) ? "btrue" : "bfalse";
      }
      out += "\n";
    }
  } catch (const ResourceLimit& limit) {
    out += std::string("limit: ") + limit.what();
  }
  return out + "error: " + r.error();
}

// Reads `body` (after the header) both ways, strict and not; both must agree.
// Returns the fast path's lax reading, for checks of what it produced.
std::string same_both_ways(const std::string& body) {
  const std::string path = dsim::testing::temp_path("reader-fast.jsonl");
  std::ofstream(path, std::ios::binary) << kMeta << "\n" << body;
  std::string lax;
  for (const bool strict : {false, true}) {
    const std::string fast = read_all_events(path, true, strict);
    const std::string general = read_all_events(path, false, strict);
    CHECK_MESSAGE(fast == general, "body: " << body << "\nstrict: " << strict);
    if (!strict) lax = fast;
  }
  std::filesystem::remove(path);
  return lax;
}

}  // namespace

TEST_CASE("trace reader: the fast path reads every line as the general parser does, events and errors") {
  const std::vector<std::string> lines = {
      R"({"t":1,"node":"n1","kind":"role","role":"leader","term":1})",
      R"( { "t" : 1 ,	"node":"n1" , "kind":"role","role":"leader","term":1 } )",
      "{\"t\":1,\"node\":\"n1\",\"kind\":\"role\",\"role\":\"leader\",\"term\":1}\r",
      R"({"t":1,"node":"n1","kind":"send","msg":3,"to":"n2","type":"vote","granted":true,"prevote":false})",
      R"({"t":1,"node":"n1","kind":"append","index":1,"term":1,"cmd":"k=1"})",
      R"({"t":1,"node":"n1","kind":"append","index":99,"term":1,"cmd":"k=1"})",  // an index beyond the line
      R"({"t":1,"node":"n1","kind":"append","from":-5,"term":1,"cmd":"k=1"})",
      R"({"t":1,"node":"n1","kind":"x","s":"a\"b"})",                    // an escape
      R"({"t":1,"node":"n1","kind":"x","s":"\u00e9\n"})",
      "{\"t\":1,\"node\":\"n\xc3\xa9\",\"kind\":\"x\"}",                // raw UTF-8
      "{\"t\":1,\"node\":\"n\xc3\",\"kind\":\"x\"}",                     // invalid UTF-8
      "{\"t\":1,\"node\":\"n\x01\",\"kind\":\"x\"}",                     // a control byte
      R"({"t":1,"node":"n1","kind":"x","v":0,"w":-0,"y":-12})",
      R"({"t":1,"node":"n1","kind":"x","v":01})",
      R"({"t":1,"node":"n1","kind":"x","v":1.5})",
      R"({"t":1,"node":"n1","kind":"x","v":1e3})",
      R"({"t":1,"node":"n1","kind":"x","v":-})",
      R"({"t":1,"node":"n1","kind":"x","v":999999999999999999})",
      R"({"t":1,"node":"n1","kind":"x","v":9223372036854775807})",
      R"({"t":1,"node":"n1","kind":"x","v":9223372036854775808})",
      R"({"t":1,"node":"n1","kind":"x","v":-9223372036854775808})",
      R"({"t":1,"node":"n1","kind":"x","v":99999999999999999999999})",
      R"({"t":1,"node":"n1","kind":"x","v":null})",
      R"({"t":1,"node":"n1","kind":"x","v":tru})",
      R"({"t":1,"node":"n1","kind":"x","v":truex})",
      R"({"t":1,"node":"n1","kind":"x","v":[1,2],"w":{"a":1}})",
      R"({"t":1,"node":"n1","kind":"x","v":1,"v":2})",                 // a duplicate key
      R"({"t":1,"node":"n1","kind":"x","t":0})",
      R"({"t":1,"node":"n1","kind":"x"} trailing)",
      R"({"t":1,"node":"n1","kind":"x",})",
      R"({"t":1,"node":"n1","kind":"x")",
      R"({"t":1,"node":"n1","kind":"x" "v":1})",
      R"({})",
      R"([1,2])",
      R"("text")",
      R"({"node":"n1","kind":"x"})",
      R"({"t":-1,"node":"n1","kind":"x"})",
      R"({"t":"1","node":"n1","kind":"x"})",
      R"({"t":1,"node":5,"kind":"x"})",
      R"({"t":1,"node":"n1","kind":""})",
      R"({"t":1,"node":"n1"})",
      R"({"t":1,"node":"n1","kind":"meta","schema":"dsim.trace/1"})",   // a second header
      R"({"t":1,"node":"n1","kind":"role","role":"leader","term":"1"})",  // wrong type (strict)
      R"({"t":1,"node":"n1","kind":"role","role":"leader"})",              // missing key (strict)
      R"({"t":1,"node":"n1","kind":"state"})",                             // unknown kind (strict)
      R"({"t":1,"node":"n1","kind":"client_response","req":1,"ok":false,"reason":"x","extra":[1]})",
      R"({"t":1,"node":"n1","kind":"client_response","req":1,"ok":true})",
      "",
      "   \t",
      "\xef\xbb\xbf{\"t\":1,\"node\":\"n1\",\"kind\":\"x\"}",  // a byte-order mark
  };
  for (const std::string& line : lines) {
    same_both_ways(line + "\n" + kEnd + "\n");
    same_both_ways(line + "\n");  // no end: strict reading says so
  }
  // Time going backwards, events after the end, a last line without a newline.
  same_both_ways(R"({"t":5,"node":"n1","kind":"x"})" "\n" R"({"t":4,"node":"n1","kind":"x"})" "\n");
  same_both_ways(kEnd + "\n" + R"({"t":95,"node":"n1","kind":"x"})" "\n");
  same_both_ways(R"({"t":5,"node":"n1","kind":"x"})" "\n" + kEnd);
  // What the fast path produced, checked directly once.
  const std::string read = same_both_ways(R"({"t":7,"node":"n2","kind":"send","msg":3,"to":"n1","ok":true,"d":-4})" "\n");
  CHECK(read.find("7|n2|send||msg=i3|to=sn1|ok=btrue|d=i-4\n") != std::string::npos);
}

TEST_CASE("trace reader: fast path and general parser agree on randomly mutated traces") {
  const std::string base =
      R"({"t":1,"node":"n1","kind":"role","role":"leader","term":1})" "\n"
      R"({"t":2,"node":"n1","kind":"send","msg":3,"to":"n2","type":"append_entries","term":1,"entries":2})" "\n"
      R"({"t":3,"node":"n2","kind":"append","index":1,"term":1,"cmd":"k=1"})" "\n"
      R"({"t":4,"node":"n2","kind":"client_response","req":1,"ok":false,"reason":"no leader known"})" "\n" +
      kEnd + "\n";
  const std::string alphabet = "{}[]\",:\\ 0123456789-+.eEtrufalsn\xc3\xa9\x01\n";
  uint64_t x = 0x9e3779b97f4a7c15u;  // splitmix64: a fixed, portable sequence
  auto next = [&x] {
    uint64_t z = (x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
  };
  for (int round = 0; round < 400; ++round) {
    std::string body = base;
    const int edits = 1 + static_cast<int>(next() % 3);
    for (int k = 0; k < edits; ++k) {
      const size_t at = next() % body.size();
      const char c = alphabet[next() % alphabet.size()];
      switch (next() % 3) {
        case 0: body[at] = c; break;
        case 1: body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: body.erase(at, 1);
      }
    }
    same_both_ways(body);
  }
}
