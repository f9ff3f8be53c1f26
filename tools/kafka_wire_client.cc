#include "tools/kafka_wire_client.h"

#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
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

}  // namespace

Result<std::unique_ptr<KafkaWireClient>> KafkaWireClient::connect(
    const std::string& address, std::chrono::milliseconds timeout) {
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
    return std::unique_ptr<KafkaWireClient>(new KafkaWireClient(fd, address, timeout));
  }
  ::freeaddrinfo(found);
  return last;
}

KafkaWireClient::~KafkaWireClient() { ::close(fd_); }

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

  size_t sent = 0;
  while (sent < out.size()) {
    RUNNEL_RETURN_IF_ERROR(wait_for(fd_, POLLOUT, timeout_, "sending to " + address_));
    const ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return unavailable_error(fmt::format("sending to {}: {}", address_, std::strerror(errno)));
    }
    sent += static_cast<size_t>(n);
  }
  auto receive = [this](uint8_t* into, size_t size) -> Status {
    size_t got = 0;
    while (got < size) {
      RUNNEL_RETURN_IF_ERROR(wait_for(fd_, POLLIN, timeout_, "waiting for " + address_));
      const ssize_t n = ::recv(fd_, into + got, size - got, 0);
      if (n == 0) {
        return unavailable_error(address_ +
                                 " closed the connection (a version it does not "
                                 "serve, or not a Kafka broker)");
      }
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return unavailable_error(
            fmt::format("reading from {}: {}", address_, std::strerror(errno)));
      }
      got += static_cast<size_t>(n);
    }
    return ok_status();
  };
  uint8_t length_bytes[4];
  RUNNEL_RETURN_IF_ERROR(receive(length_bytes, sizeof length_bytes));
  const int32_t length = load_big_endian<int32_t>(length_bytes);
  if (length < 4 || length > kMaxResponseBytes) {
    return corruption_error(fmt::format("{} answered a frame of {} bytes", address_, length));
  }
  Bytes response;
  response.resize(static_cast<size_t>(length));
  RUNNEL_RETURN_IF_ERROR(receive(response.data(), response.size()));
  return response;
}

}  // namespace runnel::tools
