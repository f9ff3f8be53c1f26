#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base64.h"
#include "core/bytes.h"
#include "core/result.h"

namespace runnel::broker {

// The SCRAM mechanisms (RFC 5802, RFC 7677), with the int8 codes Kafka's
// DescribeUserScramCredentials / AlterUserScramCredentials use (KIP-554).
enum class ScramMechanism : int8_t { kSha256 = 1, kSha512 = 2 };

// "SCRAM-SHA-256" / "SCRAM-SHA-512" and back; nullopt for any other name or code.
std::optional<ScramMechanism> scram_mechanism_from_name(std::string_view name);
std::optional<ScramMechanism> scram_mechanism_from_code(int8_t code);
std::string_view scram_mechanism_name(ScramMechanism mechanism);

// Kafka's bounds on a credential's iteration count (ScramMechanism.minIterations /
// maxIterations): fewer makes a stolen credential cheap to brute-force, more makes every
// login expensive for the broker.
constexpr int32_t kScramMinIterations = 4096;
constexpr int32_t kScramMaxIterations = 16384;

// What the broker keeps for one user and mechanism (RFC 5802 §3): never the password, nor
// the salted password, only the salt, the iteration count and two one-way derivations of
// the salted password. StoredKey verifies a client's proof; ServerKey proves the broker knew
// the credential.
struct ScramCredential {
  Bytes salt;
  int32_t iterations = 0;
  Bytes stored_key;  // H(HMAC(SaltedPassword, "Client Key"))
  Bytes server_key;  // HMAC(SaltedPassword, "Server Key")
  bool operator==(const ScramCredential&) const = default;
};

// SCRAM's primitives over the mechanism's hash (SHA-256 or SHA-512, OpenSSL's libcrypto).
Bytes scram_hash(ScramMechanism mechanism, BytesView data);
Bytes scram_hmac(ScramMechanism mechanism, BytesView key, BytesView data);
// Hi(password, salt, i) of RFC 5802: PBKDF2 with HMAC over the mechanism's hash.
Bytes scram_salted_password(ScramMechanism mechanism, std::string_view password, BytesView salt,
                            int32_t iterations);
// The credential of a salted password: what AlterUserScramCredentials carries (KIP-554: the
// client salts, so that the password never reaches the broker).
ScramCredential scram_credential_from_salted_password(ScramMechanism mechanism,
                                                      BytesView salted_password, BytesView salt,
                                                      int32_t iterations);
ScramCredential scram_credential_from_password(ScramMechanism mechanism, std::string_view password,
                                               BytesView salt, int32_t iterations);

// `size` bytes from OpenSSL's CSPRNG; an internal_error when it cannot be seeded.
Result<Bytes> secure_random_bytes(size_t size);
// Compares in time that depends only on the sizes, so that a verifier leaks nothing of
// where a forged key first differs.
bool constant_time_equal(BytesView a, BytesView b);

}  // namespace runnel::broker
