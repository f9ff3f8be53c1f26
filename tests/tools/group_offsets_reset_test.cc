#include "tools/group_offsets_reset.h"

#include <gtest/gtest.h>

namespace runnel::tools {
namespace {

using Kind = ResetTarget::Kind;

TEST(GroupOffsetsReset, ReadsTopicsWithAndWithoutPartitions) {
  auto whole = parse_topic_selection("orders");
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->topic, "orders");
  EXPECT_TRUE(whole->partitions.empty());
  auto some = parse_topic_selection("orders:0,2");
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->topic, "orders");
  EXPECT_EQ(some->partitions, (std::vector<std::int32_t>{0, 2}));
  for (const char* text : {"", ":1", "orders:", "orders:a", "orders:1,", "orders:-1"}) {
    auto parsed = parse_topic_selection(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  }
}

// A partition holding offsets [10, 50), with offset 30 committed.
TEST(GroupOffsetsReset, FollowsKafkasRulesInsideTheLog) {
  const std::pair<std::int64_t, std::int64_t> marks{10, 50};
  EXPECT_EQ(*reset_offset({Kind::kEarliest, 0}, marks, 30, {}), 10);
  EXPECT_EQ(*reset_offset({Kind::kLatest, 0}, marks, 30, {}), 50);
  EXPECT_EQ(*reset_offset({Kind::kOffset, 20}, marks, 30, {}), 20);
  EXPECT_EQ(*reset_offset({Kind::kDatetime, 1'000}, marks, 30, 42), 42);
  EXPECT_EQ(*reset_offset({Kind::kShiftBy, -5}, marks, 30, {}), 25);
  EXPECT_EQ(*reset_offset({Kind::kShiftBy, 5}, marks, 30, {}), 35);
}

TEST(GroupOffsetsReset, MovesOffsetsOutsideTheLogToItsNearerEnd) {
  const std::pair<std::int64_t, std::int64_t> marks{10, 50};
  EXPECT_EQ(*reset_offset({Kind::kOffset, 3}, marks, {}, {}), 10);
  EXPECT_EQ(*reset_offset({Kind::kOffset, 99}, marks, {}, {}), 50);
  EXPECT_EQ(*reset_offset({Kind::kShiftBy, -100}, marks, 30, {}), 10);
  EXPECT_EQ(*reset_offset({Kind::kShiftBy, 100}, marks, 30, {}), 50);
}

TEST(GroupOffsetsReset, ShiftingNeedsACommittedOffset) {
  auto shifted = reset_offset({Kind::kShiftBy, 1}, {0, 5}, std::nullopt, {});
  ASSERT_FALSE(shifted.ok());
  EXPECT_EQ(shifted.status().code(), StatusCode::kInvalidArgument);
  // The other targets do not need one.
  EXPECT_EQ(*reset_offset({Kind::kLatest, 0}, {0, 5}, std::nullopt, {}), 5);
}

}  // namespace
}  // namespace runnel::tools
