#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "core/bytes.h"

namespace runnel::broker {

// Who a connection speaks for. One per connection, shared by every request read from it;
// requests of one connection may be handled concurrently, hence the lock. Authentication (a
// SASL exchange, a TLS client certificate) sets the principal; until then it is Kafka's
// "User:ANONYMOUS", which is also what every client is on a PLAINTEXT listener.
class ConnectionSession {
 public:
  static constexpr const char* kAnonymous = "User:ANONYMOUS";

  std::string principal() const {
    std::lock_guard lock(mutex_);
    return principal_;
  }
  void set_principal(std::string principal) {
    std::lock_guard lock(mutex_);
    principal_ = std::move(principal);
  }

 private:
  mutable std::mutex mutex_;
  std::string principal_ = kAnonymous;
};

// Where a request came from, and an executor its handler may use for timers (a long-polling
// fetch). The server knows frames, not Kafka message bodies.
struct RequestContext {
  uint64_t connection_id = 0;
  std::string peer;  // "127.0.0.1:54321"
  boost::asio::any_io_executor executor;
  std::shared_ptr<ConnectionSession> session;  // never null when the server made the context
};

// What the server should do with a request once handled.
struct HandlerOutcome {
  // Bytes to send after the 4-byte size prefix (response header + body); nullopt sends
  // nothing (a Produce with acks=0).
  std::optional<Bytes> response;
  // Close the connection after sending `response` (if any): a request that cannot be
  // answered (malformed, an unknown API).
  bool close_connection = false;
};

// Called exactly once per request, from any thread, possibly long after handle() returned.
using ResponseCallback = std::function<void(HandlerOutcome)>;

// The broker's side of the server: turns request frames into responses. Must be thread-safe:
// the server calls it from its network threads, for many connections at once.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // `frame` is the request after the size prefix (header and body); it stays valid until
  // `done` is called. Responses on one connection leave in request order whatever the order
  // in which handlers call `done`.
  virtual void handle(const RequestContext& context, BytesView frame, ResponseCallback done) = 0;
};

}  // namespace runnel::broker
