// RocksDB stores flushed under a DeferredFlushes leave the wait for the disk to a job, one per
// RocksDB instance, that another thread may run later, even after the store is gone.

#include "state/deferred_flushes.h"

#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "state/rocksdb_key_value_store.h"
#include "state/stores.h"
#include "tests/state/store_test_util.h"
#include "tests/state/temp_dir.h"

namespace runnel::state {
namespace deferred_flushes_test {

using testing::b;
using testing::drain;
using testing::Entries;
using testing::TempDir;

std::unique_ptr<RocksDbKeyValueStore> open_store(const TempDir& dir, std::size_t batch_bytes) {
  RocksDbStoreOptions options;
  options.write_batch_bytes = batch_bytes;
  auto opened = RocksDbKeyValueStore::open("kv", dir.path() / "kv", options);
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? std::move(*opened) : nullptr;
}

TEST(DeferredFlushesTest, AStoreFlushedInTheScopeLeavesOneJobThatWritesItToDisk) {
  TempDir dir;
  std::unique_ptr<RocksDbKeyValueStore> store = open_store(dir, 1 << 20);
  ASSERT_TRUE(store->put(b("a"), b("1")).ok());
  std::vector<DeferredFlushes::Job> jobs;
  {
    DeferredFlushes scope;
    EXPECT_EQ(DeferredFlushes::active(), &scope);
    ASSERT_TRUE(store->flush().ok());
    jobs = scope.take();
  }
  EXPECT_EQ(DeferredFlushes::active(), nullptr);
  ASSERT_EQ(jobs.size(), 1u);
  // The batched write went into RocksDB on this thread, at flush().
  Result<std::uint64_t> in_rocksdb = store->approximate_num_entries();
  ASSERT_TRUE(in_rocksdb.ok());
  EXPECT_EQ(*in_rocksdb, 1u);
  Status flushed;
  std::thread other([&] { flushed = jobs[0](); });
  other.join();
  EXPECT_TRUE(flushed.ok()) << flushed;
  EXPECT_EQ(drain(store->all()), (Entries{{"a", "1"}}));
}

TEST(DeferredFlushesTest, AJobRunAfterItsStoreClosedAndWasDestroyedDoesNothing) {
  TempDir dir;
  std::unique_ptr<RocksDbKeyValueStore> store = open_store(dir, 0);
  ASSERT_TRUE(store->put(b("a"), b("1")).ok());
  std::vector<DeferredFlushes::Job> jobs;
  {
    DeferredFlushes scope;
    ASSERT_TRUE(store->flush().ok());
    jobs = scope.take();
  }
  ASSERT_TRUE(store->close().ok());
  store.reset();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_TRUE(jobs[0]().ok());
  // What the close wrote is there.
  store = open_store(dir, 0);
  EXPECT_EQ(drain(store->all()), (Entries{{"a", "1"}}));
}

TEST(DeferredFlushesTest, AWindowStoreLeavesAJobPerSegment) {
  TempDir dir;
  WindowStoreOptions options;
  options.retention_ms = 1000 * 1000;
  options.window_size_ms = 10;
  options.segment_interval_ms = 100 * 1000;
  auto opened = open_rocksdb_window_store("w", dir.path() / "w", options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<WindowStore> store = std::move(*opened);
  for (Timestamp t : {0, 150 * 1000, 250 * 1000}) ASSERT_TRUE(store->put(b("k"), b("v"), t).ok());
  std::vector<DeferredFlushes::Job> jobs;
  {
    DeferredFlushes scope;
    ASSERT_TRUE(store->flush().ok());
    jobs = scope.take();
  }
  EXPECT_GE(jobs.size(), 3u);
  for (DeferredFlushes::Job& job : jobs) EXPECT_TRUE(job().ok());
  EXPECT_TRUE(store->close().ok());
}

TEST(DeferredFlushesTest, WithoutAScopeFlushWaitsForTheDiskItself) {
  TempDir dir;
  std::unique_ptr<RocksDbKeyValueStore> store = open_store(dir, 1 << 20);
  ASSERT_TRUE(store->put(b("a"), b("1")).ok());
  ASSERT_EQ(DeferredFlushes::active(), nullptr);
  ASSERT_TRUE(store->flush().ok());
  Result<std::uint64_t> in_rocksdb = store->approximate_num_entries();
  ASSERT_TRUE(in_rocksdb.ok());
  EXPECT_EQ(*in_rocksdb, 1u);
}

}  // namespace deferred_flushes_test
}  // namespace runnel::state
