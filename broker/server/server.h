#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "broker/server/request_handler.h"
#include "core/result.h"

namespace runnel::broker {

struct ServerOptions {
  // The Kafka listener this server is (listeners=NAME://HOST:PORT) and its security protocol
  // (PLAINTEXT, SASL_PLAINTEXT), handed to every connection's ConnectionSession.
  std::string listener_name = "PLAINTEXT";
  std::string security_protocol = "PLAINTEXT";
  std::string host = "127.0.0.1";
  uint16_t port = 9092;  // 0 = an ephemeral port; port() says which
  int network_threads = 1;
  int64_t socket_request_max_bytes = 104857600;  // socket.request.max.bytes
  int64_t connections_max_idle_ms = 600000;      // connections.max.idle.ms
  // Requests read ahead on one connection while earlier ones are being handled; past this
  // the server stops reading from the connection (backpressure, bounded memory).
  int max_in_flight_per_connection = 16;
};

// The broker's TCP server (Boost.Asio): accepts connections, reads Kafka frames (a 4-byte
// big-endian size, then the request), hands each to the RequestHandler, and writes the
// responses back in request order. It knows nothing of message bodies.
//
// Limits: a frame above socket_request_max_bytes, or too short to hold a request header's
// fixed part (8 bytes), closes the connection before its body is read; a connection idle for
// connections_max_idle_ms with nothing in flight is closed.
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
