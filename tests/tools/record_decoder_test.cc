#include "tools/record_decoder.h"

#include <gtest/gtest.h>

#include "tools/record_format.h"

namespace runnel::tools {
namespace {

RecordDecoder::Decoded decode(std::string_view type, std::string_view bytes) {
  auto decoder = RecordDecoder::create(type);
  EXPECT_TRUE(decoder.ok()) << decoder.status().to_string();
  return (*decoder)->decode(BytesView(bytes));
}

TEST(RecordDecoder, ReadsKafkasBigEndianNumbers) {
  using namespace std::string_view_literals;
  // Kafka's LongSerializer: -2 as 8 big-endian bytes.
  const auto minus_two = decode("int64", "\xff\xff\xff\xff\xff\xff\xff\xfe"sv);
  EXPECT_EQ(minus_two.text, "-2");
  EXPECT_EQ(minus_two.json, -2);
  // DoubleSerializer: 2.5 is 0x4004000000000000.
  const auto two_and_a_half = decode("double", "\x40\x04\x00\x00\x00\x00\x00\x00"sv);
  EXPECT_EQ(two_and_a_half.text, "2.5");
  EXPECT_EQ(two_and_a_half.json, 2.5);
  // NaN (0x7ff8...) has no JSON number: it is written as text.
  EXPECT_EQ(decode("double", "\x7f\xf8\x00\x00\x00\x00\x00\x00"sv).json, "nan");
}

TEST(RecordDecoder, MarksBytesThatAreNotOfTheTypeAndShowsThemInHex) {
  const auto short_long = decode("int64", "abc");
  EXPECT_TRUE(short_long.undecodable);
  EXPECT_EQ(short_long.text, "<undecodable int64: 8 bytes expected, 3 found; hex 616263>");
  EXPECT_EQ(short_long.json["hex"], "616263");
  const auto broken = decode("json", "{\"a\":");
  EXPECT_TRUE(broken.undecodable);
  EXPECT_EQ(broken.json["undecodable"], "json");
  EXPECT_TRUE(decode("double", "").undecodable);
}

TEST(RecordDecoder, ReemitsJsonOnOneLineAndKeepsNullApartFromEmpty) {
  EXPECT_EQ(decode("json", "{ \"b\": [1, 2],\n \"a\": null }").text, R"({"a":null,"b":[1,2]})");
  EXPECT_EQ(decode("hex", "\x01\xab").text, "01ab");
  EXPECT_EQ(decode("string", "").text, "");
  EXPECT_FALSE(decode("string", "").is_null);
  auto decoder = RecordDecoder::create("int64");
  const auto null = (*decoder)->decode(std::nullopt);
  EXPECT_TRUE(null.is_null);
  EXPECT_TRUE(null.json.is_null());
  EXPECT_FALSE(null.undecodable);
}

TEST(RecordDecoder, RefusesUnknownTypesAndProtobufWithoutADescriptorSet) {
  EXPECT_EQ(RecordDecoder::create("avro").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RecordDecoder::create("protobuf").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RecordDecoder::create("protobuf", "/nonexistent.desc", "a.B").status().code(),
            StatusCode::kNotFound);
}

TEST(RecordFormat, RefusesWhatKcatDoesNotDefine) {
  EXPECT_TRUE(RecordFormat::parse(R"(%t %p %o %T %k %K %s %S %h %% \n\r\t\\\x41)").ok());
  for (const char* bad : {"%q", "%", "\\", "\\q", "\\x4", "\\xzz"}) {
    auto parsed = RecordFormat::parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace runnel::tools
