#include "core/headers.h"

#include <gtest/gtest.h>

namespace runnel {
namespace {

TEST(HeadersTest, KeepsOrderAndDuplicateKeys) {
  Headers headers;
  headers.add("trace", Bytes::from_string("a"));
  headers.add("source", Bytes::from_string("pos-7"));
  headers.add("trace", Bytes::from_string("b"));
  ASSERT_EQ(headers.size(), 3u);
  std::vector<std::string> keys;
  for (const Header& h : headers) keys.push_back(h.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"trace", "source", "trace"}));
  ASSERT_EQ(headers.all("trace").size(), 2u);
}

TEST(HeadersTest, LastReturnsTheMostRecentHeaderOfAKey) {
  Headers headers{{"k", Bytes::from_string("first")}, {"k", Bytes::from_string("second")}};
  ASSERT_NE(headers.last("k"), nullptr);
  EXPECT_EQ(headers.last("k")->value->to_string(), "second");
  EXPECT_EQ(headers.last("missing"), nullptr);
}

TEST(HeadersTest, NullValueIsDistinctFromEmpty) {
  Headers headers;
  headers.add("null", std::nullopt);
  headers.add("empty", Bytes());
  EXPECT_FALSE(headers.last("null")->value.has_value());
  ASSERT_TRUE(headers.last("empty")->value.has_value());
  EXPECT_TRUE(headers.last("empty")->value->empty());
}

TEST(HeadersTest, RemoveDropsEveryHeaderOfTheKey) {
  Headers headers{{"a", Bytes()}, {"b", Bytes()}, {"a", std::nullopt}};
  EXPECT_EQ(headers.remove("a"), 2u);
  EXPECT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers.remove("a"), 0u);
}

}  // namespace
}  // namespace runnel
