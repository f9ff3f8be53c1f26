// What metrics cost on the hot path, as a ratio of the same work without them.
//
// BM_CountMeteredOffOn: stream<string, string>("input") -> group_by_key -> count (caching
// disabled, so every record is a store get and a put through the metered decorator) -> to,
// through one StreamTask, with metrics.recording.level INFO (arg 0: no metering decorators)
// and DEBUG (arg 1: Runnel's default: every store call counted, one in 16 timed with two
// steady_clock reads).
// The second arg picks the store: 0 in memory (the cheapest store, so the largest relative
// cost), 1 RocksDB. The overhead is time(metered) / time(unmetered) - 1.
//
// BM_CounterInc: one metrics::Counter increment (a relaxed add on a per-thread cell), what the
// broker pays per produce batch and fetch response per counter.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/operators/operator_bench_support.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "operators/internal/task_context.h"
#include "operators/streams_builder.h"
#include "runtime/deserialization_exception_handler.h"
#include "runtime/store_supplier.h"
#include "runtime/stream_task.h"

namespace runnel {
namespace {

using S = std::string;

constexpr std::size_t kKeys = 10'000;

const std::vector<S>& keys() {
  static const std::vector<S> keys = runnel::bench::numbered_keys("user", kKeys);
  return keys;
}

class CountingCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string&, NullableBytesView, NullableBytesView, Timestamp, const Headers&,
              std::optional<std::int32_t>) override {
    ++records;
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  std::uint64_t records = 0;
};

void BM_CountMeteredOffOn(benchmark::State& state) {
  const bool metered = state.range(0) == 1;
  const bool rocksdb = state.range(1) == 1;
  StreamsBuilder builder;
  builder.stream<S, S>("input")
      .group_by_key()
      .count(Materialized<S, std::int64_t>::as("counts").with_caching_disabled())
      .to_stream()
      .to("output");
  Topology topology = builder.build();
  const std::filesystem::path dir = runnel::bench::fresh_dir();
  std::unique_ptr<StoreSupplier> supplier;
  if (rocksdb) {
    supplier = std::make_unique<RocksDbStoreSupplier>(dir, "bench");
  } else {
    supplier = std::make_unique<InMemoryStoreSupplier>();
  }
  CountingCollector collector;
  ManualClock clock;
  LogAndFailExceptionHandler handler;
  {
    StreamTask::Options options{"bench", &collector, &clock, &handler, supplier.get()};
    options.record_store_metrics = metered;
    auto task = StreamTask::create(topology, TaskId{0, 0}, std::move(options));
    if (!task.ok()) {
      state.SkipWithError(task.status().to_string().c_str());
      return;
    }
    const S value = "v";
    std::uint64_t i = 0;
    for (auto _ : state) {
      internal::RawRecordView raw{"input",
                                  0,
                                  static_cast<std::int64_t>(i),
                                  BytesView(std::string_view(runnel::bench::key_at(keys(), i))),
                                  BytesView(std::string_view(value)),
                                  static_cast<Timestamp>(i),
                                  nullptr};
      Status s = (*task)->process(raw);
      if (!s.ok()) {
        state.SkipWithError(s.to_string().c_str());
        break;
      }
      ++i;
    }
    state.SetItemsProcessed(state.iterations());
    (*task)->close();
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CountMeteredOffOn)
    ->ArgNames({"metered", "rocksdb"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Args({1, 1});

void BM_CounterInc(benchmark::State& state) {
  metrics::Counter counter;
  for (auto _ : state) counter.inc();
  benchmark::DoNotOptimize(counter.value());
}
BENCHMARK(BM_CounterInc);

}  // namespace
}  // namespace runnel

BENCHMARK_MAIN();
