#include "broker/handlers/request_dispatcher.h"

#include <cassert>
#include <chrono>
#include <optional>
#include <utility>

#include "broker/handlers/broker_metrics.h"
#include "broker/handlers/handler.h"
#include "broker/handlers/handlers.h"
#include "broker/handlers/sasl_handlers.h"
#include "broker/handlers/supported_apis.h"
#include "broker/protocol/api_key.h"
#include "broker/protocol/generated/api_versions_request.h"
#include "broker/protocol/request_header.h"
#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

HandlerOutcome close_connection() {
  return HandlerOutcome{.response = std::nullopt, .close_connection = true};
}

template <typename Request>
std::optional<Request> decode_body(WireReader& reader, const RequestHeader& header,
                                   const RequestContext& request_context) {
  Request request;
  if (Status decoded = request.decode(reader, header.api_version); !decoded.ok()) {
    log::warn("closing connection from {}: malformed {} v{} request (correlation id {}): {}",
              request_context.peer, api_name(header.api_key), header.api_version,
              header.correlation_id, decoded.to_string());
    return std::nullopt;
  }
  return request;
}

// ApiVersions at a version above the served ones: the client's version is too new for us.
// Answered in the v0 layout, which every version of every client can read, without decoding
// the body (a newer version's body may not decode), so that the client retries lower.
HandlerOutcome answer_unsupported_api_versions(const RequestHeader& header) {
  ApiVersionsResponse response = handle_api_versions(header.api_version);
  WireWriter writer;
  encode_response_header(writer, header.correlation_id, 0);
  response.encode(writer, 0);
  return HandlerOutcome{.response = writer.take(), .close_connection = false};
}

// Decodes the body of `Handler`'s request and hands it over; closes the connection when the
// body does not decode.
template <typename Handler>
void serve(const HandlerCall& call, WireReader& reader, Responder respond) {
  auto request = decode_body<typename Handler::Request>(reader, call.header, call.request_context);
  if (!request) {
    respond.close();
    return;
  }
  Handler::handle(call, std::move(*request), respond);
}

// What a connection that has not authenticated on a SASL listener may ask: Kafka's
// SaslServerAuthenticator serves these and closes the connection on anything else.
bool served_before_authentication(int16_t api_key) {
  return api_key == static_cast<int16_t>(ApiKey::kApiVersions) ||
         api_key == static_cast<int16_t>(ApiKey::kSaslHandshake) ||
         api_key == static_cast<int16_t>(ApiKey::kSaslAuthenticate);
}

}  // namespace

void RequestDispatcher::handle(const RequestContext& request_context, BytesView frame,
                               ResponseCallback done) {
  // A context made outside a server (tests, tools) may carry no session: an anonymous
  // PLAINTEXT one.
  const std::shared_ptr<ConnectionSession> session_holder =
      request_context.session ? request_context.session : std::make_shared<ConnectionSession>();
  ConnectionSession& session = *session_holder;
  if (SaslExchange* exchange = raw_sasl_exchange(session)) {
    // After a v0 SaslHandshake the frames are bare SASL tokens, not requests.
    auto challenge = handle_raw_sasl_token(session, *exchange, frame, request_context.peer);
    if (!challenge) {
      done(close_connection());
      return;
    }
    done(HandlerOutcome{.response = std::move(*challenge), .close_connection = false});
    return;
  }
  WireReader reader(frame);
  RequestHeader header;
  if (Status decoded = decode_request_header(reader, header); !decoded.ok()) {
    log::warn("closing connection from {}: malformed request header: {}", request_context.peer,
              decoded.to_string());
    done(close_connection());
    return;
  }
  const int16_t version = header.api_version;
  if (session.requires_authentication() && !session.authenticated() &&
      !served_before_authentication(header.api_key)) {
    // Kafka's words, which is what people search for: usually a client without SASL.
    log::warn(
        "closing connection from {}: unexpected Kafka request of type {} during SASL handshake "
        "on listener {} (is the client configured for SASL?)",
        request_context.peer, api_name(header.api_key), session.listener_name());
    done(close_connection());
    return;
  }
  const auto range = supported_range(header.api_key);
  if (header.api_key == ApiVersionsHandler::kApiKey && !range->contains(version)) {
    done(answer_unsupported_api_versions(header));
    return;
  }
  if (!range || !range->contains(version)) {
    log::warn("closing connection from {}: {} (api key {}) v{} is not served", request_context.peer,
              api_name(header.api_key), header.api_key, version);
    done(close_connection());
    return;
  }
  // Who is asking: every handler's authorization checks are for this principal and host.
  const Access access = Access::of(context_.authorizer, request_context);
  const HandlerCall call{.context = context_,
                         .access = access,
                         .session = session,
                         .request_context = request_context,
                         .header = header};
  // TotalTimeMs: from here (the frame is whole) to the response handed back, which for a
  // Fetch that waits for data includes the wait, as in Kafka.
  Responder respond(header, [api_key = header.api_key, arrived = std::chrono::steady_clock::now(),
                             done = std::move(done)](HandlerOutcome outcome) {
    record_request(api_key, std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - arrived)
                                .count());
    done(std::move(outcome));
  });
  // supported_range() is made from the same list, so a handler is always found.
  [[maybe_unused]] const bool found =
      visit_handler(ServedApis{}, header.api_key,
                    [&]<typename Handler>() { serve<Handler>(call, reader, respond); });
  assert(found);
}

}  // namespace runnel::broker
