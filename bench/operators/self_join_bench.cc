// The per-record cost of a stream joined with itself (the fraud demo's impossible-travel
// rule), as the two-store join and as the single-store self-join that
// topology.optimization=single.store.self.join (KIP-862) makes of it, through a StreamTask
// with change-logged window stores, in memory and in RocksDB.
//
// Load, the fraud demo's shape: 2,000 keys in turn (each key every 2,000 records), one
// record every 50 ms of event time, so each key has a record every 100 s; JoinWindows of
// 10 minutes either side, no grace: each record finds 6 earlier ones of its key, and the
// joiner runs 6 + 6 + 1 = 13 times per record. 64-byte values. Results are filtered out, as
// the demo filters all but impossible pairs, so the figure is the join's. Stores are flushed
// every 10,000 records (a commit). 24,000 records fill the window before timing.
//
// Counters: changelog_per_record (store writes, each logged once), joined_per_record
// (joiner calls), and CPU time per record in the CPU column (one record per iteration).

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/operators/operator_bench_support.h"
#include "core/clock.h"
#include "core/serdes.h"
#include "operators/internal/task_context.h"
#include "operators/streams_builder.h"
#include "runtime/deserialization_exception_handler.h"
#include "runtime/store_supplier.h"
#include "runtime/stream_task.h"

namespace runnel {
namespace {

using S = std::string;
using namespace std::chrono_literals;

constexpr std::uint64_t kKeys = 2'000;
constexpr Timestamp kGapMs = 50;
constexpr std::uint64_t kWarmUp = 24'000;
constexpr std::uint64_t kFlushEvery = 10'000;

const std::vector<S>& keys() {
  static const std::vector<S> keys = runnel::bench::numbered_keys("card", kKeys);
  return keys;
}
const S& key_at(std::uint64_t i) { return runnel::bench::key_at(keys(), i); }

using runnel::bench::fresh_dir;

class CountingCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string& topic, NullableBytesView, NullableBytesView, Timestamp,
              const Headers&, std::optional<std::int32_t>) override {
    if (topic.ends_with("-changelog")) ++changelog;
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  std::uint64_t changelog = 0;
};

// state.range(0): 1 with topology.optimization=single.store.self.join; state.range(1): 1 for
// RocksDB stores, 0 for in-memory ones.
void BM_SelfJoin(benchmark::State& state) {
  const bool optimize = state.range(0) != 0;
  const bool rocksdb = state.range(1) != 0;
  std::uint64_t joined = 0;
  StreamsBuilder builder;
  KStream<S, S> in = builder.stream<S, S>("transactions");
  in.join(
        in,
        [&joined](const S& a, const S& b) {
          ++joined;
          return static_cast<std::int64_t>(a.size() + b.size());
        },
        JoinWindows::of_time_difference_with_no_grace(10min))
      .filter([](const S&, std::int64_t v) { return v < 0; })
      .to("alerts");
  Topology topology = optimize
                          ? builder.build({{"topology.optimization", "single.store.self.join"}})
                          : builder.build();
  const std::filesystem::path dir = fresh_dir();
  std::unique_ptr<RocksDbStoreSupplier> supplier;
  if (rocksdb) supplier = std::make_unique<RocksDbStoreSupplier>(dir, "bench");
  CountingCollector collector;
  ManualClock clock;
  LogAndFailExceptionHandler handler;
  {
    auto task = StreamTask::create(
        topology, TaskId{0, 0},
        StreamTask::Options{"bench", &collector, &clock, &handler, supplier.get()});
    if (!task.ok()) {
      state.SkipWithError(task.status().to_string().c_str());
      return;
    }
    const S value(64, 'x');
    std::uint64_t i = 0;
    auto process_next = [&]() -> Status {
      internal::RawRecordView raw{"transactions",
                                  0,
                                  static_cast<std::int64_t>(i),
                                  BytesView(std::string_view(key_at(i))),
                                  BytesView(std::string_view(value)),
                                  static_cast<Timestamp>(i) * kGapMs,
                                  nullptr};
      ++i;
      RUNNEL_RETURN_IF_ERROR((*task)->process(raw));
      if (i % kFlushEvery == 0) RUNNEL_RETURN_IF_ERROR((*task)->flush());
      return ok_status();
    };
    while (i < kWarmUp) {
      if (Status s = process_next(); !s.ok()) {
        state.SkipWithError(s.to_string().c_str());
        return;
      }
    }
    joined = 0;
    collector.changelog = 0;
    for (auto _ : state) {
      if (Status s = process_next(); !s.ok()) {
        state.SkipWithError(s.to_string().c_str());
        break;
      }
    }
    const double records = static_cast<double>(state.iterations());
    state.SetItemsProcessed(state.iterations());
    state.counters["changelog_per_record"] = static_cast<double>(collector.changelog) / records;
    state.counters["joined_per_record"] = static_cast<double>(joined) / records;
    state.counters["stores"] = static_cast<double>(topology.stores().size());
    (*task)->close();
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SelfJoin)
    ->ArgNames({"optimized", "rocksdb"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Iterations(200'000);

}  // namespace
}  // namespace runnel

BENCHMARK_MAIN();
