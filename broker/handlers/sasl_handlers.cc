#include "broker/handlers/sasl_handlers.h"

#include <algorithm>

#include "broker/protocol/error_code.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

// Completes or fails `exchange` with `token`: the challenge to answer, or the failure.
Result<Bytes> step(ConnectionSession& session, SaslExchange& exchange, BytesView token,
                   const std::string& peer) {
  auto next = exchange.server->evaluate(token);
  if (!next.ok()) {
    log::info("SASL/{} authentication of {} failed: {}", exchange.mechanism, peer,
              next.status().message());
    return next.status();
  }
  Bytes challenge = std::move(next->challenge);
  if (next->complete) {
    const std::string user = exchange.server->authorized_id();
    log::info("{} authenticated as User:{} with SASL/{} on listener {}", peer, user,
              exchange.mechanism, session.listener_name());
    session.set_authenticated("User:" + user);  // ends (and frees) the exchange
  }
  return challenge;
}

}  // namespace

SaslExchange* raw_sasl_exchange(const ConnectionSession& session) {
  if (!session.requires_authentication()) return nullptr;
  auto* exchange = dynamic_cast<SaslExchange*>(session.authentication());
  return exchange != nullptr && exchange->raw_tokens ? exchange : nullptr;
}

SaslOutcome<SaslHandshakeResponse> handle_sasl_handshake(BrokerContext& context,
                                                         ConnectionSession& session,
                                                         const SaslHandshakeRequest& request,
                                                         int16_t version) {
  SaslOutcome<SaslHandshakeResponse> outcome;
  const auto& enabled = context.config.sasl_enabled_mechanisms;
  outcome.response.mechanisms = enabled;
  if (!session.requires_authentication() || session.authenticated()) {
    // What Kafka answers on a listener without SASL, or to a second handshake once
    // authenticated (re-authentication, KIP-368, is not served).
    outcome.response.error_code = code(ErrorCode::kIllegalSaslState);
    return outcome;
  }
  if (session.authentication() != nullptr) {
    outcome.response.error_code = code(ErrorCode::kIllegalSaslState);
    outcome.close_connection = true;
    return outcome;
  }
  std::unique_ptr<SaslServer> server;
  if (std::find(enabled.begin(), enabled.end(), request.mechanism) != enabled.end()) {
    server = make_sasl_server(request.mechanism, context.credentials);
  }
  if (server == nullptr) {
    outcome.response.error_code = code(ErrorCode::kUnsupportedSaslMechanism);
    outcome.close_connection = true;
    return outcome;
  }
  auto exchange = std::make_unique<SaslExchange>();
  exchange->server = std::move(server);
  exchange->mechanism = request.mechanism;
  exchange->raw_tokens = version == 0;
  session.set_authentication(std::move(exchange));
  return outcome;
}

SaslOutcome<SaslAuthenticateResponse> handle_sasl_authenticate(
    BrokerContext& context, ConnectionSession& session, const SaslAuthenticateRequest& request,
    int16_t version, const std::string& peer) {
  (void)context;
  (void)version;  // v1 adds session_lifetime_ms (0: no re-authentication); v2 is flexible.
  SaslOutcome<SaslAuthenticateResponse> outcome;
  if (!session.requires_authentication() || session.authenticated()) {
    outcome.response.error_code = code(ErrorCode::kIllegalSaslState);
    outcome.response.error_message = "SaslAuthenticate is not expected on this connection now";
    return outcome;
  }
  auto* exchange = dynamic_cast<SaslExchange*>(session.authentication());
  if (exchange == nullptr || exchange->raw_tokens) {
    outcome.response.error_code = code(ErrorCode::kIllegalSaslState);
    outcome.response.error_message = "SaslAuthenticate before a SaslHandshake v1";
    outcome.close_connection = true;
    return outcome;
  }
  auto challenge = step(session, *exchange, request.auth_bytes.view(), peer);
  if (!challenge.ok()) {
    outcome.response.error_code = code(ErrorCode::kSaslAuthenticationFailed);
    outcome.response.error_message = std::string(challenge.status().message());
    outcome.close_connection = true;
    return outcome;
  }
  outcome.response.auth_bytes = std::move(*challenge);
  return outcome;
}

std::optional<Bytes> handle_raw_sasl_token(ConnectionSession& session, SaslExchange& exchange,
                                           BytesView token, const std::string& peer) {
  auto challenge = step(session, exchange, token, peer);
  if (!challenge.ok()) return std::nullopt;
  return std::move(*challenge);
}

void SaslHandshakeHandler::handle(const HandlerCall& call, SaslHandshakeRequest request,
                                  const Responder& respond) {
  auto outcome = handle_sasl_handshake(call.context, call.session, request, call.version());
  respond.send(outcome.response, outcome.close_connection);
}

void SaslAuthenticateHandler::handle(const HandlerCall& call, SaslAuthenticateRequest request,
                                     const Responder& respond) {
  auto outcome = handle_sasl_authenticate(call.context, call.session, request, call.version(),
                                          call.request_context.peer);
  respond.send(outcome.response, outcome.close_connection);
}

}  // namespace runnel::broker
