// The server over real loopback sockets with test handlers: framing, ordering, limits and
// stopping, independent of Kafka message bodies.
#include "broker/server/server.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "core/big_endian.h"

namespace runnel::broker {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Echoes each frame back. Frames whose first byte is 'D' are answered after `delay`,
// on a timer, so that later requests finish first; 'N' gets no response; 'C' closes.
class EchoHandler final : public RequestHandler {
 public:
  void handle(const RequestContext& context, BytesView frame, ResponseCallback done) override {
    ++requests;
    Bytes copy(frame);
    if (frame[0] == 'N') {
      done(HandlerOutcome{});
      return;
    }
    if (frame[0] == 'C') {
      done(HandlerOutcome{.response = std::nullopt, .close_connection = true});
      return;
    }
    if (frame[0] == 'D') {
      auto timer = std::make_shared<asio::steady_timer>(context.executor, 200ms);
      timer->async_wait(
          [timer, copy = std::move(copy), done](const boost::system::error_code&) mutable {
            done(HandlerOutcome{.response = std::move(copy)});
          });
      return;
    }
    done(HandlerOutcome{.response = std::move(copy)});
  }
  std::atomic<int> requests{0};
};

class Client {
 public:
  explicit Client(uint16_t port) : socket_(io_) {
    socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send(std::string_view body) {
    uint8_t size[4];
    store_big_endian<int32_t>(size, static_cast<int32_t>(body.size()));
    asio::write(socket_, asio::buffer(size, 4));
    asio::write(socket_, asio::buffer(body.data(), body.size()));
  }
  void send_size_only(int32_t size) {
    uint8_t bytes[4];
    store_big_endian<int32_t>(bytes, size);
    asio::write(socket_, asio::buffer(bytes, 4));
  }
  // Raw bytes, no size prefix; false once the server has closed the connection.
  bool send_raw(std::string_view bytes) {
    boost::system::error_code error;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), error);
    return !error;
  }
  // The next response body, or nullopt when the server closed the connection.
  std::optional<std::string> receive() {
    uint8_t size[4];
    boost::system::error_code error;
    asio::read(socket_, asio::buffer(size, 4), error);
    if (error) return std::nullopt;
    std::string body(static_cast<size_t>(load_big_endian<int32_t>(size)), '\0');
    asio::read(socket_, asio::buffer(body.data(), body.size()), error);
    if (error) return std::nullopt;
    return body;
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    auto started = Server::start(options, handler_);
    ASSERT_TRUE(started.ok()) << started.status().to_string();
    server_ = std::move(started).value();
  }
  EchoHandler handler_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, ListensOnAnEphemeralPortAndEchoesWholeFrames) {
  start();
  ASSERT_NE(server_->port(), 0);
  Client client(server_->port());
  const std::string big(300'000, 'x');
  client.send("hello, broker");
  client.send(big);
  EXPECT_EQ(client.receive(), "hello, broker");
  EXPECT_EQ(client.receive(), big);
}

TEST_F(ServerTest, ResponsesLeaveInRequestOrderWhenHandlersFinishOutOfOrder) {
  start();
  Client client(server_->port());
  client.send("D-first-but-slow");
  client.send("second-fast");
  client.send("N-third-no-response");
  client.send("fourth-fast");
  EXPECT_EQ(client.receive(), "D-first-but-slow");
  EXPECT_EQ(client.receive(), "second-fast");
  EXPECT_EQ(client.receive(), "fourth-fast");
}

TEST_F(ServerTest, ServesManyConnectionsAtOnce) {
  start(ServerOptions{.network_threads = 2});
  std::vector<std::thread> threads;
  std::atomic<int> answered{0};
  for (int c = 0; c < 16; ++c) {
    threads.emplace_back([&, c] {
      Client client(server_->port());
      for (int i = 0; i < 50; ++i) {
        const std::string body = "conn-" + std::to_string(c) + "-req-" + std::to_string(i);
        client.send(body);
        if (client.receive() == body) ++answered;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(answered.load(), 16 * 50);
}

TEST_F(ServerTest, AFrameAboveTheSizeLimitClosesTheConnectionUnread) {
  start(ServerOptions{.socket_request_max_bytes = 1024});
  Client client(server_->port());
  client.send_size_only(2'000'000'000);  // No body follows: the server must not wait for it.
  EXPECT_EQ(client.receive(), std::nullopt);
  EXPECT_EQ(handler_.requests.load(), 0);
}

TEST_F(ServerTest, AFrameTooShortForAHeaderClosesTheConnection) {
  start();
  Client client(server_->port());
  client.send("tiny");
  EXPECT_EQ(client.receive(), std::nullopt);
  EXPECT_EQ(handler_.requests.load(), 0);
}

TEST_F(ServerTest, AHandlerCanCloseTheConnection) {
  start();
  Client client(server_->port());
  client.send("C-close-me");
  EXPECT_EQ(client.receive(), std::nullopt);
}

TEST_F(ServerTest, AnIdleConnectionIsClosed) {
  start(ServerOptions{.connections_max_idle_ms = 100});
  Client client(server_->port());
  client.send("still here");
  EXPECT_EQ(client.receive(), "still here");
  // No more requests: the server closes the connection once it has been idle long enough.
  EXPECT_EQ(client.receive(), std::nullopt);
}

TEST_F(ServerTest, StopAnswersInFlightRequestsBeforeClosing) {
  start();
  Client client(server_->port());
  client.send("D-slow-in-flight");
  while (handler_.requests.load() == 0) std::this_thread::sleep_for(1ms);
  std::thread stopper([this] { server_->stop(); });
  EXPECT_EQ(client.receive(), "D-slow-in-flight");
  EXPECT_EQ(client.receive(), std::nullopt);
  stopper.join();
}

std::string size_prefix(int32_t size) {
  std::string bytes(4, '\0');
  store_big_endian<int32_t>(reinterpret_cast<uint8_t*>(bytes.data()), size);
  return bytes;
}

constexpr int64_t kMiB = 1 << 20;

TEST_F(ServerTest, ConnectionsAnnouncingHugeRequestsAndSendingNothingDoNotStopOthersBeingServed) {
  auto pool = RequestMemoryPool::create(256 * kMiB, 100 * kMiB);
  start(ServerOptions{.socket_request_max_bytes = 100 * kMiB, .request_memory_pool = pool});
  std::vector<std::unique_ptr<Client>> hostile;
  for (int i = 0; i < 30; ++i) {
    hostile.push_back(std::make_unique<Client>(server_->port()));
    ASSERT_TRUE(hostile.back()->send_raw(size_prefix(100 * kMiB)));
  }
  Client fresh(server_->port());
  for (int i = 0; i < 20; ++i) {
    fresh.send("metadata-please");
    EXPECT_EQ(fresh.receive(), "metadata-please");
  }
  EXPECT_LE(pool->peak_reserved(), pool->capacity());
}

TEST_F(ServerTest, ConnectionsDribblingHugeRequestsDoNotStarveSmallRequests) {
  // Room for one 100 MiB request besides the small-request reserve.
  auto pool = RequestMemoryPool::create(116 * kMiB, 100 * kMiB);
  start(ServerOptions{.socket_request_max_bytes = 100 * kMiB, .request_memory_pool = pool});
  std::vector<std::unique_ptr<Client>> hostile;
  for (int i = 0; i < 10; ++i) {
    hostile.push_back(std::make_unique<Client>(server_->port()));
    ASSERT_TRUE(hostile.back()->send_raw(size_prefix(100 * kMiB) + std::string(1000, 'h')));
  }
  Client fresh(server_->port());
  for (int round = 0; round < 5; ++round) {
    for (auto& client : hostile) client->send_raw(std::string(10, 'h'));
    const std::string body = "heartbeat-" + std::to_string(round);
    fresh.send(body);
    EXPECT_EQ(fresh.receive(), body);
  }
  EXPECT_LE(pool->peak_reserved(), pool->capacity());
  EXPECT_LE(pool->reserved(), pool->capacity() - pool->small_request_reserve());
  EXPECT_EQ(handler_.requests.load(), 5);
}

TEST_F(ServerTest, ARequestNotReadWholeWithinTheReadTimeoutClosesTheConnection) {
  auto pool = RequestMemoryPool::create(256 * kMiB, 100 * kMiB);
  start(ServerOptions{.socket_request_max_bytes = 100 * kMiB,
                      .request_read_timeout_ms = 200,
                      .request_memory_pool = pool});
  Client slow(server_->port());
  ASSERT_TRUE(slow.send_raw(size_prefix(1000) + "partial"));
  EXPECT_EQ(slow.receive(), std::nullopt);
  EXPECT_EQ(handler_.requests.load(), 0);
  // Its reservation is released with it.
  for (int i = 0; i < 1000 && pool->reserved() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(pool->reserved(), 0);
}

TEST_F(ServerTest, ASlowLorisDribblingBytesIsClosedByTheReadTimeoutNotKeptAlive) {
  start(ServerOptions{.connections_max_idle_ms = 600000, .request_read_timeout_ms = 300});
  Client loris(server_->port());
  ASSERT_TRUE(loris.send_raw(size_prefix(1000)));
  // One byte every 20 ms would take 20 s to finish the request; the server closes it first.
  bool closed = false;
  for (int i = 0; i < 1000 && !closed; ++i) {
    std::this_thread::sleep_for(20ms);
    closed = !loris.send_raw("x");
  }
  EXPECT_TRUE(closed);
  EXPECT_EQ(handler_.requests.load(), 0);
}

TEST_F(ServerTest, ARequestThatDoesNotFitTheMemoryBoundWaitsAndIsServedOnceMemoryFrees) {
  // Capacity for one 600 KiB request at a time; 'D' requests are held 200 ms by the handler.
  auto pool = RequestMemoryPool::create(1 * kMiB, 1 * kMiB);
  start(ServerOptions{.socket_request_max_bytes = 1 * kMiB, .request_memory_pool = pool});
  Client first(server_->port());
  Client second(server_->port());
  const std::string slow = "D" + std::string(600 * 1024, 'a');
  const std::string next = std::string(600 * 1024, 'b');
  first.send(slow);
  while (handler_.requests.load() == 0) std::this_thread::sleep_for(1ms);
  second.send(next);
  EXPECT_EQ(first.receive(), slow);
  EXPECT_EQ(second.receive(), next);
  EXPECT_LE(pool->peak_reserved(), pool->capacity());
}

TEST_F(ServerTest, ConnectionsOverThePerAddressLimitAreClosedAndAcceptedAgainWhenOneCloses) {
  start(ServerOptions{.max_connections_per_ip = 2});
  auto a = std::make_unique<Client>(server_->port());
  Client b(server_->port());
  a->send("client-a");
  b.send("client-b");
  ASSERT_EQ(a->receive(), "client-a");
  ASSERT_EQ(b.receive(), "client-b");
  {
    Client refused(server_->port());
    refused.send_raw(size_prefix(9) + "refused!!");
    EXPECT_EQ(refused.receive(), std::nullopt);
  }
  a.reset();
  // The server notices the close asynchronously: retry until a new connection is served.
  std::optional<std::string> answer;
  for (int attempt = 0; attempt < 500 && !answer; ++attempt) {
    Client again(server_->port());
    again.send_raw(size_prefix(8) + "again-ok");
    answer = again.receive();
    if (!answer) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(answer, "again-ok");
}

TEST_F(ServerTest, AMemoryBoundBelowTheLargestRequestIsRefusedAtStart) {
  EchoHandler handler;
  auto started = Server::start(
      ServerOptions{
          .port = 0, .socket_request_max_bytes = 100 * kMiB, .queued_max_request_bytes = 10 * kMiB},
      handler);
  EXPECT_EQ(started.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace runnel::broker
