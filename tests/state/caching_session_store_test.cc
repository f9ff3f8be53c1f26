// CachingSessionStore: coalescing per session, merged finds, expiry as the underlying store,
// the flush listener (removes of merged-away sessions), eviction and restoration.

#include "state/caching_session_store.h"

#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "state/change_logging_session_store.h"
#include "state/stores.h"
#include "state/window_key_schema.h"
#include "tests/state/store_test_util.h"

namespace runnel::state {
namespace caching_session_store_test {

using testing::b;

using Sessions = std::vector<std::tuple<std::string, Timestamp, Timestamp, std::string>>;

Sessions drain(Result<std::unique_ptr<SessionStoreIterator>> it) {
  EXPECT_TRUE(it.ok()) << it.status();
  Sessions out;
  if (!it.ok()) return out;
  for (; (*it)->valid(); (*it)->next()) {
    out.emplace_back(std::string((*it)->key().as_string_view()), (*it)->session().start_ms,
                     (*it)->session().end_ms, std::string((*it)->value().as_string_view()));
  }
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status();
  return out;
}

class CountingCollector final : public ChangelogCollector {
 public:
  Status send(const ChangelogRecord& record) override {
    records.emplace_back(Bytes(record.key),
                         record.value ? NullableBytes(Bytes(*record.value)) : std::nullopt);
    return Status();
  }
  std::vector<std::pair<Bytes, NullableBytes>> records;
};

class RecordingSessionListener final : public SessionCacheFlushListener {
 public:
  Status apply(BytesView key, Window session, NullableBytesView new_value,
               NullableBytesView old_value, Timestamp) override {
    auto text = [](NullableBytesView v) {
      return v ? std::string(v->as_string_view()) : std::string("<null>");
    };
    updates.push_back(std::string(key.as_string_view()) + "[" + std::to_string(session.start_ms) +
                      "," + std::to_string(session.end_ms) + "]=" + text(new_value) + " (was " +
                      text(old_value) + ")");
    return Status();
  }
  std::vector<std::string> updates;
};

SessionStoreOptions options_for_tests() {
  return SessionStoreOptions{.retention_ms = 100, .segment_interval_ms = 20};
}

class CachingSessionStoreTest : public ::testing::Test {
 protected:
  void make(std::size_t max_bytes) {
    store_.reset();
    collector_.records.clear();
    store_ = std::make_unique<CachingSessionStore>(
        std::make_unique<ChangeLoggingSessionStore>(
            *make_in_memory_session_store("s", options_for_tests()),
            TopicPartition{"s-changelog", 0}, collector_, TimestampSupplier()),
        max_bytes);
    store_->set_flush_listener(&listener_, /*send_old_values=*/true);
  }
  void SetUp() override { make(1 << 20); }
  void put(std::string_view k, Window w, std::string_view v) {
    ASSERT_TRUE(store_->put(b(k), w, b(v)).ok());
  }

  CountingCollector collector_;
  RecordingSessionListener listener_;
  std::unique_ptr<CachingSessionStore> store_;
};

TEST_F(CachingSessionStoreTest, ASessionUpdatedManyTimesCostsOneWrite) {
  for (int i = 1; i <= 4; ++i) put("k", Window{10, 12}, std::to_string(i));
  EXPECT_TRUE(collector_.records.empty());
  EXPECT_EQ(**store_->fetch_session(b("k"), Window{10, 12}), b("4"));
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(collector_.records.size(), 1u);
  EXPECT_EQ(listener_.updates, (std::vector<std::string>{"k[10,12]=4 (was <null>)"}));
}

// The session aggregation's pattern: a merge removes sessions and puts the merged one.
TEST_F(CachingSessionStoreTest, AMergeReportsTombstonesOnlyForSessionsDownstreamSaw) {
  put("k", Window{0, 0}, "1");
  ASSERT_TRUE(store_->flush().ok());
  listener_.updates.clear();
  // Between two commits: a session made and merged away, and the flushed one merged away.
  put("k", Window{8, 8}, "1");
  ASSERT_TRUE(store_->remove(b("k"), Window{0, 0}).ok());
  ASSERT_TRUE(store_->remove(b("k"), Window{8, 8}).ok());
  put("k", Window{0, 8}, "2");
  EXPECT_EQ(drain(store_->find_sessions(b("k"), 0, 100)), (Sessions{{"k", 0, 8, "2"}}));
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(listener_.updates,
            (std::vector<std::string>{"k[0,0]=<null> (was 1)", "k[0,8]=2 (was <null>)"}));
  EXPECT_EQ(drain(store_->fetch(b("k"))), (Sessions{{"k", 0, 8, "2"}}));
}

// Segment 0 holds ends 0-19, ordered by key bytes then end: "a" | end sorts before "ab".
TEST_F(CachingSessionStoreTest, FindSessionsMergesTheCacheIntoTheUnderlyingOrder) {
  put("a", Window{0, 5}, "a-old");
  put("b", Window{1, 3}, "b-old");
  put("a", Window{20, 30}, "a2-old");
  ASSERT_TRUE(store_->flush().ok());
  put("ab", Window{2, 4}, "ab-new");
  put("a", Window{0, 5}, "a-new");
  ASSERT_TRUE(store_->remove(b("b"), Window{1, 3}).ok());
  put("a", Window{10, 12}, "a1-new");
  EXPECT_EQ(drain(store_->find_sessions(b("a"), b("b"), 0, 100)),
            (Sessions{{"a", 0, 5, "a-new"},
                      {"a", 10, 12, "a1-new"},
                      {"ab", 2, 4, "ab-new"},
                      {"a", 20, 30, "a2-old"}}));
  EXPECT_EQ(drain(store_->find_sessions(b("a"), 4, 15)),
            (Sessions{{"a", 0, 5, "a-new"}, {"a", 10, 12, "a1-new"}}));
  EXPECT_EQ(drain(store_->fetch(b("b"))), Sessions{});
}

TEST_F(CachingSessionStoreTest, BehavesAsTheUnderlyingStoreUnderRandomWritesAndEvictions) {
  for (const std::size_t max_bytes : {std::size_t{1} << 20, std::size_t{3 * 130}}) {
    SCOPED_TRACE("max_bytes " + std::to_string(max_bytes));
    make(max_bytes);
    auto plain = *make_in_memory_session_store("plain", options_for_tests());
    std::mt19937 random(11);
    const std::vector<std::string> keys = {"a", "ab", "b", std::string("a\0", 2)};
    for (int step = 0; step < 3000; ++step) {
      const std::string& key = keys[random() % keys.size()];
      const Timestamp start =
          std::max<Timestamp>(0, step / 10 + static_cast<int>(random() % 120) - 100);
      const Window session{start, start + static_cast<Timestamp>(random() % 15)};
      const int op = random() % 10;
      if (op < 6) {
        const std::string value = "v" + std::to_string(step);
        ASSERT_TRUE(plain->put(b(key), session, b(value)).ok());
        ASSERT_TRUE(store_->put(b(key), session, b(value)).ok());
      } else if (op < 8) {
        ASSERT_TRUE(plain->remove(b(key), session).ok());
        ASSERT_TRUE(store_->remove(b(key), session).ok());
      } else if (op == 8) {
        ASSERT_TRUE(store_->flush().ok());
      }
      ASSERT_EQ(store_->observed_stream_time(), plain->observed_stream_time());
      ASSERT_EQ(store_->expired_puts_dropped(), plain->expired_puts_dropped()) << step;
      if (step % 7 != 0) continue;
      const Timestamp from = random() % 400;
      const Timestamp to = from + random() % 200;
      ASSERT_EQ(drain(store_->find_sessions(b(key), from, to)),
                drain(plain->find_sessions(b(key), from, to)))
          << step;
      ASSERT_EQ(drain(store_->find_sessions(b("a"), b("ab"), from, to)),
                drain(plain->find_sessions(b("a"), b("ab"), from, to)));
      ASSERT_EQ(drain(store_->fetch(b(key))), drain(plain->fetch(b(key))));
      ASSERT_EQ(*store_->fetch_session(b(key), session), *plain->fetch_session(b(key), session));
    }
    ASSERT_TRUE(store_->flush().ok());
    EXPECT_EQ(drain(store_->find_sessions(b(""), b("z"), 0, 10'000)),
              drain(plain->find_sessions(b(""), b("z"), 0, 10'000)));
    if (max_bytes < 1000) {
      EXPECT_GT(store_->evictions(), 0u);
    }
  }
}

TEST_F(CachingSessionStoreTest, APutToAnExpiredSessionIsDroppedAndNeverResurrected) {
  put("k", Window{0, 5}, "first");
  put("k", Window{300, 300}, "later");  // retention 100: [0, 5] has expired
  put("k", Window{0, 5}, "again");
  EXPECT_EQ(store_->expired_puts_dropped(), 1u);
  EXPECT_EQ(*store_->fetch_session(b("k"), Window{0, 5}), std::nullopt);
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(drain(store_->fetch(b("k"))), (Sessions{{"k", 300, 300, "later"}}));
}

TEST_F(CachingSessionStoreTest, RestoreBypassesTheCacheAndDropsWhatItRestores) {
  put("a", Window{0, 1}, "cached");
  const Bytes key = session_key::to_store_key(b("a"), 0, 1);
  const Bytes value = b("restored");
  std::vector<RestoreRecord> batch = {RestoreRecord{key, value.view()}};
  ASSERT_TRUE(store_->restore_batch(batch).ok());
  EXPECT_TRUE(collector_.records.empty());
  EXPECT_EQ(store_->dirty_entries(), 0u);
  EXPECT_EQ(**store_->fetch_session(b("a"), Window{0, 1}), b("restored"));
}

TEST_F(CachingSessionStoreTest, EvictsTheOldestSessionsWhenFull) {
  const std::size_t entry =
      8 + 1 + session_key::kSuffixSize + 1 + CachingSessionStore::kEntryOverhead;
  make(2 * entry);
  put("a", Window{0, 0}, "1");
  put("b", Window{0, 0}, "1");
  EXPECT_TRUE(collector_.records.empty());
  put("c", Window{0, 0}, "1");
  EXPECT_EQ(collector_.records.size(), 1u);
  EXPECT_EQ(listener_.updates, (std::vector<std::string>{"a[0,0]=1 (was <null>)"}));
  EXPECT_EQ(store_->evictions(), 1u);
}

TEST_F(CachingSessionStoreTest, InvalidSessionsAreRefused) {
  EXPECT_EQ(store_->put(b("a"), Window{5, 1}, b("x")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->remove(b("a"), Window{-1, 1}).code(), StatusCode::kInvalidArgument);
}

}  // namespace caching_session_store_test
}  // namespace runnel::state
