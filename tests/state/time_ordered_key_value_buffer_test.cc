// TimeOrderedKeyValueBuffer: eviction in time order, replacement and removal, sizes, and a
// buffer rebuilt from its store's changelog after a restart.

#include "state/internal/time_ordered_key_value_buffer.h"

#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "state/change_logging_key_value_store.h"
#include "state/in_memory_key_value_store.h"
#include "tests/state/store_test_util.h"

namespace runnel::state::internal {
namespace {

using runnel::state::testing::b;

// (time, key, record timestamp, value) of each evicted entry.
using Evicted = std::vector<std::tuple<Timestamp, std::string, Timestamp, std::string>>;

Evicted evict(TimeOrderedKeyValueBuffer& buffer, Timestamp limit) {
  Evicted out;
  Status s = buffer.evict_until(limit, [&](const TimeOrderedKeyValueBuffer::Entry& e) {
    out.emplace_back(e.time, std::string(e.key.as_string_view()), e.record_timestamp,
                     std::string(e.value.as_string_view()));
    return ok_status();
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

std::uint64_t records(TimeOrderedKeyValueBuffer& buffer) {
  auto n = buffer.num_records();
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? *n : 0;
}

TEST(TimeOrderedKeyValueBufferTest, EvictsEntriesUpToTheLimitInTimeThenKeyOrder) {
  InMemoryKeyValueStore store("buffer");
  TimeOrderedKeyValueBuffer buffer(store, false);
  ASSERT_TRUE(buffer.put(20, b("b"), 11, b("b20")).ok());
  ASSERT_TRUE(buffer.put(10, b("z"), 3, b("z10")).ok());
  ASSERT_TRUE(buffer.put(10, b("a"), 4, b("a10")).ok());
  ASSERT_TRUE(buffer.put(30, b("a"), 25, b("a30")).ok());
  EXPECT_EQ(records(buffer), 4u);
  EXPECT_EQ(*buffer.min_time(), std::optional<Timestamp>(10));

  EXPECT_TRUE(evict(buffer, 9).empty());
  EXPECT_EQ(evict(buffer, 20),
            (Evicted{{10, "a", 4, "a10"}, {10, "z", 3, "z10"}, {20, "b", 11, "b20"}}));
  EXPECT_EQ(records(buffer), 1u);
  EXPECT_EQ(*buffer.min_time(), std::optional<Timestamp>(30));
  EXPECT_TRUE(evict(buffer, 20).empty());
  EXPECT_EQ(evict(buffer, 1000), (Evicted{{30, "a", 25, "a30"}}));
  EXPECT_EQ(*buffer.min_time(), std::nullopt);
}

TEST(TimeOrderedKeyValueBufferTest, APutReplacesAndARemoveDropsAnEntryWithoutEvictingIt) {
  InMemoryKeyValueStore store("buffer");
  TimeOrderedKeyValueBuffer buffer(store, true);
  ASSERT_TRUE(buffer.put(10, b("k"), 1, b("first")).ok());
  ASSERT_TRUE(buffer.put(10, b("k"), 2, b("second")).ok());
  ASSERT_TRUE(buffer.put(10, b("gone"), 2, b("x")).ok());
  ASSERT_TRUE(buffer.remove(10, b("gone")).ok());
  ASSERT_TRUE(buffer.remove(10, b("never-there")).ok());
  EXPECT_EQ(records(buffer), 1u);
  // 8-byte time + "k", 8-byte record timestamp + "second".
  EXPECT_EQ(*buffer.num_bytes(), 9u + 14u);
  EXPECT_EQ(evict(buffer, 10), (Evicted{{10, "k", 2, "second"}}));
  EXPECT_EQ(*buffer.num_bytes(), 0u);
}

TEST(TimeOrderedKeyValueBufferTest, AnEmitErrorStopsEvictionAndKeepsTheRest) {
  InMemoryKeyValueStore store("buffer");
  TimeOrderedKeyValueBuffer buffer(store, false);
  ASSERT_TRUE(buffer.put(1, b("a"), 1, b("1")).ok());
  ASSERT_TRUE(buffer.put(2, b("b"), 2, b("2")).ok());
  Status s = buffer.evict_until(5, [](const TimeOrderedKeyValueBuffer::Entry& e) {
    return e.time == 2 ? unavailable_error("downstream down") : ok_status();
  });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(evict(buffer, 5), (Evicted{{2, "b", 2, "2"}}));
}

// Keeps a store's changelog records, to replay them into a new store.
class Changelog final : public ChangelogCollector {
 public:
  Status send(const ChangelogRecord& record) override {
    keys.emplace_back(record.key);
    values.push_back(record.value ? NullableBytes(Bytes(*record.value)) : std::nullopt);
    return ok_status();
  }
  Status replay_into(KeyValueStore& store) const {
    std::vector<RestoreRecord> batch;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      batch.push_back(RestoreRecord{keys[i].view(), view_of(values[i])});
    }
    return store.restore_batch(batch);
  }
  std::vector<Bytes> keys;
  std::vector<NullableBytes> values;
};

TEST(TimeOrderedKeyValueBufferTest, ABufferOverARestoredStoreFindsEveryEntryAndItsSize) {
  Changelog changelog;
  {
    ChangeLoggingKeyValueStore logged(std::make_unique<InMemoryKeyValueStore>("buffer"),
                                      TopicPartition{"app-buffer-changelog", 0}, changelog,
                                      [] { return Timestamp{0}; });
    TimeOrderedKeyValueBuffer buffer(logged, true);
    ASSERT_TRUE(buffer.put(40, b("late"), 39, b("v40")).ok());
    ASSERT_TRUE(buffer.put(10, b("a"), 5, b("old")).ok());
    ASSERT_TRUE(buffer.put(10, b("a"), 6, b("new")).ok());
    ASSERT_TRUE(buffer.put(15, b("merged"), 7, b("x")).ok());
    ASSERT_TRUE(buffer.remove(15, b("merged")).ok());
    ASSERT_TRUE(buffer.put(5, b("emitted"), 1, b("y")).ok());
    EXPECT_EQ(evict(buffer, 5), (Evicted{{5, "emitted", 1, "y"}}));
  }
  // A restart: a new store restored from the changelog, then a new buffer over it, made
  // before the restoration as a processor's init is.
  InMemoryKeyValueStore restored("buffer");
  TimeOrderedKeyValueBuffer buffer(restored, true);
  ASSERT_TRUE(changelog.replay_into(restored).ok());
  EXPECT_EQ(records(buffer), 2u);
  EXPECT_EQ(*buffer.num_bytes(), (8u + 1u + 8u + 3u) + (8u + 4u + 8u + 3u));
  EXPECT_EQ(*buffer.min_time(), std::optional<Timestamp>(10));
  EXPECT_EQ(evict(buffer, 100), (Evicted{{10, "a", 6, "new"}, {40, "late", 39, "v40"}}));
}

TEST(TimeOrderedKeyValueBufferTest, AForeignEntryInTheStoreIsCorruption) {
  InMemoryKeyValueStore store("buffer");
  ASSERT_TRUE(store.put(b("short"), b("12345678")).ok());
  TimeOrderedKeyValueBuffer buffer(store, false);
  EXPECT_EQ(buffer.put(1, b("k"), 1, b("v")).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace runnel::state::internal
