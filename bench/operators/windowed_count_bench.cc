// A windowed count per key on RocksDB, per record, next to raw RocksDB put and get for the
// same keys. The count runs through a StreamTask as a StreamThread will drive it:
// stream<string, string> -> group_by_key -> windowed_by(1-minute tumbling windows) -> count
// -> to_stream -> to, with the window store made by RocksDbStoreSupplier and change-logged
// (the collector counts what it is given). Each record costs: deserialize, a window store
// fetch (RocksDB get), a put (RocksDB put), a changelog record, and the output record
// serialized with its windowed key. Raw RocksDB: the same options as the store's segments
// (write-ahead log off, bloom filters, 16 MiB block cache), keys as the window store lays
// them out (key | window start | seqnum), 8-byte values.
//
// Keys: 10,000 distinct "user-000042"-style keys in a scattered order; timestamps advance
// 1 ms per record, so a window holds 60,000 records and every key is updated ~6 times per
// window. That count is taken write-through (caching disabled); BM_HoppingCountCachingOffOn
// compares caching off and on for a hopping count whose keys repeat within a commit.

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

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

void BM_WindowedCountOnRocksDbThroughStreamTask(benchmark::State& state) {
  StreamsBuilder builder;
  builder.stream<S, S>("input")
      .group_by_key()
      .windowed_by(TimeWindows::of_size(60s))
      // Write-through, as this figure has always been taken: the cached case is below.
      .count(Materialized<S, std::int64_t>::as("counts").with_caching_disabled())
      .to_stream()
      .to("output");
  Topology topology = builder.build();
  const std::filesystem::path dir = fresh_dir();
  RocksDbStoreSupplier supplier(dir, "bench");
  CountingCollector collector;
  ManualClock clock;
  LogAndFailExceptionHandler handler;
  {
    auto task =
        StreamTask::create(topology, TaskId{0, 0},
                           StreamTask::Options{"bench", &collector, &clock, &handler, &supplier});
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
                                  BytesView(std::string_view(key_at(i))),
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
    state.counters["sent"] = static_cast<double>(collector.records);
    Status s = (*task)->flush();
    if (!s.ok()) state.SkipWithError(s.to_string().c_str());
    (*task)->close();
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WindowedCountOnRocksDbThroughStreamTask);

// Counts changelog records and output records apart.
class TopicCountingCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string& topic, NullableBytesView, NullableBytesView, Timestamp,
              const Headers&, std::optional<std::int32_t>) override {
    if (topic.ends_with("-changelog")) {
      ++changelog;
    } else {
      ++forwarded;
    }
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  std::uint64_t changelog = 0;
  std::uint64_t forwarded = 0;
};

// NEXMark q5's shape: a hopping count (10 s windows every 2 s, so every record updates five
// windows) per key on RocksDB, change-logged, with keys repeating within a commit interval:
// 100 keys, 10 records per ms of event time, a commit (StreamTask::flush) every 10,000
// records, i.e. every key ~100 times per commit. Arg 0: Materialized::with_caching_disabled
// (every window update is a RocksDB put, a changelog record and an output record); arg 1:
// caching on (the default), 10 MiB budget. Counters per input record: forwarded (output
// records), changelog (records, which is also the store writes: every write down is logged).
void BM_HoppingCountCachingOffOn(benchmark::State& state) {
  const bool caching = state.range(0) != 0;
  constexpr std::uint64_t kHotKeys = 100;
  constexpr std::uint64_t kCommitEvery = 10'000;
  StreamsBuilder builder;
  auto materialized = Materialized<S, std::int64_t>::as("counts");
  materialized.caching = caching;
  builder.stream<S, S>("input")
      .group_by_key()
      .windowed_by(TimeWindows::of_size(10s).advance_by(2s))
      .count(materialized)
      .to_stream()
      .to("output");
  Topology topology = builder.build();
  const std::filesystem::path dir = fresh_dir();
  RocksDbStoreSupplier supplier(dir, "bench");
  TopicCountingCollector collector;
  ManualClock clock;
  LogAndFailExceptionHandler handler;
  {
    auto task =
        StreamTask::create(topology, TaskId{0, 0},
                           StreamTask::Options{"bench", &collector, &clock, &handler, &supplier});
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
                                  BytesView(std::string_view(keys()[(i * 7919) % kHotKeys])),
                                  BytesView(std::string_view(value)),
                                  static_cast<Timestamp>(100'000 + i / 10),
                                  nullptr};
      Status s = (*task)->process(raw);
      if (s.ok() && ++i % kCommitEvery == 0) s = (*task)->flush();
      if (!s.ok()) {
        state.SkipWithError(s.to_string().c_str());
        break;
      }
    }
    Status s = (*task)->flush();
    if (!s.ok()) state.SkipWithError(s.to_string().c_str());
    const double inputs = static_cast<double>(state.iterations());
    state.SetItemsProcessed(state.iterations());
    state.counters["forwarded_per_record"] = static_cast<double>(collector.forwarded) / inputs;
    state.counters["changelog_per_record"] = static_cast<double>(collector.changelog) / inputs;
    (*task)->close();
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_HoppingCountCachingOffOn)->Arg(0)->Arg(1);

rocksdb::Slice slice(const Bytes& b) {
  return rocksdb::Slice(reinterpret_cast<const char*>(b.data()), b.size());
}

// RocksDB with the options of the store's segments; keys key | window start | seqnum.
struct RawRocksDb {
  RawRocksDb() : dir(fresh_dir()) {
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(16 << 20);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = 16 << 20;
    options.max_write_buffer_number = 3;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(options, dir.string(), &raw).ok()) std::abort();
    db.reset(raw);
    write_options.disableWAL = true;
  }
  ~RawRocksDb() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
  static Bytes window_key(std::uint64_t i) {
    Bytes key = Bytes::from_string(key_at(i));
    internal::append_big_endian(key, static_cast<std::int64_t>(i) / 60'000 * 60'000);
    const std::uint8_t seqnum[4] = {0, 0, 0, 0};
    key.append(BytesView(seqnum, 4));
    return key;
  }
  std::filesystem::path dir;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write_options;
  rocksdb::ReadOptions read_options;
};

void BM_RawRocksDbPutSameKeys(benchmark::State& state) {
  RawRocksDb raw;
  const std::uint8_t count[8] = {0, 0, 0, 0, 0, 0, 0, 1};
  const rocksdb::Slice value(reinterpret_cast<const char*>(count), 8);
  std::uint64_t i = 0;
  for (auto _ : state) {
    const Bytes key = RawRocksDb::window_key(i++);
    if (!raw.db->Put(raw.write_options, slice(key), value).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawRocksDbPutSameKeys);

void BM_RawRocksDbGetSameKeys(benchmark::State& state) {
  RawRocksDb raw;
  const std::uint8_t count[8] = {0, 0, 0, 0, 0, 0, 0, 1};
  const rocksdb::Slice value(reinterpret_cast<const char*>(count), 8);
  // The keys of the first window, all present.
  for (std::uint64_t i = 0; i < 60'000; ++i) {
    const Bytes key = RawRocksDb::window_key(i);
    if (!raw.db->Put(raw.write_options, slice(key), value).ok()) std::abort();
  }
  std::uint64_t i = 0;
  std::string out;
  for (auto _ : state) {
    const Bytes key = RawRocksDb::window_key(i++ % 60'000);
    if (!raw.db->Get(raw.read_options, slice(key), &out).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawRocksDbGetSameKeys);

}  // namespace
}  // namespace runnel

BENCHMARK_MAIN();
