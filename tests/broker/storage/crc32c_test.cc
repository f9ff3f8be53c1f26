#include "broker/storage/crc32c.h"

#include <cstdint>
#include <random>
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

TEST(Crc32cTest, TheTableFallbackGivesTheSameCheckValues) {
  EXPECT_EQ(crc32c_portable(std::string_view("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(std::string_view(std::string(32, '\xff'))), 0x62A8AB43u);
}

// The hardware path works 8 bytes at a time with a byte-wise tail: every length and start
// alignment around those boundaries must give the table's answer.
TEST(Crc32cTest, HardwareAndTableAgreeOnEveryLengthAndAlignment) {
  std::mt19937 random(42);
  std::string data(4096 + 16, '\0');
  for (char& c : data) c = static_cast<char>(random());
  const std::string_view all(data);
  for (size_t start = 0; start < 16; ++start) {
    for (size_t length = 0; length <= 80; ++length) {
      EXPECT_EQ(crc32c(all.substr(start, length)), crc32c_portable(all.substr(start, length)))
          << start << " " << length;
    }
    EXPECT_EQ(crc32c(all.substr(start, 4096)), crc32c_portable(all.substr(start, 4096)));
  }
  const uint32_t head = crc32c(all.substr(0, 13));
  EXPECT_EQ(crc32c_extend(head, all.substr(13, 1000)),
            crc32c_extend_portable(head, all.substr(13, 1000)));
}

}  // namespace
}  // namespace runnel::broker
