// CachingWindowStore: coalescing per window, merged fetches, expiry as the underlying store,
// eviction, the flush listener and restoration.

#include "state/caching_window_store.h"

#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "state/change_logging_window_store.h"
#include "state/stores.h"
#include "state/window_key_schema.h"
#include "tests/state/store_test_util.h"

namespace runnel::state {
namespace caching_window_store_test {

using testing::b;

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

class CountingCollector final : public ChangelogCollector {
 public:
  Status send(const ChangelogRecord& record) override {
    if (fail) return unavailable_error("collector down");
    records.emplace_back(Bytes(record.key),
                         record.value ? NullableBytes(Bytes(*record.value)) : std::nullopt);
    return Status();
  }
  std::vector<std::pair<Bytes, NullableBytes>> records;
  bool fail = false;
};

class RecordingWindowListener final : public WindowCacheFlushListener {
 public:
  Status apply(BytesView key, Timestamp window_start, NullableBytesView new_value,
               NullableBytesView old_value, Timestamp timestamp) override {
    auto text = [](NullableBytesView v) {
      return v ? std::string(v->as_string_view()) : std::string("<null>");
    };
    if (store != nullptr) {
      // Everything flushed is readable from the store while the listener runs.
      auto current = store->fetch(key, window_start);
      EXPECT_TRUE(current.ok());
      EXPECT_EQ(current->has_value(), new_value.has_value());
    }
    updates.push_back(std::string(key.as_string_view()) + "@" + std::to_string(window_start) + "=" +
                      text(new_value) + " (was " + text(old_value) + ") t" +
                      std::to_string(timestamp));
    return Status();
  }
  std::vector<std::string> updates;
  WindowStore* store = nullptr;
};

WindowStoreOptions options_for_tests() {
  return WindowStoreOptions{.retention_ms = 100, .window_size_ms = 10, .segment_interval_ms = 20};
}

class CachingWindowStoreTest : public ::testing::Test {
 protected:
  void make(std::size_t max_bytes, WindowStoreOptions options = options_for_tests()) {
    store_.reset();
    collector_.records.clear();
    store_ = std::make_unique<CachingWindowStore>(
        std::make_unique<ChangeLoggingWindowStore>(*make_in_memory_window_store("w", options),
                                                   TopicPartition{"w-changelog", 0}, collector_,
                                                   TimestampSupplier()),
        max_bytes, [this] { return now_; });
    store_->set_flush_listener(&listener_, /*send_old_values=*/true);
  }
  void SetUp() override { make(1 << 20); }
  void put(std::string_view k, Timestamp start, std::string_view v) {
    ASSERT_TRUE(store_->put(b(k), b(v), start).ok());
    ++now_;
  }

  CountingCollector collector_;
  RecordingWindowListener listener_;
  Timestamp now_ = 1000;
  std::unique_ptr<CachingWindowStore> store_;
};

// Written down least recently written first: k's last write precedes j's.
TEST_F(CachingWindowStoreTest, AWindowUpdatedManyTimesCostsOneWriteAndOneFlushedUpdate) {
  for (int i = 1; i <= 5; ++i) put("k", 10, std::to_string(i));
  put("j", 0, "x");
  EXPECT_TRUE(collector_.records.empty());
  EXPECT_EQ(store_->dirty_entries(), 2u);
  EXPECT_EQ(**store_->fetch(b("k"), 10), b("5"));
  ASSERT_TRUE(store_->flush().ok());
  ASSERT_EQ(collector_.records.size(), 2u);  // one changelog record per window
  EXPECT_EQ(collector_.records[0].first, window_key::to_store_key(b("k"), 10, 0));
  EXPECT_EQ(*collector_.records[0].second, b("5"));
  EXPECT_EQ(listener_.updates,
            (std::vector<std::string>{"k@10=5 (was <null>) t1004", "j@0=x (was <null>) t1005"}));
  EXPECT_EQ(store_->cached_bytes(), 0u);
  // The next round reports the value it replaces.
  put("k", 10, "6");
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(listener_.updates.back(), "k@10=6 (was 5) t1006");
}

TEST_F(CachingWindowStoreTest, FetchesMergeTheCacheIntoTheUnderlyingOrder) {
  // Segments of 20 ms: windows 5 and 15 share segment 0; 25 is in segment 1.
  put("b", 5, "b5-old");
  put("a", 25, "a25-old");
  put("ab", 15, "ab15-old");
  put("c", 15, "c15-old");
  ASSERT_TRUE(store_->flush().ok());
  put("b", 5, "b5-new");                         // shadows the underlying value
  put("a", 15, "a15-new");                       // new, between flushed entries
  put("ab", 25, "ab25-new");                     // "ab" after "a" in segment 1
  ASSERT_TRUE(store_->remove(b("c"), 15).ok());  // hides the underlying window
  EXPECT_EQ(drain(store_->fetch_all(0, 100)), (Windows{{"a", 15, "a15-new"},
                                                       {"ab", 15, "ab15-old"},
                                                       {"b", 5, "b5-new"},
                                                       {"a", 25, "a25-old"},
                                                       {"ab", 25, "ab25-new"}}));
  EXPECT_EQ(drain(store_->fetch(b("a"), 0, 100)),
            (Windows{{"a", 15, "a15-new"}, {"a", 25, "a25-old"}}));
  EXPECT_EQ(drain(store_->fetch(b("a"), b("ab"), 10, 30)), (Windows{{"a", 15, "a15-new"},
                                                                    {"ab", 15, "ab15-old"},
                                                                    {"a", 25, "a25-old"},
                                                                    {"ab", 25, "ab25-new"}}));
  EXPECT_EQ(drain(store_->fetch(b("c"), 0, 100)), Windows{});
  EXPECT_EQ(*store_->fetch(b("c"), 15), std::nullopt);
  // Iterators are snapshots: writes after they are made do not show in them.
  auto it = store_->fetch_all(0, 100);
  put("a", 15, "later");
  EXPECT_EQ(std::get<2>(drain(std::move(it))[0]), "a15-new");
}

// Random writes, removes and flushes on a cached store and on a plain one: every fetch
// variant must give the same windows in the same order, and expiry must drop the same puts.
TEST_F(CachingWindowStoreTest, BehavesAsTheUnderlyingStoreUnderRandomWritesAndEvictions) {
  for (const std::size_t max_bytes :
       {std::size_t{1} << 20, std::size_t{3 * (2 + 12 + 8 + 2 + 96)}}) {
    SCOPED_TRACE("max_bytes " + std::to_string(max_bytes));
    make(max_bytes);
    auto plain = *make_in_memory_window_store("plain", options_for_tests());
    std::mt19937 random(7);
    const std::vector<std::string> keys = {"a", "ab", "b", std::string("a\0", 2), "c"};
    for (int step = 0; step < 3000; ++step) {
      const std::string& key = keys[random() % keys.size()];
      // Time drifts forward so that windows expire along the way.
      const Timestamp start =
          std::max<Timestamp>(0, step / 10 + static_cast<int>(random() % 120) - 100);
      const int op = random() % 10;
      if (op < 6) {
        const std::string value = "v" + std::to_string(step);
        ASSERT_TRUE(plain->put(b(key), b(value), start).ok());
        ASSERT_TRUE(store_->put(b(key), b(value), start).ok());
      } else if (op < 8) {
        ASSERT_TRUE(plain->remove(b(key), start).ok());
        ASSERT_TRUE(store_->remove(b(key), start).ok());
      } else if (op == 8) {
        ASSERT_TRUE(store_->flush().ok());
      }
      ASSERT_EQ(store_->observed_stream_time(), plain->observed_stream_time());
      ASSERT_EQ(store_->expired_puts_dropped(), plain->expired_puts_dropped()) << step;
      if (step % 7 != 0) continue;
      const Timestamp from = random() % 400;
      const Timestamp to = from + random() % 200;
      ASSERT_EQ(drain(store_->fetch_all(from, to)), drain(plain->fetch_all(from, to))) << step;
      ASSERT_EQ(drain(store_->fetch(b(key), from, to)), drain(plain->fetch(b(key), from, to)));
      ASSERT_EQ(drain(store_->fetch(b("a"), b("ab"), from, to)),
                drain(plain->fetch(b("a"), b("ab"), from, to)));
      ASSERT_EQ(*store_->fetch(b(key), start), *plain->fetch(b(key), start));
    }
    ASSERT_TRUE(store_->flush().ok());
    EXPECT_EQ(drain(store_->fetch_all(0, 1000)), drain(plain->fetch_all(0, 1000)));
    if (max_bytes < 1000) {
      EXPECT_GT(store_->evictions(), 0u);
    }
  }
}

TEST_F(CachingWindowStoreTest, APutToAnExpiredWindowIsDroppedAndNeverResurrected) {
  put("k", 0, "first");
  put("k", 200, "late-enough");  // retention 100: window 0 has expired
  put("k", 0, "again");          // dropped, as the underlying store would
  EXPECT_EQ(store_->expired_puts_dropped(), 1u);
  EXPECT_EQ(*store_->fetch(b("k"), 0), std::nullopt);
  EXPECT_EQ(drain(store_->fetch(b("k"), 0, 300)), (Windows{{"k", 200, "late-enough"}}));
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(*store_->fetch(b("k"), 0), std::nullopt);
  EXPECT_EQ(drain(store_->fetch_all(0, 300)), (Windows{{"k", 200, "late-enough"}}));
  // The value cached before expiry was written down, as it would have been without a cache,
  // and never the dropped one.
  for (const auto& [key, value] : collector_.records) EXPECT_NE(value, b("again"));
}

TEST_F(CachingWindowStoreTest, EvictsTheOldestDirtyWindowsWhenFull) {
  const std::size_t entry =
      8 + 1 + window_key::kSuffixSize + 2 + CachingWindowStore::kEntryOverhead;
  make(3 * entry);
  put("a", 0, "a1");
  put("b", 0, "b1");
  put("a", 0, "a2");  // a is now the most recently written
  put("c", 0, "c1");
  EXPECT_TRUE(collector_.records.empty());
  put("d", 0, "d1");
  ASSERT_EQ(collector_.records.size(), 1u);
  EXPECT_EQ(*collector_.records[0].second, b("b1"));
  EXPECT_EQ(listener_.updates, (std::vector<std::string>{"b@0=b1 (was <null>) t1001"}));
  EXPECT_EQ(store_->evictions(), 1u);
  EXPECT_LE(store_->cached_bytes(), store_->max_bytes());
  EXPECT_EQ(**store_->fetch(b("b"), 0), b("b1"));  // from the underlying store
  put("e", 0, "e1");
  EXPECT_EQ(*collector_.records[1].second, b("a2"));
}

TEST_F(CachingWindowStoreTest, ZeroMaxBytesWritesThrough) {
  make(0);
  put("a", 0, "1");
  EXPECT_EQ(collector_.records.size(), 1u);
  EXPECT_EQ(listener_.updates.size(), 1u);
}

TEST_F(CachingWindowStoreTest, ARemoveReportsTheValueDownstreamSawAndNothingForAnUnseenWindow) {
  put("seen", 0, "1");
  ASSERT_TRUE(store_->flush().ok());
  listener_.updates.clear();
  listener_.store = store_.get();
  ASSERT_TRUE(store_->remove(b("seen"), 0).ok());
  put("unseen", 0, "2");
  ASSERT_TRUE(store_->remove(b("unseen"), 0).ok());
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(listener_.updates, (std::vector<std::string>{"seen@0=<null> (was 1) t1001"}));
  // Both tombstones reach the changelog.
  EXPECT_EQ(collector_.records.size(), 3u);
}

TEST_F(CachingWindowStoreTest, RestoreBypassesTheCacheAndDropsWhatItRestores) {
  put("a", 0, "cached");
  put("b", 0, "cached");
  const Bytes key = window_key::to_store_key(b("a"), 0, 0);
  const Bytes value = b("restored");
  std::vector<RestoreRecord> batch = {RestoreRecord{key, value.view()}};
  ASSERT_TRUE(store_->restore_batch(batch).ok());
  EXPECT_TRUE(collector_.records.empty());  // restoring does not log
  EXPECT_EQ(**store_->fetch(b("a"), 0), b("restored"));
  EXPECT_EQ(store_->dirty_entries(), 1u);
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(**store_->fetch(b("a"), 0), b("restored"));
  EXPECT_EQ(collector_.records.size(), 1u);  // b only
}

TEST_F(CachingWindowStoreTest, ARetainDuplicatesStorePassesThrough) {
  WindowStoreOptions options = options_for_tests();
  options.retain_duplicates = true;
  make(1 << 20, options);
  EXPECT_FALSE(store_->caches());
  put("k", 0, "x");
  put("k", 0, "y");
  EXPECT_EQ(collector_.records.size(), 2u);  // each put at once, distinct
  EXPECT_EQ(store_->dirty_entries(), 0u);
  EXPECT_EQ(drain(store_->fetch(b("k"), 0, 10)).size(), 2u);
  EXPECT_EQ(store_->remove(b("k"), 0).code(), StatusCode::kInvalidArgument);
}

TEST_F(CachingWindowStoreTest, AWriteDownErrorIsReturnedByTheFlush) {
  put("a", 0, "1");
  collector_.fail = true;
  EXPECT_EQ(store_->flush().code(), StatusCode::kUnavailable);
}

TEST_F(CachingWindowStoreTest, CloseFlushesAndLaterOperationsFail) {
  put("a", 0, "1");
  ASSERT_TRUE(store_->close().ok());
  EXPECT_EQ(collector_.records.size(), 1u);
  EXPECT_EQ(store_->cached_bytes(), 0u);
  EXPECT_FALSE(store_->put(b("a"), b("2"), 0).ok());
  EXPECT_FALSE(store_->fetch(b("a"), 0).ok());
}

TEST(CachingWindowStoreBudgetTest, StoresSharingABudgetStayWithinItTogether) {
  CacheBudget budget(4 *
                     (8 + 1 + window_key::kSuffixSize + 1 + CachingWindowStore::kEntryOverhead));
  WindowStoreOptions options = options_for_tests();
  CachingWindowStore one(*make_in_memory_window_store("one", options), budget);
  CachingWindowStore two(*make_in_memory_window_store("two", options), budget);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(one.put(b(std::to_string(i % 10)), b("x"), 0).ok());
    ASSERT_TRUE(two.put(b(std::to_string(i % 10)), b("y"), 0).ok());
    EXPECT_LE(budget.used_bytes(), budget.max_bytes());
  }
  EXPECT_EQ(budget.used_bytes(), one.cached_bytes() + two.cached_bytes());
}

}  // namespace caching_window_store_test
}  // namespace runnel::state
