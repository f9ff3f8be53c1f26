#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "broker/protocol/request_header.h"
#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"
#include "core/bytes.h"
#include "core/result.h"

namespace runnel::tools {

// A blocking connection to one Kafka broker that sends requests with runneld's generated
// codecs and reads their responses: for the admin calls librdkafka 2.0 does not offer
// (ListTransactions, DescribeTransactions). Works against runneld and any Kafka broker that
// serves the versions asked for; there is no ApiVersions negotiation, so callers pick
// versions every Kafka release since the API's introduction serves.
//
// Not thread-safe: one request at a time.
class KafkaWireClient {
 public:
  // Connects to `address` ("host:port") within `timeout`, which also bounds every later
  // request. unavailable_error naming the address when it cannot connect.
  [[nodiscard]] static Result<std::unique_ptr<KafkaWireClient>> connect(
      const std::string& address, std::chrono::milliseconds timeout);
  ~KafkaWireClient();
  KafkaWireClient(const KafkaWireClient&) = delete;
  KafkaWireClient& operator=(const KafkaWireClient&) = delete;

  // Sends `request` at `version` and decodes the answer as Response at the same version.
  // Errors: I/O (unavailable, timeout), or corruption when the answer does not decode.
  template <typename Response, typename Request>
  [[nodiscard]] Result<Response> call(const Request& request, int16_t version) {
    broker::WireWriter body;
    request.encode(body, version);
    RUNNEL_ASSIGN_OR_RETURN(Bytes answer, round_trip(Request::kApiKey, version, body.take()));
    broker::WireReader reader(answer.view());
    int32_t correlation_id = 0;
    RUNNEL_RETURN_IF_ERROR(broker::decode_response_header(
        reader, broker::response_header_version(Request::kApiKey, version), correlation_id));
    if (correlation_id != correlation_id_) {
      return corruption_error("response for another request (correlation id " +
                              std::to_string(correlation_id) + ") from " + address_);
    }
    Response response;
    RUNNEL_RETURN_IF_ERROR(response.decode(reader, version));
    return response;
  }

  const std::string& address() const { return address_; }

 private:
  KafkaWireClient(int fd, std::string address, std::chrono::milliseconds timeout)
      : fd_(fd), address_(std::move(address)), timeout_(timeout) {}
  // Frames and sends header + `body`; returns the response frame (without its length).
  Result<Bytes> round_trip(int16_t api_key, int16_t version, Bytes body);

  int fd_;
  const std::string address_;
  const std::chrono::milliseconds timeout_;
  int32_t correlation_id_ = 0;
};

}  // namespace runnel::tools
