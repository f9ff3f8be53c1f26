#pragma once

#include <cstdint>
#include <optional>
#include <utility>

#include "broker/handlers/access.h"
#include "broker/handlers/broker_context.h"
#include "broker/protocol/request_header.h"
#include "broker/protocol/wire_writer.h"
#include "broker/server/request_handler.h"

namespace runnel::broker {

// What a handler is called with: the broker's state, who is asking, the connection and the
// decoded request header. Borrowed for the duration of the handle() call only; a handler that
// answers later copies what it needs (the Responder is copyable and outlives the call).
struct HandlerCall {
  BrokerContext& context;
  const Access& access;
  ConnectionSession& session;
  const RequestContext& request_context;
  const RequestHeader& header;

  int16_t version() const { return header.api_version; }
};

// Sends a handler's answer, exactly once, from any thread: the response header and body are
// encoded in the version the request asked for. Copyable, so asynchronous handlers (a
// long-polling Fetch, a JoinGroup waiting for its rebalance) keep it until they answer.
class Responder {
 public:
  Responder(RequestHeader header, ResponseCallback done)
      : header_(std::move(header)), done_(std::move(done)) {}

  // Answers with `response`; `close_after` closes the connection once it is sent (a failed
  // SASL authentication).
  template <typename Response>
  void send(const Response& response, bool close_after = false) const {
    WireWriter writer;
    encode_response_header(writer, header_.correlation_id,
                           response_header_version(header_.api_key, header_.api_version));
    response.encode(writer, header_.api_version);
    done_(HandlerOutcome{.response = writer.take(), .close_connection = close_after});
  }

  // Sends nothing and keeps the connection (a Produce with acks=0).
  void send_nothing() const { done_(HandlerOutcome{}); }

  // Sends nothing and closes the connection: a request that cannot be answered.
  void close() const { done_(HandlerOutcome{.response = std::nullopt, .close_connection = true}); }

  const RequestHeader& header() const { return header_; }

 private:
  RequestHeader header_;
  ResponseCallback done_;
};

// The part every handler type shares: the API it serves (its request message's key) and the
// versions it serves, as advertised in ApiVersions. A handler type derives from this and adds
//   static void handle(const HandlerCall& call, Request request, const Responder& respond);
// which must call `respond` exactly once, now or later. handlers.h lists every handler type.
template <typename RequestMessage, int16_t kMin, int16_t kMax>
struct HandlerTraits {
  using Request = RequestMessage;
  static constexpr int16_t kApiKey = Request::kApiKey;
  static constexpr int16_t kMinVersion = kMin;
  static constexpr int16_t kMaxVersion = kMax;
  static_assert(kMin >= Request::kMinVersion && kMax <= Request::kMaxVersion && kMin <= kMax,
                "a handler serves only versions its request schema defines");
};

// A handler that answers at once with what a plain function returns:
//   Response function(BrokerContext&, const Access&, const Request&, int16_t version).
// Most APIs are this; their header declares the function and names the handler in one line.
template <typename RequestMessage, int16_t kMin, int16_t kMax, auto kFunction>
struct ImmediateHandler : HandlerTraits<RequestMessage, kMin, kMax> {
  static void handle(const HandlerCall& call, RequestMessage request, const Responder& respond) {
    respond.send(kFunction(call.context, call.access, request, call.version()));
  }
};

}  // namespace runnel::broker
