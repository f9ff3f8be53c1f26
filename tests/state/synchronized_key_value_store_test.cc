// SynchronizedKeyValueStore shared by one writer and several readers, as a global table's
// store is by the global state maintainer and the stream threads: every read sees a value
// some write put there, scans are consistent snapshots, and nothing races (this test is
// meant to be run under ThreadSanitizer too).

#include "state/synchronized_key_value_store.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "state/in_memory_key_value_store.h"
#include "state/rocksdb_key_value_store.h"
#include "tests/state/store_test_util.h"
#include "tests/state/temp_dir.h"

namespace runnel::state {
namespace synchronized_key_value_store_test {

using testing::b;
using testing::TempDir;

constexpr int kKeys = 50;
constexpr int kRounds = 40;

// The writer puts round r into every key, as "<r>", rounds ascending; readers check that
// each key's value never goes back and that a scan sees every key once a round is complete.
void one_writer_many_readers(KeyValueStore& store) {
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_TRUE(store.put(b("k" + std::to_string(k)), b("0")).ok());
  }
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      std::vector<int> last(kKeys, 0);
      while (!done.load()) {
        for (int k = 0; k < kKeys; ++k) {
          auto v = store.get(b("k" + std::to_string(k)));
          if (!v.ok() || !v->has_value()) {
            ++failures;
            continue;
          }
          const int round = std::stoi((*v)->to_string());
          if (round < last[k]) ++failures;
          last[k] = round;
        }
        if (t == 0) {  // One reader also scans.
          auto it = store.all();
          if (!it.ok()) {
            ++failures;
            continue;
          }
          int seen = 0;
          for (; (*it)->valid(); (*it)->next()) ++seen;
          if (seen != kKeys) ++failures;
        }
      }
    });
  }
  for (int r = 1; r <= kRounds; ++r) {
    for (int k = 0; k < kKeys; ++k) {
      ASSERT_TRUE(store.put(b("k" + std::to_string(k)), b(std::to_string(r))).ok());
    }
  }
  done.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto last = store.get(b("k0"));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ((*last)->to_string(), std::to_string(kRounds));
}

TEST(SynchronizedKeyValueStoreTest, OneWriterAndConcurrentReadersOverRocksDb) {
  TempDir dir;
  auto rocks = RocksDbKeyValueStore::open("g", dir.path() / "g");
  ASSERT_TRUE(rocks.ok()) << rocks.status();
  SynchronizedKeyValueStore store(std::move(*rocks));
  one_writer_many_readers(store);
  EXPECT_TRUE(store.close().ok());
}

TEST(SynchronizedKeyValueStoreTest, OneWriterAndConcurrentReadersOverAMap) {
  SynchronizedKeyValueStore store(std::make_unique<InMemoryKeyValueStore>("g"));
  one_writer_many_readers(store);
  EXPECT_TRUE(store.close().ok());
}

TEST(SynchronizedKeyValueStoreTest, AScanIsASnapshotThatOutlivesLaterWrites) {
  SynchronizedKeyValueStore store(std::make_unique<InMemoryKeyValueStore>("g"));
  ASSERT_TRUE(store.put(b("a"), b("1")).ok());
  auto it = store.all();
  ASSERT_TRUE(it.ok());
  ASSERT_TRUE(store.put(b("b"), b("2")).ok());
  ASSERT_TRUE(store.delete_key(b("a")).ok());
  ASSERT_TRUE((*it)->valid());
  EXPECT_EQ((*it)->key().as_string_view(), "a");
  (*it)->next();
  EXPECT_FALSE((*it)->valid());
}

}  // namespace synchronized_key_value_store_test
}  // namespace runnel::state
