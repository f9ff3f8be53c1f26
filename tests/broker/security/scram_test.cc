#include "broker/security/scram.h"

#include <string>

#include <gtest/gtest.h>

namespace runnel::broker {
namespace {

std::string hex(const Bytes& bytes) { return to_hex(bytes.view()); }

TEST(ScramTest, SaltedPasswordMatchesPublishedPbkdf2Vectors) {
  const Bytes salt = Bytes::from_string("salt");
  EXPECT_EQ(hex(scram_salted_password(ScramMechanism::kSha512, "password", salt.view(), 1)),
            "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252"
            "c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce");
  EXPECT_EQ(hex(scram_salted_password(ScramMechanism::kSha512, "password", salt.view(), 4096)),
            "d197b1b33db0143e018b12f3d1d1479e6cdebdcc97c5c0f87f6902e072f457b5"
            "143f30602641b3d55cd335988cb36b84376060ecd532e039b742a239434af2d5");
  EXPECT_EQ(hex(scram_salted_password(ScramMechanism::kSha256, "password", salt.view(), 4096)),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

TEST(ScramTest, Base64RoundTripsAndRejectsNonCanonicalText) {
  EXPECT_EQ(base64_encode(std::string_view("n,,")), "biws");
  EXPECT_EQ(base64_encode(std::string_view("ab")), "YWI=");
  EXPECT_EQ(base64_encode(std::string_view("a")), "YQ==");
  EXPECT_EQ(base64_decode("YWI=")->to_string(), "ab");
  EXPECT_EQ(base64_decode("YQ==")->to_string(), "a");
  EXPECT_EQ(base64_decode("")->to_string(), "");
  EXPECT_FALSE(base64_decode("YWI"));
  EXPECT_FALSE(base64_decode("Y=Q="));
  EXPECT_FALSE(base64_decode("YW!="));
}

TEST(ScramTest, MechanismNamesAndKafkaCodesMapBothWays) {
  EXPECT_EQ(scram_mechanism_from_name("SCRAM-SHA-256"), ScramMechanism::kSha256);
  EXPECT_EQ(scram_mechanism_from_name("SCRAM-SHA-512"), ScramMechanism::kSha512);
  EXPECT_FALSE(scram_mechanism_from_name("SCRAM-SHA-1"));
  EXPECT_EQ(scram_mechanism_from_code(1), ScramMechanism::kSha256);
  EXPECT_EQ(scram_mechanism_from_code(2), ScramMechanism::kSha512);
  EXPECT_FALSE(scram_mechanism_from_code(0));
  EXPECT_EQ(scram_mechanism_name(ScramMechanism::kSha512), "SCRAM-SHA-512");
}

TEST(ScramTest, RandomBytesDifferFromCallToCall) {
  auto a = secure_random_bytes(32);
  auto b = secure_random_bytes(32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
}

TEST(ScramTest, ConstantTimeEqualComparesContentAndSize) {
  EXPECT_TRUE(constant_time_equal(std::string_view("abc"), std::string_view("abc")));
  EXPECT_FALSE(constant_time_equal(std::string_view("abc"), std::string_view("abd")));
  EXPECT_FALSE(constant_time_equal(std::string_view("abc"), std::string_view("abcd")));
}

}  // namespace
}  // namespace runnel::broker
