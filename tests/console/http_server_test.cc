#include "console/http_server.h"

#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

namespace runnel::console {
namespace http_server_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// One request with Beast's client side, on a connection of its own.
http::response<http::string_body> request(std::uint16_t port, http::verb method,
                                          const std::string& target) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  // A response to HEAD announces the body's length without sending it.
  parser.skip(method == http::verb::head);
  http::read(socket, buffer, parser);
  return parser.release();
}

TEST(HttpServerTest, ServesTheRegistryAtMetricsInPrometheusTextFormat) {
  metrics::Registry registry;
  registry.counter("requests_total", "Requests.").with({{"path", "/x"}})->inc(7);
  HttpServer server;
  server.route("/metrics", metrics_route(registry));
  ASSERT_TRUE(server.start({"127.0.0.1", 0}).ok());
  ASSERT_NE(server.port(), 0);
  auto response = request(server.port(), http::verb::get, "/metrics");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(response.body(),
            "# HELP requests_total Requests.\n# TYPE requests_total counter\n"
            "requests_total{path=\"/x\"} 7\n");
  registry.counter("requests_total", "Requests.").with({{"path", "/x"}})->inc();
  EXPECT_NE(request(server.port(), http::verb::get, "/metrics").body().find("} 8\n"),
            std::string::npos);
}

TEST(HttpServerTest, RoutesByPathAndPassesTheQuery) {
  HttpServer server;
  server.route("/echo", [](const HttpRequest& r) {
    return HttpResponse{.body = r.method + " " + r.path + " ? " + r.query};
  });
  ASSERT_TRUE(server.start({"127.0.0.1", 0}).ok());
  EXPECT_EQ(request(server.port(), http::verb::get, "/echo?a=1&b=2").body(), "GET /echo ? a=1&b=2");
  EXPECT_EQ(request(server.port(), http::verb::get, "/other").result_int(), 404u);
  EXPECT_EQ(request(server.port(), http::verb::post, "/echo").result_int(), 405u);
  auto head = request(server.port(), http::verb::head, "/echo");
  EXPECT_EQ(head.result_int(), 200u);
  EXPECT_EQ(head[http::field::content_length], "13");  // "HEAD /echo ? "
  EXPECT_EQ(head.body(), "");
}

TEST(HttpServerTest, BytesThatAreNotHttpGet400AndTheServerServesOn) {
  HttpServer server;
  server.route("/ok", [](const HttpRequest&) { return HttpResponse{.body = "ok"}; });
  ASSERT_TRUE(server.start({"127.0.0.1", 0}).ok());
  {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    asio::write(socket, asio::buffer(std::string("\x16\x03\x01 not http at all\r\n\r\n")));
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    EXPECT_EQ(response.result_int(), 400u);
    EXPECT_TRUE(response.body().starts_with("bad request: ")) << response.body();
    EXPECT_FALSE(response.keep_alive());
  }
  EXPECT_EQ(request(server.port(), http::verb::get, "/ok").body(), "ok");
}

TEST(HttpServerTest, APortInUseFailsStartWithAnError) {
  HttpServer first;
  ASSERT_TRUE(first.start({"127.0.0.1", 0}).ok());
  HttpServer second;
  EXPECT_FALSE(second.start({"127.0.0.1", first.port()}).ok());
}

TEST(HttpServerTest, ListenAddressesParseHostAndPort) {
  auto plain = parse_listen_address("127.0.0.1:9100");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 9100);
  auto v6 = parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  auto port_only = parse_listen_address("9100");
  ASSERT_TRUE(port_only.ok());
  EXPECT_EQ(port_only->host, "127.0.0.1");
  EXPECT_EQ(port_only->port, 9100);
  auto colon_port = parse_listen_address(":0");
  ASSERT_TRUE(colon_port.ok());
  EXPECT_EQ(colon_port->host, "127.0.0.1");
  EXPECT_FALSE(parse_listen_address("").ok());
  EXPECT_FALSE(parse_listen_address("host").ok());
  EXPECT_FALSE(parse_listen_address("host:").ok());
  EXPECT_FALSE(parse_listen_address("host:99999").ok());
  EXPECT_FALSE(parse_listen_address("host:12ab").ok());
}

}  // namespace http_server_test
}  // namespace runnel::console
