// A sliding-window count emitting each window's final result once, two ways: with
// emit_strategy(EmitStrategy::on_window_close()) (the window store is the buffer, plus a
// cached emit-position store) and with suppress(until_window_closes) after a plain sliding
// count (every update forwarded into the suppress buffer). Both give the same output records.
//
// Both run through a StreamTask as a StreamThread drives it: stream<string, string> ->
// group_by_key -> windowed_by(SlidingWindows, 30 s time difference, no grace) -> [emit on
// close] count -> [suppress] -> to_stream -> to, with the window store in RocksDB
// (RocksDbStoreSupplier, change-logged; the suppress buffer in memory and change-logged), the
// suppressed count's store not cached (with a cache, suppress would see one update per window
// per commit instead; the task here is never committed). Keys: 10,000 distinct
// "user-000042"-style keys in a scattered order; timestamps advance 1 ms per record, so every
// key has a record every 10 s and each record falls in about three windows of its key and
// makes one or two. The collector counts what reaches "output".
//
// Each benchmark runs once over its stream (a fresh task each time) and reports
// cpu_ns_per_event: the process's CPU time (getrusage, RocksDB's background threads
// included) over the stream divided by its events, which other load disturbs less than wall
// time; results, the records sent to the output topic (equal for the two); and
// changelog_per_event, the changelog records sent per event (the task is never committed, so
// caches are never flushed: the emit position's one record per commit is not in it).
//
// build/bin/emit_on_close_bench --benchmark_filter='/300000' (alternate the two by filter
// to compare them under a changing load).

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
    if (topic.ends_with("-changelog")) ++changelog_records;
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  std::uint64_t results = 0;
  std::uint64_t changelog_records = 0;
};

void run(benchmark::State& state, bool on_close) {
  const auto events = static_cast<std::uint64_t>(state.range(0));
  StreamsBuilder builder;
  auto windowed = builder.stream<S, S>("input").group_by_key().windowed_by(
      SlidingWindows::of_time_difference_without_grace(30s));
  if (on_close) {
    windowed.emit_strategy(EmitStrategy::on_window_close())
        .count(Materialized<S, std::int64_t>::as("counts"))
        .to_stream()
        .to("output");
  } else {
    windowed.count(Materialized<S, std::int64_t>::as("counts").with_caching_disabled())
        .suppress(Suppressed::until_window_closes())
        .to_stream()
        .to("output");
  }
  Topology topology = builder.build();
  for (auto _ : state) {
    const std::filesystem::path dir = runnel::bench::fresh_dir();
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
    state.counters["changelog_per_event"] =
        static_cast<double>(collector.changelog_records) / static_cast<double>(events);
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

void BM_SlidingCountSuppressed(benchmark::State& state) { run(state, false); }
void BM_SlidingCountEmitOnClose(benchmark::State& state) { run(state, true); }

BENCHMARK(BM_SlidingCountSuppressed)
    ->Arg(300'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SlidingCountEmitOnClose)
    ->Arg(300'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace runnel

BENCHMARK_MAIN();
