#pragma once

#include "broker/handlers/broker_context.h"
#include "broker/server/request_handler.h"

namespace runnel::broker {

// The broker's RequestHandler: decodes the request header, checks the API and version against
// supported_apis(), decodes the body and hands it to the API's handler type in the handler
// list (ServedApis, handlers.h), whose Responder encodes the response with the header version
// the API and version call for.
//
// Malformed input never reaches storage: a header or body that does not decode, an API runneld
// does not serve, or a version outside the served range closes the connection (what Kafka
// does; the client reconnects and renegotiates), with a warning naming the peer, API and
// reason. ApiVersions at an unserved version is the exception: it is answered with
// UNSUPPORTED_VERSION so that the client can retry at a version it shares with the broker.
class RequestDispatcher final : public RequestHandler {
 public:
  explicit RequestDispatcher(BrokerContext& context) : context_(context) {}

  void handle(const RequestContext& request_context, BytesView frame,
              ResponseCallback done) override;

 private:
  BrokerContext& context_;
};

}  // namespace runnel::broker
