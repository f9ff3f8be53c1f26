// The contract of KeyValueStore, checked against every implementation and decorator stack by
// one typed test suite, plus what only RocksDB stores promise (persistence, memory budget).

#include "state/key_value_store.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "state/caching_key_value_store.h"
#include "state/change_logging_key_value_store.h"
#include "state/in_memory_key_value_store.h"
#include "state/metered_key_value_store.h"
#include "state/rocksdb_key_value_store.h"
#include "state/rocksdb_memory_budget.h"
#include "state/synchronized_key_value_store.h"
#include "tests/state/store_test_util.h"
#include "tests/state/temp_dir.h"

namespace runnel::state {
namespace key_value_store_test {

using testing::b;
using testing::drain;
using testing::Entries;
using testing::TempDir;

struct InMemory {
  static std::unique_ptr<KeyValueStore> make(const TempDir&) {
    return std::make_unique<InMemoryKeyValueStore>("kv");
  }
};

struct RocksDb {
  static std::unique_ptr<KeyValueStore> make(const TempDir& dir) {
    auto store = RocksDbKeyValueStore::open("kv", dir.path() / "kv");
    EXPECT_TRUE(store.ok()) << store.status();
    return std::move(store).value();
  }
};

// Decorators must keep the contract too. The cache is small so that the randomised test
// evicts often; the changelog goes nowhere.
class DiscardingCollector final : public ChangelogCollector {
 public:
  Status send(const ChangelogRecord&) override { return Status(); }
};

struct CachedInMemory {
  static std::unique_ptr<KeyValueStore> make(const TempDir&) {
    return std::make_unique<CachingKeyValueStore>(std::make_unique<InMemoryKeyValueStore>("kv"),
                                                  /*max_bytes=*/400);
  }
};

struct MeteredCachedLoggedRocksDb {
  static std::unique_ptr<KeyValueStore> make(const TempDir& dir) {
    static DiscardingCollector collector;
    auto logged = std::make_unique<ChangeLoggingKeyValueStore>(
        RocksDb::make(dir), TopicPartition{"app-kv-changelog", 0}, collector, TimestampSupplier());
    auto cached = std::make_unique<CachingKeyValueStore>(std::move(logged), /*max_bytes=*/1000);
    return std::make_unique<MeteredKeyValueStore>(std::move(cached));
  }
};

// A global table's store: RocksDB behind the thread-safe decorator.
struct SynchronizedRocksDb {
  static std::unique_ptr<KeyValueStore> make(const TempDir& dir) {
    return std::make_unique<SynchronizedKeyValueStore>(RocksDb::make(dir));
  }
};

template <typename Factory>
class KeyValueStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Factory::make(dir_); }
  void TearDown() override {
    if (store_) {
      EXPECT_TRUE(store_->close().ok());
    }
  }

  void put(std::string_view k, std::string_view v) { ASSERT_TRUE(store_->put(b(k), b(v)).ok()); }
  std::optional<std::string> get(std::string_view k) {
    auto value = store_->get(b(k));
    EXPECT_TRUE(value.ok()) << value.status();
    if (!value.ok() || !value->has_value()) return std::nullopt;
    return (*value)->to_string();
  }

  TempDir dir_;
  std::unique_ptr<KeyValueStore> store_;
};

using Implementations = ::testing::Types<InMemory, RocksDb, CachedInMemory,
                                         MeteredCachedLoggedRocksDb, SynchronizedRocksDb>;
TYPED_TEST_SUITE(KeyValueStoreTest, Implementations);

TYPED_TEST(KeyValueStoreTest, GetOfAbsentKeyIsNullopt) {
  EXPECT_EQ(this->get("missing"), std::nullopt);
  EXPECT_EQ(this->store_->name(), "kv");
}

TYPED_TEST(KeyValueStoreTest, PutReplacesAndEmptyValueIsNotAbsent) {
  this->put("k", "v1");
  this->put("k", "v2");
  EXPECT_EQ(this->get("k"), "v2");
  this->put("empty", "");
  EXPECT_EQ(this->get("empty"), "");
}

TYPED_TEST(KeyValueStoreTest, DeleteReturnsTheOldValue) {
  this->put("k", "v");
  auto old = this->store_->delete_key(b("k"));
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(*old, b("v"));
  EXPECT_EQ(this->get("k"), std::nullopt);
  auto again = this->store_->delete_key(b("k"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, std::nullopt);
}

TYPED_TEST(KeyValueStoreTest, PutIfAbsentWritesOnlyWhenAbsent) {
  auto first = this->store_->put_if_absent(b("k"), b("v1"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, std::nullopt);
  auto second = this->store_->put_if_absent(b("k"), b("v2"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, b("v1"));
  EXPECT_EQ(this->get("k"), "v1");
}

TYPED_TEST(KeyValueStoreTest, PutAllAppliesInOrderSoTheLastWriteWins) {
  std::vector<KeyValue> entries = {{b("a"), b("1")}, {b("b"), b("2")}, {b("a"), b("3")}};
  ASSERT_TRUE(this->store_->put_all(entries).ok());
  EXPECT_EQ(this->get("a"), "3");
  EXPECT_EQ(this->get("b"), "2");
}

TYPED_TEST(KeyValueStoreTest, RangeIsInclusiveAndOrderedByUnsignedBytes) {
  for (std::string k : {"a", "ab", "b", "ba", "c"}) this->put(k, "v" + k);
  this->put(std::string("a\0", 2), "nul");
  this->put("\xff", "ff");
  EXPECT_EQ(drain(this->store_->range(b("a"), b("b"))),
            (Entries{{"a", "va"}, {std::string("a\0", 2), "nul"}, {"ab", "vab"}, {"b", "vb"}}));
  EXPECT_EQ(drain(this->store_->range(b("bb"), b("\xff"))), (Entries{{"c", "vc"}, {"\xff", "ff"}}));
  EXPECT_EQ(drain(this->store_->reverse_range(b("ab"), b("ba"))),
            (Entries{{"ba", "vba"}, {"b", "vb"}, {"ab", "vab"}}));
  EXPECT_TRUE(drain(this->store_->range(b("c"), b("a"))).empty());
  EXPECT_TRUE(drain(this->store_->reverse_range(b("c"), b("a"))).empty());
  EXPECT_EQ(drain(this->store_->all()).size(), 7u);
}

TYPED_TEST(KeyValueStoreTest, PrefixScanReturnsExactlyTheKeysWithThePrefix) {
  for (std::string k : {"user:1", "user:2", "user", "users", "usex", "\xff\xff", "\xff\xff\x01"})
    this->put(k, "v");
  EXPECT_EQ(drain(this->store_->prefix_scan(b("user:"))),
            (Entries{{"user:1", "v"}, {"user:2", "v"}}));
  EXPECT_EQ(drain(this->store_->prefix_scan(b("\xff\xff"))),
            (Entries{{"\xff\xff", "v"}, {"\xff\xff\x01", "v"}}));
  EXPECT_EQ(drain(this->store_->prefix_scan(BytesView())).size(), 7u);
  EXPECT_TRUE(drain(this->store_->prefix_scan(b("zzz"))).empty());
}

TYPED_TEST(KeyValueStoreTest, IteratorSeesASnapshotDespiteLaterWritesByTheSameThread) {
  for (std::string k : {"a", "b", "c", "d"}) this->put(k, "old");
  auto it = this->store_->range(b("a"), b("z"));
  ASSERT_TRUE(it.ok());
  ASSERT_TRUE((*it)->valid());
  EXPECT_EQ((*it)->key(), b("a"));
  // Rewrite, delete and insert in the range while scanning it.
  this->put("b", "new");
  ASSERT_TRUE(this->store_->delete_key(b("c")).ok());
  this->put("bb", "inserted");
  (*it)->next();
  EXPECT_EQ(drain(**it), (Entries{{"b", "old"}, {"c", "old"}, {"d", "old"}}));
  EXPECT_EQ(drain(this->store_->range(b("a"), b("z"))),
            (Entries{{"a", "old"}, {"b", "new"}, {"bb", "inserted"}, {"d", "old"}}));
}

TYPED_TEST(KeyValueStoreTest, ApproximateNumEntriesCountsDistinctKeys) {
  this->put("a", "1");
  this->put("b", "2");
  this->put("c", "3");
  ASSERT_TRUE(this->store_->flush().ok());
  auto count = this->store_->approximate_num_entries();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 3u);
}

TYPED_TEST(KeyValueStoreTest, RestoreBatchAppliesPutsAndTombstonesInOrder) {
  this->put("gone", "x");
  Bytes k1 = b("k1"), v1 = b("v1"), v2 = b("v2"), gone = b("gone"), k2 = b("k2");
  std::vector<RestoreRecord> records = {
      {k1, v1.view()}, {gone, std::nullopt}, {k2, v1.view()}, {k1, v2.view()}, {k2, std::nullopt}};
  ASSERT_TRUE(this->store_->restore_batch(records).ok());
  EXPECT_EQ(drain(this->store_->all()), (Entries{{"k1", "v2"}}));
}

TYPED_TEST(KeyValueStoreTest, OperationsAfterCloseFailNamingTheStore) {
  this->put("k", "v");
  ASSERT_TRUE(this->store_->close().ok());
  EXPECT_FALSE(this->store_->is_open());
  ASSERT_TRUE(this->store_->close().ok());  // closing twice is fine
  auto value = this->store_->get(b("k"));
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), StatusCode::kAborted);
  EXPECT_NE(value.status().message().find("'kv'"), std::string_view::npos) << value.status();
  EXPECT_FALSE(this->store_->put(b("k"), b("v")).ok());
  EXPECT_FALSE(this->store_->all().ok());
}

// Random operations on a small key space (so that keys collide, share prefixes and get
// deleted), checked step by step against a std::map with the same ordering.
TYPED_TEST(KeyValueStoreTest, RandomisedOperationsMatchAStdMapModel) {
  std::mt19937 rng(20261123);
  std::map<std::string, std::string> model;
  auto random_key = [&] {
    static const char* alphabet = "ab\x00\xff";
    std::string key;
    int length = std::uniform_int_distribution<int>(0, 3)(rng);
    for (int i = 0; i < length; ++i) key.push_back(alphabet[rng() % 4]);
    return key;
  };
  for (int step = 0; step < 3000; ++step) {
    std::string key = random_key();
    std::string value = std::to_string(step);
    switch (rng() % 9) {
      case 0:
      case 1:
        this->put(key, value);
        model[key] = value;
        break;
      case 2: {
        auto old = this->store_->delete_key(b(key));
        ASSERT_TRUE(old.ok());
        auto it = model.find(key);
        EXPECT_EQ(old->has_value(), it != model.end());
        if (it != model.end()) {
          EXPECT_EQ(**old, b(it->second));
          model.erase(it);
        }
        break;
      }
      case 3: {
        auto existing = this->store_->put_if_absent(b(key), b(value));
        ASSERT_TRUE(existing.ok());
        auto [it, inserted] = model.emplace(key, value);
        EXPECT_EQ(existing->has_value(), !inserted);
        break;
      }
      case 4:
        EXPECT_EQ(this->get(key), model.count(key) ? std::optional(model[key]) : std::nullopt);
        break;
      case 5: {
        std::string to = random_key();
        Entries expected;
        if (key <= to) {
          for (auto it = model.lower_bound(key); it != model.end() && it->first <= to; ++it)
            expected.emplace_back(*it);
        }
        ASSERT_EQ(drain(this->store_->range(b(key), b(to))), expected) << step;
        std::reverse(expected.begin(), expected.end());
        ASSERT_EQ(drain(this->store_->reverse_range(b(key), b(to))), expected) << step;
        break;
      }
      case 6: {
        Entries expected;
        for (auto it = model.lower_bound(key); it != model.end() && it->first.starts_with(key);
             ++it)
          expected.emplace_back(*it);
        ASSERT_EQ(drain(this->store_->prefix_scan(b(key))), expected) << step;
        break;
      }
      case 7: {
        std::vector<KeyValue> batch;
        for (int i = 0; i < 3; ++i) {
          std::string k = random_key();
          batch.push_back({b(k), b(value)});
          model[k] = value;
        }
        ASSERT_TRUE(this->store_->put_all(batch).ok());
        break;
      }
      case 8:
        if (step % 50 == 0) {
          ASSERT_TRUE(this->store_->flush().ok());
        }
        break;
    }
  }
  ASSERT_EQ(drain(this->store_->all()), Entries(model.begin(), model.end()));
}

TEST(RocksDbKeyValueStoreTest, ReopenedAfterACleanCloseHasItsData) {
  TempDir dir;
  {
    auto store = RocksDbKeyValueStore::open("counts", dir.path() / "0_1" / "counts");
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 1000; ++i)
      ASSERT_TRUE((*store)->put(b("key-" + std::to_string(i)), b(std::to_string(i))).ok());
    ASSERT_TRUE((*store)->delete_key(b("key-7")).ok());
    ASSERT_TRUE((*store)->close().ok());
  }
  auto store = RocksDbKeyValueStore::open("counts", dir.path() / "0_1" / "counts");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(drain((*store)->all()).size(), 999u);
  auto value = (*store)->get(b("key-999"));
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, b("999"));
  EXPECT_EQ(*(*store)->get(b("key-7")), std::nullopt);
}

TEST(RocksDbKeyValueStoreTest, CloseInvalidatesOpenIterators) {
  TempDir dir;
  auto store = RocksDbKeyValueStore::open("kv", dir.path() / "kv");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->put(b("a"), b("1")).ok());
  auto it = (*store)->all();
  ASSERT_TRUE(it.ok());
  ASSERT_TRUE((*it)->valid());
  ASSERT_TRUE((*store)->close().ok());
  EXPECT_FALSE((*it)->valid());
  EXPECT_EQ((*it)->status().code(), StatusCode::kAborted);
  store->reset();  // the iterator outlives the store safely
  EXPECT_FALSE((*it)->valid());
}

TEST(RocksDbKeyValueStoreTest, OpenFailuresNameTheStoreAndThePath) {
  TempDir dir;
  auto first = RocksDbKeyValueStore::open("kv", dir.path() / "kv");
  ASSERT_TRUE(first.ok());
  auto second = RocksDbKeyValueStore::open("kv", dir.path() / "kv");  // RocksDB's LOCK
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kIoError) << second.status();
  EXPECT_NE(second.status().message().find("'kv'"), std::string_view::npos);
  EXPECT_NE(second.status().message().find((dir.path() / "kv").string()), std::string_view::npos);

  std::ofstream(dir.path() / "file") << "x";
  auto under_file = RocksDbKeyValueStore::open("other", dir.path() / "file" / "other");
  ASSERT_FALSE(under_file.ok());
  EXPECT_EQ(under_file.status().code(), StatusCode::kIoError);
  EXPECT_NE(under_file.status().message().find("'other'"), std::string_view::npos);
  EXPECT_NE(under_file.status().message().find("file/other"), std::string_view::npos);
}

TEST(RocksDbKeyValueStoreTest, StoresSharingABudgetChargeMemtablesToOneCache) {
  TempDir dir;
  RocksDbMemoryBudget budget(64 << 20);
  RocksDbStoreOptions options;
  options.memory_budget = &budget;
  std::vector<std::unique_ptr<RocksDbKeyValueStore>> stores;
  for (int s = 0; s < 3; ++s) {
    auto store = RocksDbKeyValueStore::open("s" + std::to_string(s),
                                            dir.path() / ("s" + std::to_string(s)), options);
    ASSERT_TRUE(store.ok()) << store.status();
    stores.push_back(std::move(store).value());
  }
  std::string value(100, 'v');
  for (auto& store : stores)
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(store->put(b(std::to_string(i)), b(value)).ok());
  EXPECT_GT(budget.memtable_usage(), 3u * 2000u * 100u);
  // The write buffer manager reserves memtable memory in the shared block cache.
  EXPECT_GE(budget.usage(), budget.memtable_usage());
  for (auto& store : stores) ASSERT_TRUE(store->close().ok());
}

}  // namespace key_value_store_test
}  // namespace runnel::state
