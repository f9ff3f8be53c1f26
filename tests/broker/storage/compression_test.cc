#include "broker/storage/compression.h"

#include <snappy.h>

#include <string>

#include <gtest/gtest.h>

#include "core/big_endian.h"

namespace runnel::broker {
namespace {

const std::string kText = [] {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "record-" + std::to_string(i % 97) + ";";
  return text;
}();

class CompressionTest : public ::testing::TestWithParam<Codec> {};

TEST_P(CompressionTest, RoundTripsWhatAClientCompressed) {
  auto compressed = compress_records(GetParam(), BytesView(kText));
  ASSERT_TRUE(compressed.ok());
  EXPECT_LT(compressed->size(), kText.size());
  auto plain = decompress_records(GetParam(), compressed->view(), 1 << 20);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  EXPECT_EQ(plain->to_string(), kText);
}

TEST_P(CompressionTest, RefusesToInflatePastTheLimit) {
  auto compressed = compress_records(GetParam(), BytesView(kText));
  ASSERT_TRUE(compressed.ok());
  EXPECT_FALSE(decompress_records(GetParam(), compressed->view(), kText.size() / 2).ok());
}

TEST_P(CompressionTest, GarbageIsAnErrorNotACrash) {
  const std::string garbage(300, '\x5a');
  EXPECT_FALSE(decompress_records(GetParam(), BytesView(garbage), 1 << 20).ok());
}

INSTANTIATE_TEST_SUITE_P(EveryCodec, CompressionTest,
                         ::testing::Values(Codec::kGzip, Codec::kSnappy, Codec::kLz4,
                                           Codec::kZstd));

TEST(CompressionTest, ReadsTheXerialSnappyFramingOfTheJavaClient) {
  // Header (magic, version 1, compatible 1), then blocks of (int32 length, raw snappy).
  Bytes framed(BytesView(std::string_view("\x82SNAPPY\0", 8)));
  uint8_t number[4];
  for (int32_t value : {1, 1}) {
    store_big_endian<int32_t>(number, value);
    framed.append(BytesView(number, 4));
  }
  const std::string halves[] = {kText.substr(0, 1000), kText.substr(1000)};
  for (const std::string& half : halves) {
    std::string block;
    snappy::Compress(half.data(), half.size(), &block);
    store_big_endian<int32_t>(number, static_cast<int32_t>(block.size()));
    framed.append(BytesView(number, 4));
    framed.append(BytesView(block));
  }
  auto plain = decompress_records(Codec::kSnappy, framed.view(), 1 << 20);
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  EXPECT_EQ(plain->to_string(), kText);
}

}  // namespace
}  // namespace runnel::broker
