#include "core/status.h"

#include <sstream>

#include <gtest/gtest.h>

namespace runnel {
namespace {

TEST(StatusTest, DefaultIsOkWithEmptyMessage) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kOk);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.to_string(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status status = corruption_error("int32 serde: expected 4 bytes, got 3");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_EQ(status.message(), "int32 serde: expected 4 bytes, got 3");
  EXPECT_EQ(status.to_string(), "Corruption: int32 serde: expected 4 bytes, got 3");
}

TEST(StatusTest, CopiesAreIndependentAndEqual) {
  Status original = not_found_error("topic payments");
  Status copy = original;
  EXPECT_EQ(copy, original);
  original = ok_status();
  EXPECT_TRUE(original.ok());
  EXPECT_EQ(copy.code(), StatusCode::kNotFound);
  EXPECT_EQ(copy.message(), "topic payments");
}

TEST(StatusTest, WithContextPrefixesTheMessageAndKeepsTheCode) {
  Status status = io_error("write failed").with_context("segment 00000000000000000042.log");
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(status.message(), "segment 00000000000000000042.log: write failed");
  EXPECT_TRUE(ok_status().with_context("ignored").ok());
}

TEST(StatusTest, RetryableOnlyForTransientConditions) {
  EXPECT_TRUE(io_error("x").is_retryable());
  EXPECT_TRUE(no_space_error("x").is_retryable());
  EXPECT_TRUE(timeout_error("x").is_retryable());
  EXPECT_TRUE(unavailable_error("x").is_retryable());
  EXPECT_FALSE(corruption_error("x").is_retryable());
  EXPECT_FALSE(invalid_argument_error("x").is_retryable());
  EXPECT_FALSE(fenced_error("x").is_retryable());
  EXPECT_FALSE(ok_status().is_retryable());
}

TEST(StatusTest, EveryCodeHasAName) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kFenced); ++c) {
    EXPECT_NE(status_code_name(static_cast<StatusCode>(c)), "Unknown") << c;
  }
}

Status fails_then_continues(bool fail, int& reached) {
  RUNNEL_RETURN_IF_ERROR(fail ? aborted_error("stop") : ok_status());
  ++reached;
  return ok_status();
}

TEST(StatusTest, ReturnIfErrorStopsOnlyOnError) {
  int reached = 0;
  EXPECT_EQ(fails_then_continues(true, reached).code(), StatusCode::kAborted);
  EXPECT_EQ(reached, 0);
  EXPECT_TRUE(fails_then_continues(false, reached).ok());
  EXPECT_EQ(reached, 1);
}

TEST(StatusTest, StreamsItsText) {
  std::ostringstream os;
  os << timeout_error("fetch");
  EXPECT_EQ(os.str(), "Timeout: fetch");
}

}  // namespace
}  // namespace runnel
