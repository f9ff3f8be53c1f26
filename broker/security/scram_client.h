#pragma once

#include <string>
#include <string_view>

#include "broker/security/scram.h"
#include "core/result.h"

namespace runnel::broker {

// The client's side of a SCRAM exchange (RFC 5802), for `runnel` talking to a SASL
// listener with its own wire client, and for tests of the broker's side. No channel binding.
//
//   ScramClient client(ScramMechanism::kSha256, "alice", "secret", nonce);
//   send(client.client_first());
//   RUNNEL_ASSIGN_OR_RETURN(std::string final, client.client_final(server_first));
//   send(final);
//   RUNNEL_RETURN_IF_ERROR(client.verify_server_final(server_final));
class ScramClient {
 public:
  ScramClient(ScramMechanism mechanism, std::string user, std::string password,
              std::string client_nonce);

  std::string client_first() const;
  // The client-final message with its proof; an error when the server's message is not a
  // server-first message that extends our nonce, or asks for too few iterations.
  Result<std::string> client_final(std::string_view server_first);
  // OK when the server proved it knows the credential (v=ServerSignature); an
  // invalid_argument_error naming the server's e= message otherwise.
  Status verify_server_final(std::string_view server_final) const;

 private:
  const ScramMechanism mechanism_;
  const std::string user_;
  const std::string password_;
  const std::string client_nonce_;
  std::string auth_message_;
  Bytes salted_password_;
};

}  // namespace runnel::broker
