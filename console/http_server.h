#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "core/metrics.h"
#include "core/result.h"
#include "core/status.h"

namespace runnel::console {

struct HttpRequest {
  std::string method;  // "GET"
  std::string path;    // the target without its query: "/metrics"
  std::string query;   // after '?', undecoded; empty when none
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// A handler for one path. Runs on the server's thread, one request at a time; it must not
// block for long (it delays every other request) and must not throw.
using RouteHandler = std::function<HttpResponse(const HttpRequest&)>;

// "HOST:PORT" (IPv6 in brackets: "[::1]:9100"), or "PORT" / ":PORT" for loopback
// (127.0.0.1); port 0 asks the system for a free one.
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};
[[nodiscard]] Result<ListenAddress> parse_listen_address(const std::string& text);

// A small HTTP/1.1 server (Boost.Beast) with a router: each path is one route, so /metrics
// is one route and the console's pages are others. Unknown paths get 404, methods other than
// GET and HEAD 405, a request that does not parse (or is over 64 KiB) 400 and a closed
// connection; keep-alive is honoured.
//
// Thread safety: route() only before start(); start() and stop() from one owner thread. The
// server runs its own thread, which stop() (or the destructor) joins.
class HttpServer {
 public:
  HttpServer();
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void route(const std::string& path, RouteHandler handler);

  // Binds and listens on `address` (loopback unless the caller names another host), then
  // serves in the background. Logs "http listening on HOST:PORT" with the bound port.
  // Fails when the host does not resolve or the port cannot be bound.
  [[nodiscard]] Status start(const ListenAddress& address);
  // The bound port, once start() succeeded.
  std::uint16_t port() const { return port_; }
  // Closes the listener and open connections and joins the thread. Idempotent; a stopped
  // server does not start again.
  void stop();

 private:
  struct Impl;
  // Before impl_, whose sessions read it until they are destroyed with it.
  std::map<std::string, RouteHandler> routes_;  // Read-only once started.
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// The /metrics route: `registry` in Prometheus' text format (version 0.0.4). The registry
// must outlive the server.
RouteHandler metrics_route(const metrics::Registry& registry);

}  // namespace runnel::console
