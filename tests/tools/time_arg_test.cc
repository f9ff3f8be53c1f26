#include "tools/time_arg.h"

#include <gtest/gtest.h>

namespace runnel::tools {
namespace {

TEST(TimeArg, ReadsEpochMillisecondsAndIsoUtcTimes) {
  EXPECT_EQ(*parse_time_point("0"), 0);
  EXPECT_EQ(*parse_time_point("1767225600000"), 1'767'225'600'000);
  EXPECT_EQ(*parse_time_point("2026-01-01T00:00:00Z"), 1'767'225'600'000);
  EXPECT_EQ(*parse_time_point("2026-01-01T00:00:00.25Z"), 1'767'225'600'250);
  EXPECT_EQ(*parse_time_point("1970-01-01T00:00:01.001Z"), 1'001);
  EXPECT_EQ(*parse_time_point("2024-02-29T12:30:45Z"), 1'709'209'845'000);
}

TEST(TimeArg, RefusesWhatIsNotAValidUtcTime) {
  for (const char* text :
       {"", "yesterday", "-5", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01T00:00:00+01:00",
        "2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00.Z"}) {
    auto parsed = parse_time_point(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().to_string().find(std::string("'") + text + "'"), std::string::npos);
  }
}

TEST(TimeArg, ReadsTimesAgo) {
  constexpr Timestamp kNow = 1'767'225'600'000;
  EXPECT_EQ(*parse_time_point("-1h", kNow), kNow - 3'600'000);
  EXPECT_EQ(*parse_time_point("-15m", kNow), kNow - 900'000);
  EXPECT_EQ(*parse_time_point("-30s", kNow), kNow - 30'000);
  EXPECT_EQ(*parse_time_point("-2d", kNow), kNow - 172'800'000);
  EXPECT_EQ(*parse_time_point("-1h30m", kNow), kNow - 5'400'000);
  EXPECT_EQ(*parse_time_point("-250ms", kNow), kNow - 250);
  // Absolute times do not depend on now.
  EXPECT_EQ(*parse_time_point("1000", kNow), 1000);
  for (const char* text : {"-", "-h", "-1", "-1x", "-1h-2m", "--1h", "-1.5h", "1h"}) {
    auto parsed = parse_time_point(text, kNow);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << text;
  }
  EXPECT_FALSE(parse_time_point("-1d", 1000).ok());  // Before the epoch.
}

TEST(TimeArg, ReadsIsoDurations) {
  EXPECT_EQ(*parse_duration("PT1H"), 3'600'000);
  EXPECT_EQ(*parse_duration("P1DT12H"), 129'600'000);
  EXPECT_EQ(*parse_duration("PT30S"), 30'000);
  EXPECT_EQ(*parse_duration("PT0.5S"), 500);
  EXPECT_EQ(*parse_duration("PT1H30M"), 5'400'000);
  EXPECT_EQ(*parse_duration("P2D"), 172'800'000);
  for (const char* text : {"", "P", "PT", "1H", "PT1D", "P1H", "PTH", "PT1H1", "PT1X"}) {
    EXPECT_FALSE(parse_duration(text).ok()) << text;
  }
}

}  // namespace
}  // namespace runnel::tools
