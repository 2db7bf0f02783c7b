// The JSONL trace writer alone: a Raft-like mix of events (sends and
// deliveries with message fields, timers, client requests) formatted and
// hashed without a file, on the caller's thread (arg 0) or with the second
// thread hashing (arg 1). bytes_per_s is formatting throughput; the time
// per iteration is what a run's own thread pays for 100,000 events.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "dsim/event_sink.h"
#include "sim/trace/writer.h"

namespace {

void BM_TraceWriter(benchmark::State& state) {
  const std::vector<std::string> names = {"n1", "n2", "n3", "n4", "n5"};
  constexpr int kEvents = 100'000;
  uint64_t bytes = 0;
  for (auto _ : state) {
    dsim::trace::JsonlWriter w(names, R"("scenario":"bench.yaml")");
    w.set_threaded(state.range(0) != 0);
    for (int i = 0; i < kEvents; ++i) {
      const int64_t t = 160'362'825 + int64_t{i} * 29'977;
      const dsim::NodeId from{static_cast<uint32_t>(i % 5)};
      switch (i % 4) {
        case 0: {
          const dsim::Field f[] = {{"msg", int64_t{i}}, {"to", std::string_view(names[(i + 1) % 5])},
                                   {"type", std::string_view("append_entries")}, {"term", int64_t{3}},
                                   {"prev_index", int64_t{i / 7}}, {"prev_term", int64_t{3}},
                                   {"leader_commit", int64_t{i / 8}}, {"entries", int64_t{1}}, {"round", int64_t{i / 5}}};
          w.event(dsim::Time{t}, from, "send", f);
          break;
        }
        case 1: {
          const dsim::Field f[] = {{"msg", int64_t{i - 1}}, {"from", std::string_view(names[(i + 4) % 5])},
                                   {"type", std::string_view("append_entries")}};
          w.event(dsim::Time{t}, from, "deliver", f);
          break;
        }
        case 2: {
          const dsim::Field f[] = {{"timer", int64_t{i}}, {"tag", int64_t{2}}};
          w.event(dsim::Time{t}, from, "timer", f);
          break;
        }
        default: {
          const dsim::Field f[] = {{"req", int64_t{i}}, {"ok", true}, {"key", std::string_view("k17")}};
          w.event(dsim::Time{t}, from, "client_response", f);
        }
      }
    }
    benchmark::DoNotOptimize(w.finish());
    bytes += w.bytes();
  }
  state.counters["bytes_per_s"] = benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kIsRate);
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kEvents, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TraceWriter)->ArgName("thread")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
