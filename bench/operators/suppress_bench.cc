// The cost of suppress(until_window_closes) per event, against the same windowed count
// without it, at 100 k, 1 M and 10 M events: the suppress buffer's cost must stay flat per
// event as the stream grows (it is linear in the records), and the suppressed query must run
// at >= 0.7x the plain one.
//
// Both run through a StreamTask as a StreamThread drives it: stream<string, string> ->
// group_by_key -> windowed_by(1-minute tumbling windows, no grace) -> count -> [suppress] ->
// to_stream -> to, with the window store in RocksDB (RocksDbStoreSupplier, change-logged;
// the suppress buffer is in memory and change-logged whatever the supplier). The collector
// counts what it is given. Keys: 10,000 distinct "user-000042"-style keys in a scattered
// order; timestamps advance 1 ms per record, so a window holds 60,000 records, every key is
// updated ~6 times per window, and the buffer holds up to 10,000 windows. The first window
// closes at event 60,000: 70 k events is the smallest size with 10 k events after a close,
// for comparing with a buffer that does not scale (the RocksDB scan this one replaced).
//
// Each benchmark runs once over its whole stream (a fresh task each time) and reports
// cpu_ns_per_event: the process's CPU time (getrusage, RocksDB's background threads
// included) over the stream divided by its events, which other load on the machine
// disturbs less than wall time.
//
// 70 k, 100 k and 1 M: build/bin/suppress_bench --benchmark_filter='/(70000|100000|1000000)/'
// 10 M (a few minutes): build/bin/suppress_bench --benchmark_filter='/10000000/'
//
// Rate limiting, suppress(until_time_limit): the same stream into a plain (not windowed)
// count per key (RocksDB, change-logged, no record cache), without suppress, with
// until_time_limit(60 s, unbounded) (each key waits 60 s of stream time from its first update, so
// ~6 updates of it coalesce into one output), and with until_time_limit(60 s, max_records(1000)),
// whose full buffer emits its earliest keys early at every record once 1,000 keys wait (a key
// lookup, a buffer write and an early emit per record). The cost of the time limit's buffer is that
// of the key lookup in its index and of the buffered value's prior part: build/bin/suppress_bench
// --benchmark_filter='Count(|TimeLimit|TimeLimitEager)/(100000|1000000)'

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include "bench/operators/operator_bench_support.h"
#include "core/clock.h"
#include "operators/internal/task_context.h"
#include "operators/streams_builder.h"
#include "runtime/deserialization_exception_handler.h"
#include "runtime/store_supplier.h"
#include "runtime/stream_task.h"

namespace runnel {
namespace {

using S = std::string;
using namespace std::chrono_literals;

constexpr std::size_t kKeys = 10'000;

const std::vector<S>& keys() {
  static const std::vector<S> keys = runnel::bench::numbered_keys("user", kKeys);
  return keys;
}
const S& key_at(std::uint64_t i) { return runnel::bench::key_at(keys(), i); }

using runnel::bench::fresh_dir;

double process_cpu_ns() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return (static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e9) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e3;
}

class CountingCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string& topic, NullableBytesView, NullableBytesView, Timestamp,
              const Headers&, std::optional<std::int32_t>) override {
    if (topic == "output") ++results;
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  std::uint64_t results = 0;
};

enum class Query {
  kWindowedCount,
  kWindowedCountSuppressed,
  kCount,
  kCountTimeLimit,
  kCountTimeLimitEager,
};

Topology topology_of(Query query) {
  StreamsBuilder builder;
  auto grouped = builder.stream<S, S>("input").group_by_key();
  if (query == Query::kWindowedCount || query == Query::kWindowedCountSuppressed) {
    auto counts = grouped.windowed_by(TimeWindows::of_size(60s))
                      .count(Materialized<S, std::int64_t>::as("counts"));
    (query == Query::kWindowedCountSuppressed ? counts.suppress(Suppressed::until_window_closes())
                                              : counts)
        .to_stream()
        .to("output");
  } else {
    // No cache: with no commit in the run, a cache holding all 10,000 keys would forward
    // nothing, and suppress would see nothing.
    auto counts =
        grouped.count(Materialized<S, std::int64_t>::as("counts").with_caching_disabled());
    if (query == Query::kCountTimeLimit) {
      counts = counts.suppress(Suppressed::until_time_limit(60s, BufferConfig::unbounded()));
    } else if (query == Query::kCountTimeLimitEager) {
      counts = counts.suppress(Suppressed::until_time_limit(60s, BufferConfig::max_records(1000)));
    }
    counts.to_stream().to("output");
  }
  return builder.build();
}

void run(benchmark::State& state, Query query) {
  const auto events = static_cast<std::uint64_t>(state.range(0));
  Topology topology = topology_of(query);
  for (auto _ : state) {
    const std::filesystem::path dir = fresh_dir();
    RocksDbStoreSupplier supplier(dir, "bench");
    CountingCollector collector;
    ManualClock clock;
    LogAndFailExceptionHandler handler;
    auto task =
        StreamTask::create(topology, TaskId{0, 0},
                           StreamTask::Options{"bench", &collector, &clock, &handler, &supplier});
    if (!task.ok()) {
      state.SkipWithError(task.status().to_string().c_str());
      return;
    }
    const S value = "v";
    const double cpu_before = process_cpu_ns();
    for (std::uint64_t i = 0; i < events; ++i) {
      internal::RawRecordView raw{"input",
                                  0,
                                  static_cast<std::int64_t>(i),
                                  BytesView(std::string_view(key_at(i))),
                                  BytesView(std::string_view(value)),
                                  static_cast<Timestamp>(i),
                                  nullptr};
      Status s = (*task)->process(raw);
      if (!s.ok()) {
        state.SkipWithError(s.to_string().c_str());
        return;
      }
    }
    const double cpu = process_cpu_ns() - cpu_before;
    state.counters["cpu_ns_per_event"] = cpu / static_cast<double>(events);
    state.counters["results"] = static_cast<double>(collector.results);
    state.PauseTiming();
    Status s = (*task)->flush();
    if (!s.ok()) state.SkipWithError(s.to_string().c_str());
    (*task)->close();
    task->reset();
    std::filesystem::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events) * state.iterations());
}

void BM_WindowedCount(benchmark::State& state) { run(state, Query::kWindowedCount); }
void BM_WindowedCountSuppressed(benchmark::State& state) {
  run(state, Query::kWindowedCountSuppressed);
}
void BM_Count(benchmark::State& state) { run(state, Query::kCount); }
void BM_CountTimeLimit(benchmark::State& state) { run(state, Query::kCountTimeLimit); }
void BM_CountTimeLimitEager(benchmark::State& state) { run(state, Query::kCountTimeLimitEager); }

BENCHMARK(BM_WindowedCount)
    ->Arg(70'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WindowedCountSuppressed)
    ->Arg(70'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_Count)->Arg(100'000)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CountTimeLimit)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CountTimeLimitEager)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace runnel

BENCHMARK_MAIN();
