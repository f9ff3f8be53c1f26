// The bytes a foreign-key join's two sides exchange: subscriptions and answers survive a
// round trip, and damaged or unknown bytes are refused, never misread.

#include "operators/internal/fk_join_wire.h"

#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "core/serdes.h"

namespace runnel::internal {
namespace {

TEST(ForeignKeyJoinWireTest, SubscriptionSurvivesARoundTrip) {
  SubscriptionWrapperSerde<std::string> serde(std::make_shared<StringSerde>());
  SubscriptionWrapper<std::string> in;
  in.instruction = SubscriptionInstruction::kDeleteKeyNoPropagate;
  in.hash = hash_value(Bytes::from_string("value"));
  in.primary_partition = 7;
  in.primary_key = "order-1";
  auto bytes = serde.serialize(in);
  ASSERT_TRUE(bytes.ok());
  auto out = serde.deserialize(*bytes);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->instruction, in.instruction);
  EXPECT_EQ(out->hash, in.hash);
  EXPECT_EQ(out->primary_partition, 7);
  EXPECT_EQ(out->primary_key, "order-1");

  in.hash.reset();  // A deleted value has no hash.
  in.primary_key = "";
  bytes = serde.serialize(in);
  ASSERT_TRUE(bytes.ok());
  out = serde.deserialize(*bytes);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->hash, std::nullopt);
  EXPECT_EQ(out->primary_key, "");
}

TEST(ForeignKeyJoinWireTest, ResponseSurvivesARoundTripWithAndWithoutAValue) {
  SubscriptionResponseSerde<std::string> serde(std::make_shared<StringSerde>());
  SubscriptionResponse<std::string> in;
  in.hash = hash_value(Bytes::from_string("value"));
  in.primary_partition = 2;
  in.foreign_value = "";  // Empty, not null.
  auto bytes = serde.serialize(in);
  ASSERT_TRUE(bytes.ok());
  auto out = serde.deserialize(*bytes);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->hash, in.hash);
  EXPECT_EQ(out->primary_partition, 2);
  EXPECT_EQ(out->foreign_value, std::optional<std::string>(""));

  in.foreign_value.reset();
  bytes = serde.serialize(in);
  ASSERT_TRUE(bytes.ok());
  out = serde.deserialize(*bytes);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->foreign_value, std::nullopt);
}

TEST(ForeignKeyJoinWireTest, DamagedOrUnknownBytesAreRefused) {
  SubscriptionWrapperSerde<std::string> subscriptions(std::make_shared<StringSerde>());
  SubscriptionResponseSerde<std::string> responses(std::make_shared<StringSerde>());
  SubscriptionWrapper<std::string> s;
  s.hash = hash_value(Bytes::from_string("v"));
  s.primary_key = "k";
  auto good = subscriptions.serialize(s);
  ASSERT_TRUE(good.ok());
  // Every truncation that cuts the fixed part is refused.
  for (std::size_t n = 0; n < good->size() - 1; ++n) {
    EXPECT_FALSE(subscriptions.deserialize(good->view().subview(0, n)).ok()) << n;
  }
  Bytes future_version = *good;
  future_version[0] = 1;
  EXPECT_FALSE(subscriptions.deserialize(future_version).ok());
  Bytes unknown_instruction = *good;
  unknown_instruction[1] = 9;
  EXPECT_FALSE(subscriptions.deserialize(unknown_instruction).ok());
  EXPECT_FALSE(responses.deserialize(Bytes{}).ok());
  EXPECT_FALSE(responses.deserialize(Bytes{1, 0, 0, 0, 0, 0, 0}).ok());
  EXPECT_FALSE(responses.deserialize(Bytes{0, 1, 0}).ok());  // Hash cut short.
}

TEST(ForeignKeyJoinWireTest, HashTellsValuesApartAndIsStable) {
  EXPECT_EQ(hash_value(Bytes::from_string("a")), hash_value(Bytes::from_string("a")));
  EXPECT_NE(hash_value(Bytes::from_string("a")), hash_value(Bytes::from_string("b")));
  EXPECT_NE(hash_value(Bytes{}), hash_value(Bytes{0}));
}

TEST(ForeignKeyJoinWireTest, SubscriptionKeysOfOneForeignKeyShareItsPrefixOnly) {
  // "ab"+"c" and "a"+"bc" must not collide, nor one foreign key prefix another's keys.
  const Bytes ab_c = subscription_store_key(Bytes::from_string("ab"), Bytes::from_string("c"));
  const Bytes a_bc = subscription_store_key(Bytes::from_string("a"), Bytes::from_string("bc"));
  EXPECT_NE(ab_c, a_bc);
  const Bytes prefix_a = subscription_prefix(Bytes::from_string("a"));
  EXPECT_NE(BytesView(ab_c).subview(0, prefix_a.size()), BytesView(prefix_a));
  EXPECT_EQ(BytesView(a_bc).subview(0, prefix_a.size()), BytesView(prefix_a));
}

}  // namespace
}  // namespace runnel::internal
