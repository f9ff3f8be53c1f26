#include "core/result.h"

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace runnel {
namespace {

TEST(ResultTest, HoldsAValue) {
  Result<std::string> result = std::string("hello");
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.status().ok());
  EXPECT_EQ(*result, "hello");
  EXPECT_EQ(result->size(), 5u);
}

TEST(ResultTest, HoldsAnError) {
  Result<int> result = not_found_error("no such key");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(result.value_or(7), 7);
}

TEST(ResultTest, MovesMoveOnlyValuesOut) {
  Result<std::unique_ptr<int>> result = std::make_unique<int>(42);
  ASSERT_TRUE(result.ok());
  std::unique_ptr<int> owned = std::move(result).value();
  EXPECT_EQ(*owned, 42);
}

TEST(ResultTest, ConvertsFromCompatibleValues) {
  Result<std::string> result = "literal";  // const char* -> std::string
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, "literal");
}

Result<std::vector<std::string>> words() {
  return std::vector<std::string>{"alpha", "beta", "gamma"};
}

TEST(ResultTest, RangeForOverTheValueOfATemporaryResultSeesTheValues) {
  // The range-for keeps alive what *words() returns, not the temporary Result: the value must
  // be moved out of it, or the loop would read the destroyed vector.
  std::vector<std::string> seen;
  for (const auto& word : *words()) seen.push_back(word);
  EXPECT_EQ(seen, (std::vector<std::string>{"alpha", "beta", "gamma"}));

  seen.clear();
  for (auto& word : words().value()) seen.push_back(std::move(word));
  EXPECT_EQ(seen, (std::vector<std::string>{"alpha", "beta", "gamma"}));
}

TEST(ResultTest, ATemporaryResultGivesItsValueNotAReferenceIntoItself) {
  static_assert(std::is_same_v<decltype(*words()), std::vector<std::string>>);
  static_assert(std::is_same_v<decltype(words().value()), std::vector<std::string>>);
  Result<std::vector<std::string>> held = words();
  static_assert(std::is_same_v<decltype(*held), std::vector<std::string>&>);
  EXPECT_EQ((*held).size(), 3u);
}

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return invalid_argument_error(std::string("not a digit: ") + c);
  return c - '0';
}

Result<int> sum_of_digits(char a, char b) {
  RUNNEL_ASSIGN_OR_RETURN(int x, parse_digit(a));
  RUNNEL_ASSIGN_OR_RETURN(int y, parse_digit(b));
  return x + y;
}

TEST(ResultTest, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*sum_of_digits('3', '4'), 7);
  Result<int> bad = sum_of_digits('3', 'x');
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "not a digit: x");
}

}  // namespace
}  // namespace runnel
