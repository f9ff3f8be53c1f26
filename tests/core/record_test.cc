#include "core/record.h"

#include <string>

#include <gtest/gtest.h>

namespace runnel {
namespace {

TEST(RecordTest, NullKeyAndValueAreDistinctFromEmpty) {
  Record<std::string, std::string> tombstone{.key = "card-1", .value = std::nullopt};
  Record<std::string, std::string> empty{.key = "card-1", .value = ""};
  EXPECT_FALSE(tombstone.value.has_value());
  EXPECT_TRUE(empty.value.has_value());
  EXPECT_NE(tombstone, empty);
}

TEST(RecordTest, WithValueKeepsKeyTimestampHeadersAndPosition) {
  Record<std::string, int> in{.key = "k",
                              .value = 41,
                              .timestamp = 1700000000000,
                              .headers = {{"h", Bytes::from_string("v")}},
                              .position = RecordPosition{"payments", 3, 99}};
  Record<std::string, std::string> out = in.with_value<std::string>(std::to_string(*in.value + 1));
  EXPECT_EQ(out.key, "k");
  EXPECT_EQ(out.value, "42");
  EXPECT_EQ(out.timestamp, 1700000000000);
  EXPECT_EQ(out.headers, in.headers);
  EXPECT_EQ(out.position, (RecordPosition{"payments", 3, 99}));
}

TEST(RecordTest, WithKeyKeepsTheValue) {
  Record<std::string, int> in{.key = "k", .value = 1, .timestamp = 5};
  Record<int, int> out = in.with_key<int>(std::nullopt);
  EXPECT_FALSE(out.key.has_value());
  EXPECT_EQ(out.value, 1);
  EXPECT_EQ(out.timestamp, 5);
}

TEST(RecordTest, DefaultsToNoTimestampAndUnknownPosition) {
  Record<std::string, std::string> record;
  EXPECT_EQ(record.timestamp, kNoTimestamp);
  EXPECT_FALSE(record.position.has_value());
  EXPECT_TRUE(record.headers.empty());
}

}  // namespace
}  // namespace runnel
