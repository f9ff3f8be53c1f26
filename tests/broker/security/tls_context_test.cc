// The TLS listeners' server context: what it loads, and the clear errors a bad setting gets
// at start rather than at the first handshake.
#include "broker/security/tls_context.h"

#include <fstream>

#include <boost/asio/ssl/context.hpp>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "tests/broker/security/test_certificates.h"

namespace runnel::broker {
namespace {

class TlsContextTest : public ::testing::Test {
 protected:
  TlsConfig valid() const {
    return TlsConfig{.certificate_location = certificates_.server_pem(),
                     .key_location = certificates_.server_key_pem()};
  }
  testing::TestCertificates certificates_;
};

TEST_F(TlsContextTest, LoadsAPemCertificateAndKeyForTls12And13Only) {
  auto context = make_server_tls_context(valid());
  ASSERT_TRUE(context.ok()) << context.status().to_string();
  SSL_CTX* native = (*context)->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(native), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(native), TLS1_3_VERSION);
  EXPECT_EQ(SSL_CTX_get_verify_mode(native), SSL_VERIFY_NONE);
}

TEST_F(TlsContextTest, ClientAuthSetsTheVerifyMode) {
  TlsConfig config = valid();
  config.ca_location = certificates_.ca_pem();
  config.client_auth = TlsClientAuth::kRequested;
  auto requested = make_server_tls_context(config);
  ASSERT_TRUE(requested.ok()) << requested.status().to_string();
  EXPECT_EQ(SSL_CTX_get_verify_mode((*requested)->native_handle()), SSL_VERIFY_PEER);
  config.client_auth = TlsClientAuth::kRequired;
  auto required = make_server_tls_context(config);
  ASSERT_TRUE(required.ok()) << required.status().to_string();
  EXPECT_EQ(SSL_CTX_get_verify_mode((*required)->native_handle()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
}

TEST_F(TlsContextTest, BadSettingsAreRefusedWithTheSettingAndFileNamed) {
  auto missing = make_server_tls_context(TlsConfig{});
  EXPECT_NE(missing.status().message().find("needs ssl.certificate.location"), std::string::npos);

  TlsConfig no_file = valid();
  no_file.certificate_location = "/nonexistent/server.pem";
  auto unreadable = make_server_tls_context(no_file);
  EXPECT_NE(unreadable.status().message().find("ssl.certificate.location /nonexistent/server.pem"),
            std::string::npos)
      << unreadable.status().to_string();

  TlsConfig not_pem = valid();
  not_pem.key_location = certificates_.ca_pem().string() + ".txt";
  std::ofstream(not_pem.key_location) << "not a key\n";
  auto garbage = make_server_tls_context(not_pem);
  EXPECT_NE(garbage.status().message().find("ssl.key.location"), std::string::npos)
      << garbage.status().to_string();

  TlsConfig mismatch = valid();
  mismatch.key_location = certificates_.client_key_pem();
  auto wrong_key = make_server_tls_context(mismatch);
  EXPECT_NE(wrong_key.status().message().find("is not the key of the certificate"),
            std::string::npos)
      << wrong_key.status().to_string();

  TlsConfig no_ca = valid();
  no_ca.client_auth = TlsClientAuth::kRequired;
  auto unverifiable = make_server_tls_context(no_ca);
  EXPECT_NE(unverifiable.status().message().find("needs ssl.ca.location"), std::string::npos);
}

TEST(TlsClientAuthTest, ParsesKafkaSpellings) {
  EXPECT_EQ(parse_tls_client_auth("none").value(), TlsClientAuth::kNone);
  EXPECT_EQ(parse_tls_client_auth("requested").value(), TlsClientAuth::kRequested);
  EXPECT_EQ(parse_tls_client_auth("required").value(), TlsClientAuth::kRequired);
  EXPECT_FALSE(parse_tls_client_auth("REQUIRED").ok());
  EXPECT_FALSE(parse_tls_client_auth("").ok());
}

}  // namespace
}  // namespace runnel::broker
