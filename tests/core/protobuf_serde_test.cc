#include "core/protobuf_serde.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/core/test_messages.pb.h"

namespace runnel {
namespace {

test::Payment sample_protobuf_payment() {
  test::Payment p;
  p.set_card_id("card-0042");
  p.set_amount_cents(123456);
  p.set_latitude(52.52);
  p.mutable_merchant()->set_name("Kiosk");
  p.mutable_merchant()->set_country("DE");
  p.add_tags("online");
  p.add_tags("first-use");
  return p;
}

MATCHER_P(ProtoEquals, expected, "") {
  return arg.SerializeAsString() == expected.SerializeAsString();
}

TEST(ProtobufSerdeTest, NameCarriesTheMessageType) {
  EXPECT_EQ(ProtobufSerde<test::Payment>().name(), "protobuf(runnel.test.Payment)");
}

TEST(ProtobufSerdeTest, RoundTripsAMessage) {
  ProtobufSerde<test::Payment> serde;
  Result<Bytes> bytes = serde.serialize(sample_protobuf_payment());
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  Result<test::Payment> back = serde.deserialize(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_THAT(*back, ProtoEquals(sample_protobuf_payment()));
}

TEST(ProtobufSerdeTest, WritesTheStandardBinaryEncoding) {
  test::Payment p;
  p.set_card_id("ab");
  p.set_amount_cents(300);
  // field 1, wire type 2, length 2, "ab"; field 2, wire type 0, varint 300 = ac 02.
  EXPECT_EQ(to_hex(*ProtobufSerde<test::Payment>().serialize(p)), "0a02616210ac02");
}

TEST(ProtobufSerdeTest, EmptyPayloadIsADefaultMessageAndNullIsNull) {
  ProtobufSerde<test::Payment> serde;
  Result<std::optional<test::Payment>> empty = serde.deserialize_nullable(BytesView());
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(empty->has_value());
  EXPECT_EQ((*empty)->card_id(), "");

  Result<std::optional<test::Payment>> null = serde.deserialize_nullable(std::nullopt);
  ASSERT_TRUE(null.ok());
  EXPECT_FALSE(null->has_value());
}

TEST(ProtobufSerdeTest, CorruptInputNamesTheSerdeAndTheByteCount) {
  ProtobufSerde<test::Payment> serde;
  // A length-delimited field claiming 100 bytes with only 1 present.
  Bytes truncated{0x0a, 0x64, 0x41};
  Result<test::Payment> result = serde.deserialize(truncated);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(result.status().message(), "protobuf(runnel.test.Payment) serde: cannot parse 3 bytes");
}

TEST(ProtobufSerdeTest, TruncationAtEveryByteNeverCrashes) {
  ProtobufSerde<test::Payment> serde;
  Bytes full = *serde.serialize(sample_protobuf_payment());
  for (std::size_t n = 0; n < full.size(); ++n) {
    Result<test::Payment> partial = serde.deserialize(full.view().subview(0, n));
    if (partial.ok()) {
      EXPECT_NE(partial->SerializeAsString(), sample_protobuf_payment().SerializeAsString());
    }
  }
}

TEST(ProtobufSerdeTest, IsTheDefaultSerdeForMessages) {
  static_assert(std::is_same_v<DefaultSerde<test::Payment>::type, ProtobufSerde<test::Payment>>);
}

}  // namespace
}  // namespace runnel
