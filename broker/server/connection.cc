#include "broker/server/connection.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include "broker/security/tls_principal.h"
#include "core/big_endian.h"
#include "core/log.h"
#include "core/log_rate_limiter.h"

namespace runnel::broker {

namespace asio = boost::asio;

namespace {

// The most read from a socket at once (on TLS, decrypted from what one socket read took):
// bounds what one read allocates ahead of the bytes.
constexpr size_t kReadChunkBytes = 64 * 1024;
// Answers ready together are written together until they reach this size.
constexpr size_t kCoalescedWriteBytes = 1024 * 1024;

// One line per condition every 10 s at most, however many connections hit it.
log::RateLimiter bad_frame_log(std::chrono::seconds(10));
log::RateLimiter read_timeout_log(std::chrono::seconds(10));
log::RateLimiter handshake_failed_log(std::chrono::seconds(10));

ConnectionStream make_stream(asio::ip::tcp::socket socket, const ServerOptions& options) {
  if (options.tls_context) return ConnectionStream(std::move(socket), *options.tls_context);
  return ConnectionStream(std::move(socket));
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, uint64_t id, const ServerOptions& options,
                       RequestHandler& handler, ConnectionLimits::Ticket ticket,
                       std::function<void(uint64_t)> on_closed)
    : stream_(make_stream(std::move(socket), options)),
      strand_(asio::make_strand(stream_.socket().get_executor())),
      idle_timer_(strand_),
      read_timer_(strand_),
      id_(id),
      options_(options),
      handler_(handler),
      on_closed_(std::move(on_closed)),
      ticket_(std::move(ticket)),
      assembler_(options.socket_request_max_bytes) {
  boost::system::error_code error;
  auto endpoint = stream_.socket().remote_endpoint(error);
  peer_ =
      error ? "unknown" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), error);
}

void Connection::start() {
  asio::post(strand_, [self = shared_from_this()] {
    self->last_activity_ = std::chrono::steady_clock::now();
    self->arm_idle_timer();
    if (self->stream_.is_tls()) {
      self->start_handshake();
    } else {
      self->read_more();
    }
  });
}

void Connection::start_handshake() {
  handshaking_ = true;
  // The handshake gets the time a request gets to arrive whole: a client that connects and
  // says nothing, or dribbles a ClientHello, is closed as a slow-loris request would be.
  arm_read_timer();
  stream_.async_handshake(asio::bind_executor(
      strand_, [self = shared_from_this()](const boost::system::error_code& error) {
        self->handshake_done(error);
      }));
}

void Connection::handshake_done(const boost::system::error_code& error) {
  handshaking_ = false;
  read_timer_armed_ = false;
  read_timer_.cancel();
  ++frames_read_;  // the handshake was "frame" 0: a late handshake timer must not close frame 1
  if (closed_) return;  // timed out, or the server is stopping
  if (error) {
    // A plaintext Kafka client on a TLS port lands here ("wrong version number"), as does a
    // certificate the CA did not sign, or a client that hung up.
    log::warn_limited(handshake_failed_log, "closing connection from {}: TLS handshake failed: {}",
                      peer_, error.message());
    close_on_strand(nullptr);
    return;
  }
  if (X509* certificate = stream_.peer_certificate()) {
    // mTLS: the verified certificate's subject is who the connection speaks for (Kafka's
    // ssl.principal.mapping.rules=DEFAULT). On SASL_SSL the SASL login decides instead.
    if (!session_->requires_authentication()) session_->set_principal(tls_principal(certificate));
  }
  log::debug("connection from {}: {}, principal {}", peer_, stream_.tls_description(),
             session_->principal());
  last_activity_ = std::chrono::steady_clock::now();
  if (stopping_) {
    close_on_strand(nullptr);
    return;
  }
  read_more();
}

void Connection::arm_idle_timer() {
  if (closed_) return;
  idle_timer_.expires_after(std::chrono::milliseconds(options_.connections_max_idle_ms));
  idle_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error || self->closed_) return;
    const auto idle = std::chrono::steady_clock::now() - self->last_activity_;
    if (self->in_flight_.empty() &&
        idle >= std::chrono::milliseconds(self->options_.connections_max_idle_ms)) {
      self->close_on_strand("idle for connections.max.idle.ms");
      return;
    }
    self->arm_idle_timer();
  });
}

void Connection::read_more() {
  if (closed_ || stopping_ || reading_ || waiting_for_memory_ || handshaking_) return;
  // Between frames, too many requests in flight pause reading (backpressure). A frame already
  // started is read to its end: its memory is reserved, and the read timer runs.
  if (!assembler_.frame_started() &&
      in_flight_.size() >= static_cast<size_t>(options_.max_in_flight_per_connection)) {
    return;
  }
  if (const auto size = assembler_.announced_size(); size && frame_lease_.bytes() == 0) {
    auto lease = options_.request_memory_pool->reserve_or_wait(*size, [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self) return;
      asio::post(self->strand_, [self] {
        self->waiting_for_memory_ = false;
        self->read_more();
      });
    });
    if (!lease) {
      waiting_for_memory_ = true;  // queued.max.request.bytes reached: woken on release
      return;
    }
    frame_lease_ = std::move(*lease);
  }
  const std::span<uint8_t> room = assembler_.prepare(kReadChunkBytes);
  if (room.empty()) return;  // only after a framing error, which closes the connection
  reading_ = true;
  stream_.async_read_some(
      asio::buffer(room.data(), room.size()),
      asio::bind_executor(strand_, [self = shared_from_this()](
                                       const boost::system::error_code& error, size_t count) {
        self->reading_ = false;
        if (error) {
          self->close_on_strand(nullptr);
          return;
        }
        self->bytes_read(count);
      }));
}

void Connection::bytes_read(size_t count) {
  if (closed_) return;
  last_activity_ = std::chrono::steady_clock::now();
  if (Status status = assembler_.commit(count); !status.ok()) {
    log::warn_limited(bad_frame_log, "closing connection from {}: {}", peer_, status.message());
    close_on_strand(nullptr);
    return;
  }
  if (!read_timer_armed_ && assembler_.frame_started()) arm_read_timer();
  if (assembler_.frame_ready()) {
    read_timer_armed_ = false;
    read_timer_.cancel();
    ++frames_read_;
    auto frame = std::make_shared<Bytes>(assembler_.take_frame());
    if (stopping_) {
      close_on_strand(nullptr);
      return;
    }
    dispatch(std::move(frame), std::move(frame_lease_));
  }
  read_more();
}

void Connection::arm_read_timer() {
  read_timer_armed_ = true;
  read_timer_.expires_after(std::chrono::milliseconds(options_.request_read_timeout_ms));
  read_timer_.async_wait(
      [self = shared_from_this(), frame = frames_read_](const boost::system::error_code& error) {
        if (error || self->closed_ || !self->read_timer_armed_ || self->frames_read_ != frame)
          return;
        if (self->handshaking_) {
          log::warn_limited(handshake_failed_log,
                            "closing connection from {}: TLS handshake not done within "
                            "request.read.timeout.ms ({} ms)",
                            self->peer_, self->options_.request_read_timeout_ms);
          self->close_on_strand(nullptr);
          return;
        }
        log::warn_limited(read_timeout_log,
                          "closing connection from {}: request not read whole within "
                          "request.read.timeout.ms ({} ms)",
                          self->peer_, self->options_.request_read_timeout_ms);
        self->close_on_strand(nullptr);
      });
}

void Connection::dispatch(std::shared_ptr<Bytes> frame, RequestMemoryPool::Lease lease) {
  in_flight_.push_back(std::make_unique<Slot>());
  Slot* slot = in_flight_.back().get();
  slot->frame = frame;
  slot->lease = std::move(lease);
  RequestContext context{.connection_id = id_,
                         .peer = peer_,
                         .executor = stream_.socket().get_executor(),
                         .session = session_};
  handler_.handle(context, frame->view(),
                  [self = shared_from_this(), slot](HandlerOutcome outcome) {
                    asio::post(self->strand_, [self, slot, outcome = std::move(outcome)]() mutable {
                      self->answered(slot, std::move(outcome));
                    });
                  });
}

void Connection::answered(Slot* slot, HandlerOutcome outcome) {
  slot->answered = true;
  slot->outcome = std::move(outcome);
  slot->frame.reset();
  slot->lease.release();  // the request's bytes are no longer needed
  write_ready();
}

void Connection::write_ready() {
  if (writing_ || closed_) return;
  // Every answer that is ready, in request order, leaves in one write: pipelined requests
  // (librdkafka keeps up to 5 produce requests in flight) cost one send, and on TLS one
  // encryption pass.
  write_buffer_.clear();
  bool close_after = false;
  while (!in_flight_.empty() && in_flight_.front()->answered &&
         write_buffer_.size() < kCoalescedWriteBytes) {
    Slot& front = *in_flight_.front();
    if (front.outcome.response) {
      const Bytes& body = *front.outcome.response;
      const size_t header_at = write_buffer_.size();
      write_buffer_.resize(header_at + 4);
      store_big_endian<int32_t>(write_buffer_.data() + header_at,
                                static_cast<int32_t>(body.size()));
      write_buffer_.append(body.view());
    }
    close_after = front.outcome.close_connection;
    in_flight_.pop_front();
    if (close_after) break;
  }
  if (!write_buffer_.empty()) {
    writing_ = true;
    stream_.async_write(
        asio::buffer(write_buffer_.data(), write_buffer_.size()),
        asio::bind_executor(strand_, [self = shared_from_this(), close_after](
                                         const boost::system::error_code& error, size_t) {
          self->writing_ = false;
          if (error || close_after) {
            self->close_on_strand(nullptr);
            return;
          }
          self->last_activity_ = std::chrono::steady_clock::now();
          self->write_ready();
        }));
    return;
  }
  if (close_after) {
    close_on_strand(nullptr);
    return;
  }
  if (stopping_ && in_flight_.empty()) {
    close_on_strand(nullptr);
    return;
  }
  read_more();  // Resume reading if backpressure had paused it.
}

void Connection::begin_stop() {
  asio::post(strand_, [self = shared_from_this()] {
    self->stopping_ = true;
    if (self->in_flight_.empty() && !self->writing_) self->close_on_strand(nullptr);
  });
}

void Connection::close() {
  asio::post(strand_, [self = shared_from_this()] { self->close_on_strand(nullptr); });
}

void Connection::close_on_strand(const char* reason) {
  if (closed_) return;
  closed_ = true;
  if (reason != nullptr) log::info("closing connection from {}: {}", peer_, reason);
  idle_timer_.cancel();
  read_timer_.cancel();
  frame_lease_.release();
  ticket_.release();
  stream_.close();
  // Requests still in flight answer into slots nobody will write; their frames stay alive
  // in the slots (owned by this connection, kept alive by the handlers' callbacks).
  on_closed_(id_);
}

}  // namespace runnel::broker
