// What a state store costs per operation next to the RocksDB it wraps: raw RocksDB put/get
// (same options as RocksDbKeyValueStore: write-ahead log off, bloom filters, 16 MiB block
// cache) against RocksDbKeyValueStore and InMemoryKeyValueStore, with 16-byte keys and
// 100-byte values drawn from 1 Mi distinct keys in a scattered order; and a window store put
// as a windowed aggregation does it (stream time advancing, 1-minute windows); and what
// opening a new store costs (a window store opens one per segment, dozens an hour).

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

#include "state/caching_key_value_store.h"
#include "state/in_memory_key_value_store.h"
#include "state/rocksdb_key_value_store.h"
#include "state/stores.h"

namespace runnel::state {
namespace {

constexpr std::size_t kKeySpace = 1 << 20;
constexpr std::size_t kValueSize = 100;
constexpr std::size_t kPrefilled = 200'000;

// 16-byte keys, "key-000000000042".
const std::vector<Bytes>& keys() {
  static const std::vector<Bytes> keys = [] {
    std::vector<Bytes> out;
    out.reserve(kKeySpace);
    char buffer[32];
    for (std::size_t i = 0; i < kKeySpace; ++i) {
      std::snprintf(buffer, sizeof buffer, "key-%012zu", i);
      out.push_back(Bytes::from_string(std::string_view(buffer, 16)));
    }
    return out;
  }();
  return keys;
}

// A scattered walk over the key space (an odd multiplier is a bijection modulo 2^20).
const Bytes& key_at(std::size_t i) { return keys()[(i * 0x9E3779B1u) & (kKeySpace - 1)]; }

const Bytes& value() {
  static const Bytes value = Bytes::from_string(std::string(kValueSize, 'v'));
  return value;
}

std::filesystem::path fresh_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "runnel-bench-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

rocksdb::Slice slice(BytesView b) {
  return rocksdb::Slice(reinterpret_cast<const char*>(b.data()), b.size());
}

// RocksDB opened with the options RocksDbKeyValueStore uses without a memory budget.
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
  std::filesystem::path dir;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write_options;
};

struct StoreOnDisk {
  StoreOnDisk() : dir(fresh_dir()) {
    auto opened = RocksDbKeyValueStore::open("bench", dir / "bench");
    if (!opened.ok()) std::abort();
    store = std::move(opened).value();
  }
  ~StoreOnDisk() {
    (void)store->close();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::unique_ptr<RocksDbKeyValueStore> store;
};

void BM_RawRocksDbPut(benchmark::State& state) {
  RawRocksDb db;
  std::size_t i = 0;
  for (auto _ : state) {
    rocksdb::Status s = db.db->Put(db.write_options, slice(key_at(i++)), slice(value()));
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_RocksDbStorePut(benchmark::State& state) {
  StoreOnDisk db;
  std::size_t i = 0;
  for (auto _ : state) {
    Status s = db.store->put(key_at(i++), value());
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_InMemoryStorePut(benchmark::State& state) {
  InMemoryKeyValueStore store("bench");
  std::size_t i = 0;
  for (auto _ : state) {
    Status s = store.put(key_at(i++), value());
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Gets of keys present, after kPrefilled puts flushed to an SST file (reads go through the
// block cache, as in a long-running task whose memtable holds only recent writes).
void BM_RawRocksDbGet(benchmark::State& state) {
  RawRocksDb db;
  for (std::size_t i = 0; i < kPrefilled; ++i)
    (void)db.db->Put(db.write_options, slice(key_at(i)), slice(value()));
  (void)db.db->Flush(rocksdb::FlushOptions());
  std::size_t i = 0;
  std::string out;
  for (auto _ : state) {
    rocksdb::Status s = db.db->Get(rocksdb::ReadOptions(), slice(key_at(i++ % kPrefilled)), &out);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_RocksDbStoreGet(benchmark::State& state) {
  StoreOnDisk db;
  for (std::size_t i = 0; i < kPrefilled; ++i) (void)db.store->put(key_at(i), value());
  (void)db.store->flush();
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = db.store->get(key_at(i++ % kPrefilled));
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Gets of keys the store does not hold while its writes are still in the memtable: a
// windowed aggregation's reads of windows not yet made (the fraud demo's velocity rule reads
// six windows per transaction, most of them absent). Without a memtable bloom filter each
// such get searches the memtable's skip list.
void BM_RocksDbStoreGetAbsentFromMemtable(benchmark::State& state) {
  StoreOnDisk db;
  for (std::size_t i = 0; i < kPrefilled; ++i) (void)db.store->put(key_at(i), value());
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = db.store->get(key_at(kPrefilled + i++ % kPrefilled));
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_InMemoryStoreGet(benchmark::State& state) {
  InMemoryKeyValueStore store("bench");
  for (std::size_t i = 0; i < kPrefilled; ++i) (void)store.put(key_at(i), value());
  std::size_t i = 0;
  for (auto _ : state) {
    auto v = store.get(key_at(i++ % kPrefilled));
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// A windowed aggregation's write: 1-minute windows, stream time advancing 1 ms per record,
// retention 1 hour (so segments are created and dropped as the run goes on).
template <bool kRocksDb>
void BM_WindowStorePut(benchmark::State& state) {
  std::filesystem::path dir = fresh_dir();
  WindowStoreOptions options{.retention_ms = 3'600'000, .window_size_ms = 60'000};
  auto store = kRocksDb ? open_rocksdb_window_store("bench", dir / "bench", options)
                        : make_in_memory_window_store("bench", options);
  if (!store.ok()) std::abort();
  std::size_t i = 0;
  for (auto _ : state) {
    const Timestamp t = static_cast<Timestamp>(i);
    Status s = (*store)->put(key_at(i), value(), t - t % 60'000);
    ++i;
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  (void)(*store)->close();
  store->reset();
  std::filesystem::remove_all(dir);
}

// CachingKeyValueStore over a RocksDB store with a 10 MiB cache, flushed every 10,000 puts as
// a commit would, over `keys` distinct keys: with few keys most writes coalesce in the cache.
void BM_CachedRocksDbStorePut(benchmark::State& state) {
  const std::filesystem::path dir = fresh_dir();
  auto store = RocksDbKeyValueStore::open("bench", dir / "bench");
  if (!store.ok()) std::abort();
  CachingKeyValueStore cached(std::move(store).value(), 10 << 20);
  const std::size_t distinct = static_cast<std::size_t>(state.range(0));
  std::size_t i = 0;
  for (auto _ : state) {
    Status s = cached.put(keys()[(i * 0x9E3779B1u) % distinct], value());
    benchmark::DoNotOptimize(s);
    if (++i % 10'000 == 0) (void)cached.flush();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  (void)cached.close();
  std::filesystem::remove_all(dir);
}

// A new RocksDbKeyValueStore opened in a fresh directory, one key written, closed: a window
// store's segment from creation to close (the deletion of its files is not timed).
void BM_RocksDbStoreOpenNew(benchmark::State& state) {
  const std::filesystem::path dir = fresh_dir();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::filesystem::path where = dir / std::to_string(i++);
    auto store = RocksDbKeyValueStore::open("bench", where);
    if (!store.ok()) std::abort();
    Status s = (*store)->put(key_at(i), value());
    benchmark::DoNotOptimize(s);
    if (!(*store)->close().ok()) std::abort();
    state.PauseTiming();
    store->reset();
    std::filesystem::remove_all(where);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  std::filesystem::remove_all(dir);
}

// Process CPU time, so that RocksDB's background flush and compaction threads count: on a
// shared machine it is a fairer measure than wall-clock time.
BENCHMARK(BM_RawRocksDbPut)->MeasureProcessCPUTime();
BENCHMARK(BM_RocksDbStorePut)->MeasureProcessCPUTime();
BENCHMARK(BM_InMemoryStorePut)->MeasureProcessCPUTime();
BENCHMARK(BM_CachedRocksDbStorePut)->Arg(1'000)->Arg(1 << 20)->MeasureProcessCPUTime();
BENCHMARK(BM_RawRocksDbGet)->MeasureProcessCPUTime();
BENCHMARK(BM_RocksDbStoreGet)->MeasureProcessCPUTime();
BENCHMARK(BM_InMemoryStoreGet)->MeasureProcessCPUTime();
BENCHMARK(BM_RocksDbStoreGetAbsentFromMemtable)->MeasureProcessCPUTime();
BENCHMARK(BM_WindowStorePut<true>)->Name("BM_RocksDbWindowStorePut")->MeasureProcessCPUTime();
BENCHMARK(BM_WindowStorePut<false>)->Name("BM_InMemoryWindowStorePut")->MeasureProcessCPUTime();
BENCHMARK(BM_RocksDbStoreOpenNew)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace runnel::state

BENCHMARK_MAIN();
