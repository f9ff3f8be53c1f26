// What exactly-once's buffering costs a RocksDB store: RocksDbKeyValueStore buffered (writes in
// its WriteOverlay until UncommittedWrites::commit) against direct (at-least-once), with
// 16-byte keys and 100-byte values drawn from 1 Mi distinct keys in a scattered order.
// Both commit every kCommitEvery writes, as a task would: direct flushes its memtable,
// buffered applies its batch and flushes it. Reads run against 200,000 committed entries on
// disk, with kCommitEvery recent writes uncommitted in the buffered store (what a task reads
// through between two commits) and the same writes in the direct store's memtable.

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "state/rocksdb_key_value_store.h"
#include "state/uncommitted_writes.h"

namespace runnel::state {
namespace {

constexpr std::size_t kKeySpace = 1 << 20;
constexpr std::size_t kPrefilled = 200'000;
constexpr std::size_t kCommitEvery = 10'000;

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
  static const Bytes value = Bytes::from_string(std::string(100, 'v'));
  return value;
}

// A store in a fresh directory, buffered or direct; commit() is what a task's commit does
// to it.
class Store {
 public:
  explicit Store(bool buffered) {
    std::string pattern = (std::filesystem::temp_directory_path() / "runnel-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    RocksDbStoreOptions options;
    if (buffered) options.uncommitted_writes = &uncommitted_;
    auto opened = RocksDbKeyValueStore::open("bench", dir_ / "bench", options);
    if (!opened.ok()) std::abort();
    store_ = std::move(opened).value();
  }
  ~Store() {
    (void)store_->close();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  RocksDbKeyValueStore& store() { return *store_; }
  void commit() {
    Status s = store_->buffered() ? uncommitted_.commit() : store_->flush();
    if (!s.ok()) std::abort();
  }

 private:
  std::filesystem::path dir_;
  UncommittedWrites uncommitted_;
  std::unique_ptr<RocksDbKeyValueStore> store_;
};

template <bool kBuffered>
void BM_Put(benchmark::State& state) {
  Store db(kBuffered);
  std::size_t i = 0;
  for (auto _ : state) {
    Status s = db.store().put(key_at(i), value());
    benchmark::DoNotOptimize(s);
    if (++i % kCommitEvery == 0) db.commit();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Gets of keys present: kPrefilled committed on disk, then kCommitEvery recent writes
// (uncommitted when buffered) of which one get in 20 asks for one.
template <bool kBuffered>
void BM_Get(benchmark::State& state) {
  Store db(kBuffered);
  for (std::size_t i = 0; i < kPrefilled; ++i) (void)db.store().put(key_at(i), value());
  db.commit();
  for (std::size_t i = kPrefilled; i < kPrefilled + kCommitEvery; ++i)
    (void)db.store().put(key_at(i), value());
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i % 20 == 0 ? kPrefilled + i % kCommitEvery : i % kPrefilled;
    auto v = db.store().get(key_at(k));
    benchmark::DoNotOptimize(v);
    ++i;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// Short range scans (about 100 entries of the sorted key space) over the same contents.
template <bool kBuffered>
void BM_Range(benchmark::State& state) {
  Store db(kBuffered);
  for (std::size_t i = 0; i < kPrefilled; ++i) (void)db.store().put(key_at(i), value());
  db.commit();
  for (std::size_t i = kPrefilled; i < kPrefilled + kCommitEvery; ++i)
    (void)db.store().put(key_at(i), value());
  std::size_t i = 0;
  std::int64_t entries = 0;
  for (auto _ : state) {
    const std::size_t first = (i++ * 7919) % (kKeySpace - 512);
    auto it = db.store().range(keys()[first], keys()[first + 512]);
    for (; (*it)->valid(); (*it)->next()) ++entries;
  }
  state.SetItemsProcessed(entries);
}

// Short range scans (10 entries) each followed in key order by 90 deleted keys, whose
// tombstones are committed and flushed (the same store in both modes: nothing is buffered).
// What bounding RocksDB's iterator to the range saves: without a bound, the step past the
// range's last key walks the tombstones to the next live key before the range check stops
// it. Keys here are in sorted order (key i is keys()[i]).
template <bool kBuffered>
void BM_RangeBeforeDeletes(benchmark::State& state) {
  constexpr std::size_t kKeys = 200'000, kStride = 100, kLive = 10;
  Store db(kBuffered);
  for (std::size_t i = 0; i < kKeys; ++i) (void)db.store().put(keys()[i], value());
  db.commit();
  for (std::size_t i = 0; i < kKeys; ++i) {
    if (i % kStride >= kLive) (void)db.store().delete_key(keys()[i]);
  }
  db.commit();
  if (!db.store().flush().ok()) std::abort();
  std::size_t i = 0;
  std::int64_t entries = 0;
  for (auto _ : state) {
    const std::size_t first = (i++ * 7919) % (kKeys / kStride) * kStride;
    auto it = db.store().range(keys()[first], keys()[first + kLive - 1]);
    for (; (*it)->valid(); (*it)->next()) ++entries;
  }
  state.SetItemsProcessed(entries);
}

// Process CPU time, so that RocksDB's background flush and compaction threads count.
BENCHMARK(BM_Put<false>)->Name("BM_DirectPut")->MeasureProcessCPUTime();
BENCHMARK(BM_Put<true>)->Name("BM_BufferedPut")->MeasureProcessCPUTime();
BENCHMARK(BM_Get<false>)->Name("BM_DirectGet")->MeasureProcessCPUTime();
BENCHMARK(BM_Get<true>)->Name("BM_BufferedGet")->MeasureProcessCPUTime();
BENCHMARK(BM_Range<false>)->Name("BM_DirectRange")->MeasureProcessCPUTime();
BENCHMARK(BM_Range<true>)->Name("BM_BufferedRange")->MeasureProcessCPUTime();
BENCHMARK(BM_RangeBeforeDeletes<false>)
    ->Name("BM_DirectRangeBeforeDeletes")
    ->MeasureProcessCPUTime();
BENCHMARK(BM_RangeBeforeDeletes<true>)
    ->Name("BM_BufferedRangeBeforeDeletes")
    ->MeasureProcessCPUTime();

}  // namespace
}  // namespace runnel::state

BENCHMARK_MAIN();
