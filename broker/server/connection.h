#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "broker/server/connection_limits.h"
#include "broker/server/connection_stream.h"
#include "broker/server/frame_assembler.h"
#include "broker/server/request_handler.h"
#include "broker/server/request_memory_pool.h"
#include "broker/server/server.h"
#include "core/bytes.h"

namespace runnel::broker {

// One client connection: reads frames, dispatches them, and writes responses in the order
// the requests arrived, whatever order the handler answers in. Every member is touched only
// on the connection's strand; handler callbacks hop onto it. On a TLS listener
// (options.tls_context set) the TLS handshake comes first, within request_read_timeout_ms; a
// client that fails it (a plaintext client, a bad certificate) is closed before any frame.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `ticket` counts the connection against the connection limits until it closes.
  Connection(boost::asio::ip::tcp::socket socket, uint64_t id, const ServerOptions& options,
             RequestHandler& handler, ConnectionLimits::Ticket ticket,
             std::function<void(uint64_t)> on_closed);

  void start();
  // Stop reading new requests; close once every in-flight response is written.
  void begin_stop();
  // Close now, whatever is in flight.
  void close();

  uint64_t id() const { return id_; }

 private:
  struct Slot {
    std::shared_ptr<Bytes> frame;    // alive until the handler answers
    RequestMemoryPool::Lease lease;  // the frame's share of queued.max.request.bytes
    bool answered = false;
    HandlerOutcome outcome;
  };

  // Reads the next bytes of the current frame, unless paused: by max_in_flight_per_connection,
  // by the memory pool, or by stopping.
  void start_handshake();
  void handshake_done(const boost::system::error_code& error);
  void read_more();
  void bytes_read(size_t count);
  void arm_read_timer();
  void dispatch(std::shared_ptr<Bytes> frame, RequestMemoryPool::Lease lease);
  void answered(Slot* slot, HandlerOutcome outcome);
  void write_ready();
  void arm_idle_timer();
  void close_on_strand(const char* reason);

  ConnectionStream stream_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer idle_timer_;
  // request.read.timeout.ms of the current frame, or of the TLS handshake
  boost::asio::steady_timer read_timer_;
  const uint64_t id_;
  const ServerOptions& options_;
  RequestHandler& handler_;
  std::function<void(uint64_t)> on_closed_;
  std::string peer_;
  std::shared_ptr<ConnectionSession> session_ =
      std::make_shared<ConnectionSession>(options_.listener_name, options_.security_protocol);
  ConnectionLimits::Ticket ticket_;
  FrameAssembler assembler_;
  RequestMemoryPool::Lease frame_lease_;  // the current frame's, once its size is known
  uint64_t frames_read_ = 0;              // tells a stale read timer from the current one
  bool read_timer_armed_ = false;
  bool handshaking_ = false;  // TLS: no frame is read until the handshake completes
  bool waiting_for_memory_ = false;
  std::deque<std::unique_ptr<Slot>> in_flight_;  // in request order
  Bytes write_buffer_;
  bool reading_ = false;
  bool writing_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point last_activity_;
};

}  // namespace runnel::broker
