#include "runtime/internal/default_partitioner.h"

#include <string_view>

#include <gtest/gtest.h>

namespace runnel::internal {
namespace default_partitioner_test {

// The values of Kafka's own UtilsTest.testMurmur2, so keys land where Java puts them.
TEST(DefaultPartitionerTest, Murmur2MatchesKafkasTestVectors) {
  EXPECT_EQ(murmur2(std::string_view("21")), -973932308);
  EXPECT_EQ(murmur2(std::string_view("foobar")), -790332482);
  EXPECT_EQ(murmur2(std::string_view("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(murmur2(std::string_view("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(murmur2(std::string_view("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")),
            -58897971);
  EXPECT_EQ(murmur2(std::string_view("abc")), 479470107);
}

TEST(DefaultPartitionerTest, PartitionIsThePositiveHashModuloTheCount) {
  EXPECT_EQ(default_partition(std::string_view("21"), 7), (-973932308 & 0x7fffffff) % 7);
  for (int n = 1; n < 20; ++n) {
    const auto p = default_partition(std::string_view("foobar"), n);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, n);
  }
}

}  // namespace default_partitioner_test
}  // namespace runnel::internal
