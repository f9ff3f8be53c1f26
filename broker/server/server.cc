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
#include <fmt/format.h>

#include "broker/server/connection.h"
#include "core/log.h"

namespace runnel::broker {

namespace asio = boost::asio;

class Server::Impl {
 public:
  Impl(ServerOptions options, RequestHandler& handler)
      : options_(std::move(options)), handler_(handler), acceptor_(io_) {}

  Status listen() {
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
        if (error != asio::error::operation_aborted) {
          log::warn("accept failed: {}", error.message());
          accept();
        }
        return;
      }
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      const uint64_t id = next_id_++;
      auto connection = std::make_shared<Connection>(std::move(socket), id, options_, handler_,
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
