#pragma once

// Throwaway certificates for TLS tests, made with OpenSSL's API into a temporary directory:
// a CA, a server certificate it signs, a client certificate it signs, and a client
// certificate from another CA. Test-only; everything is P-256 and valid for a day.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace runnel::broker::testing {

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertificateDeleter {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Certificate = std::unique_ptr<X509, CertificateDeleter>;

// (attribute, value) pairs, least specific first as in a certificate: {{"O", "acme"}, {"CN",
// "alice"}}. An attribute starting with '+' joins the previous RDN (a multi-valued RDN).
using Subject = std::vector<std::pair<std::string, std::string>>;

inline Key make_key() { return Key(EVP_EC_gen("P-256")); }

// A certificate for `key` and `subject`, signed by `issuer_key` as `issuer` (null: self-signed).
inline Certificate make_certificate(EVP_PKEY* key, const Subject& subject, X509* issuer,
                                    EVP_PKEY* issuer_key, bool is_ca, long serial) {
  Certificate certificate(X509_new());
  X509* x = certificate.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  for (const auto& [attribute, value] : subject) {
    const bool joins = attribute.starts_with('+');
    X509_NAME_add_entry_by_txt(name, joins ? attribute.c_str() + 1 : attribute.c_str(),
                               MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                               static_cast<int>(value.size()), -1, joins ? -1 : 0);
  }
  X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer ? issuer : x, x, nullptr, nullptr, 0);
  X509_EXTENSION* constraints = X509V3_EXT_conf_nid(nullptr, &context, NID_basic_constraints,
                                                    is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_add_ext(x, constraints, -1);
  X509_EXTENSION_free(constraints);
  if (!is_ca) {
    X509_EXTENSION* names =
        X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, "IP:127.0.0.1");
    X509_add_ext(x, names, -1);
    X509_EXTENSION_free(names);
  }
  X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
  return certificate;
}

inline void write_pem(const std::filesystem::path& path, X509* certificate) {
  FILE* out = std::fopen(path.c_str(), "w");
  PEM_write_X509(out, certificate);
  std::fclose(out);
}

inline void write_pem(const std::filesystem::path& path, EVP_PKEY* key) {
  FILE* out = std::fopen(path.c_str(), "w");
  PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
}

// The files, in a directory removed with the object.
class TestCertificates {
 public:
  TestCertificates() {
    dir_ = std::filesystem::temp_directory_path() /
           ("runnel-tls-test-" + std::to_string(::getpid()) + "-" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::create_directories(dir_);
    Key ca_key = make_key();
    Certificate ca =
        make_certificate(ca_key.get(), {{"CN", "Runnel Test CA"}}, nullptr, nullptr, true, 1);
    write_pem(ca_pem(), ca.get());
    Key server_key = make_key();
    write_pem(server_key_pem(), server_key.get());
    write_pem(server_pem(), make_certificate(server_key.get(), {{"CN", "localhost"}}, ca.get(),
                                             ca_key.get(), false, 2)
                                .get());
    Key client_key = make_key();
    write_pem(client_key_pem(), client_key.get());
    write_pem(client_pem(),
              make_certificate(client_key.get(), {{"O", "acme"}, {"OU", "eng"}, {"CN", "alice"}},
                               ca.get(), ca_key.get(), false, 3)
                  .get());
    Key rogue_ca_key = make_key();
    Certificate rogue_ca =
        make_certificate(rogue_ca_key.get(), {{"CN", "Rogue CA"}}, nullptr, nullptr, true, 4);
    write_pem(rogue_client_pem(),
              make_certificate(client_key.get(), {{"O", "acme"}, {"OU", "eng"}, {"CN", "alice"}},
                               rogue_ca.get(), rogue_ca_key.get(), false, 5)
                  .get());
  }
  ~TestCertificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

  std::filesystem::path ca_pem() const { return dir_ / "ca.pem"; }
  std::filesystem::path server_pem() const { return dir_ / "server.pem"; }
  std::filesystem::path server_key_pem() const { return dir_ / "server.key"; }
  // Subject O=acme, OU=eng, CN=alice: principal "User:CN=alice,OU=eng,O=acme".
  std::filesystem::path client_pem() const { return dir_ / "client.pem"; }
  std::filesystem::path client_key_pem() const { return dir_ / "client.key"; }
  // The same subject and key, signed by a CA the broker does not know.
  std::filesystem::path rogue_client_pem() const { return dir_ / "rogue-client.pem"; }

 private:
  std::filesystem::path dir_;
};

}  // namespace runnel::broker::testing
