#include "broker/security/scram.h"

#include <array>
#include <cassert>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace runnel::broker {
namespace {

const EVP_MD* digest(ScramMechanism mechanism) {
  return mechanism == ScramMechanism::kSha256 ? EVP_sha256() : EVP_sha512();
}
}  // namespace

std::optional<ScramMechanism> scram_mechanism_from_name(std::string_view name) {
  if (name == "SCRAM-SHA-256") return ScramMechanism::kSha256;
  if (name == "SCRAM-SHA-512") return ScramMechanism::kSha512;
  return std::nullopt;
}

std::optional<ScramMechanism> scram_mechanism_from_code(int8_t code) {
  if (code == static_cast<int8_t>(ScramMechanism::kSha256)) return ScramMechanism::kSha256;
  if (code == static_cast<int8_t>(ScramMechanism::kSha512)) return ScramMechanism::kSha512;
  return std::nullopt;
}

std::string_view scram_mechanism_name(ScramMechanism mechanism) {
  return mechanism == ScramMechanism::kSha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
}

Bytes scram_hash(ScramMechanism mechanism, BytesView data) {
  Bytes out;
  out.resize(EVP_MD_size(digest(mechanism)));
  unsigned int size = 0;
  const int ok =
      EVP_Digest(data.data(), data.size(), out.data(), &size, digest(mechanism), nullptr);
  assert(ok == 1 && size == out.size());
  (void)ok;
  return out;
}

Bytes scram_hmac(ScramMechanism mechanism, BytesView key, BytesView data) {
  Bytes out;
  out.resize(EVP_MD_size(digest(mechanism)));
  unsigned int size = 0;
  const unsigned char* done = HMAC(digest(mechanism), key.data(), static_cast<int>(key.size()),
                                   data.data(), data.size(), out.data(), &size);
  assert(done != nullptr && size == out.size());
  (void)done;
  return out;
}

Bytes scram_salted_password(ScramMechanism mechanism, std::string_view password, BytesView salt,
                            int32_t iterations) {
  Bytes out;
  out.resize(EVP_MD_size(digest(mechanism)));
  const int ok = PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                                   static_cast<int>(salt.size()), iterations, digest(mechanism),
                                   static_cast<int>(out.size()), out.data());
  assert(ok == 1);
  (void)ok;
  return out;
}

ScramCredential scram_credential_from_salted_password(ScramMechanism mechanism,
                                                      BytesView salted_password, BytesView salt,
                                                      int32_t iterations) {
  ScramCredential credential;
  credential.salt = Bytes(salt);
  credential.iterations = iterations;
  const Bytes client_key = scram_hmac(mechanism, salted_password, std::string_view("Client Key"));
  credential.stored_key = scram_hash(mechanism, client_key.view());
  credential.server_key = scram_hmac(mechanism, salted_password, std::string_view("Server Key"));
  return credential;
}

ScramCredential scram_credential_from_password(ScramMechanism mechanism, std::string_view password,
                                               BytesView salt, int32_t iterations) {
  const Bytes salted = scram_salted_password(mechanism, password, salt, iterations);
  return scram_credential_from_salted_password(mechanism, salted.view(), salt, iterations);
}

Result<Bytes> secure_random_bytes(size_t size) {
  Bytes out;
  out.resize(size);
  if (RAND_bytes(out.data(), static_cast<int>(size)) != 1) {
    return internal_error("OpenSSL's random generator could not be seeded");
  }
  return out;
}

bool constant_time_equal(BytesView a, BytesView b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace runnel::broker
