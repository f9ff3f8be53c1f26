#include "core/serdes.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace runnel {
namespace {

// Byte layouts below are what Apache Kafka's Java serializers (IntegerSerializer,
// LongSerializer, StringSerializer, DoubleSerializer) produce for the same values.

template <typename S>
std::string hex_of(const S& serde, const typename S::Type& value) {
  Result<Bytes> bytes = serde.serialize(value);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? to_hex(*bytes) : "<error>";
}

template <typename S>
void expect_round_trip(const S& serde, const typename S::Type& value) {
  Result<Bytes> bytes = serde.serialize(value);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  Result<typename S::Type> back = serde.deserialize(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, value);
}

TEST(Int32SerdeTest, WritesKafkaIntegerSerializerBytes) {
  Int32Serde serde;
  EXPECT_EQ(hex_of(serde, 0), "00000000");
  EXPECT_EQ(hex_of(serde, 1), "00000001");
  EXPECT_EQ(hex_of(serde, -1), "ffffffff");
  EXPECT_EQ(hex_of(serde, 0x12345678), "12345678");
  EXPECT_EQ(hex_of(serde, std::numeric_limits<std::int32_t>::min()), "80000000");
  EXPECT_EQ(hex_of(serde, std::numeric_limits<std::int32_t>::max()), "7fffffff");
}

TEST(Int32SerdeTest, RoundTripsEdgeValues) {
  Int32Serde serde;
  for (std::int32_t v : {0, 1, -1, 255, 256, -256, std::numeric_limits<std::int32_t>::min(),
                         std::numeric_limits<std::int32_t>::max()}) {
    expect_round_trip(serde, v);
  }
}

TEST(Int64SerdeTest, WritesKafkaLongSerializerBytes) {
  Int64Serde serde;
  EXPECT_EQ(hex_of(serde, 1), "0000000000000001");
  EXPECT_EQ(hex_of(serde, -2), "fffffffffffffffe");
  EXPECT_EQ(hex_of(serde, 0x0102030405060708), "0102030405060708");
  EXPECT_EQ(hex_of(serde, 1700000000000), "0000018bcfe56800");
  EXPECT_EQ(hex_of(serde, std::numeric_limits<std::int64_t>::min()), "8000000000000000");
}

TEST(Int64SerdeTest, RoundTripsEdgeValues) {
  Int64Serde serde;
  for (std::int64_t v :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1} << 40,
        std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    expect_round_trip(serde, v);
  }
}

TEST(StringSerdeTest, WritesUtf8BytesWithNoPrefixOrTerminator) {
  StringSerde serde;
  EXPECT_EQ(hex_of(serde, "kafka"), "6b61666b61");
  EXPECT_EQ(hex_of(serde, "h\u00e9llo \u20ac"), "68c3a96c6c6f20e282ac");
  EXPECT_EQ(hex_of(serde, ""), "");
}

TEST(StringSerdeTest, RoundTripsAnyByteStringIncludingNulAndInvalidUtf8) {
  StringSerde serde;
  expect_round_trip(serde, std::string("a\0b", 3));
  expect_round_trip(serde, std::string("\xff\xfe\x80", 3));
  expect_round_trip(serde, std::string(100000, 'x'));
}

TEST(DoubleSerdeTest, WritesKafkaDoubleSerializerBytes) {
  DoubleSerde serde;
  EXPECT_EQ(hex_of(serde, 1.0), "3ff0000000000000");
  EXPECT_EQ(hex_of(serde, -2.5), "c004000000000000");
  EXPECT_EQ(hex_of(serde, 0.1), "3fb999999999999a");
  EXPECT_EQ(hex_of(serde, 0.0), "0000000000000000");
  EXPECT_EQ(hex_of(serde, -0.0), "8000000000000000");
  EXPECT_EQ(hex_of(serde, std::numeric_limits<double>::infinity()), "7ff0000000000000");
}

TEST(DoubleSerdeTest, WritesEveryNanAsJavasCanonicalNan) {
  DoubleSerde serde;
  EXPECT_EQ(hex_of(serde, std::numeric_limits<double>::quiet_NaN()), "7ff8000000000000");
  EXPECT_EQ(hex_of(serde, -std::numeric_limits<double>::quiet_NaN()), "7ff8000000000000");
  Result<double> back = serde.deserialize(*serde.serialize(std::nan("")));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(std::isnan(*back));
}

TEST(DoubleSerdeTest, RoundTripsExactly) {
  DoubleSerde serde;
  for (double v : {3.141592653589793, -1e300, 5e-324, std::numeric_limits<double>::max(),
                   -std::numeric_limits<double>::infinity()}) {
    expect_round_trip(serde, v);
  }
}

TEST(BytesSerdeTest, PassesBytesThroughUnchanged) {
  BytesSerde serde;
  Bytes raw{0x00, 0xff, 0x10, 0x00};
  EXPECT_EQ(hex_of(serde, raw), "00ff1000");
  expect_round_trip(serde, raw);
  expect_round_trip(serde, Bytes());
}

TEST(SerdeNullTest, NullMapsToNullAndEmptyStaysEmpty) {
  StringSerde strings;
  Result<NullableBytes> null_bytes = strings.serialize_nullable(std::nullopt);
  ASSERT_TRUE(null_bytes.ok());
  EXPECT_FALSE(null_bytes->has_value());

  Result<NullableBytes> empty_bytes = strings.serialize_nullable(std::string());
  ASSERT_TRUE(empty_bytes.ok());
  ASSERT_TRUE(empty_bytes->has_value());
  EXPECT_TRUE((*empty_bytes)->empty());

  Result<std::optional<std::string>> null_back = strings.deserialize_nullable(std::nullopt);
  ASSERT_TRUE(null_back.ok());
  EXPECT_FALSE(null_back->has_value());

  Result<std::optional<std::string>> empty_back = strings.deserialize_nullable(BytesView());
  ASSERT_TRUE(empty_back.ok());
  ASSERT_TRUE(empty_back->has_value());
  EXPECT_EQ(**empty_back, "");
}

TEST(SerdeNullTest, EveryBuiltInMapsNullToNull) {
  EXPECT_FALSE(Int32Serde().serialize_nullable(std::nullopt)->has_value());
  EXPECT_FALSE(Int64Serde().serialize_nullable(std::nullopt)->has_value());
  EXPECT_FALSE(DoubleSerde().serialize_nullable(std::nullopt)->has_value());
  EXPECT_FALSE(BytesSerde().serialize_nullable(std::nullopt)->has_value());
  EXPECT_FALSE(Int32Serde().deserialize_nullable(std::nullopt)->has_value());
  EXPECT_FALSE(BytesSerde().deserialize_nullable(std::nullopt)->has_value());
}

TEST(SerdeNullTest, EmptyPayloadIsNotANullNumber) {
  // An empty payload is a value of the wrong size, not a null: it must be an error.
  Result<std::optional<std::int32_t>> result = Int32Serde().deserialize_nullable(BytesView());
  EXPECT_FALSE(result.ok());
}

TEST(VoidSerdeTest, SerializesAnythingToNull) {
  VoidSerde serde;
  EXPECT_FALSE(serde.serialize_nullable(Void{})->has_value());
  EXPECT_FALSE(serde.serialize_nullable(std::nullopt)->has_value());
  EXPECT_FALSE(serde.serialize(Void{}).ok()) << "a Void has no byte form";
}

TEST(VoidSerdeTest, AcceptsOnlyNull) {
  VoidSerde serde;
  Result<std::optional<Void>> from_null = serde.deserialize_nullable(std::nullopt);
  ASSERT_TRUE(from_null.ok());
  EXPECT_FALSE(from_null->has_value());

  Result<std::optional<Void>> from_empty = serde.deserialize_nullable(BytesView());
  ASSERT_FALSE(from_empty.ok()) << "empty is not null";
  EXPECT_EQ(from_empty.status().message(), "void serde: expected null, got 0 bytes");

  Bytes two{1, 2};
  EXPECT_EQ(serde.deserialize(two).status().message(), "void serde: expected null, got 2 bytes");
}

TEST(SerdeCorruptInputTest, WrongSizeNamesTheSerdeAndTheByteCount) {
  Bytes three{1, 2, 3};
  Result<std::int32_t> i32 = Int32Serde().deserialize(three);
  ASSERT_FALSE(i32.ok());
  EXPECT_EQ(i32.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(i32.status().message(), "int32 serde: expected 4 bytes, got 3");

  Bytes nine(BytesView(std::string_view("123456789")));
  EXPECT_EQ(Int64Serde().deserialize(nine).status().message(),
            "int64 serde: expected 8 bytes, got 9");
  EXPECT_EQ(DoubleSerde().deserialize(three).status().message(),
            "double serde: expected 8 bytes, got 3");
  EXPECT_EQ(Int32Serde().deserialize(BytesView()).status().message(),
            "int32 serde: expected 4 bytes, got 0");
}

// Every serde, fed random bytes of every length up to 64, returns a value or an error Status;
// never a crash (the sanitizer build checks for out-of-bounds reads here).
TEST(SerdeCorruptInputTest, RandomBytesNeverCrash) {
  std::mt19937 rng(20261122);
  for (std::size_t size = 0; size <= 64; ++size) {
    for (int trial = 0; trial < 20; ++trial) {
      Bytes junk;
      for (std::size_t i = 0; i < size; ++i) junk.push_back(static_cast<std::uint8_t>(rng()));
      EXPECT_EQ(Int32Serde().deserialize(junk).ok(), size == 4);
      EXPECT_EQ(Int64Serde().deserialize(junk).ok(), size == 8);
      EXPECT_EQ(DoubleSerde().deserialize(junk).ok(), size == 8);
      EXPECT_TRUE(StringSerde().deserialize(junk).ok());
      EXPECT_TRUE(BytesSerde().deserialize(junk).ok());
      EXPECT_FALSE(VoidSerde().deserialize(junk).ok());
    }
  }
}

TEST(DefaultSerdeTest, MapsTypesToTheirBuiltIns) {
  static_assert(std::is_same_v<DefaultSerde<std::string>::type, StringSerde>);
  static_assert(std::is_same_v<DefaultSerde<std::int32_t>::type, Int32Serde>);
  static_assert(std::is_same_v<DefaultSerde<std::int64_t>::type, Int64Serde>);
  static_assert(std::is_same_v<DefaultSerde<double>::type, DoubleSerde>);
  static_assert(std::is_same_v<DefaultSerde<Bytes>::type, BytesSerde>);
  static_assert(std::is_same_v<DefaultSerde<Void>::type, VoidSerde>);
  static_assert(!HasDefaultSerde<float>, "no silent default for a type without a serde");
}

}  // namespace
}  // namespace runnel
