#include "broker/storage/crc32c.h"

#include <string>

#include <gtest/gtest.h>

namespace runnel::broker {
namespace {

TEST(Crc32cTest, MatchesTheStandardCheckValue) {
  // The check value of CRC-32C (RFC 3720, appendix B.4): crc32c("123456789").
  EXPECT_EQ(crc32c(std::string_view("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c(BytesView()), 0u);
}

TEST(Crc32cTest, MatchesRfc3720TestVectors) {
  std::string zeros(32, '\0');
  std::string ones(32, '\xff');
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(std::string_view(zeros)), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string_view(ones)), 0x62A8AB43u);
  EXPECT_EQ(crc32c(std::string_view(ascending)), 0x46DD794Eu);
}

TEST(Crc32cTest, ExtendingEqualsComputingOverTheConcatenation) {
  std::string text = "record batches are checksummed from attributes to the end";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    std::string_view whole(text);
    EXPECT_EQ(crc32c_extend(crc32c(whole.substr(0, cut)), whole.substr(cut)), crc32c(whole)) << cut;
  }
}

}  // namespace
}  // namespace runnel::broker
