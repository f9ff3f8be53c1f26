#include "broker/server/connection.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "core/big_endian.h"
#include "core/log.h"

namespace runnel::broker {

namespace asio = boost::asio;

// Shorter than this, a frame cannot hold api key, api version and correlation id.
constexpr uint32_t kMinimumFrameSize = 8;

Connection::Connection(asio::ip::tcp::socket socket, uint64_t id, const ServerOptions& options,
                       RequestHandler& handler, std::function<void(uint64_t)> on_closed)
    : socket_(std::move(socket)),
      strand_(asio::make_strand(socket_.get_executor())),
      idle_timer_(strand_),
      id_(id),
      options_(options),
      handler_(handler),
      on_closed_(std::move(on_closed)) {
  boost::system::error_code error;
  auto endpoint = socket_.remote_endpoint(error);
  peer_ =
      error ? "unknown" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), error);
}

void Connection::start() {
  asio::post(strand_, [self = shared_from_this()] {
    self->last_activity_ = std::chrono::steady_clock::now();
    self->arm_idle_timer();
    self->read_size();
  });
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

void Connection::read_size() {
  if (closed_ || stopping_ || reading_) return;
  if (in_flight_.size() >= static_cast<size_t>(options_.max_in_flight_per_connection)) return;
  reading_ = true;
  asio::async_read(
      socket_, asio::buffer(size_buffer_, 4),
      asio::bind_executor(
          strand_, [self = shared_from_this()](const boost::system::error_code& error, size_t) {
            self->reading_ = false;
            if (error) {
              self->close_on_strand(nullptr);
              return;
            }
            self->last_activity_ = std::chrono::steady_clock::now();
            const int32_t size = load_big_endian<int32_t>(self->size_buffer_);
            if (size < static_cast<int32_t>(kMinimumFrameSize)) {
              log::warn("closing connection from {}: frame of {} bytes is too short", self->peer_,
                        size);
              self->close_on_strand(nullptr);
              return;
            }
            if (size > self->options_.socket_request_max_bytes) {
              log::warn(
                  "closing connection from {}: request of {} bytes is above "
                  "socket.request.max.bytes ({})",
                  self->peer_, size, self->options_.socket_request_max_bytes);
              self->close_on_strand(nullptr);
              return;
            }
            self->read_frame(static_cast<uint32_t>(size));
          }));
}

void Connection::read_frame(uint32_t size) {
  auto frame = std::make_shared<Bytes>();
  frame->resize(size);
  reading_ = true;
  asio::async_read(
      socket_, asio::buffer(frame->data(), size),
      asio::bind_executor(strand_, [self = shared_from_this(), frame](
                                       const boost::system::error_code& error, size_t) {
        self->reading_ = false;
        if (error) {
          self->close_on_strand(nullptr);
          return;
        }
        self->last_activity_ = std::chrono::steady_clock::now();
        if (self->stopping_) {
          self->close_on_strand(nullptr);
          return;
        }
        self->dispatch(frame);
        self->read_size();
      }));
}

void Connection::dispatch(std::shared_ptr<Bytes> frame) {
  in_flight_.push_back(std::make_unique<Slot>());
  Slot* slot = in_flight_.back().get();
  slot->frame = frame;
  RequestContext context{
      .connection_id = id_, .peer = peer_, .executor = socket_.get_executor(), .session = session_};
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
  write_ready();
}

void Connection::write_ready() {
  if (writing_ || closed_) return;
  while (!in_flight_.empty() && in_flight_.front()->answered) {
    Slot& front = *in_flight_.front();
    if (front.outcome.response) {
      const Bytes& body = *front.outcome.response;
      write_buffer_.resize(4);
      store_big_endian<int32_t>(write_buffer_.data(), static_cast<int32_t>(body.size()));
      write_buffer_.append(body.view());
      const bool close_after = front.outcome.close_connection;
      in_flight_.pop_front();
      writing_ = true;
      asio::async_write(
          socket_, asio::buffer(write_buffer_.data(), write_buffer_.size()),
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
    const bool close_now = front.outcome.close_connection;
    in_flight_.pop_front();
    if (close_now) {
      close_on_strand(nullptr);
      return;
    }
  }
  if (stopping_ && in_flight_.empty()) {
    close_on_strand(nullptr);
    return;
  }
  read_size();  // Resume reading if backpressure had paused it.
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
  boost::system::error_code ignored;
  idle_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  // Requests still in flight answer into slots nobody will write; their frames stay alive
  // in the slots (owned by this connection, kept alive by the handlers' callbacks).
  on_closed_(id_);
}

}  // namespace runnel::broker
