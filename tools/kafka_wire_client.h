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

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace runnel::tools {

// TLS for a KafkaWireClient (librdkafka's names): the CAs that sign the broker's certificate
// (empty: the system's), and a client certificate and key for brokers that ask for one.
struct WireTlsOptions {
  std::string ca_location;
  std::string certificate_location;
  std::string key_location;
  std::string key_password;
};

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
  // request; with `tls`, over TLS 1.2 or 1.3, checking that the broker's certificate chains
  // to tls->ca_location and names the host. unavailable_error naming the address when it
  // cannot connect, with OpenSSL's reason when the TLS handshake fails.
  [[nodiscard]] static Result<std::unique_ptr<KafkaWireClient>> connect(
      const std::string& address, std::chrono::milliseconds timeout,
      const WireTlsOptions* tls = nullptr);
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
  // The TLS handshake on the connected socket.
  Status start_tls(const std::string& host, const WireTlsOptions& tls);
  // Frames and sends header + `body`; returns the response frame (without its length).
  Result<Bytes> round_trip(int16_t api_key, int16_t version, Bytes body);
  Status send_all(const uint8_t* data, size_t size);
  Status receive_exactly(uint8_t* into, size_t size);

  int fd_;
  SSL_CTX* tls_context_ = nullptr;  // owned; null on plaintext
  SSL* tls_ = nullptr;              // owned; null on plaintext
  const std::string address_;
  const std::chrono::milliseconds timeout_;
  int32_t correlation_id_ = 0;
};

}  // namespace runnel::tools
