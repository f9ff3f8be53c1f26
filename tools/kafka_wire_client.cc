#include "tools/kafka_wire_client.h"

#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include "core/big_endian.h"

namespace runnel::tools {
namespace {

// Largest response accepted: far above any admin answer, and it stops a garbage length
// (not a Kafka broker on that port) from allocating gigabytes.
constexpr int32_t kMaxResponseBytes = 64 << 20;

Status wait_for(int fd, short events, std::chrono::milliseconds timeout, const std::string& what) {
  pollfd entry{.fd = fd, .events = events, .revents = 0};
  while (true) {
    const int ready = ::poll(&entry, 1, static_cast<int>(timeout.count()));
    if (ready > 0) return ok_status();
    if (ready == 0)
      return timeout_error(what + ": no answer within " + std::to_string(timeout.count()) + " ms");
    if (errno != EINTR) return unavailable_error(what + ": " + std::strerror(errno));
  }
}

// OpenSSL's last error, or `fallback` when it has none, and clears the queue.
std::string openssl_reason(const char* fallback) {
  const unsigned long error = ERR_get_error();
  ERR_clear_error();
  if (error == 0) return fallback;
  char text[256];
  ERR_error_string_n(error, text, sizeof text);
  return text;
}

}  // namespace

Result<std::unique_ptr<KafkaWireClient>> KafkaWireClient::connect(const std::string& address,
                                                                  std::chrono::milliseconds timeout,
                                                                  const WireTlsOptions* tls) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return invalid_argument_error("broker address '" + address + "' is not host:port");
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int error = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); error != 0) {
    return unavailable_error(fmt::format("resolving {}: {}", address, ::gai_strerror(error)));
  }
  Status last = unavailable_error("no address for " + address);
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    const int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = unavailable_error(fmt::format("connecting to {}: {}", address, std::strerror(errno)));
      ::close(fd);
      continue;
    }
    Status ready = wait_for(fd, POLLOUT, timeout, "connecting to " + address);
    int error = 0;
    socklen_t length = sizeof error;
    if (ready.ok() && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error != 0) {
      ready = unavailable_error(fmt::format("connecting to {}: {}", address, std::strerror(error)));
    }
    if (!ready.ok()) {
      last = ready;
      ::close(fd);
      continue;
    }
    ::freeaddrinfo(found);
    std::unique_ptr<KafkaWireClient> client(new KafkaWireClient(fd, address, timeout));
    if (tls != nullptr) RUNNEL_RETURN_IF_ERROR(client->start_tls(host, *tls));
    return client;
  }
  ::freeaddrinfo(found);
  return last;
}

KafkaWireClient::~KafkaWireClient() {
  SSL_free(tls_);
  SSL_CTX_free(tls_context_);
  ::close(fd_);
}

Status KafkaWireClient::start_tls(const std::string& host, const WireTlsOptions& tls) {
  const auto failed = [&](const std::string& what) {
    return unavailable_error(fmt::format("TLS with {}: {}", address_, what));
  };
  tls_context_ = SSL_CTX_new(TLS_client_method());
  if (tls_context_ == nullptr) return failed(openssl_reason("cannot make a TLS context"));
  SSL_CTX_set_min_proto_version(tls_context_, TLS1_2_VERSION);
  SSL_CTX_set_verify(tls_context_, SSL_VERIFY_PEER, nullptr);
  const int loaded = tls.ca_location.empty() ? SSL_CTX_set_default_verify_paths(tls_context_)
                                             : SSL_CTX_load_verify_locations(
                                                   tls_context_, tls.ca_location.c_str(), nullptr);
  if (loaded != 1) {
    return invalid_argument_error(
        fmt::format("ssl.ca.location {}: {}", tls.ca_location, openssl_reason("not PEM")));
  }
  if (!tls.key_password.empty()) {
    SSL_CTX_set_default_passwd_cb_userdata(tls_context_,
                                           const_cast<char*>(tls.key_password.c_str()));
  }
  if (!tls.certificate_location.empty() &&
      SSL_CTX_use_certificate_chain_file(tls_context_, tls.certificate_location.c_str()) != 1) {
    return invalid_argument_error(fmt::format("ssl.certificate.location {}: {}",
                                              tls.certificate_location, openssl_reason("not PEM")));
  }
  if (!tls.key_location.empty() &&
      SSL_CTX_use_PrivateKey_file(tls_context_, tls.key_location.c_str(), SSL_FILETYPE_PEM) != 1) {
    return invalid_argument_error(
        fmt::format("ssl.key.location {}: {}", tls.key_location, openssl_reason("not PEM")));
  }
  tls_ = SSL_new(tls_context_);
  if (tls_ == nullptr || SSL_set_fd(tls_, fd_) != 1) return failed(openssl_reason("SSL_new"));
  // The broker's certificate must name the host connected to, as librdkafka's
  // ssl.endpoint.identification.algorithm=https checks: an IP address as an IP SAN.
  in6_addr ignored{};
  const bool is_ip = ::inet_pton(AF_INET, host.c_str(), &ignored) == 1 ||
                     ::inet_pton(AF_INET6, host.c_str(), &ignored) == 1;
  X509_VERIFY_PARAM* verify = SSL_get0_param(tls_);
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(verify, host.c_str());
  } else {
    SSL_set_tlsext_host_name(tls_, host.c_str());
    SSL_set1_host(tls_, host.c_str());
  }
  while (true) {
    const int result = SSL_connect(tls_);
    if (result == 1) return ok_status();
    const int error = SSL_get_error(tls_, result);
    if (error == SSL_ERROR_WANT_READ) {
      RUNNEL_RETURN_IF_ERROR(wait_for(fd_, POLLIN, timeout_, "TLS handshake with " + address_));
    } else if (error == SSL_ERROR_WANT_WRITE) {
      RUNNEL_RETURN_IF_ERROR(wait_for(fd_, POLLOUT, timeout_, "TLS handshake with " + address_));
    } else {
      const long verified = SSL_get_verify_result(tls_);
      if (verified != X509_V_OK) {
        ERR_clear_error();
        return failed(fmt::format("the broker's certificate is not trusted: {}",
                                  X509_verify_cert_error_string(verified)));
      }
      return failed("handshake failed: " +
                    openssl_reason("the broker closed the connection (is it a TLS listener?)"));
    }
  }
}

Status KafkaWireClient::send_all(const uint8_t* data, size_t size) {
  size_t sent = 0;
  while (sent < size) {
    RUNNEL_RETURN_IF_ERROR(wait_for(fd_, POLLOUT, timeout_, "sending to " + address_));
    if (tls_ != nullptr) {
      const int n = SSL_write(tls_, data + sent, static_cast<int>(size - sent));
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      const int error = SSL_get_error(tls_, n);
      if (error == SSL_ERROR_WANT_WRITE) continue;
      if (error == SSL_ERROR_WANT_READ) {
        RUNNEL_RETURN_IF_ERROR(wait_for(fd_, POLLIN, timeout_, "sending to " + address_));
        continue;
      }
      return unavailable_error(
          fmt::format("sending to {}: {}", address_, openssl_reason("the connection closed")));
    }
    const ssize_t n = ::send(fd_, data + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return unavailable_error(fmt::format("sending to {}: {}", address_, std::strerror(errno)));
    }
    sent += static_cast<size_t>(n);
  }
  return ok_status();
}

Status KafkaWireClient::receive_exactly(uint8_t* into, size_t size) {
  const auto closed = [&] {
    return unavailable_error(address_ +
                             " closed the connection (a version it does not "
                             "serve, or not a Kafka broker)");
  };
  size_t got = 0;
  while (got < size) {
    // OpenSSL may hold decrypted bytes already: poll only when it has none.
    if (tls_ == nullptr || SSL_pending(tls_) == 0) {
      RUNNEL_RETURN_IF_ERROR(wait_for(fd_, POLLIN, timeout_, "waiting for " + address_));
    }
    if (tls_ != nullptr) {
      const int n = SSL_read(tls_, into + got, static_cast<int>(size - got));
      if (n > 0) {
        got += static_cast<size_t>(n);
        continue;
      }
      const int error = SSL_get_error(tls_, n);
      if (error == SSL_ERROR_WANT_READ) continue;
      if (error == SSL_ERROR_WANT_WRITE) {
        RUNNEL_RETURN_IF_ERROR(wait_for(fd_, POLLOUT, timeout_, "waiting for " + address_));
        continue;
      }
      if (error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL) {
        ERR_clear_error();
        return closed();
      }
      return unavailable_error(
          fmt::format("reading from {}: {}", address_, openssl_reason("TLS error")));
    }
    const ssize_t n = ::recv(fd_, into + got, size - got, 0);
    if (n == 0) return closed();
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return unavailable_error(fmt::format("reading from {}: {}", address_, std::strerror(errno)));
    }
    got += static_cast<size_t>(n);
  }
  return ok_status();
}

Result<Bytes> KafkaWireClient::round_trip(int16_t api_key, int16_t version, Bytes body) {
  broker::WireWriter frame;
  frame.write_int32(0);  // the length, patched below
  broker::RequestHeader header{.api_key = api_key,
                               .api_version = version,
                               .correlation_id = ++correlation_id_,
                               .client_id = std::string("runnel")};
  broker::encode_request_header(frame, header);
  frame.write_raw(body.view());
  frame.patch_int32(0, static_cast<int32_t>(frame.size() - 4));
  const Bytes out = frame.take();

  RUNNEL_RETURN_IF_ERROR(send_all(out.data(), out.size()));
  uint8_t length_bytes[4];
  RUNNEL_RETURN_IF_ERROR(receive_exactly(length_bytes, sizeof length_bytes));
  const int32_t length = load_big_endian<int32_t>(length_bytes);
  if (length < 4 || length > kMaxResponseBytes) {
    return corruption_error(fmt::format("{} answered a frame of {} bytes", address_, length));
  }
  Bytes response;
  response.resize(static_cast<size_t>(length));
  RUNNEL_RETURN_IF_ERROR(receive_exactly(response.data(), response.size()));
  return response;
}

}  // namespace runnel::tools
