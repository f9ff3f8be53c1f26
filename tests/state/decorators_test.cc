// Change-logging, caching and metering decorators: what each adds to the store it wraps.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "state/caching_key_value_store.h"
#include "state/change_logging_key_value_store.h"
#include "state/change_logging_session_store.h"
#include "state/change_logging_window_store.h"
#include "state/in_memory_key_value_store.h"
#include "state/metered_key_value_store.h"
#include "state/metered_session_store.h"
#include "state/metered_window_store.h"
#include "state/stores.h"
#include "state/window_key_schema.h"
#include "tests/state/store_test_util.h"

namespace runnel::state {
namespace decorators_test {

using testing::b;
using testing::drain;
using testing::Entries;

struct Logged {
  std::string topic;
  std::int32_t partition;
  Bytes key;
  NullableBytes value;
  Timestamp timestamp;
};

// Keeps every changelog record, as a producer would send them.
class RecordingCollector final : public ChangelogCollector {
 public:
  Status send(const ChangelogRecord& record) override {
    if (fail) return unavailable_error("collector down");
    records.push_back(Logged{std::string(record.topic), record.partition, Bytes(record.key),
                             record.value ? NullableBytes(Bytes(*record.value)) : std::nullopt,
                             record.timestamp});
    return Status();
  }
  // Replays the log into `store` as restoration would.
  Status replay_into(std::span<const Logged> log, auto& store) const {
    std::vector<RestoreRecord> batch;
    for (const Logged& r : log) batch.push_back(RestoreRecord{r.key, view_of(r.value)});
    return store.restore_batch(batch);
  }
  // (key, value or "<null>") of each record.
  std::vector<std::pair<std::string, std::string>> summary() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const Logged& r : records)
      out.emplace_back(r.key.to_string(), r.value ? r.value->to_string() : "<null>");
    return out;
  }

  std::vector<Logged> records;
  bool fail = false;
};

using Summary = std::vector<std::pair<std::string, std::string>>;

class ChangeLoggingKeyValueStoreTest : public ::testing::Test {
 protected:
  ChangeLoggingKeyValueStoreTest()
      : store_(std::make_unique<InMemoryKeyValueStore>("counts"),
               TopicPartition{changelog_topic_name("app", "counts"), 3}, collector_,
               [this] { return now_; }) {}

  RecordingCollector collector_;
  Timestamp now_ = 1'000;
  ChangeLoggingKeyValueStore store_;
};

TEST_F(ChangeLoggingKeyValueStoreTest, EveryWriteGoesToTheChangelogPartition) {
  ASSERT_TRUE(store_.put(b("a"), b("1")).ok());
  now_ = 2'000;
  std::vector<KeyValue> batch = {{b("b"), b("2")}, {b("c"), b("3")}};
  ASSERT_TRUE(store_.put_all(batch).ok());
  ASSERT_TRUE(store_.put_if_absent(b("a"), b("ignored")).ok());  // not written: not logged
  ASSERT_TRUE(store_.put_if_absent(b("d"), b("4")).ok());
  ASSERT_TRUE(store_.delete_key(b("b")).ok());
  EXPECT_EQ(collector_.summary(),
            (Summary{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"b", "<null>"}}));
  for (const Logged& r : collector_.records) {
    EXPECT_EQ(r.topic, "app-counts-changelog");
    EXPECT_EQ(r.partition, 3);
  }
  EXPECT_EQ(collector_.records[0].timestamp, 1'000);
  EXPECT_EQ(collector_.records[1].timestamp, 2'000);
}

TEST_F(ChangeLoggingKeyValueStoreTest, RestoringFromItsChangelogReproducesTheStore) {
  ASSERT_TRUE(store_.put(b("a"), b("1")).ok());
  ASSERT_TRUE(store_.put(b("b"), b("2")).ok());
  ASSERT_TRUE(store_.put(b("a"), b("3")).ok());
  ASSERT_TRUE(store_.delete_key(b("b")).ok());
  ASSERT_TRUE(store_.put(b("c"), b("4")).ok());
  InMemoryKeyValueStore restored("counts");
  ASSERT_TRUE(collector_.replay_into(collector_.records, restored).ok());
  EXPECT_EQ(drain(restored.all()), drain(store_.all()));
  // Restoring through the decorator writes the store but not the changelog.
  const std::size_t logged = collector_.records.size();
  std::vector<Logged> copy = collector_.records;
  ASSERT_TRUE(collector_.replay_into(copy, store_).ok());
  EXPECT_EQ(collector_.records.size(), logged);
}

TEST_F(ChangeLoggingKeyValueStoreTest, ACollectorErrorFailsTheWrite) {
  collector_.fail = true;
  Status status = store_.put(b("a"), b("1"));
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
}

TEST(ChangeLoggingWindowStoreTest, LogsWindowKeysAndRestoresFromThem) {
  RecordingCollector collector;
  WindowStoreOptions options{.retention_ms = 60'000, .segment_interval_ms = 10'000};
  ChangeLoggingWindowStore store(*make_in_memory_window_store("w", options),
                                 TopicPartition{"app-w-changelog", 0}, collector,
                                 [] { return Timestamp{42}; });
  ASSERT_TRUE(store.put(b("k"), b("v1"), 1'000).ok());
  ASSERT_TRUE(store.put(b("k"), b("v2"), 12'000).ok());
  ASSERT_TRUE(store.remove(b("k"), 1'000).ok());
  ASSERT_EQ(collector.records.size(), 3u);
  EXPECT_EQ(collector.records[0].key, window_key::to_store_key(b("k"), 1'000, 0));
  EXPECT_EQ(collector.records[1].key, window_key::to_store_key(b("k"), 12'000, 0));
  EXPECT_EQ(collector.records[2].value, std::nullopt);
  EXPECT_EQ(collector.records[0].timestamp, 42);

  auto restored = make_in_memory_window_store("w", options);
  ASSERT_TRUE(collector.replay_into(collector.records, **restored).ok());
  auto it = (*restored)->fetch_all(0, 100'000);
  ASSERT_TRUE(it.ok());
  ASSERT_TRUE((*it)->valid());
  EXPECT_EQ((*it)->window_start(), 12'000);
  EXPECT_EQ((*it)->value(), b("v2"));
  (*it)->next();
  EXPECT_FALSE((*it)->valid());
}

TEST(ChangeLoggingWindowStoreTest, DuplicatesGetDistinctChangelogKeys) {
  RecordingCollector collector;
  WindowStoreOptions options{
      .retention_ms = 60'000, .retain_duplicates = true, .segment_interval_ms = 10'000};
  ChangeLoggingWindowStore store(*make_in_memory_window_store("w", options), TopicPartition{"t", 0},
                                 collector, {});
  ASSERT_TRUE(store.put(b("k"), b("a"), 1'000).ok());
  ASSERT_TRUE(store.put(b("k"), b("b"), 1'000).ok());
  ASSERT_EQ(collector.records.size(), 2u);
  EXPECT_NE(collector.records[0].key, collector.records[1].key);
  auto restored = make_in_memory_window_store("w", options);
  ASSERT_TRUE(collector.replay_into(collector.records, **restored).ok());
  auto it = (*restored)->fetch(b("k"), 0, 5'000);
  ASSERT_TRUE(it.ok());
  int count = 0;
  for (; (*it)->valid(); (*it)->next()) ++count;
  EXPECT_EQ(count, 2);
}

TEST(ChangeLoggingSessionStoreTest, LogsSessionKeysAndTombstones) {
  RecordingCollector collector;
  SessionStoreOptions options{.retention_ms = 60'000, .segment_interval_ms = 10'000};
  ChangeLoggingSessionStore store(*make_in_memory_session_store("s", options),
                                  TopicPartition{"app-s-changelog", 1}, collector, {});
  ASSERT_TRUE(store.put(b("k"), Window{1'000, 2'000}, b("2")).ok());
  ASSERT_TRUE(store.remove(b("k"), Window{1'000, 2'000}).ok());
  ASSERT_TRUE(store.put(b("k"), Window{1'000, 3'000}, b("3")).ok());
  ASSERT_EQ(collector.records.size(), 3u);
  EXPECT_EQ(collector.records[0].key, session_key::to_store_key(b("k"), 1'000, 2'000));
  EXPECT_EQ(collector.records[1].value, std::nullopt);
  auto restored = make_in_memory_session_store("s", options);
  ASSERT_TRUE(collector.replay_into(collector.records, **restored).ok());
  auto it = (*restored)->fetch(b("k"));
  ASSERT_TRUE(it.ok());
  ASSERT_TRUE((*it)->valid());
  EXPECT_EQ((*it)->session(), (Window{1'000, 3'000}));
  (*it)->next();
  EXPECT_FALSE((*it)->valid());
}

// What the DSL's KTable forwarding sees.
class RecordingListener final : public CacheFlushListener {
 public:
  Status apply(BytesView key, NullableBytesView new_value, NullableBytesView old_value,
               Timestamp timestamp) override {
    auto text = [](NullableBytesView v) {
      return v ? std::string(v->as_string_view()) : std::string("<null>");
    };
    if (store != nullptr) {
      // A downstream processor may read the store while updates are forwarded.
      auto current = store->get(key);
      EXPECT_TRUE(current.ok());
      EXPECT_EQ(current->has_value(), new_value.has_value());
    }
    updates.push_back(std::string(key.as_string_view()) + "=" + text(new_value) + " (was " +
                      text(old_value) + ") @" + std::to_string(timestamp));
    return Status();
  }
  std::vector<std::string> updates;
  KeyValueStore* store = nullptr;
};

class CachingKeyValueStoreTest : public ::testing::Test {
 protected:
  void make(std::size_t max_bytes) {
    store_ = std::make_unique<CachingKeyValueStore>(
        std::make_unique<ChangeLoggingKeyValueStore>(
            std::make_unique<InMemoryKeyValueStore>("table"), TopicPartition{"t", 0}, collector_,
            TimestampSupplier()),
        max_bytes, [this] { return now_; });
    store_->set_flush_listener(&listener_, /*send_old_values=*/true);
  }
  void SetUp() override { make(1 << 20); }
  void put(std::string_view k, std::string_view v) {
    ASSERT_TRUE(store_->put(b(k), b(v)).ok());
    ++now_;
  }

  RecordingCollector collector_;
  RecordingListener listener_;
  Timestamp now_ = 100;
  std::unique_ptr<CachingKeyValueStore> store_;
};

TEST_F(CachingKeyValueStoreTest, CoalescesWritesPerKeyUntilFlushInOrderOfFirstWrite) {
  put("b", "1");
  put("a", "1");
  put("b", "2");
  put("c", "1");
  put("b", "3");
  ASSERT_TRUE(store_->delete_key(b("c")).ok());
  EXPECT_TRUE(collector_.records.empty());  // nothing reached the underlying store yet
  EXPECT_EQ(store_->dirty_entries(), 3u);
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(collector_.summary(), (Summary{{"b", "3"}, {"a", "1"}, {"c", "<null>"}}));
  EXPECT_EQ(listener_.updates,
            (std::vector<std::string>{"b=3 (was <null>) @104", "a=1 (was <null>) @101",
                                      "c=<null> (was <null>) @105"}));
  EXPECT_EQ(store_->dirty_entries(), 0u);
  EXPECT_EQ(store_->cached_bytes(), 0u);
  // The next round reports the values it replaces.
  put("b", "4");
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(listener_.updates.back(), "b=4 (was 3) @105");
}

TEST_F(CachingKeyValueStoreTest, ReadsAndScansSeeTheCacheBeforeTheUnderlyingStore) {
  put("a", "old");
  put("b", "old");
  put("c", "old");
  ASSERT_TRUE(store_->flush().ok());
  put("b", "new");
  ASSERT_TRUE(store_->delete_key(b("c")).ok());
  put("d", "new");
  EXPECT_EQ(**store_->get(b("b")), b("new"));
  EXPECT_EQ(*store_->get(b("c")), std::nullopt);
  EXPECT_EQ(drain(store_->all()), (Entries{{"a", "old"}, {"b", "new"}, {"d", "new"}}));
  EXPECT_EQ(drain(store_->reverse_range(b("a"), b("c"))), (Entries{{"b", "new"}, {"a", "old"}}));
  EXPECT_EQ(drain(store_->prefix_scan(b("d"))), (Entries{{"d", "new"}}));
}

TEST_F(CachingKeyValueStoreTest, ListenerReadingTheStoreSeesEveryFlushedEntry) {
  listener_.store = store_.get();
  put("a", "1");
  put("b", "2");
  ASSERT_TRUE(store_->delete_key(b("a")).ok());
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(listener_.updates.size(), 2u);
}

TEST_F(CachingKeyValueStoreTest, EvictsTheOldestDirtyEntriesWhenFull) {
  // Room for three entries of a 1-byte key and a 3-byte value.
  const std::size_t entry = 1 + 3 + CachingKeyValueStore::kEntryOverhead;
  make(3 * entry);
  put("a", "va1");
  put("b", "vb1");
  put("a", "va2");  // rewriting keeps a's place as oldest
  put("c", "vc1");
  EXPECT_TRUE(collector_.records.empty());
  put("d", "vd1");  // a fourth entry: the oldest, a, goes down
  EXPECT_EQ(collector_.summary(), (Summary{{"a", "va2"}}));
  EXPECT_EQ(listener_.updates, (std::vector<std::string>{"a=va2 (was <null>) @102"}));
  EXPECT_EQ(store_->evictions(), 1u);
  EXPECT_LE(store_->cached_bytes(), store_->max_bytes());
  put("e", "ve1");
  EXPECT_EQ(collector_.summary(), (Summary{{"a", "va2"}, {"b", "vb1"}}));
  // Evicted entries still read back, from the underlying store.
  EXPECT_EQ(**store_->get(b("a")), b("va2"));
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_EQ(collector_.summary(),
            (Summary{{"a", "va2"}, {"b", "vb1"}, {"c", "vc1"}, {"d", "vd1"}, {"e", "ve1"}}));
}

TEST_F(CachingKeyValueStoreTest, ZeroMaxBytesWritesThrough) {
  make(0);
  put("a", "1");
  EXPECT_EQ(collector_.summary(), (Summary{{"a", "1"}}));
  EXPECT_EQ(store_->dirty_entries(), 0u);
}

TEST(CachingKeyValueStoreBudgetTest, StoresSharingABudgetEvictOnlyTheirOwnEntriesToFitIt) {
  const std::size_t entry = 1 + 3 + CachingKeyValueStore::kEntryOverhead;
  CacheBudget budget(3 * entry);
  RecordingCollector first_log;
  RecordingCollector second_log;
  auto make = [&](RecordingCollector& log, const char* name) {
    return std::make_unique<CachingKeyValueStore>(
        std::make_unique<ChangeLoggingKeyValueStore>(std::make_unique<InMemoryKeyValueStore>(name),
                                                     TopicPartition{name, 0}, log,
                                                     TimestampSupplier()),
        budget);
  };
  auto first = make(first_log, "first");
  auto second = make(second_log, "second");
  ASSERT_TRUE(first->put(b("a"), b("va1")).ok());
  ASSERT_TRUE(first->put(b("b"), b("vb1")).ok());
  ASSERT_TRUE(second->put(b("x"), b("vx1")).ok());
  EXPECT_EQ(budget.used_bytes(), 3 * entry);
  EXPECT_TRUE(first_log.records.empty());
  EXPECT_TRUE(second_log.records.empty());

  // The second store passes the shared bound: it writes down its own oldest entry, not the
  // first store's older ones.
  ASSERT_TRUE(second->put(b("y"), b("vy1")).ok());
  EXPECT_TRUE(first_log.records.empty());
  EXPECT_EQ(second_log.summary(), (Summary{{"x", "vx1"}}));
  EXPECT_LE(budget.used_bytes(), budget.max_bytes());
  EXPECT_EQ(first->cached_bytes() + second->cached_bytes(), budget.used_bytes());

  // A store that goes away gives its bytes back.
  ASSERT_TRUE(first->close().ok());
  first.reset();
  EXPECT_EQ(budget.used_bytes(), entry);
  second.reset();  // Without close(): the destructor gives the bytes back too.
  EXPECT_EQ(budget.used_bytes(), 0u);
}

TEST_F(CachingKeyValueStoreTest, CloseFlushesDirtyEntries) {
  put("a", "1");
  ASSERT_TRUE(store_->close().ok());
  EXPECT_EQ(collector_.summary(), (Summary{{"a", "1"}}));
  EXPECT_FALSE(store_->is_open());
}

TEST_F(CachingKeyValueStoreTest, RestoreBypassesTheCacheAndTheChangelog) {
  put("a", "cached");
  Bytes a = b("a"), v = b("restored");
  std::vector<RestoreRecord> records = {{a, v.view()}};
  ASSERT_TRUE(store_->restore_batch(records).ok());
  EXPECT_EQ(**store_->get(b("a")), b("restored"));
  ASSERT_TRUE(store_->flush().ok());
  EXPECT_TRUE(collector_.records.empty());
  EXPECT_TRUE(listener_.updates.empty());
}

TEST(MeteredKeyValueStoreTest, CountsCallsErrorsAndLatencyPerOperation) {
  MeteredKeyValueStore store(std::make_unique<InMemoryKeyValueStore>("m"));
  ASSERT_TRUE(store.put(b("a"), b("1")).ok());
  ASSERT_TRUE(store.put(b("b"), b("2")).ok());
  ASSERT_TRUE(store.get(b("a")).ok());
  ASSERT_TRUE(store.range(b("a"), b("z")).ok());
  ASSERT_TRUE(store.reverse_range(b("a"), b("z")).ok());
  Bytes k = b("c");
  std::vector<RestoreRecord> records = {{k, std::nullopt}, {k, k.view()}};
  ASSERT_TRUE(store.restore_batch(records).ok());
  ASSERT_TRUE(store.close().ok());
  EXPECT_FALSE(store.get(b("a")).ok());

  KeyValueStoreMetrics m = store.metrics();
  EXPECT_EQ(m.put.count, 2u);
  EXPECT_EQ(m.put.errors, 0u);
  EXPECT_EQ(m.get.count, 2u);
  EXPECT_EQ(m.get.errors, 1u);
  EXPECT_EQ(m.range.count, 2u);
  EXPECT_EQ(m.delete_key.count, 0u);
  EXPECT_EQ(m.restore.count, 1u);
  EXPECT_EQ(m.restored_records, 2u);
  EXPECT_GE(m.put.total_ns, m.put.max_ns);
  EXPECT_GT(m.put.max_ns, 0u);
}

TEST(MeteredKeyValueStoreTest, CountsEveryCallAndTimesOneInSixteen) {
  MeteredKeyValueStore store(std::make_unique<InMemoryKeyValueStore>("m"));
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(store.put(b("k" + std::to_string(i)), b("v")).ok());
  KeyValueStoreMetrics m = store.metrics();
  EXPECT_EQ(m.put.count, 40u);
  EXPECT_EQ(m.put.timed, 3u);  // calls 1, 17 and 33
  EXPECT_GT(m.put.mean_ns(), 0.0);
  EXPECT_LE(m.put.mean_ns(), static_cast<double>(m.put.max_ns));
}

TEST(MeteredWindowStoreTest, CountsPerOperationAndExpiredPuts) {
  MeteredWindowStore store(
      *make_in_memory_window_store("w", {.retention_ms = 10'000, .segment_interval_ms = 5'000}));
  ASSERT_TRUE(store.put(b("k"), b("v"), 20'000).ok());
  ASSERT_TRUE(store.put(b("k"), b("late"), 1'000).ok());  // expired: dropped
  ASSERT_TRUE(store.fetch(b("k"), 0, 30'000).ok());
  ASSERT_TRUE(store.fetch(b("a"), b("z"), 0, 30'000).ok());
  EXPECT_EQ(store.put(b("k"), b("v"), -5).code(), StatusCode::kInvalidArgument);
  WindowStoreMetrics m = store.metrics();
  EXPECT_EQ(m.put.count, 3u);
  EXPECT_EQ(m.put.errors, 1u);
  EXPECT_EQ(m.fetch.count, 1u);
  EXPECT_EQ(m.fetch_range.count, 1u);
  EXPECT_EQ(m.expired_puts_dropped, 1u);
}

TEST(MeteredSessionStoreTest, CountsPerOperation) {
  MeteredSessionStore store(*make_in_memory_session_store("s", {.retention_ms = 10'000}));
  ASSERT_TRUE(store.put(b("k"), Window{0, 10}, b("v")).ok());
  ASSERT_TRUE(store.find_sessions(b("k"), 0, 100).ok());
  ASSERT_TRUE(store.fetch(b("k")).ok());
  ASSERT_TRUE(store.remove(b("k"), Window{0, 10}).ok());
  Bytes key = session_key::to_store_key(b("k"), 0, 10);
  std::vector<RestoreRecord> records = {{key, std::nullopt}};
  ASSERT_TRUE(store.restore_batch(records).ok());
  SessionStoreMetrics m = store.metrics();
  EXPECT_EQ(m.put.count, 1u);
  EXPECT_EQ(m.find_sessions.count, 2u);
  EXPECT_EQ(m.remove.count, 1u);
  EXPECT_EQ(m.restored_records, 1u);
}

}  // namespace decorators_test
}  // namespace runnel::state
