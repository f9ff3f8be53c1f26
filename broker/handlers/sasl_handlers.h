#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "broker/handlers/broker_context.h"
#include "broker/handlers/handler.h"
#include "broker/protocol/generated/sasl_authenticate_request.h"
#include "broker/protocol/generated/sasl_authenticate_response.h"
#include "broker/protocol/generated/sasl_handshake_request.h"
#include "broker/protocol/generated/sasl_handshake_response.h"
#include "broker/security/sasl_server.h"
#include "broker/server/request_handler.h"

namespace runnel::broker {

// A connection's SASL exchange between SaslHandshake and the end of authentication: the
// mechanism the client chose and the broker's side of the exchange.
struct SaslExchange final : ConnectionSession::AuthenticationState {
  std::unique_ptr<SaslServer> server;
  std::string mechanism;
  // SaslHandshake v0: the tokens that follow are raw frames, not SaslAuthenticate requests
  // (Kafka before 1.0; librdkafka with api.version.request=false).
  bool raw_tokens = false;
};

// What a SASL handler answers, and whether the connection closes after the answer (a failed
// or out-of-order exchange, as Kafka does).
template <typename Response>
struct SaslOutcome {
  Response response;
  bool close_connection = false;
};

// SaslHandshake (v0-1): picks the mechanism of `session`'s exchange. On a listener without
// SASL, or once authenticated, ILLEGAL_SASL_STATE; a mechanism not in
// sasl.enabled.mechanisms gets UNSUPPORTED_SASL_MECHANISM with the enabled list, and the
// connection closes.
SaslOutcome<SaslHandshakeResponse> handle_sasl_handshake(BrokerContext& context,
                                                         ConnectionSession& session,
                                                         const SaslHandshakeRequest& request,
                                                         int16_t version);

// SaslAuthenticate (v0-2): one token of the exchange SaslHandshake started. A failed
// exchange answers SASL_AUTHENTICATION_FAILED with the reason and closes the connection; a
// completed one makes the session's principal "User:<name>".
SaslOutcome<SaslAuthenticateResponse> handle_sasl_authenticate(
    BrokerContext& context, ConnectionSession& session, const SaslAuthenticateRequest& request,
    int16_t version, const std::string& peer);

// SaslHandshake and SaslAuthenticate as runneld serves them (why these versions: handlers.h):
// a failed exchange is answered, then the connection closed.
struct SaslHandshakeHandler : HandlerTraits<SaslHandshakeRequest, 0, 1> {
  static void handle(const HandlerCall& call, SaslHandshakeRequest request,
                     const Responder& respond);
};
struct SaslAuthenticateHandler : HandlerTraits<SaslAuthenticateRequest, 0, 2> {
  static void handle(const HandlerCall& call, SaslAuthenticateRequest request,
                     const Responder& respond);
};

// A raw SASL token after a v0 SaslHandshake: the next token to send back as a bare frame,
// or nullopt when the exchange failed (the connection closes without an answer, as Kafka's
// v0 does).
std::optional<Bytes> handle_raw_sasl_token(ConnectionSession& session, SaslExchange& exchange,
                                           BytesView token, const std::string& peer);

// The session's v0 exchange, when the next frame on it is a raw SASL token.
SaslExchange* raw_sasl_exchange(const ConnectionSession& session);

}  // namespace runnel::broker
