// The mTLS principal: a certificate's subject written as Java's X500Principal.getName()
// writes it, so that ACLs written for Kafka (User:CN=alice,OU=eng,O=acme) match on runneld.
#include "broker/security/tls_principal.h"

#include <gtest/gtest.h>

#include "tests/broker/security/test_certificates.h"

namespace runnel::broker {
namespace {

using testing::Subject;

std::string subject_of(const Subject& subject) {
  testing::Key key = testing::make_key();
  testing::Certificate certificate =
      testing::make_certificate(key.get(), subject, nullptr, nullptr, false, 1);
  return rfc2253_subject(*certificate);
}

TEST(TlsPrincipalTest, WritesTheMostSpecificNameFirstAsKafkaDoes) {
  EXPECT_EQ(subject_of({{"C", "US"},
                        {"ST", "CA"},
                        {"L", "Palo Alto"},
                        {"O", "acme"},
                        {"OU", "eng"},
                        {"CN", "alice"}}),
            "CN=alice,OU=eng,O=acme,L=Palo Alto,ST=CA,C=US");
  EXPECT_EQ(subject_of({{"DC", "com"}, {"DC", "example"}, {"UID", "a1"}}),
            "UID=a1,DC=example,DC=com");
}

TEST(TlsPrincipalTest, EscapesAsJavaDoes) {
  // RFC 2253's specials, and '=' and '#' anywhere, as sun.security.x509.AVA does.
  EXPECT_EQ(subject_of({{"O", "Acme, Inc."}, {"CN", "a+b=c;\"d\"<e>\\#f"}}),
            "CN=a\\+b\\=c\\;\\\"d\\\"\\<e\\>\\\\\\#f,O=Acme\\, Inc.");
  EXPECT_EQ(subject_of({{"CN", "  two leading, one trailing "}}),
            "CN=\\ \\ two leading\\, one trailing\\ ");
  EXPECT_EQ(subject_of({{"CN", "alice@example.com_x"}}), "CN=alice@example.com_x");
}

TEST(TlsPrincipalTest, KeepsNonAsciiAsUtf8) { EXPECT_EQ(subject_of({{"CN", "Zoë"}}), "CN=Zoë"); }

TEST(TlsPrincipalTest, WritesOtherAttributesAsOidAndDerHexAsJavaDoes) {
  // emailAddress is an IA5String (tag 0x16): 0x16, length 3, "a@b".
  EXPECT_EQ(subject_of({{"emailAddress", "a@b"}, {"CN", "alice"}}),
            "CN=alice,1.2.840.113549.1.9.1=#1603614062");
}

TEST(TlsPrincipalTest, JoinsTheValuesOfAMultiValuedNameWithAPlus) {
  const std::string subject = subject_of({{"O", "acme"}, {"CN", "alice"}, {"+UID", "a1"}});
  EXPECT_TRUE(subject == "UID=a1+CN=alice,O=acme" || subject == "CN=alice+UID=a1,O=acme")
      << subject;
}

TEST(TlsPrincipalTest, AClientWithoutACertificateIsAnonymous) {
  EXPECT_EQ(tls_principal(nullptr), "User:ANONYMOUS");
  testing::Key key = testing::make_key();
  testing::Certificate certificate = testing::make_certificate(
      key.get(), {{"O", "acme"}, {"CN", "bob"}}, nullptr, nullptr, false, 1);
  EXPECT_EQ(tls_principal(certificate.get()), "User:CN=bob,O=acme");
}

}  // namespace
}  // namespace runnel::broker
