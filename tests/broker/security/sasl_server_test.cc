#include "broker/security/sasl_server.h"

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "broker/security/scram_client.h"

namespace runnel::broker {
namespace {

// RFC 7677 §3: user "user", password "pencil".
constexpr std::string_view kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

class SaslServerTest : public ::testing::Test {
 protected:
  SaslServerTest() {
    std::string pattern = "/tmp/runnel-sasl-test-XXXXXX";
    dir_ = ::mkdtemp(pattern.data());
    store_ = std::move(CredentialStore::open(dir_)).value();
    const Bytes salt = *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    for (ScramMechanism mechanism : {ScramMechanism::kSha256, ScramMechanism::kSha512}) {
      EXPECT_TRUE(
          store_
              ->upsert("user", mechanism,
                       scram_credential_from_password(mechanism, "pencil", salt.view(), 4096))
              .ok());
    }
  }
  ~SaslServerTest() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Runs a whole SCRAM exchange through ScramClient; the broker's final error if it failed.
  Status scram_login(ScramMechanism mechanism, const std::string& user,
                     const std::string& password) {
    ScramSaslServer server(mechanism, *store_, "server-nonce");
    ScramClient client(mechanism, user, password, "client-nonce");
    auto first = server.evaluate(std::string_view(client.client_first()));
    if (!first.ok()) return first.status();
    EXPECT_FALSE(first->complete);
    auto final_message = client.client_final(first->challenge.as_string_view());
    if (!final_message.ok()) return final_message.status();
    auto last = server.evaluate(std::string_view(*final_message));
    if (!last.ok()) return last.status();
    EXPECT_TRUE(last->complete);
    EXPECT_EQ(server.authorized_id(), user);
    return client.verify_server_final(last->challenge.as_string_view());
  }

  std::filesystem::path dir_;
  std::unique_ptr<CredentialStore> store_;
};

TEST_F(SaslServerTest, ScramSha256ServerAnswersRfc7677Exchange) {
  ScramSaslServer server(ScramMechanism::kSha256, *store_, std::string(kServerNonce));
  auto first = server.evaluate(kClientFirst);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_EQ(first->challenge.as_string_view(), kServerFirst);
  auto last = server.evaluate(kClientFinal);
  ASSERT_TRUE(last.ok()) << last.status().to_string();
  EXPECT_TRUE(last->complete);
  EXPECT_EQ(last->challenge.as_string_view(), kServerFinal);
  EXPECT_EQ(server.authorized_id(), "user");
}

TEST_F(SaslServerTest, ScramClientProducesRfc7677ProofAndAcceptsItsSignature) {
  ScramClient client(ScramMechanism::kSha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(client.client_first(), kClientFirst);
  auto final_message = client.client_final(kServerFirst);
  ASSERT_TRUE(final_message.ok());
  EXPECT_EQ(*final_message, kClientFinal);
  EXPECT_TRUE(client.verify_server_final(kServerFinal).ok());
  EXPECT_FALSE(client.verify_server_final("v=AAAA").ok());
}

TEST_F(SaslServerTest, ScramSha512AcceptsTheRightPassword) {
  EXPECT_TRUE(scram_login(ScramMechanism::kSha512, "user", "pencil").ok());
}

TEST_F(SaslServerTest, ScramRefusesAWrongPasswordAndAnUnknownUserAlike) {
  const Status wrong = scram_login(ScramMechanism::kSha256, "user", "pen");
  const Status unknown = scram_login(ScramMechanism::kSha256, "nobody", "pencil");
  ASSERT_FALSE(wrong.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(wrong.message(), unknown.message());
  EXPECT_NE(wrong.message().find("invalid credentials"), std::string::npos);
}

TEST_F(SaslServerTest, ScramRefusesAProofWithATamperedNonce) {
  ScramSaslServer server(ScramMechanism::kSha256, *store_, std::string(kServerNonce));
  ASSERT_TRUE(server.evaluate(kClientFirst).ok());
  std::string tampered(kClientFinal);
  tampered.replace(tampered.find("r=r"), 3, "r=x");
  EXPECT_FALSE(server.evaluate(std::string_view(tampered)).ok());
  // A failed exchange stays failed.
  EXPECT_FALSE(server.evaluate(kClientFinal).ok());
}

TEST_F(SaslServerTest, ScramRefusesChannelBindingAndMalformedMessages) {
  for (std::string_view message :
       {std::string_view("p=tls-unique,,n=user,r=abc"), std::string_view("n,,r=abc,n=user"),
        std::string_view("n,,n=us=er,r=abc"), std::string_view("garbage"),
        std::string_view("n,a=other,n=user,r=abc")}) {
    ScramSaslServer server(ScramMechanism::kSha256, *store_, "nonce");
    EXPECT_FALSE(server.evaluate(message).ok()) << message;
  }
}

TEST_F(SaslServerTest, PlainChecksThePasswordAgainstTheScramCredential) {
  PlainSaslServer good(*store_);
  auto step = good.evaluate(std::string_view("\0user\0pencil", 12));
  ASSERT_TRUE(step.ok()) << step.status().to_string();
  EXPECT_TRUE(step->complete);
  EXPECT_EQ(good.authorized_id(), "user");

  PlainSaslServer as_self(*store_);
  EXPECT_TRUE(as_self.evaluate(std::string_view("user\0user\0pencil", 16)).ok());

  PlainSaslServer wrong(*store_);
  EXPECT_FALSE(wrong.evaluate(std::string_view("\0user\0pencils", 13)).ok());
  PlainSaslServer unknown(*store_);
  EXPECT_FALSE(unknown.evaluate(std::string_view("\0nobody\0pencil", 14)).ok());
  PlainSaslServer other(*store_);
  EXPECT_FALSE(other.evaluate(std::string_view("admin\0user\0pencil", 17)).ok());
  PlainSaslServer malformed(*store_);
  EXPECT_FALSE(malformed.evaluate(std::string_view("user pencil")).ok());
}

TEST_F(SaslServerTest, MakesAServerPerSupportedMechanismOnly) {
  for (const std::string& mechanism : sasl_supported_mechanisms()) {
    EXPECT_NE(make_sasl_server(mechanism, *store_), nullptr) << mechanism;
  }
  EXPECT_EQ(make_sasl_server("GSSAPI", *store_), nullptr);
  EXPECT_EQ(make_sasl_server("OAUTHBEARER", *store_), nullptr);
}

}  // namespace
}  // namespace runnel::broker
