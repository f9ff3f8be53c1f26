// Remote interactive queries: counts per key, readable over HTTP from any instance.
//
//   build/bin/interactive_queries --bootstrap-server 127.0.0.1:9092 --listen 127.0.0.1:0
//                                 [--state-dir DIR] [--config KEY=VALUE ...]
//
// Counts the records of `clicks` per key into the store "counts" and serves, on --listen
// (loopback; port 0 picks a free one, printed as "interactive_queries: serving on HOST:PORT"):
//
//   GET /count/<key>  {"key": ..., "count": N, "served_by": "HOST:PORT"}, from this instance's
//                     store when it holds the key, else forwarded to the instance that does
//                     (KafkaStreams::query_metadata_for_key names it); 404 for a key nobody has
//                     counted, 503 while the application rebalances (retry)
//   GET /local/<key>  the same from this instance's store only: 404 unless it holds the key
//   GET /instances    every instance and the input partitions it runs
//                     (metadata_for_all_streams_clients)
//
// The listening address is the instance's application.server, so every instance knows where
// the others answer. Runs until SIGINT or SIGTERM, then closes cleanly. See README.md here.
#include <signal.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <nlohmann/json.hpp>

#include "examples/common/streams_cli.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Marks a request one instance forwarded to another: the receiver answers from its own store
// only, so two instances that disagree for a moment (mid-rebalance) never bounce a request
// between them.
constexpr const char* kForwardedHeader = "X-Runnel-Forwarded";
constexpr auto kForwardTimeout = std::chrono::seconds(10);

volatile sig_atomic_t stop = 0;

// "%2F" -> "/"; nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const std::string hex(text.substr(i + 1, 2));
    if (!std::isxdigit(static_cast<unsigned char>(hex[0])) ||
        !std::isxdigit(static_cast<unsigned char>(hex[1]))) {
      return std::nullopt;
    }
    out += static_cast<char>(std::stoi(hex, nullptr, 16));
    i += 2;
  }
  return out;
}

Response json_response(const Request& request, http::status status, const nlohmann::json& body) {
  Response response(status, request.version());
  response.set(http::field::content_type, "application/json");
  response.keep_alive(false);
  response.body() = body.dump() + "\n";
  response.prepare_payload();
  return response;
}

Response error_response(const Request& request, http::status status, const std::string& error) {
  return json_response(request, status, {{"error", error}});
}

// Serves the store of one KafkaStreams instance over HTTP, one thread per connection (a
// forwarded request must be answered while this instance waits on another's answer).
class CountServer {
 public:
  CountServer(const runnel::KafkaStreams& app, runnel::HostInfo self)
      : app_(app), self_(std::move(self)) {}

  Response handle(const Request& request) const {
    if (request.method() != http::verb::get) {
      return error_response(request, http::status::method_not_allowed, "only GET");
    }
    const std::string_view target(request.target().data(), request.target().size());
    if (target == "/instances") return instances(request);
    for (const auto& [prefix, local_only] :
         {std::pair<std::string_view, bool>{"/count/", false}, {"/local/", true}}) {
      if (!target.starts_with(prefix)) continue;
      std::optional<std::string> key = percent_decode(target.substr(prefix.size()));
      if (!key || key->empty()) {
        return error_response(request, http::status::bad_request, "a key, percent-encoded");
      }
      if (local_only) return from_local_store(request, *key);
      return count(request, *key);
    }
    return error_response(request, http::status::not_found, "GET /count/<key>, /instances");
  }

 private:
  Response count(const Request& request, const std::string& key) const {
    auto metadata = app_.query_metadata_for_key<std::string>("counts", key);
    if (!metadata.ok()) return status_response(request, metadata.status());
    if (metadata->local) return from_local_store(request, key);
    // Someone else holds it, by this instance's view of the group. A request that was
    // already forwarded is not forwarded again (the views differ while the group rebalances).
    if (request.count(kForwardedHeader) != 0) {
      return error_response(request, http::status::service_unavailable,
                            "key '" + key + "' moved; retry");
    }
    return forward(request, *metadata->active_host);
  }

  Response from_local_store(const Request& request, const std::string& key) const {
    auto store = app_.store<std::string, std::int64_t>("counts");
    if (!store.ok()) return status_response(request, store.status());
    auto count = store->get(key);
    if (!count.ok()) return status_response(request, count.status());
    if (!*count) {
      return json_response(
          request, http::status::not_found,
          {{"key", key}, {"error", "no count here"}, {"served_by", self_.to_string()}});
    }
    return json_response(request, http::status::ok,
                         {{"key", key}, {"count", **count}, {"served_by", self_.to_string()}});
  }

  Response instances(const Request& request) const {
    auto all = app_.metadata_for_all_streams_clients();
    if (!all.ok()) return status_response(request, all.status());
    nlohmann::json out = nlohmann::json::array();
    for (const runnel::StreamsMetadata& m : *all) {
      nlohmann::json partitions = nlohmann::json::array();
      for (const auto& tp : m.topic_partitions) {
        partitions.push_back(tp.topic + "-" + std::to_string(tp.partition));
      }
      out.push_back({{"host", m.host.to_string()},
                     {"stores", m.state_store_names},
                     {"partitions", partitions}});
    }
    return json_response(request, http::status::ok, out);
  }

  // The same GET, asked of `owner`; its answer relayed as it is.
  Response forward(const Request& request, const runnel::HostInfo& owner) const {
    try {
      asio::io_context io;
      beast::tcp_stream stream(io);
      stream.expires_after(kForwardTimeout);
      tcp::resolver resolver(io);
      stream.connect(resolver.resolve(owner.host, std::to_string(owner.port)));
      Request forwarded(http::verb::get, request.target(), 11);
      forwarded.set(http::field::host, owner.to_string());
      forwarded.set(kForwardedHeader, self_.to_string());
      http::write(stream, forwarded);
      beast::flat_buffer buffer;
      Response answer;
      http::read(stream, buffer, answer);
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      answer.version(request.version());
      answer.keep_alive(false);
      return answer;
    } catch (const std::exception& e) {
      // The owner is gone or unreachable; the group reassigns its partitions soon.
      return error_response(request, http::status::service_unavailable,
                            "instance " + owner.to_string() + " did not answer: " + e.what());
    }
  }

  static Response status_response(const Request& request, const runnel::Status& status) {
    // Unavailable: rebalancing, or the key's owner unknown for a moment; the caller retries.
    const bool retry = status.code() == runnel::StatusCode::kUnavailable;
    return error_response(
        request, retry ? http::status::service_unavailable : http::status::internal_server_error,
        status.to_string());
  }

  const runnel::KafkaStreams& app_;
  const runnel::HostInfo self_;
};

void serve_connection(tcp::socket socket, const CountServer& server) {
  beast::error_code error;
  beast::flat_buffer buffer;
  Request request;
  http::read(socket, buffer, request, error);
  if (error) return;
  Response response = server.handle(request);
  http::write(socket, response, error);
  socket.shutdown(tcp::socket::shutdown_both, error);
}

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap = "127.0.0.1:9092";
  std::string state_dir = "/tmp/runnel-streams";
  std::string listen = "127.0.0.1:0";
  CLI::App cli{"Remote interactive queries on Runnel: counts of clicks per key over HTTP"};
  cli.add_option("--bootstrap-server", bootstrap, "A broker")->capture_default_str();
  cli.add_option("--state-dir", state_dir, "The application's state.dir")->capture_default_str();
  cli.add_option("--listen", listen, "HTTP address (port 0: any free one)")->capture_default_str();
  runnel::StreamsProperties overrides;
  runnel::examples::add_config_option(cli, overrides);
  CLI11_PARSE(cli, argc, argv);

  // Port 0, which no application.server may name, asks for a free port.
  const bool any_port = listen.ends_with(":0");
  runnel::Result<runnel::HostInfo> wanted =
      runnel::HostInfo::parse(any_port ? listen.substr(0, listen.size() - 2) + ":1" : listen);
  if (wanted.ok() && any_port) wanted->port = 0;
  if (!wanted.ok()) {
    std::fprintf(stderr, "interactive_queries: --listen: %s\n",
                 wanted.status().to_string().c_str());
    return 2;
  }
  // Bound before the application starts: the port is part of its application.server.
  asio::io_context io;
  tcp::acceptor acceptor(io);
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(wanted->host),
                                 static_cast<unsigned short>(wanted->port));
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "interactive_queries: cannot listen on %s: %s\n", listen.c_str(),
                 e.what());
    return 1;
  }
  const runnel::HostInfo self{wanted->host, acceptor.local_endpoint().port()};

  runnel::StreamsBuilder builder;
  builder.stream<std::string, std::string>("clicks").group_by_key().count(
      runnel::Materialized<std::string, std::int64_t>::as("counts"));
  runnel::KafkaStreams app(
      builder.build(), runnel::examples::with_overrides({{"application.id", "interactive-queries"},
                                                         {"bootstrap.servers", bootstrap},
                                                         {"state.dir", state_dir},
                                                         {"application.server", self.to_string()},
                                                         {"commit.interval.ms", "500"}},
                                                        overrides));
  if (runnel::Status s = app.start(); !s.ok()) {
    std::fprintf(stderr, "interactive_queries: %s\n", s.to_string().c_str());
    return 1;
  }
  std::printf("interactive_queries: serving on %s\n", self.to_string().c_str());
  std::fflush(stdout);

  CountServer server(app, self);
  // Connections in progress, each on a thread of its own; waited for at shutdown.
  std::mutex connections_mutex;
  std::condition_variable connections_done;
  int connections = 0;  // Guarded by connections_mutex.
  std::function<void()> accept_next = [&] {
    acceptor.async_accept([&](const beast::error_code& error, tcp::socket socket) {
      if (error) return;  // Closed at shutdown.
      {
        std::lock_guard lock(connections_mutex);
        ++connections;
      }
      std::thread([&, socket = std::move(socket)]() mutable {
        serve_connection(std::move(socket), server);
        std::lock_guard lock(connections_mutex);
        if (--connections == 0) connections_done.notify_all();
      }).detach();
      accept_next();
    });
  };
  accept_next();
  std::thread acceptor_thread([&] { io.run(); });

  ::signal(SIGINT, [](int) { stop = 1; });
  ::signal(SIGTERM, [](int) { stop = 1; });
  while (!stop && app.state() != runnel::KafkaStreams::State::kError) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  asio::post(io, [&] { acceptor.close(); });
  acceptor_thread.join();
  {
    std::unique_lock lock(connections_mutex);
    connections_done.wait(lock, [&] { return connections == 0; });
  }
  const bool failed = app.state() == runnel::KafkaStreams::State::kError;
  app.close();
  return failed ? 1 : 0;
}
