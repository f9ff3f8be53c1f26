// TimeOrderedKeyValueBuffer: eviction in time order (up to a time, or while the caller says
// so), replacement and removal, finding a key by its index, sizes, and a buffer (and its key
// index) rebuilt from its store's changelog after a restart.

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
namespace time_ordered_key_value_buffer_test {

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

// find's answer as (time, record timestamp, value), or nullopt.
using FoundTuple = std::optional<std::tuple<Timestamp, Timestamp, std::string>>;

FoundTuple find(TimeOrderedKeyValueBuffer& buffer, const std::string& key) {
  auto found = buffer.find(b(key));
  EXPECT_TRUE(found.ok()) << found.status();
  if (!found.ok() || !*found) return std::nullopt;
  return std::make_tuple((*found)->time, (*found)->record_timestamp, (*found)->value.to_string());
}

TEST(TimeOrderedKeyValueBufferTest, AnIndexedBufferFindsAKeysEntryUntilItIsEvictedOrRemoved) {
  InMemoryKeyValueStore store("buffer");
  TimeOrderedKeyValueBuffer buffer(store, false, /*index_keys=*/true);
  EXPECT_EQ(find(buffer, "a"), std::nullopt);
  ASSERT_TRUE(buffer.put(10, b("a"), 10, b("a1")).ok());
  ASSERT_TRUE(buffer.put(10, b("a"), 12, b("a2")).ok());
  ASSERT_TRUE(buffer.put(20, b("b"), 20, b("b1")).ok());
  ASSERT_TRUE(buffer.put(30, b("c"), 30, b("c1")).ok());
  EXPECT_EQ(find(buffer, "a"), FoundTuple(std::make_tuple(10, 12, "a2")));
  EXPECT_EQ(find(buffer, "b"), FoundTuple(std::make_tuple(20, 20, "b1")));
  ASSERT_TRUE(buffer.remove(20, b("b")).ok());
  EXPECT_EQ(find(buffer, "b"), std::nullopt);
  EXPECT_EQ(evict(buffer, 10), (Evicted{{10, "a", 12, "a2"}}));
  EXPECT_EQ(find(buffer, "a"), std::nullopt);
  EXPECT_EQ(find(buffer, "c"), FoundTuple(std::make_tuple(30, 30, "c1")));
}

TEST(TimeOrderedKeyValueBufferTest, FindNeedsABufferThatIndexesItsKeys) {
  InMemoryKeyValueStore store("buffer");
  TimeOrderedKeyValueBuffer buffer(store, false);
  EXPECT_EQ(buffer.find(b("a")).status().code(), StatusCode::kInvalidArgument);
}

TEST(TimeOrderedKeyValueBufferTest, EvictWhileEmitsTheEarliestEntriesUntilToldToStop) {
  InMemoryKeyValueStore store("buffer");
  TimeOrderedKeyValueBuffer buffer(store, true, /*index_keys=*/true);
  ASSERT_TRUE(buffer.put(20, b("c"), 21, b("c")).ok());
  ASSERT_TRUE(buffer.put(10, b("b"), 11, b("b")).ok());
  ASSERT_TRUE(buffer.put(10, b("a"), 12, b("a")).ok());
  Evicted out;
  auto collect = [&](const TimeOrderedKeyValueBuffer::Entry& e) {
    out.emplace_back(e.time, std::string(e.key.as_string_view()), e.record_timestamp,
                     std::string(e.value.as_string_view()));
    return ok_status();
  };
  // Stops within the entries of one time: the other stays, and is still found.
  auto more_than_two = [&]() -> Result<bool> {
    RUNNEL_ASSIGN_OR_RETURN(std::uint64_t n, buffer.num_records());
    return n > 2;
  };
  ASSERT_TRUE(buffer.evict_while(more_than_two, collect).ok());
  EXPECT_EQ(out, (Evicted{{10, "a", 12, "a"}}));
  EXPECT_EQ(find(buffer, "a"), std::nullopt);
  EXPECT_EQ(find(buffer, "b"), FoundTuple(std::make_tuple(10, 11, "b")));
  EXPECT_EQ(*buffer.min_time(), std::optional<Timestamp>(10));
  // 8 + 1 + 8 + 1 bytes an entry.
  EXPECT_EQ(*buffer.num_bytes(), 36u);
  out.clear();
  ASSERT_TRUE(buffer.evict_while([]() -> Result<bool> { return true; }, collect).ok());
  EXPECT_EQ(out, (Evicted{{10, "b", 11, "b"}, {20, "c", 21, "c"}}));
  EXPECT_EQ(records(buffer), 0u);
  EXPECT_EQ(*buffer.num_bytes(), 0u);
  // more()'s error stops the eviction and is returned.
  ASSERT_TRUE(buffer.put(1, b("d"), 1, b("d")).ok());
  EXPECT_EQ(
      buffer.evict_while([]() -> Result<bool> { return unavailable_error("no"); }, collect).code(),
      StatusCode::kUnavailable);
  EXPECT_EQ(records(buffer), 1u);
}

TEST(TimeOrderedKeyValueBufferTest, AnIndexedBufferOverARestoredStoreFindsEveryKey) {
  Changelog changelog;
  {
    ChangeLoggingKeyValueStore logged(std::make_unique<InMemoryKeyValueStore>("buffer"),
                                      TopicPartition{"app-buffer-changelog", 0}, changelog,
                                      [] { return Timestamp{0}; });
    TimeOrderedKeyValueBuffer buffer(logged, false, /*index_keys=*/true);
    ASSERT_TRUE(buffer.put(10, b("a"), 10, b("a1")).ok());
    ASSERT_TRUE(buffer.put(10, b("a"), 14, b("a2")).ok());
    ASSERT_TRUE(buffer.put(12, b("b"), 12, b("b1")).ok());
    ASSERT_TRUE(buffer.put(5, b("gone"), 5, b("g")).ok());
    EXPECT_EQ(evict(buffer, 5), (Evicted{{5, "gone", 5, "g"}}));
  }
  InMemoryKeyValueStore restored("buffer");
  TimeOrderedKeyValueBuffer buffer(restored, false, /*index_keys=*/true);
  ASSERT_TRUE(changelog.replay_into(restored).ok());
  EXPECT_EQ(find(buffer, "a"), FoundTuple(std::make_tuple(10, 14, "a2")));
  EXPECT_EQ(find(buffer, "b"), FoundTuple(std::make_tuple(12, 12, "b1")));
  EXPECT_EQ(find(buffer, "gone"), std::nullopt);
}

TEST(TimeOrderedKeyValueBufferTest, AForeignEntryInTheStoreIsCorruption) {
  InMemoryKeyValueStore store("buffer");
  ASSERT_TRUE(store.put(b("short"), b("12345678")).ok());
  TimeOrderedKeyValueBuffer buffer(store, false);
  EXPECT_EQ(buffer.put(1, b("k"), 1, b("v")).code(), StatusCode::kCorruption);
}

}  // namespace time_ordered_key_value_buffer_test
}  // namespace runnel::state::internal
