// Linearizability checker timings over generated histories (history_gen.h):
// 1k / 10k / 100k operations, 5-50 clients, 1-10 keys, with and without
// 10% info ops and 20% cas, clean and with one planted stale read. Prints a
// table: verdict (must match the truth), wall time, search steps, memo
// entries, and the process's peak RSS so far. Not a test: timings are noisy.
//   dsim_lin_bench [--quick]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "analysis/linearizability.h"
#include "../unit/history_gen.h"

int main(int argc, char** argv) {
  using namespace dsim;
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  std::printf("%8s %7s %4s %5s %4s %6s  %-12s %10s %12s %10s %8s\n", "ops", "clients", "keys", "info", "cas", "truth",
              "verdict", "ms", "steps", "memo", "maxrss");
  int wrong = 0;
  for (uint32_t n : {1000u, 10000u, 100000u}) {
    if (quick && n > 10000) break;
    for (uint32_t clients : {5u, 25u, 50u}) {
      for (uint32_t keys : {1u, 10u}) {
        for (double info : {0.0, 0.1}) {
          for (double cas : {0.0, 0.2}) {
            for (bool violate : {false, true}) {
              testing::GenSpec g;
              g.ops = n;
              g.clients = clients;
              g.keys = keys;
              g.info = info;
              g.cas = cas;
              g.violate = violate;
              g.seed = n + clients * 7 + keys;
              const auto h = testing::generate_history(g);
              const auto t0 = std::chrono::steady_clock::now();
              const auto v = analysis::check_linearizable(h);
              const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
              rusage ru{};
              getrusage(RUSAGE_SELF, &ru);
              const bool right = v.status == (violate ? analysis::Status::kViolated : analysis::Status::kHeld);
              if (!right) ++wrong;
              std::printf("%8u %7u %4u %5.2f %4.2f %6s  %-12s %10.1f %12llu %10llu %6ldMB\n", n, clients, keys, info, cas,
                          violate ? "bad" : "ok", analysis::to_string(v.status), ms,
                          static_cast<unsigned long long>(v.stats.steps),
                          static_cast<unsigned long long>(v.stats.cache_entries), ru.ru_maxrss / 1024);
              std::fflush(stdout);
            }
          }
        }
      }
    }
  }
  std::printf("%d verdicts differ from the truth\n", wrong);
  return wrong == 0 ? 0 : 1;
}
