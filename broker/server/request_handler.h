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

  // The state of an authentication exchange in progress (a SCRAM conversation), owned by
  // the layer that runs it; the session only keeps it for as long as the connection lives.
  class AuthenticationState {
   public:
    virtual ~AuthenticationState() = default;
  };

  ConnectionSession() = default;
  // `listener_name` and `security_protocol` as Kafka names them ("SASL_PLAINTEXT").
  ConnectionSession(std::string listener_name, std::string security_protocol)
      : listener_name_(std::move(listener_name)),
        security_protocol_(std::move(security_protocol)) {}

  // The listener the connection was accepted on; immutable, so read without the lock.
  const std::string& listener_name() const { return listener_name_; }
  const std::string& security_protocol() const { return security_protocol_; }
  // A SASL listener serves nothing but ApiVersions and the SASL exchange until this is true.
  bool requires_authentication() const { return security_protocol_.starts_with("SASL_"); }
  bool authenticated() const {
    std::lock_guard lock(mutex_);
    return authenticated_;
  }
  // Ends an authentication: the connection now speaks for `principal` ("User:alice").
  void set_authenticated(std::string principal) {
    std::lock_guard lock(mutex_);
    principal_ = std::move(principal);
    authenticated_ = true;
    authentication_.reset();
  }
  // The exchange in progress, if any. The authenticating layer calls these only from the
  // requests of one exchange, which a client sends one at a time.
  AuthenticationState* authentication() const {
    std::lock_guard lock(mutex_);
    return authentication_.get();
  }
  void set_authentication(std::unique_ptr<AuthenticationState> state) {
    std::lock_guard lock(mutex_);
    authentication_ = std::move(state);
  }

  std::string principal() const {
    std::lock_guard lock(mutex_);
    return principal_;
  }
  void set_principal(std::string principal) {
    std::lock_guard lock(mutex_);
    principal_ = std::move(principal);
  }

 private:
  const std::string listener_name_ = "PLAINTEXT";
  const std::string security_protocol_ = "PLAINTEXT";
  mutable std::mutex mutex_;
  std::string principal_ = kAnonymous;                   // guarded by mutex_
  bool authenticated_ = false;                           // guarded by mutex_
  std::unique_ptr<AuthenticationState> authentication_;  // guarded by mutex_
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
