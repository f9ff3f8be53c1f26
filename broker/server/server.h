#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "broker/server/connection_limits.h"
#include "broker/server/request_handler.h"
#include "broker/server/request_memory_pool.h"
#include "core/result.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace runnel::broker {

struct ServerOptions {
  // The Kafka listener this server is (listeners=NAME://HOST:PORT) and its security protocol
  // (PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL), handed to every connection's
  // ConnectionSession.
  std::string listener_name = "PLAINTEXT";
  std::string security_protocol = "PLAINTEXT";
  // Set on SSL and SASL_SSL listeners (make_server_tls_context): every connection starts
  // with a TLS handshake; null serves plaintext. Shared, read-only, by the connections.
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  std::string host = "127.0.0.1";
  uint16_t port = 9092;  // 0 = an ephemeral port; port() says which
  int network_threads = 1;
  int64_t socket_request_max_bytes = 104857600;  // socket.request.max.bytes
  int64_t connections_max_idle_ms = 600000;      // connections.max.idle.ms
  // Requests read ahead on one connection while earlier ones are being handled; past this
  // the server stops reading from the connection (backpressure, bounded memory).
  int max_in_flight_per_connection = 16;
  // queued.max.request.bytes: the bytes of requests being read or in flight, broker-wide.
  // Kafka's default is -1 (no bound); Runnel's is 256 MiB, and it must be at least
  // socket.request.max.bytes. See RequestMemoryPool.
  int64_t queued_max_request_bytes = 268435456;
  // Runnel's own (Kafka has no equivalent): a request whose bytes have not all arrived this
  // long after its first byte closes the connection. Ends slow-loris clients well before
  // connections.max.idle.ms does. On a TLS listener it also bounds the handshake.
  int64_t request_read_timeout_ms = 30000;
  int32_t max_connections = std::numeric_limits<int32_t>::max();         // max.connections
  int32_t max_connections_per_ip = std::numeric_limits<int32_t>::max();  // max.connections.per.ip
  std::map<std::string, int32_t> max_connections_per_ip_overrides;       // ...per.ip.overrides
  // Shared by every Server of one broker (one per listener) so that the bounds above are
  // broker-wide; share_limits() makes them from the values above when they are null.
  std::shared_ptr<ConnectionLimits> connection_limits;
  std::shared_ptr<RequestMemoryPool> request_memory_pool;
};

// Fills options.connection_limits and options.request_memory_pool if they are null, so that
// every Server started from copies of `options` shares them.
void share_limits(ServerOptions& options);

// The broker's TCP server (Boost.Asio): accepts connections, reads Kafka frames (a 4-byte
// big-endian size, then the request), hands each to the RequestHandler, and writes the
// responses back in request order. It knows nothing of message bodies.
//
// Limits: a frame above socket_request_max_bytes, or too short to hold a request header's
// fixed part (8 bytes), closes the connection before its body is read; a connection idle for
// connections_max_idle_ms with nothing in flight is closed; a request not read whole within
// request_read_timeout_ms closes its connection, as does a TLS handshake not done within it.
// Request bytes are buffered as they arrive (FrameAssembler) within the broker-wide
// queued_max_request_bytes (RequestMemoryPool); a connection that does not fit stops being read
// until memory is released. Connections over max_connections or max_connections_per_ip are closed
// as soon as accepted. Accept errors (EMFILE, ENFILE, ...) back off from 100 ms to 1 s instead of
// retrying at once.
class Server {
 public:
  // Binds and starts accepting on `options.network_threads` threads. `handler` must outlive
  // the server.
  static Result<std::unique_ptr<Server>> start(ServerOptions options, RequestHandler& handler);
  ~Server();  // stop()

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::string host() const;
  uint16_t port() const;
  // For the broker's own timers (retention checks).
  boost::asio::any_io_executor executor();

  // Graceful and idempotent: stops accepting, stops reading new requests, waits up to
  // `drain_timeout` for in-flight requests to be answered and written, closes every
  // connection, and joins the network threads.
  void stop(std::chrono::milliseconds drain_timeout = std::chrono::seconds(10));

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace runnel::broker
