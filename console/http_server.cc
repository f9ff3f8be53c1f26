#include "console/http_server.h"

#include <chrono>
#include <set>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/log.h"

namespace runnel::console {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// A client that sends nothing for this long is disconnected, so that idle keep-alive
// connections do not pile up.
constexpr std::chrono::seconds kIdleTimeout{30};
// Requests are small (GETs); anything larger is refused rather than buffered.
constexpr std::uint64_t kMaxRequestBytes = 64 * 1024;

HttpResponse not_found(const std::string& path) {
  return HttpResponse{.status = 404, .body = "no such page: " + path + "\n"};
}

// One connection: reads a request, answers it through the router, repeats while the client
// keeps the connection alive. Owned by its own shared_ptr across the asynchronous calls.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::map<std::string, RouteHandler>& routes)
      : stream_(std::move(socket)), routes_(routes) {}

  void run() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBytes);
    parser_->header_limit(kMaxRequestBytes);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       self->on_read(error);
                     });
  }

  void on_read(beast::error_code error) {
    if (error == http::error::end_of_stream || error == beast::error::timeout ||
        error == asio::error::operation_aborted || error == asio::error::eof ||
        error == asio::error::connection_reset) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    if (error) {
      // A request that does not parse (or is too large): say why, then close.
      respond(HttpResponse{.status = 400, .body = "bad request: " + error.message() + "\n"}, 11,
              /*keep_alive=*/false);
      return;
    }
    const http::request<http::string_body>& request = parser_->get();
    HttpResponse answer = dispatch(request);
    respond(std::move(answer), request.version(), request.keep_alive(),
            request.method() == http::verb::head);
  }

  void respond(HttpResponse answer, unsigned version, bool keep_alive, bool head = false) {
    response_ = {};
    response_.version(version);
    response_.keep_alive(keep_alive);
    response_.result(answer.status);
    response_.set(http::field::server, "runnel");
    response_.set(http::field::content_type, answer.content_type);
    response_.body() = std::move(answer.body);
    response_.prepare_payload();
    if (head) response_.body().clear();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code write_error, std::size_t) {
                        self->on_write(write_error);
                      });
  }

  HttpResponse dispatch(const http::request<http::string_body>& request) const {
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      return HttpResponse{.status = 405, .body = "only GET and HEAD are served\n"};
    }
    const std::string target(request.target());
    const auto question = target.find('?');
    HttpRequest call{.method = std::string(request.method_string()),
                     .path = target.substr(0, question),
                     .query = question == std::string::npos ? "" : target.substr(question + 1)};
    auto route = routes_.find(call.path);
    if (route == routes_.end()) return not_found(call.path);
    return route->second(call);
  }

  void on_write(beast::error_code error) {
    if (error || !response_.keep_alive()) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    read();
  }

  beast::tcp_stream stream_;
  const std::map<std::string, RouteHandler>& routes_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

struct HttpServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  const std::map<std::string, RouteHandler>* routes = nullptr;

  void accept() {
    acceptor.async_accept(asio::make_strand(io),
                          [this](beast::error_code error, tcp::socket socket) {
                            if (error) {
                              if (error == asio::error::operation_aborted) return;  // stop()
                              log::warn("http: accept failed: {}", error.message());
                            } else {
                              std::make_shared<Session>(std::move(socket), *routes)->run();
                            }
                            accept();
                          });
  }
};

Result<ListenAddress> parse_listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon + 1 == text.size() || text.empty()) {
    return invalid_argument_error("listen address must be [HOST:]PORT, got '" + text + "'");
  }
  ListenAddress address;
  // Without a host, loopback: /metrics and the console are not exposed unless asked to be.
  address.host = colon == std::string::npos || colon == 0 ? "127.0.0.1" : text.substr(0, colon);
  if (address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  const std::string port = colon == std::string::npos ? text : text.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    return invalid_argument_error("listen address '" + text + "' has no valid port");
  }
  address.port = static_cast<std::uint16_t>(std::stoi(port));
  return address;
}

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(const std::string& path, RouteHandler handler) {
  routes_[path] = std::move(handler);
}

Status HttpServer::start(const ListenAddress& address) {
  if (thread_.joinable() || impl_->io.stopped()) {
    return invalid_argument_error("http server already started (or stopped)");
  }
  beast::error_code error;
  tcp::resolver resolver(impl_->io);
  auto endpoints = resolver.resolve(address.host, std::to_string(address.port), error);
  if (error || endpoints.empty()) {
    return invalid_argument_error("http listen host '" + address.host +
                                  "' does not resolve: " + error.message());
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  tcp::acceptor& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    beast::error_code ignored;
    acceptor.close(ignored);
    return io_error("http server cannot listen on " + address.host + ":" +
                    std::to_string(address.port) + ": " + error.message());
  }
  port_ = acceptor.local_endpoint().port();
  impl_->routes = &routes_;
  impl_->accept();
  thread_ = std::thread([this] { impl_->io.run(); });
  log::info("http listening on {}:{}", address.host, port_);
  return ok_status();
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  // Closing from the server's own thread keeps the acceptor single-threaded; stopping the
  // context then abandons the sessions' pending reads, whose sockets close with them.
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->io.stop();
  });
  thread_.join();
}

RouteHandler metrics_route(const metrics::Registry& registry) {
  return [&registry](const HttpRequest&) {
    return HttpResponse{.status = 200,
                        .content_type = "text/plain; version=0.0.4; charset=utf-8",
                        .body = registry.scrape()};
  };
}

}  // namespace runnel::console
