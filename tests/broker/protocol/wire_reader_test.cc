#include "broker/protocol/wire_reader.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/protocol/wire_writer.h"

namespace runnel::broker {
namespace {

using V = std::vector<uint8_t>;

WireReader reader_over(const V& bytes) { return WireReader(BytesView(bytes.data(), bytes.size())); }

// Expects `status` to be a corruption error whose message contains `fragment`.
void expect_corruption(const Status& status, std::string_view fragment) {
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.to_string();
  EXPECT_NE(status.message().find(fragment), std::string_view::npos) << status.to_string();
}

TEST(WireReader, RoundTripsFixedWidthIntegersAtTheirLimits) {
  WireWriter writer;
  for (int8_t v : {int8_t{0}, int8_t{-1}, std::numeric_limits<int8_t>::min(),
                   std::numeric_limits<int8_t>::max()}) {
    writer.write_int8(v);
  }
  for (int16_t v : {int16_t{0}, int16_t{-1}, std::numeric_limits<int16_t>::min(),
                    std::numeric_limits<int16_t>::max()}) {
    writer.write_int16(v);
  }
  for (uint16_t v : {uint16_t{0}, std::numeric_limits<uint16_t>::max()}) writer.write_uint16(v);
  for (int32_t v :
       {0, -1, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()}) {
    writer.write_int32(v);
  }
  for (int64_t v : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    writer.write_int64(v);
  }
  const Bytes bytes = writer.take();
  WireReader reader(bytes.view());
  for (int8_t expected : {int8_t{0}, int8_t{-1}, std::numeric_limits<int8_t>::min(),
                          std::numeric_limits<int8_t>::max()}) {
    int8_t v = 0;
    ASSERT_TRUE(reader.read_int8(v).ok());
    EXPECT_EQ(v, expected);
  }
  for (int16_t expected : {int16_t{0}, int16_t{-1}, std::numeric_limits<int16_t>::min(),
                           std::numeric_limits<int16_t>::max()}) {
    int16_t v = 0;
    ASSERT_TRUE(reader.read_int16(v).ok());
    EXPECT_EQ(v, expected);
  }
  for (uint16_t expected : {uint16_t{0}, std::numeric_limits<uint16_t>::max()}) {
    uint16_t v = 1;
    ASSERT_TRUE(reader.read_uint16(v).ok());
    EXPECT_EQ(v, expected);
  }
  for (int32_t expected :
       {0, -1, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()}) {
    int32_t v = 1;
    ASSERT_TRUE(reader.read_int32(v).ok());
    EXPECT_EQ(v, expected);
  }
  for (int64_t expected : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max()}) {
    int64_t v = 1;
    ASSERT_TRUE(reader.read_int64(v).ok());
    EXPECT_EQ(v, expected);
  }
  EXPECT_EQ(reader.remaining(), 0u);
  EXPECT_EQ(reader.position(), bytes.size());
}

TEST(WireReader, RoundTripsFloat64IncludingNegativeZeroAndInfinity) {
  const std::vector<double> values = {0.0,
                                      -0.0,
                                      1.5,
                                      -1e300,
                                      std::numeric_limits<double>::infinity(),
                                      std::numeric_limits<double>::denorm_min()};
  WireWriter writer;
  for (double v : values) writer.write_float64(v);
  const Bytes bytes = writer.take();
  WireReader reader(bytes.view());
  for (double expected : values) {
    double v = 7;
    ASSERT_TRUE(reader.read_float64(v).ok());
    EXPECT_EQ(v, expected);
    EXPECT_EQ(std::signbit(v), std::signbit(expected));
  }
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST(WireReader, ReadsAnyNonZeroByteAsTrue) {
  const V bytes = {0x00, 0x01, 0x02, 0xff};
  WireReader reader = reader_over(bytes);
  for (bool expected : {false, true, true, true}) {
    bool v = !expected;
    ASSERT_TRUE(reader.read_bool(v).ok());
    EXPECT_EQ(v, expected);
  }
}

TEST(WireReader, RoundTripsAUuid) {
  Uuid uuid;
  for (size_t i = 0; i < uuid.size(); ++i) uuid[i] = static_cast<uint8_t>(0xf0 + i);
  WireWriter writer;
  writer.write_uuid(uuid);
  const Bytes bytes = writer.take();
  WireReader reader(bytes.view());
  Uuid read{};
  ASSERT_TRUE(reader.read_uuid(read).ok());
  EXPECT_EQ(read, uuid);
}

TEST(WireReader, RoundTripsVarintsAtTheEdges) {
  const std::vector<int32_t> values = {0,
                                       -1,
                                       1,
                                       63,
                                       -64,
                                       64,
                                       -65,
                                       8191,
                                       -8192,
                                       std::numeric_limits<int32_t>::min(),
                                       std::numeric_limits<int32_t>::max(),
                                       std::numeric_limits<int32_t>::min() + 1,
                                       std::numeric_limits<int32_t>::max() - 1};
  for (int32_t value : values) {
    WireWriter writer;
    writer.write_varint(value);
    const Bytes bytes = writer.take();
    WireReader reader(bytes.view());
    int32_t read = value == 0 ? 1 : 0;
    ASSERT_TRUE(reader.read_varint(read).ok()) << value;
    EXPECT_EQ(read, value);
    EXPECT_EQ(reader.remaining(), 0u) << value;
  }
}

TEST(WireReader, RoundTripsVarlongsAtTheEdges) {
  const std::vector<int64_t> values = {0,
                                       -1,
                                       1,
                                       std::numeric_limits<int32_t>::min(),
                                       std::numeric_limits<int32_t>::max(),
                                       int64_t{1} << 35,
                                       -(int64_t{1} << 35),
                                       std::numeric_limits<int64_t>::min(),
                                       std::numeric_limits<int64_t>::max()};
  for (int64_t value : values) {
    WireWriter writer;
    writer.write_varlong(value);
    const Bytes bytes = writer.take();
    WireReader reader(bytes.view());
    int64_t read = value == 0 ? 1 : 0;
    ASSERT_TRUE(reader.read_varlong(read).ok()) << value;
    EXPECT_EQ(read, value);
    EXPECT_EQ(reader.remaining(), 0u) << value;
  }
}

TEST(WireReader, RoundTripsUnsignedVarintsUpToUint32Max) {
  for (uint32_t value : {0u, 1u, 127u, 128u, 16383u, 16384u, 0x0fffffffu, 0x10000000u,
                         std::numeric_limits<uint32_t>::max()}) {
    WireWriter writer;
    writer.write_uvarint(value);
    const Bytes bytes = writer.take();
    WireReader reader(bytes.view());
    uint32_t read = value + 1;
    ASSERT_TRUE(reader.read_uvarint(read).ok()) << value;
    EXPECT_EQ(read, value);
    EXPECT_EQ(reader.remaining(), 0u);
  }
}

TEST(WireReader, RefusesAVarintLongerThanFiveBytes) {
  const V bytes = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  WireReader reader = reader_over(bytes);
  int32_t v = 0;
  expect_corruption(reader.read_varint(v), "varint longer than 5 bytes");
}

TEST(WireReader, RefusesAVarlongLongerThanTenBytes) {
  const V bytes = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  WireReader reader = reader_over(bytes);
  int64_t v = 0;
  expect_corruption(reader.read_varlong(v), "varlong longer than 10 bytes");
}

TEST(WireReader, RefusesAVarintCutOffMidway) {
  const V bytes = {0x80, 0x80};
  WireReader reader = reader_over(bytes);
  int32_t v = 0;
  expect_corruption(reader.read_varint(v), "varint needs 1 byte(s), 0 left");
  WireReader long_reader = reader_over(bytes);
  int64_t l = 0;
  expect_corruption(long_reader.read_varlong(l), "varlong needs 1 byte(s), 0 left");
}

TEST(WireReader, RefusesEveryFixedWidthReadPastTheEnd) {
  const V bytes = {1, 2, 3};
  {
    WireReader reader(BytesView(bytes.data(), 0));
    int8_t v = 0;
    expect_corruption(reader.read_int8(v), "int8 needs 1 byte(s), 0 left");
  }
  {
    WireReader reader(BytesView(bytes.data(), 1));
    int16_t v = 0;
    expect_corruption(reader.read_int16(v), "int16 needs 2 byte(s), 1 left");
    uint16_t u = 0;
    expect_corruption(reader.read_uint16(u), "uint16 needs 2 byte(s), 1 left");
  }
  {
    WireReader reader = reader_over(bytes);
    int32_t v = 0;
    expect_corruption(reader.read_int32(v), "int32 needs 4 byte(s), 3 left");
    int64_t l = 0;
    expect_corruption(reader.read_int64(l), "int64 needs 8 byte(s), 3 left");
    double d = 0;
    expect_corruption(reader.read_float64(d), "int64 needs 8 byte(s), 3 left");
    Uuid uuid{};
    expect_corruption(reader.read_uuid(uuid), "uuid needs 16 byte(s), 3 left");
    bool b = false;
    EXPECT_TRUE(reader.read_bool(b).ok());
  }
}

TEST(WireReader, AFailedReadLeavesThePositionWhereItWas) {
  const V bytes = {0, 1, 2};
  WireReader reader = reader_over(bytes);
  int8_t first = 0;
  ASSERT_TRUE(reader.read_int8(first).ok());
  int32_t v = 0;
  EXPECT_FALSE(reader.read_int32(v).ok());
  EXPECT_EQ(reader.position(), 1u);
  int16_t rest = 0;
  ASSERT_TRUE(reader.read_int16(rest).ok());
  EXPECT_EQ(rest, 0x0102);
}

TEST(WireReader, NamesThePositionAndSizeInItsErrors) {
  const V bytes = {0, 0, 0};
  WireReader reader = reader_over(bytes);
  int16_t v = 0;
  ASSERT_TRUE(reader.read_int16(v).ok());
  expect_corruption(reader.read_int16(v), "at byte 2 of 3");
}

TEST(WireReader, RoundTripsClassicAndCompactStringsIncludingEmpty) {
  const std::string long_text(300, 'q');
  for (bool compact : {false, true}) {
    WireWriter writer;
    writer.write_string("hello", compact);
    writer.write_string("", compact);
    writer.write_string(long_text, compact);
    const Bytes bytes = writer.take();
    WireReader reader(bytes.view());
    std::string s = "junk";
    ASSERT_TRUE(reader.read_string(s, compact).ok());
    EXPECT_EQ(s, "hello");
    ASSERT_TRUE(reader.read_string(s, compact).ok());
    EXPECT_EQ(s, "");
    ASSERT_TRUE(reader.read_string(s, compact).ok());
    EXPECT_EQ(s, long_text);
    EXPECT_EQ(reader.remaining(), 0u) << compact;
  }
}

TEST(WireReader, KeepsNullAndEmptyNullableStringsApart) {
  for (bool compact : {false, true}) {
    WireWriter writer;
    writer.write_nullable_string(std::nullopt, compact);
    writer.write_nullable_string(std::string(), compact);
    writer.write_nullable_string(std::string("x"), compact);
    const Bytes bytes = writer.take();
    WireReader reader(bytes.view());
    std::optional<std::string> s = "junk";
    ASSERT_TRUE(reader.read_nullable_string(s, compact).ok());
    EXPECT_EQ(s, std::nullopt) << compact;
    ASSERT_TRUE(reader.read_nullable_string(s, compact).ok());
    EXPECT_EQ(s, std::optional<std::string>("")) << compact;
    ASSERT_TRUE(reader.read_nullable_string(s, compact).ok());
    EXPECT_EQ(s, std::optional<std::string>("x")) << compact;
    EXPECT_EQ(reader.remaining(), 0u);
  }
}

TEST(WireReader, RefusesANullStringWhereTheFieldIsNotNullable) {
  for (bool compact : {false, true}) {
    WireWriter writer;
    writer.write_nullable_string(std::nullopt, compact);
    const Bytes bytes = writer.take();
    WireReader reader(bytes.view());
    std::string s;
    expect_corruption(reader.read_string(s, compact), "null string in a non-nullable field");
  }
}

TEST(WireReader, RoundTripsClassicAndCompactBytesKeepingNullAndEmptyApart) {
  for (bool compact : {false, true}) {
    WireWriter writer;
    writer.write_bytes(Bytes{1, 2, 3}, compact);
    writer.write_nullable_bytes(std::nullopt, compact);
    writer.write_nullable_bytes(Bytes(), compact);
    writer.write_bytes(Bytes(), compact);
    const Bytes bytes = writer.take();
    WireReader reader(bytes.view());
    Bytes b;
    ASSERT_TRUE(reader.read_bytes(b, compact).ok());
    EXPECT_EQ(b, (Bytes{1, 2, 3}));
    std::optional<Bytes> nb = Bytes{9};
    ASSERT_TRUE(reader.read_nullable_bytes(nb, compact).ok());
    EXPECT_FALSE(nb.has_value()) << compact;
    ASSERT_TRUE(reader.read_nullable_bytes(nb, compact).ok());
    ASSERT_TRUE(nb.has_value()) << compact;
    EXPECT_TRUE(nb->empty());
    b = Bytes{9};
    ASSERT_TRUE(reader.read_bytes(b, compact).ok());
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(reader.remaining(), 0u);
  }
}

TEST(WireReader, RefusesNullBytesWhereTheFieldIsNotNullable) {
  for (bool compact : {false, true}) {
    WireWriter writer;
    writer.write_nullable_bytes(std::nullopt, compact);
    const Bytes bytes = writer.take();
    WireReader reader(bytes.view());
    Bytes b;
    expect_corruption(reader.read_bytes(b, compact), "null bytes in a non-nullable field");
  }
}

TEST(WireReader, ReadsRecordsAsAViewIntoTheRequestWithoutCopying) {
  for (bool compact : {false, true}) {
    const uint8_t blob[] = {10, 20, 30, 40};
    WireWriter writer;
    writer.write_records(BytesView(blob, 4), compact);
    writer.write_records(std::nullopt, compact);
    writer.write_records(BytesView(), compact);
    const Bytes bytes = writer.take();
    WireReader reader(bytes.view());
    std::optional<BytesView> records;
    ASSERT_TRUE(reader.read_records(records, compact).ok());
    ASSERT_TRUE(records.has_value());
    EXPECT_EQ(*records, BytesView(blob, 4));
    EXPECT_GE(records->data(), bytes.data());
    EXPECT_LE(records->end(), bytes.data() + bytes.size());
    ASSERT_TRUE(reader.read_records(records, compact).ok());
    EXPECT_FALSE(records.has_value()) << compact;
    ASSERT_TRUE(reader.read_records(records, compact).ok());
    ASSERT_TRUE(records.has_value()) << compact;
    EXPECT_TRUE(records->empty());
    EXPECT_EQ(reader.remaining(), 0u);
  }
}

TEST(WireReader, ReadsArrayCountsClassicAndCompactIncludingNullAndEmpty) {
  for (bool compact : {false, true}) {
    WireWriter writer;
    writer.write_array_length(3, compact);
    writer.write_int8(0);
    writer.write_int8(0);
    writer.write_int8(0);
    writer.write_array_length(0, compact);
    writer.write_array_length(-1, compact);
    const Bytes bytes = writer.take();
    WireReader reader(bytes.view());
    int32_t count = 0;
    ASSERT_TRUE(reader.read_array_length(count, compact, "Things").ok());
    EXPECT_EQ(count, 3);
    ASSERT_TRUE(reader.skip(3).ok());
    ASSERT_TRUE(reader.read_array_length(count, compact, "Things").ok());
    EXPECT_EQ(count, 0);
    ASSERT_TRUE(reader.read_array_length(count, compact, "Things").ok());
    EXPECT_EQ(count, -1);
    EXPECT_EQ(reader.remaining(), 0u);
  }
}

TEST(WireReader, RefusesAHugeArrayCountInASmallBufferAtOnceNamingTheField) {
  // 2^31-1 elements claimed, 16 bytes follow: refused before any element (or allocation).
  V classic = {0x7f, 0xff, 0xff, 0xff};
  classic.resize(20, 0);
  WireReader reader = reader_over(classic);
  int32_t count = 0;
  expect_corruption(reader.read_array_length(count, false, "Topics"),
                    "array Topics claims 2147483647 element(s) but only 16 byte(s) are left");
  EXPECT_EQ(count, 0);

  WireWriter compact_writer;
  compact_writer.write_uvarint(0x80000000u);  // count 2^31-1, compact
  Bytes compact = compact_writer.take();
  compact.append(BytesView(classic.data(), 15));
  WireReader compact_reader(compact.view());
  expect_corruption(compact_reader.read_array_length(count, true, "Topics"),
                    "array Topics claims 2147483647 element(s) but only 15 byte(s) are left");
}

TEST(WireReader, RefusesAnArrayCountBeyondInt32FromACompactVarint) {
  WireWriter writer;
  writer.write_uvarint(std::numeric_limits<uint32_t>::max());
  const Bytes bytes = writer.take();
  WireReader reader(bytes.view());
  int32_t count = 0;
  expect_corruption(reader.read_array_length(count, true, "Partitions"), "array Partitions");
}

TEST(WireReader, RefusesAStringLengthLongerThanTheBufferAtOnce) {
  // A string of 30000 bytes claimed in a 20-byte buffer.
  V bytes = {0x75, 0x30};
  bytes.resize(20, 'a');
  WireReader reader = reader_over(bytes);
  std::string s;
  expect_corruption(reader.read_string(s, false), "string of 30000 byte(s) but only 18 left");
  EXPECT_TRUE(s.empty());

  WireWriter compact_writer;
  compact_writer.write_uvarint(30001);
  Bytes compact = compact_writer.take();
  compact.append(BytesView(bytes.data(), 17));
  WireReader compact_reader(compact.view());
  expect_corruption(compact_reader.read_string(s, true),
                    "string of 30000 byte(s) but only 17 left");
}

TEST(WireReader, RefusesABytesLengthLongerThanTheBufferAtOnce) {
  V bytes = {0x7f, 0xff, 0xff, 0xff};
  bytes.resize(20, 1);
  WireReader reader = reader_over(bytes);
  Bytes b;
  expect_corruption(reader.read_bytes(b, false), "bytes of 2147483647 byte(s) but only 16 left");
  WireReader records_reader = reader_over(bytes);
  std::optional<BytesView> records;
  expect_corruption(records_reader.read_records(records, false),
                    "records of 2147483647 byte(s) but only 16 left");
}

TEST(WireReader, RefusesNegativeLengthsBelowMinusOne) {
  {
    const V bytes = {0xff, 0xfe, 0, 0};  // int16 -2
    WireReader reader = reader_over(bytes);
    std::optional<std::string> s;
    expect_corruption(reader.read_nullable_string(s, false), "string has a negative length -2");
  }
  {
    const V bytes = {0x80, 0x00};  // int16 min
    WireReader reader = reader_over(bytes);
    std::optional<std::string> s;
    expect_corruption(reader.read_nullable_string(s, false), "string has a negative length -32768");
  }
  {
    const V bytes = {0xff, 0xff, 0xff, 0xfe};  // int32 -2
    WireReader reader = reader_over(bytes);
    std::optional<Bytes> b;
    expect_corruption(reader.read_nullable_bytes(b, false), "bytes has a negative length -2");
    WireReader records_reader = reader_over(bytes);
    std::optional<BytesView> records;
    expect_corruption(records_reader.read_records(records, false),
                      "records has a negative length -2");
  }
  {
    const V bytes = {0x80, 0, 0, 0};  // int32 min as an array count
    WireReader reader = reader_over(bytes);
    int32_t count = 0;
    expect_corruption(reader.read_array_length(count, false, "Topics"),
                      "array Topics has a negative count -2147483648");
  }
  {
    const V bytes = {0xff, 0xff, 0xff, 0xfe};
    WireReader reader = reader_over(bytes);
    int32_t count = 0;
    expect_corruption(reader.read_array_length(count, false, "Topics"),
                      "array Topics has a negative count -2");
  }
}

TEST(WireReader, RefusesAStringWhoseLengthPrefixIsCutOff) {
  const V bytes = {0x00};
  WireReader reader = reader_over(bytes);
  std::string s;
  expect_corruption(reader.read_string(s, false), "int16 needs 2 byte(s), 1 left");
  WireReader empty(BytesView(bytes.data(), 0));
  expect_corruption(empty.read_string(s, true), "varint needs 1 byte(s), 0 left");
}

TEST(WireReader, SkipsAndRefusesToSkipPastTheEnd) {
  const V bytes = {1, 2, 3};
  WireReader reader = reader_over(bytes);
  ASSERT_TRUE(reader.skip(2).ok());
  EXPECT_EQ(reader.remaining(), 1u);
  expect_corruption(reader.skip(2), "needs 2 byte(s), 1 left");
  EXPECT_EQ(reader.remaining(), 1u);
}

TEST(WireReader, ASubReaderSeesOnlyItsBytesAndTheParentMovesPastThem) {
  const V bytes = {0, 1, 0, 2, 9};
  WireReader reader = reader_over(bytes);
  WireReader sub{BytesView()};
  ASSERT_TRUE(reader.sub_reader(2, sub).ok());
  int16_t v = 0;
  ASSERT_TRUE(sub.read_int16(v).ok());
  EXPECT_EQ(v, 1);
  int8_t past_end = 0;
  EXPECT_FALSE(sub.read_int8(past_end).ok());
  ASSERT_TRUE(reader.read_int16(v).ok());
  EXPECT_EQ(v, 2);
  WireReader too_far{BytesView()};
  expect_corruption(reader.sub_reader(2, too_far), "needs 2 byte(s), 1 left");
}

}  // namespace
}  // namespace runnel::broker
