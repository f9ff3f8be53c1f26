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

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
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

std::string base64_encode(BytesView bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t n = bytes[i] << 16;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<Bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  Bytes out;
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::array<int, 4> v{};
    int padding = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        ++padding;
        v[j] = 0;
        continue;
      }
      if (padding > 0) return std::nullopt;  // data after padding
      v[j] = base64_value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    const uint8_t decoded[3] = {static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                                static_cast<uint8_t>(n)};
    out.append(BytesView(decoded, 3 - padding));
  }
  return out;
}

}  // namespace runnel::broker
