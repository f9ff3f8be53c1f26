#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "state/in_memory_key_value_store.h"
#include "state/stores.h"
#include "state/typed_key_value_store.h"
#include "state/typed_session_store.h"
#include "state/typed_window_store.h"

namespace runnel::state {
namespace typed_stores_test {

const StringSerde kStrings;
const Int64Serde kLongs;

TEST(TypedKeyValueStoreTest, RoundTripsTypedKeysAndValues) {
  InMemoryKeyValueStore bytes("counts");
  TypedKeyValueStore<std::string, std::int64_t> store(bytes, kStrings, kLongs);
  ASSERT_TRUE(store.put("apple", 3).ok());
  ASSERT_TRUE(store.put_all({{"banana", 5}, {"cherry", -1}}).ok());
  EXPECT_EQ(*store.get("apple"), std::optional<std::int64_t>(3));
  EXPECT_EQ(*store.get("durian"), std::nullopt);
  EXPECT_EQ(*store.put_if_absent("apple", 9), std::optional<std::int64_t>(3));
  EXPECT_EQ(*store.delete_key("banana"), std::optional<std::int64_t>(5));
  // The byte store holds Kafka's encodings: an int64 is 8 big-endian bytes.
  EXPECT_EQ(**bytes.get(Bytes::from_string("apple")), (Bytes{0, 0, 0, 0, 0, 0, 0, 3}));

  auto it = store.range("a", "z");
  ASSERT_TRUE(it.ok());
  std::vector<std::pair<std::string, std::int64_t>> seen;
  for (; it->valid(); it->next()) seen.push_back(*it->entry());
  EXPECT_EQ(seen,
            (std::vector<std::pair<std::string, std::int64_t>>{{"apple", 3}, {"cherry", -1}}));
  auto prefixed = store.prefix_scan(std::string("ch"), kStrings);
  ASSERT_TRUE(prefixed.ok());
  ASSERT_TRUE(prefixed->valid());
  EXPECT_EQ(*prefixed->key(), "cherry");
}

TEST(TypedKeyValueStoreTest, UndecodableStoredBytesAreAnErrorNamingTheStore) {
  InMemoryKeyValueStore bytes("counts");
  ASSERT_TRUE(bytes.put(Bytes::from_string("k"), Bytes{1, 2, 3}).ok());  // not an int64
  TypedKeyValueStore<std::string, std::int64_t> store(bytes, kStrings, kLongs);
  auto value = store.get("k");
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.status().message().find("store 'counts'"), std::string_view::npos)
      << value.status();
  EXPECT_NE(value.status().message().find("int64"), std::string_view::npos);
  auto it = store.all();
  ASSERT_TRUE(it.ok());
  ASSERT_TRUE(it->valid());
  EXPECT_TRUE(it->key().ok());
  EXPECT_FALSE(it->value().ok());
  EXPECT_FALSE(it->entry().ok());
}

TEST(TypedWindowStoreTest, FetchesTypedWindows) {
  auto bytes = make_in_memory_window_store(
      "w", {.retention_ms = 60'000, .window_size_ms = 10'000, .segment_interval_ms = 30'000});
  ASSERT_TRUE(bytes.ok());
  TypedWindowStore<std::string, std::int64_t> store(**bytes, kStrings, kLongs);
  ASSERT_TRUE(store.put("k", 1, 0).ok());
  ASSERT_TRUE(store.put("k", 2, 10'000).ok());
  ASSERT_TRUE(store.put("j", 7, 10'000).ok());
  EXPECT_EQ(*store.fetch("k", 0, 20'000),
            (std::vector<std::pair<Timestamp, std::int64_t>>{{0, 1}, {10'000, 2}}));
  EXPECT_EQ(*store.fetch("k", 10'000), std::optional<std::int64_t>(2));
  auto all = store.fetch_all(10'000, 10'000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].first, (Windowed<std::string>{"j", Window{10'000, 20'000}}));
  EXPECT_EQ((*all)[0].second, 7);
  ASSERT_TRUE(store.remove("k", 0).ok());
  EXPECT_EQ(store.fetch("k", 0, 20'000)->size(), 1u);
}

TEST(TypedSessionStoreTest, FindsTypedSessions) {
  auto bytes = make_in_memory_session_store("s", {.retention_ms = 60'000});
  ASSERT_TRUE(bytes.ok());
  TypedSessionStore<std::string, std::int64_t> store(**bytes, kStrings, kLongs);
  ASSERT_TRUE(store.put({"k", {0, 1'000}}, 2).ok());
  ASSERT_TRUE(store.put({"k", {5'000, 6'000}}, 3).ok());
  auto found = store.find_sessions("k", 500, 2'000);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].first, (Windowed<std::string>{"k", Window{0, 1'000}}));
  EXPECT_EQ((*found)[0].second, 2);
  ASSERT_TRUE(store.remove({"k", {0, 1'000}}).ok());
  EXPECT_EQ(store.fetch("k")->size(), 1u);
  EXPECT_EQ(*store.fetch_session("k", {5'000, 6'000}), std::optional<std::int64_t>(3));
}

}  // namespace typed_stores_test
}  // namespace runnel::state
