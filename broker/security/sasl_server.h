#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker/security/credential_store.h"
#include "broker/security/scram.h"
#include "core/bytes.h"
#include "core/result.h"

namespace runnel::broker {

// The broker's side of one SASL exchange on one connection: fed each token the client sends,
// answers with the next challenge until the exchange completes. Not thread-safe; a
// connection runs one exchange at a time.
class SaslServer {
 public:
  struct Step {
    Bytes challenge;        // to send back (may be empty)
    bool complete = false;  // authenticated: authorized_id() is the user
  };

  virtual ~SaslServer() = default;
  // The next step, or an error whose message is safe to show the client (it never says
  // whether the user exists): the exchange has failed and the connection must close.
  virtual Result<Step> evaluate(BytesView response) = 0;
  // The authenticated user name, once evaluate() returned complete.
  virtual const std::string& authorized_id() const = 0;
};

// The mechanisms runneld implements, in the order SaslHandshake lists them.
const std::vector<std::string>& sasl_supported_mechanisms();

// A new exchange for `mechanism` ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"); nullptr for a
// mechanism runneld does not implement. `credentials` must outlive it.
std::unique_ptr<SaslServer> make_sasl_server(std::string_view mechanism,
                                             const CredentialStore& credentials);

// SASL/PLAIN (RFC 4616): one message "authzid NUL authcid NUL password", checked against the
// user's SCRAM credentials (CredentialStore::verify_password). The authzid must be empty or
// the authcid: a user cannot act as another.
class PlainSaslServer final : public SaslServer {
 public:
  explicit PlainSaslServer(const CredentialStore& credentials) : credentials_(credentials) {}
  Result<Step> evaluate(BytesView response) override;
  const std::string& authorized_id() const override { return user_; }

 private:
  const CredentialStore& credentials_;
  std::string user_;
};

// SASL/SCRAM (RFC 5802, RFC 7677): client-first → server-first (nonce, salt, iterations) →
// client-final (proof) → server-final (signature). No channel binding (a client asking for it
// with "p=" is refused) and no extensions beyond Kafka's, which are refused (delegation
// tokens are not served). An unknown user gets a made-up salt and fails at the proof, so the
// exchange does not reveal which names exist.
class ScramSaslServer final : public SaslServer {
 public:
  // `server_nonce` is appended to the client's nonce; make_sasl_server draws it from the
  // CSPRNG. Tests pass RFC 7677's.
  ScramSaslServer(ScramMechanism mechanism, const CredentialStore& credentials,
                  std::string server_nonce);
  Result<Step> evaluate(BytesView response) override;
  const std::string& authorized_id() const override { return user_; }

 private:
  Result<Step> client_first(std::string_view message);
  Result<Step> client_final(std::string_view message);

  enum class State { kClientFirst, kClientFinal, kDone, kFailed };
  const ScramMechanism mechanism_;
  const CredentialStore& credentials_;
  const std::string server_nonce_;
  State state_ = State::kClientFirst;
  std::string user_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;  // client nonce + server nonce
  ScramCredential credential_;
  bool known_user_ = false;
};

}  // namespace runnel::broker
