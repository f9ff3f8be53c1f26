// The server's TLS listeners over real loopback sockets, with Boost.Asio's OpenSSL client:
// frames over TLS 1.2 and 1.3, a plaintext client or garbage instead of a ClientHello, a
// handshake that never finishes, and client certificates as the connection's principal.
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "broker/security/tls_context.h"
#include "broker/server/server.h"
#include "core/big_endian.h"
#include "tests/broker/security/test_certificates.h"
#include "tests/broker/server/framed.h"

namespace runnel::broker {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using namespace std::chrono_literals;

// Echoes each frame; a frame "tell me who I am" is answered with the connection's principal.
class PrincipalEchoHandler final : public RequestHandler {
 public:
  void handle(const RequestContext& context, BytesView frame, ResponseCallback done) override {
    ++requests;
    const std::string text(reinterpret_cast<const char*>(frame.data()), frame.size());
    const std::string answer = text == "tell me who I am" ? context.session->principal() : text;
    done(HandlerOutcome{.response = Bytes(BytesView(reinterpret_cast<const uint8_t*>(answer.data()),
                                                    answer.size()))});
  }
  std::atomic<int> requests{0};
};

// A synchronous TLS client: the CA to trust, optionally a certificate to present, and the
// highest TLS version to offer.
class TlsClient {
 public:
  TlsClient(uint16_t port, const testing::TestCertificates& certificates,
            const std::filesystem::path& certificate = {}, int max_version = TLS1_3_VERSION)
      : context_(client_context(certificates, certificate, max_version)), stream_(io_, context_) {
    stream_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  }
  boost::system::error_code handshake() {
    boost::system::error_code error;
    stream_.handshake(ssl::stream_base::client, error);
    return error;
  }
  std::string version() { return SSL_get_version(stream_.native_handle()); }
  // Sends `body` as a frame and reads the answer; nullopt when the server closed.
  std::optional<std::string> round_trip(std::string_view body) {
    if (!send(framed(body))) return std::nullopt;
    return receive_frame();
  }
  // Sends `bytes` as they are, in one TLS write; false when the server closed.
  bool send(std::string_view bytes) {
    boost::system::error_code error;
    asio::write(stream_, asio::buffer(bytes.data(), bytes.size()), error);
    return !error;
  }
  // Reads one frame's body; nullopt when the server closed.
  std::optional<std::string> receive_frame() {
    boost::system::error_code error;
    uint8_t size[4];
    asio::read(stream_, asio::buffer(size, 4), error);
    if (error) return std::nullopt;
    std::string answer(static_cast<size_t>(load_big_endian<int32_t>(size)), '\0');
    asio::read(stream_, asio::buffer(answer.data(), answer.size()), error);
    if (error) return std::nullopt;
    return answer;
  }

 private:
  static ssl::context client_context(const testing::TestCertificates& certificates,
                                     const std::filesystem::path& certificate, int max_version) {
    ssl::context context(ssl::context::tls_client);
    context.load_verify_file(certificates.ca_pem());
    context.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_max_proto_version(context.native_handle(), max_version);
    if (!certificate.empty()) {
      context.use_certificate_file(certificate, ssl::context::pem);
      context.use_private_key_file(certificates.client_key_pem(), ssl::context::pem);
    }
    return context;
  }

  asio::io_context io_;
  ssl::context context_;
  ssl::stream<asio::ip::tcp::socket> stream_;
};

// A plain TCP client: sends raw bytes and says whether the server closed the connection.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  void send(std::string_view bytes) {
    boost::system::error_code ignored;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ignored);
  }
  // Reads until the server closes; what it sent before (a TLS alert, perhaps).
  std::string read_until_closed() {
    std::string received;
    char buffer[4096];
    boost::system::error_code error;
    while (!error) {
      const size_t count = socket_.read_some(asio::buffer(buffer), error);
      received.append(buffer, count);
    }
    return received;
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

class TlsServerTest : public ::testing::Test {
 protected:
  void start(TlsClientAuth client_auth = TlsClientAuth::kNone, ServerOptions options = {},
             std::string security_protocol = "SSL") {
    auto context =
        make_server_tls_context(TlsConfig{.certificate_location = certificates_.server_pem(),
                                          .key_location = certificates_.server_key_pem(),
                                          .ca_location = certificates_.ca_pem(),
                                          .client_auth = client_auth});
    ASSERT_TRUE(context.ok()) << context.status().to_string();
    options.host = "127.0.0.1";
    options.port = 0;
    options.listener_name = security_protocol;
    options.security_protocol = security_protocol;
    options.tls_context = *context;
    auto started = Server::start(options, handler_);
    ASSERT_TRUE(started.ok()) << started.status().to_string();
    server_ = std::move(started).value();
  }
  uint16_t port() const { return server_->port(); }

  testing::TestCertificates certificates_;
  PrincipalEchoHandler handler_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsServerTest, ServesFramesOverTls13AndTls12) {
  start();
  TlsClient tls13(port(), certificates_);
  ASSERT_FALSE(tls13.handshake());
  EXPECT_EQ(tls13.version(), "TLSv1.3");
  const std::string big(300'000, 'x');  // many TLS records, several reads
  EXPECT_EQ(tls13.round_trip("hello over TLS"), "hello over TLS");
  EXPECT_EQ(tls13.round_trip(big), big);
  TlsClient tls12(port(), certificates_, {}, TLS1_2_VERSION);
  ASSERT_FALSE(tls12.handshake());
  EXPECT_EQ(tls12.version(), "TLSv1.2");
  EXPECT_EQ(tls12.round_trip("hello over TLS 1.2"), "hello over TLS 1.2");
}

TEST_F(TlsServerTest, PipelinedFramesInOneWriteAreAnsweredInOrder) {
  start();
  TlsClient client(port(), certificates_);
  ASSERT_FALSE(client.handshake());
  // Many frames, small and large, in one write: the server decrypts several records from one
  // socket read and a frame's records across reads, and may answer several frames at once.
  std::string frames;
  std::vector<std::string> bodies;
  for (int i = 0; i < 40; ++i) {
    bodies.push_back(std::string(i % 5 == 0 ? 70'000 : 10 + i, static_cast<char>('a' + i % 26)));
    frames += framed(bodies.back());
  }
  ASSERT_TRUE(client.send(frames));
  for (const std::string& body : bodies) EXPECT_EQ(client.receive_frame(), body);
  EXPECT_EQ(client.round_trip("still open"), "still open");
}

TEST_F(TlsServerTest, APlaintextClientIsClosedBeforeAnyFrameAndOthersAreServed) {
  start();
  for (int i = 0; i < 10; ++i) {
    RawClient plaintext(port());
    plaintext.send(framed("a Kafka request in the clear"));
    const std::string answer = plaintext.read_until_closed();
    // Nothing but, perhaps, a TLS alert record (content type 21).
    EXPECT_TRUE(answer.empty() || answer[0] == 21) << answer.size();
  }
  EXPECT_EQ(handler_.requests.load(), 0);
  TlsClient client(port(), certificates_);
  ASSERT_FALSE(client.handshake());
  EXPECT_EQ(client.round_trip("still serving"), "still serving");
}

TEST_F(TlsServerTest, AGarbageClientHelloClosesTheConnection) {
  start();
  RawClient garbage(port());
  // A handshake record header announcing a ClientHello, then bytes that are not one.
  garbage.send(std::string("\x16\x03\x01\x00\x40\x01\x00\x00\x3c", 9) + std::string(60, '\xff'));
  garbage.read_until_closed();  // returns: the server closed it
  RawClient huge(port());
  // A record far above TLS's 16 KiB limit.
  huge.send(std::string("\x16\x03\x03\xff\xff", 5) + std::string(1000, 'x'));
  huge.read_until_closed();
  EXPECT_EQ(handler_.requests.load(), 0);
}

TEST_F(TlsServerTest, AHandshakeNotDoneWithinTheReadTimeoutClosesTheConnection) {
  start(TlsClientAuth::kNone,
        ServerOptions{.connections_max_idle_ms = 600000, .request_read_timeout_ms = 200});
  RawClient silent(port());
  silent.read_until_closed();  // returns once the handshake timer closed it, not after 10 min
  RawClient dribbling(port());
  dribbling.send(std::string("\x16\x03\x01", 3));  // the start of a record, then nothing
  dribbling.read_until_closed();
  EXPECT_EQ(handler_.requests.load(), 0);
}

TEST_F(TlsServerTest, StopClosesConnectionsStillInTheirHandshakeAtOnce) {
  start();
  RawClient silent(port());
  TlsClient served(port(), certificates_);
  ASSERT_FALSE(served.handshake());
  EXPECT_EQ(served.round_trip("served before the stop"), "served before the stop");
  // Nothing is in flight on either connection: the stop closes both without waiting out its
  // drain timeout (10 s), and the silent client's read returns.
  const auto started = std::chrono::steady_clock::now();
  server_->stop(std::chrono::seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  silent.read_until_closed();
  EXPECT_EQ(served.round_trip("after the stop"), std::nullopt);
}

TEST_F(TlsServerTest, AClientCertificateSubjectIsThePrincipal) {
  start(TlsClientAuth::kRequested);
  TlsClient alice(port(), certificates_, certificates_.client_pem());
  ASSERT_FALSE(alice.handshake());
  EXPECT_EQ(alice.round_trip("tell me who I am"), "User:CN=alice,OU=eng,O=acme");
  TlsClient anonymous(port(), certificates_);
  ASSERT_FALSE(anonymous.handshake());
  EXPECT_EQ(anonymous.round_trip("tell me who I am"), "User:ANONYMOUS");
}

TEST_F(TlsServerTest, RequiredClientAuthRefusesNoCertificateAndOneFromAnotherCa) {
  start(TlsClientAuth::kRequired);
  // In TLS 1.3 the client may finish its side before the server has checked; the server's
  // refusal then shows as the connection closing without an answer.
  TlsClient none(port(), certificates_);
  EXPECT_TRUE(none.handshake() || !none.round_trip("tell me who I am"));
  TlsClient rogue(port(), certificates_, certificates_.rogue_client_pem());
  EXPECT_TRUE(rogue.handshake() || !rogue.round_trip("tell me who I am"));
  EXPECT_EQ(handler_.requests.load(), 0);
  TlsClient alice(port(), certificates_, certificates_.client_pem());
  ASSERT_FALSE(alice.handshake());
  EXPECT_EQ(alice.round_trip("tell me who I am"), "User:CN=alice,OU=eng,O=acme");
}

TEST_F(TlsServerTest, ARefusedClientHearsWhyInATlsAlert) {
  start(TlsClientAuth::kRequired);
  // Over TLS 1.2 the server checks the client's certificate inside the handshake: its refusal
  // reaches the client as an alert naming the reason, not as a bare disconnect.
  TlsClient rogue(port(), certificates_, certificates_.rogue_client_pem(), TLS1_2_VERSION);
  const boost::system::error_code error = rogue.handshake();
  ASSERT_TRUE(error);
  EXPECT_NE(error.message().find("alert"), std::string::npos) << error.message();
  EXPECT_EQ(handler_.requests.load(), 0);
}

TEST_F(TlsServerTest, OnSaslSslTheCertificateDoesNotAuthenticate) {
  // SASL_SSL: the SASL exchange decides who the client is, as in Kafka.
  start(TlsClientAuth::kRequested, {}, "SASL_SSL");
  TlsClient alice(port(), certificates_, certificates_.client_pem());
  ASSERT_FALSE(alice.handshake());
  EXPECT_EQ(alice.round_trip("tell me who I am"), "User:ANONYMOUS");
}

}  // namespace
}  // namespace runnel::broker
