// The contract of WindowStore, checked against the in-memory and RocksDB implementations by
// one typed suite, plus RocksDB persistence.

#include "state/window_store.h"

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "state/change_logging_window_store.h"
#include "state/metered_window_store.h"
#include "state/stores.h"
#include "state/window_key_schema.h"
#include "tests/state/store_test_util.h"
#include "tests/state/temp_dir.h"

namespace runnel::state {
namespace window_store_test {

using testing::b;
using testing::TempDir;

// (key, window start, value)
using Windows = std::vector<std::tuple<std::string, Timestamp, std::string>>;

Windows drain(Result<std::unique_ptr<WindowStoreIterator>> it) {
  EXPECT_TRUE(it.ok()) << it.status();
  Windows out;
  if (!it.ok()) return out;
  for (; (*it)->valid(); (*it)->next()) {
    out.emplace_back(std::string((*it)->key().as_string_view()), (*it)->window_start(),
                     std::string((*it)->value().as_string_view()));
  }
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status();
  return out;
}

struct InMemory {
  static std::unique_ptr<WindowStore> make(const TempDir&, WindowStoreOptions options) {
    auto store = make_in_memory_window_store("w", options);
    EXPECT_TRUE(store.ok()) << store.status();
    return std::move(store).value();
  }
};

struct RocksDb {
  static std::unique_ptr<WindowStore> make(const TempDir& dir, WindowStoreOptions options) {
    auto store = open_rocksdb_window_store("w", dir.path() / "w", options);
    EXPECT_TRUE(store.ok()) << store.status();
    return std::move(store).value();
  }
};

class DiscardingCollector final : public ChangelogCollector {
 public:
  Status send(const ChangelogRecord&) override { return Status(); }
};

// The decorators must keep the contract.
struct MeteredLoggedRocksDb {
  static std::unique_ptr<WindowStore> make(const TempDir& dir, WindowStoreOptions options) {
    static DiscardingCollector collector;
    return std::make_unique<MeteredWindowStore>(std::make_unique<ChangeLoggingWindowStore>(
        RocksDb::make(dir, options), TopicPartition{"app-w-changelog", 0}, collector,
        TimestampSupplier()));
  }
};

template <typename Factory>
class WindowStoreTest : public ::testing::Test {
 protected:
  // Retention 30 s in segments of 10 s unless a test says otherwise.
  void open(WindowStoreOptions options = {.retention_ms = 30'000,
                                          .window_size_ms = 5'000,
                                          .retain_duplicates = false,
                                          .segment_interval_ms = 10'000}) {
    store_ = Factory::make(dir_, options);
  }
  void SetUp() override { open(); }
  void TearDown() override {
    if (store_) {
      EXPECT_TRUE(store_->close().ok());
    }
  }
  void put(std::string_view k, std::string_view v, Timestamp t) {
    ASSERT_TRUE(store_->put(b(k), b(v), t).ok());
  }

  TempDir dir_;
  std::unique_ptr<WindowStore> store_;
};

using Implementations = ::testing::Types<InMemory, RocksDb, MeteredLoggedRocksDb>;
TYPED_TEST_SUITE(WindowStoreTest, Implementations);

TYPED_TEST(WindowStoreTest, FetchReturnsTheKeysWindowsInTimeOrder) {
  this->put("k", "v3", 12'000);
  this->put("k", "v1", 1'000);
  this->put("k", "v2", 5'000);
  // Keys that share a prefix with "k" must not leak into its fetch.
  this->put(std::string("k\0", 2), "other", 3'000);
  this->put("k2", "other", 5'000);
  this->put("j", "other", 5'000);
  EXPECT_EQ(drain(this->store_->fetch(b("k"), 0, 20'000)),
            (Windows{{"k", 1'000, "v1"}, {"k", 5'000, "v2"}, {"k", 12'000, "v3"}}));
  EXPECT_EQ(drain(this->store_->fetch(b("k"), 1'001, 12'000)),
            (Windows{{"k", 5'000, "v2"}, {"k", 12'000, "v3"}}));
  EXPECT_TRUE(drain(this->store_->fetch(b("k"), 6'000, 11'999)).empty());
  EXPECT_TRUE(drain(this->store_->fetch(b("k"), 5'001, 5'000)).empty());
}

TYPED_TEST(WindowStoreTest, PutOverwritesTheSameWindowAndRemoveDeletesIt) {
  this->put("k", "v1", 1'000);
  this->put("k", "v2", 1'000);
  auto value = this->store_->fetch(b("k"), 1'000);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, b("v2"));
  ASSERT_TRUE(this->store_->remove(b("k"), 1'000).ok());
  EXPECT_EQ(*this->store_->fetch(b("k"), 1'000), std::nullopt);
  EXPECT_TRUE(drain(this->store_->fetch(b("k"), 0, 10'000)).empty());
}

TYPED_TEST(WindowStoreTest, KeyRangeAndFetchAllFilterByKeyAndTime) {
  this->put("a", "a1", 1'000);
  this->put("b", "b1", 1'000);
  this->put("b", "b2", 15'000);
  this->put("c", "c1", 2'000);
  this->put("d", "d1", 2'000);
  EXPECT_EQ(drain(this->store_->fetch(b("b"), b("c"), 0, 20'000)),
            (Windows{{"b", 1'000, "b1"}, {"c", 2'000, "c1"}, {"b", 15'000, "b2"}}));
  EXPECT_EQ(drain(this->store_->fetch(b("a"), b("d"), 1'500, 2'000)),
            (Windows{{"c", 2'000, "c1"}, {"d", 2'000, "d1"}}));
  EXPECT_TRUE(drain(this->store_->fetch(b("d"), b("a"), 0, 20'000)).empty());
  EXPECT_EQ(
      drain(this->store_->fetch_all(1'000, 2'000)),
      (Windows{{"a", 1'000, "a1"}, {"b", 1'000, "b1"}, {"c", 2'000, "c1"}, {"d", 2'000, "d1"}}));
}

TYPED_TEST(WindowStoreTest, RetentionExpiresWindowsAndDropsWholeSegments) {
  this->put("k", "s0", 5'000);   // segment 0
  this->put("k", "s1", 15'000);  // segment 1
  this->put("k", "s2", 25'000);  // segment 2
  EXPECT_EQ(this->store_->observed_stream_time(), 25'000);
  EXPECT_EQ(drain(this->store_->fetch_all(0, 100'000)).size(), 3u);
  // Stream time 44 s: the earliest live time is 44 - 30 + 1 = 14.001 s, so segment 0 is
  // dropped and 15 s is the first live window.
  this->put("k", "s4", 44'000);
  EXPECT_EQ(drain(this->store_->fetch(b("k"), 0, 100'000)),
            (Windows{{"k", 15'000, "s1"}, {"k", 25'000, "s2"}, {"k", 44'000, "s4"}}));
  // Stream time 46 s: 15 s has expired although its segment (10-20 s) lives on.
  this->put("k", "s4b", 46'000);
  EXPECT_EQ(drain(this->store_->fetch_all(0, 100'000)),
            (Windows{{"k", 25'000, "s2"}, {"k", 44'000, "s4"}, {"k", 46'000, "s4b"}}));
  EXPECT_EQ(*this->store_->fetch(b("k"), 15'000), std::nullopt);
  // A put into an expired window is dropped, and counted.
  EXPECT_EQ(this->store_->expired_puts_dropped(), 0u);
  this->put("k", "late", 3'000);
  this->put("k", "late", 16'000);
  EXPECT_EQ(this->store_->expired_puts_dropped(), 2u);
  EXPECT_EQ(drain(this->store_->fetch_all(0, 100'000)).size(), 3u);
}

TYPED_TEST(WindowStoreTest, RetainDuplicatesKeepsEveryPutInOrder) {
  ASSERT_TRUE(this->store_->close().ok());
  this->open({.retention_ms = 30'000,
              .window_size_ms = 0,
              .retain_duplicates = true,
              .segment_interval_ms = 10'000});
  this->put("k", "first", 1'000);
  this->put("k", "second", 1'000);
  this->put("k", "third", 2'000);
  EXPECT_EQ(drain(this->store_->fetch(b("k"), 0, 5'000)),
            (Windows{{"k", 1'000, "first"}, {"k", 1'000, "second"}, {"k", 2'000, "third"}}));
  EXPECT_EQ(*this->store_->fetch(b("k"), 1'000), b("first"));
  EXPECT_EQ(this->store_->remove(b("k"), 1'000).code(), StatusCode::kInvalidArgument);
}

TYPED_TEST(WindowStoreTest, NegativeWindowStartIsRejected) {
  EXPECT_EQ(this->store_->put(b("k"), b("v"), -1).code(), StatusCode::kInvalidArgument);
}

TYPED_TEST(WindowStoreTest, IteratorIsASnapshotEvenWhenSegmentsExpire) {
  this->put("k", "old", 5'000);
  this->put("k", "mid", 15'000);
  auto it = this->store_->fetch(b("k"), 0, 100'000);
  ASSERT_TRUE(it.ok());
  this->put("k", "new", 15'000);
  this->put("k", "far", 95'000);  // expires both segments the iterator reads
  EXPECT_EQ(drain(std::move(it)), (Windows{{"k", 5'000, "old"}, {"k", 15'000, "mid"}}));
  EXPECT_EQ(drain(this->store_->fetch(b("k"), 0, 100'000)), (Windows{{"k", 95'000, "far"}}));
}

TYPED_TEST(WindowStoreTest, RestoreBatchAppliesChangelogKeysAndTombstones) {
  Bytes k1 = window_key::to_store_key(b("k"), 1'000, 0);
  Bytes k2 = window_key::to_store_key(b("k"), 12'000, 0);
  Bytes k3 = window_key::to_store_key(b("j"), 12'000, 0);
  Bytes v = b("v"), w = b("w");
  std::vector<RestoreRecord> records = {
      {k1, v.view()}, {k2, v.view()}, {k3, v.view()}, {k2, w.view()}, {k3, std::nullopt}};
  ASSERT_TRUE(this->store_->restore_batch(records).ok());
  EXPECT_EQ(drain(this->store_->fetch_all(0, 100'000)),
            (Windows{{"k", 1'000, "v"}, {"k", 12'000, "w"}}));
  EXPECT_EQ(this->store_->observed_stream_time(), 12'000);
  Bytes short_key = b("short");
  std::vector<RestoreRecord> corrupt = {{short_key, v.view()}};
  Status status = this->store_->restore_batch(corrupt);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_NE(status.message().find("'w'"), std::string_view::npos);
}

// Random puts, removes and fetches over a moving stream time, checked against a model that
// keeps every window and applies the retention rule itself.
TYPED_TEST(WindowStoreTest, RandomisedOperationsMatchAModel) {
  std::mt19937 rng(7);
  std::map<std::pair<std::string, Timestamp>, std::string> model;
  Timestamp stream_time = -1;
  // "a" followed by zero bytes: its composite keys sort among those of "a" with their
  // big-endian timestamps, the hard case for key-range scan bounds.
  const std::vector<std::string> keys = {
      "a", "ab", std::string("a\0", 2), std::string("a\0\0\0\0\0\0\0\0", 9), "b", "\xff"};
  auto live = [&](Timestamp t) { return t >= stream_time - 30'000 + 1; };
  for (int step = 0; step < 1500; ++step) {
    const std::string& key = keys[rng() % keys.size()];
    // Mostly near stream time, sometimes late.
    Timestamp t = std::max<Timestamp>(
        0, stream_time + std::uniform_int_distribution<Timestamp>(-40'000, 3'000)(rng));
    t -= t % 1'000;
    switch (rng() % 5) {
      case 0:
      case 1:
        this->put(key, std::to_string(step), t);
        stream_time = std::max(stream_time, t);
        if (live(t)) model[{key, t}] = std::to_string(step);
        break;
      case 2:
        ASSERT_TRUE(this->store_->remove(b(key), t).ok());
        model.erase({key, t});
        break;
      case 3: {
        Timestamp from = t, to = t + std::uniform_int_distribution<Timestamp>(0, 30'000)(rng);
        Windows expected;
        for (const auto& [kt, v] : model)
          if (kt.first == key && kt.second >= from && kt.second <= to && live(kt.second))
            expected.emplace_back(kt.first, kt.second, v);
        std::sort(expected.begin(), expected.end(),
                  [](const auto& x, const auto& y) { return std::get<1>(x) < std::get<1>(y); });
        ASSERT_EQ(drain(this->store_->fetch(b(key), from, to)), expected) << step;
        break;
      }
      case 4: {
        // Key ranges whose bounds are prefixes of other keys ("a" and "a\0").
        const std::string& key_to = keys[rng() % keys.size()];
        Timestamp from = t, to = t + std::uniform_int_distribution<Timestamp>(0, 30'000)(rng);
        Windows expected;
        for (const auto& [kt, v] : model)
          if (kt.first >= key && kt.first <= key_to && kt.second >= from && kt.second <= to &&
              live(kt.second))
            expected.emplace_back(kt.first, kt.second, v);
        Windows actual = drain(this->store_->fetch(b(key), b(key_to), from, to));
        std::sort(actual.begin(), actual.end());
        ASSERT_EQ(actual, expected) << step << " [" << key << ", " << key_to << "]";
        break;
      }
    }
  }
  Windows expected;
  for (const auto& [kt, v] : model)
    if (live(kt.second)) expected.emplace_back(kt.first, kt.second, v);
  Windows actual = drain(this->store_->fetch_all(0, stream_time));
  std::sort(actual.begin(), actual.end());
  EXPECT_EQ(actual, expected);
}

TEST(RocksDbWindowStoreTest, ReopenedStoreHasItsWindowsAndStreamTime) {
  TempDir dir;
  WindowStoreOptions options{.retention_ms = 30'000, .segment_interval_ms = 10'000};
  {
    auto store = open_rocksdb_window_store("w", dir.path() / "w", options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->put(b("k"), b("v1"), 5'000).ok());
    ASSERT_TRUE((*store)->put(b("k"), b("v2"), 25'000).ok());
    ASSERT_TRUE((*store)->close().ok());
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "w" / "w.0"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "w" / "w.20000"));
  auto store = open_rocksdb_window_store("w", dir.path() / "w", options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->observed_stream_time(), 25'000);
  EXPECT_EQ(drain((*store)->fetch(b("k"), 0, 30'000)),
            (Windows{{"k", 5'000, "v1"}, {"k", 25'000, "v2"}}));
  // Advancing stream time deletes the expired segment's directory, once no scan reads it.
  auto scan = (*store)->fetch_all(0, 30'000);
  ASSERT_TRUE(scan.ok());
  ASSERT_TRUE((*store)->put(b("k"), b("v3"), 45'000).ok());
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "w" / "w.0"));
  ASSERT_TRUE((*scan)->valid());
  EXPECT_EQ((*scan)->value(), b("v1"));
  scan->reset();
  ASSERT_TRUE((*store)->flush().ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "w" / "w.0"));
  ASSERT_TRUE((*store)->close().ok());
}

TEST(WindowStoreOptionsTest, NonPositiveRetentionIsRejected) {
  auto store = make_in_memory_window_store("w", {.retention_ms = 0});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace window_store_test
}  // namespace runnel::state
