#include "broker/protocol/wire_writer.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace runnel::broker {
namespace {

// The writer's bytes as a vector, so that a failing comparison prints them.
std::vector<uint8_t> written(WireWriter& writer) {
  return std::vector<uint8_t>(writer.bytes().data(), writer.bytes().data() + writer.size());
}

using V = std::vector<uint8_t>;

TEST(WireWriter, WritesFixedWidthIntegersBigEndian) {
  WireWriter writer;
  writer.write_int8(-2);
  writer.write_int16(0x0102);
  writer.write_uint16(0xfffe);
  writer.write_int32(0x01020304);
  writer.write_int64(-2);
  EXPECT_EQ(written(writer), (V{0xfe, 0x01, 0x02, 0xff, 0xfe, 0x01, 0x02, 0x03, 0x04, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}));
}

TEST(WireWriter, WritesBooleansAsOneByteZeroOrOne) {
  WireWriter writer;
  writer.write_bool(true);
  writer.write_bool(false);
  EXPECT_EQ(written(writer), (V{0x01, 0x00}));
}

TEST(WireWriter, WritesFloat64AsItsIeeeBitsBigEndian) {
  WireWriter writer;
  writer.write_float64(1.0);
  EXPECT_EQ(written(writer), (V{0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
}

TEST(WireWriter, WritesUuidBytesInOrder) {
  Uuid uuid;
  for (size_t i = 0; i < uuid.size(); ++i) uuid[i] = static_cast<uint8_t>(i + 1);
  WireWriter writer;
  writer.write_uuid(uuid);
  EXPECT_EQ(written(writer), V(uuid.begin(), uuid.end()));
}

TEST(WireWriter, WritesUnsignedVarintsSevenBitsAtATimeLowGroupFirst) {
  const std::vector<std::pair<uint32_t, V>> cases = {
      {0, {0x00}},
      {1, {0x01}},
      {127, {0x7f}},
      {128, {0x80, 0x01}},
      {300, {0xac, 0x02}},
      {16383, {0xff, 0x7f}},
      {16384, {0x80, 0x80, 0x01}},
      {std::numeric_limits<uint32_t>::max(), {0xff, 0xff, 0xff, 0xff, 0x0f}},
  };
  for (const auto& [value, bytes] : cases) {
    WireWriter writer;
    writer.write_uvarint(value);
    EXPECT_EQ(written(writer), bytes) << value;
  }
}

TEST(WireWriter, WritesSignedVarintsZigZagEncoded) {
  const std::vector<std::pair<int32_t, V>> cases = {
      {0, {0x00}},
      {-1, {0x01}},
      {1, {0x02}},
      {-64, {0x7f}},
      {64, {0x80, 0x01}},
      {std::numeric_limits<int32_t>::max(), {0xfe, 0xff, 0xff, 0xff, 0x0f}},
      {std::numeric_limits<int32_t>::min(), {0xff, 0xff, 0xff, 0xff, 0x0f}},
  };
  for (const auto& [value, bytes] : cases) {
    WireWriter writer;
    writer.write_varint(value);
    EXPECT_EQ(written(writer), bytes) << value;
  }
}

TEST(WireWriter, WritesSignedVarlongsZigZagEncodedInUpToTenBytes) {
  const std::vector<std::pair<int64_t, V>> cases = {
      {0, {0x00}},
      {-1, {0x01}},
      {1, {0x02}},
      {std::numeric_limits<int64_t>::max(),
       {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
      {std::numeric_limits<int64_t>::min(),
       {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
  };
  for (const auto& [value, bytes] : cases) {
    WireWriter writer;
    writer.write_varlong(value);
    EXPECT_EQ(written(writer), bytes) << value;
  }
}

TEST(WireWriter, WritesClassicStringsWithAnInt16Length) {
  WireWriter writer;
  writer.write_string("ab", false);
  writer.write_string("", false);
  EXPECT_EQ(written(writer), (V{0x00, 0x02, 'a', 'b', 0x00, 0x00}));
}

TEST(WireWriter, WritesCompactStringsWithLengthPlusOneAsAVarint) {
  WireWriter writer;
  writer.write_string("ab", true);
  writer.write_string("", true);
  EXPECT_EQ(written(writer), (V{0x03, 'a', 'b', 0x01}));
}

TEST(WireWriter, WritesANullStringAsMinusOneClassicAndZeroCompact) {
  WireWriter classic;
  classic.write_nullable_string(std::nullopt, false);
  EXPECT_EQ(written(classic), (V{0xff, 0xff}));
  WireWriter compact;
  compact.write_nullable_string(std::nullopt, true);
  EXPECT_EQ(written(compact), (V{0x00}));
}

TEST(WireWriter, WritesAnEmptyNullableStringDistinctFromNull) {
  WireWriter classic;
  classic.write_nullable_string(std::string(), false);
  EXPECT_EQ(written(classic), (V{0x00, 0x00}));
  WireWriter compact;
  compact.write_nullable_string(std::string(), true);
  EXPECT_EQ(written(compact), (V{0x01}));
}

TEST(WireWriter, WritesACompactStringLengthOver127AsAMultiByteVarint) {
  WireWriter writer;
  writer.write_string(std::string(200, 'z'), true);
  ASSERT_EQ(writer.size(), 202u);
  EXPECT_EQ(writer.bytes()[0], 0xc9);  // 201 = 0b1'1001001
  EXPECT_EQ(writer.bytes()[1], 0x01);
}

TEST(WireWriter, WritesClassicBytesWithAnInt32Length) {
  WireWriter writer;
  writer.write_bytes(Bytes{7, 8}, false);
  writer.write_nullable_bytes(std::nullopt, false);
  writer.write_nullable_bytes(Bytes(), false);
  EXPECT_EQ(written(writer), (V{0, 0, 0, 2, 7, 8, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}));
}

TEST(WireWriter, WritesCompactBytesWithLengthPlusOneAsAVarint) {
  WireWriter writer;
  writer.write_bytes(Bytes{7, 8}, true);
  writer.write_nullable_bytes(std::nullopt, true);
  writer.write_nullable_bytes(Bytes(), true);
  EXPECT_EQ(written(writer), (V{0x03, 7, 8, 0x00, 0x01}));
}

TEST(WireWriter, WritesRecordsLikeBytesAndNullRecordsAsNull) {
  const uint8_t blob[] = {1, 2, 3};
  WireWriter classic;
  classic.write_records(BytesView(blob, 3), false);
  classic.write_records(std::nullopt, false);
  EXPECT_EQ(written(classic), (V{0, 0, 0, 3, 1, 2, 3, 0xff, 0xff, 0xff, 0xff}));
  WireWriter compact;
  compact.write_records(BytesView(blob, 3), true);
  compact.write_records(std::nullopt, true);
  EXPECT_EQ(written(compact), (V{0x04, 1, 2, 3, 0x00}));
}

TEST(WireWriter, WritesArrayCountsClassicAsInt32AndCompactAsCountPlusOne) {
  WireWriter classic;
  classic.write_array_length(2, false);
  classic.write_array_length(0, false);
  classic.write_array_length(-1, false);
  EXPECT_EQ(written(classic), (V{0, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}));
  WireWriter compact;
  compact.write_array_length(2, true);
  compact.write_array_length(0, true);
  compact.write_array_length(-1, true);
  EXPECT_EQ(written(compact), (V{0x03, 0x01, 0x00}));
}

TEST(WireWriter, PatchesAnInt32WrittenEarlierWithoutChangingTheRest) {
  WireWriter writer;
  writer.write_int8(9);
  writer.write_int32(0);
  writer.write_int8(10);
  writer.patch_int32(1, 0x0a0b0c0d);
  EXPECT_EQ(written(writer), (V{9, 0x0a, 0x0b, 0x0c, 0x0d, 10}));
}

TEST(WireWriter, TakeHandsOverTheBytesAndLeavesTheWriterEmpty) {
  WireWriter writer;
  writer.write_int16(5);
  Bytes bytes = writer.take();
  EXPECT_EQ(bytes.size(), 2u);
  EXPECT_EQ(writer.size(), 0u);
}

}  // namespace
}  // namespace runnel::broker
