#include "broker/server/server.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "broker/server/connection.h"
#include "core/log.h"
#include "core/log_rate_limiter.h"

namespace runnel::broker {

namespace asio = boost::asio;

namespace {

// After a failed accept (EMFILE, ENFILE, ENOBUFS, ...) the acceptor waits before trying
// again, doubling from the first to the last: retrying at once spins a core and floods the
// log while nothing can change.
constexpr std::chrono::milliseconds kFirstAcceptBackoff(100);
constexpr std::chrono::milliseconds kMaxAcceptBackoff(1000);

log::RateLimiter accept_error_log(std::chrono::seconds(10));
log::RateLimiter refused_connection_log(std::chrono::seconds(10));

}  // namespace

void share_limits(ServerOptions& options) {
  if (!options.connection_limits) {
    options.connection_limits =
        ConnectionLimits::create(options.max_connections, options.max_connections_per_ip,
                                 options.max_connections_per_ip_overrides);
  }
  if (!options.request_memory_pool) {
    options.request_memory_pool = RequestMemoryPool::create(options.queued_max_request_bytes,
                                                            options.socket_request_max_bytes);
  }
}

class Server::Impl {
 public:
  Impl(ServerOptions options, RequestHandler& handler)
      : options_(std::move(options)), handler_(handler), acceptor_(io_), backoff_timer_(io_) {
    share_limits(options_);
  }

  Status listen() {
    if (options_.queued_max_request_bytes < options_.socket_request_max_bytes) {
      return invalid_argument_error(fmt::format(
          "queued.max.request.bytes ({}) must be at least socket.request.max.bytes ({})",
          options_.queued_max_request_bytes, options_.socket_request_max_bytes));
    }
    if (options_.request_read_timeout_ms <= 0) {
      return invalid_argument_error("request.read.timeout.ms must be positive");
    }
    boost::system::error_code error;
    const auto address = asio::ip::make_address(options_.host, error);
    if (error) {
      return invalid_argument_error(
          fmt::format("listen address '{}': {}", options_.host, error.message()));
    }
    const asio::ip::tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), error);
    if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      return unavailable_error(
          fmt::format("cannot listen on {}:{}: {}", options_.host, options_.port, error.message()));
    }
    bound_ = acceptor_.local_endpoint();
    accept();
    const int threads = std::max(1, options_.network_threads);
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
    return ok_status();
  }

  void accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](const boost::system::error_code& error,
                                                          asio::ip::tcp::socket socket) {
      if (error) {
        if (error == asio::error::operation_aborted) return;
        log::warn_limited(accept_error_log, "accept failed: {}; retrying in {} ms", error.message(),
                          backoff_.count());
        backoff_timer_.expires_after(backoff_);
        backoff_ = std::min(backoff_ * 2, kMaxAcceptBackoff);
        backoff_timer_.async_wait([this](const boost::system::error_code& waited) {
          if (waited) return;
          std::lock_guard lock(mutex_);
          if (!stopping_) accept();
        });
        return;
      }
      backoff_ = kFirstAcceptBackoff;
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      boost::system::error_code endpoint_error;
      const auto remote = socket.remote_endpoint(endpoint_error);
      // A peer gone already is let through: its first read fails and closes it.
      const std::string ip = endpoint_error ? "unknown" : remote.address().to_string();
      auto ticket = options_.connection_limits->admit(ip);
      if (!ticket.ok()) {
        log::warn_limited(refused_connection_log, "refusing connection from {}: {}", ip,
                          ticket.status().message());
        boost::system::error_code ignored;
        socket.close(ignored);
        accept();
        return;
      }
      const uint64_t id = next_id_++;
      auto connection = std::make_shared<Connection>(std::move(socket), id, options_, handler_,
                                                     std::move(ticket).value(),
                                                     [this](uint64_t closed) { forget(closed); });
      connections_.emplace(id, connection);
      connection->start();
      accept();
    });
  }

  void forget(uint64_t id) {
    std::lock_guard lock(mutex_);
    connections_.erase(id);
    if (connections_.empty()) drained_.notify_all();
  }

  void stop(std::chrono::milliseconds drain_timeout) {
    {
      std::unique_lock lock(mutex_);
      if (stopped_) return;
      stopped_ = stopping_ = true;
      asio::post(acceptor_.get_executor(), [this] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        backoff_timer_.cancel();
      });
      for (auto& [id, connection] : connections_) connection->begin_stop();
      if (!drained_.wait_for(lock, drain_timeout, [this] { return connections_.empty(); })) {
        log::warn("stop: {} connection(s) still busy after {} ms; closing them",
                  connections_.size(), drain_timeout.count());
        for (auto& [id, connection] : connections_) connection->close();
        drained_.wait_for(lock, std::chrono::seconds(2), [this] { return connections_.empty(); });
      }
    }
    io_.stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
  }

  ~Impl() { stop(std::chrono::seconds(10)); }

  ServerOptions options_;
  RequestHandler& handler_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer backoff_timer_;  // on the acceptor's thread only
  std::chrono::milliseconds backoff_ = kFirstAcceptBackoff;
  asio::ip::tcp::endpoint bound_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable drained_;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  bool stopped_ = false;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, RequestHandler& handler) {
  auto impl = std::make_unique<Impl>(std::move(options), handler);
  RUNNEL_RETURN_IF_ERROR(impl->listen());
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

std::string Server::host() const { return impl_->bound_.address().to_string(); }
uint16_t Server::port() const { return impl_->bound_.port(); }
asio::any_io_executor Server::executor() { return impl_->io_.get_executor(); }

void Server::stop(std::chrono::milliseconds drain_timeout) {
  if (impl_) impl_->stop(drain_timeout);
}

}  // namespace runnel::broker
