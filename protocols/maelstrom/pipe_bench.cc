// Throughput of the Maelstrom pipe transport: round trips of one line
// through a child process (write a line, read its answer), the way a
// deterministic-mode node exchanges every input. A benchmark, not a test.
//
//   maelstrom_pipe_bench [N] [-- PROGRAM ARGS...]   (default: 200000 round trips through `cat`)
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "protocols/maelstrom/process.h"

int main(int argc, char** argv) {
  long n = 200000;
  std::vector<std::string> prog = {"cat"};
  int i = 1;
  if (i < argc && std::string(argv[i]) != "--") n = std::atol(argv[i++]);
  if (i < argc && std::string(argv[i]) == "--") {
    prog.assign(argv + i + 1, argv + argc);
    if (prog.empty()) return 2;
  }
  dsim::maelstrom::ChildProcess p;
  if (auto err = p.start(prog, "", 0, false); !err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  const std::string line =
      R"({"src":"n1","dest":"n2","body":{"type":"gossip","messages":[1,2,3,4,5,6,7,8],"msg_id":12345}})";
  std::string got;
  timespec a{}, b{}, ca{}, cb{};
  clock_gettime(CLOCK_MONOTONIC, &a);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
  for (long k = 0; k < n; ++k) {
    if (!p.write_line(line) || p.read_line(&got, 10'000) != dsim::maelstrom::ChildProcess::Read::kLine) {
      std::fprintf(stderr, "the child stopped answering after %ld round trips\n", k);
      return 1;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
  const double s = static_cast<double>(b.tv_sec - a.tv_sec) + static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e9;
  const double cpu = static_cast<double>(cb.tv_sec - ca.tv_sec) + static_cast<double>(cb.tv_nsec - ca.tv_nsec) / 1e9;
  std::printf("%ld round trips of a %zu-byte line through %s: %.3f s wall, %.0f round trips/s; dsim side %.2f us CPU each\n",
              n, line.size(), prog[0].c_str(), s, static_cast<double>(n) / s, cpu * 1e6 / static_cast<double>(n));
  return 0;
}
