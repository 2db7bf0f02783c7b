// Running one worker function on up to `n` threads, the caller's included.
#pragma once

#include <system_error>
#include <thread>
#include <vector>

namespace dsim::cli {

// Runs `worker` on `n` threads at once (the calling thread is one of them)
// and returns when all have returned. Each worker takes jobs from a shared
// counter until none is left, so fewer threads than asked (the system may
// refuse to start more) only make the work slower, never incomplete.
template <class F>
void run_workers(unsigned n, F&& worker) {
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < n; ++i) {
    try {
      pool.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // the ones started, and this thread, do the work
    }
  }
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace dsim::cli
