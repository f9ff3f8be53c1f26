#pragma once

#include <utility>
#include <variant>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>

#include "broker/server/tls_stream.h"

typedef struct x509_st X509;

namespace runnel::broker {

// The bytes of one client connection: a plain TCP socket (PLAINTEXT, SASL_PLAINTEXT
// listeners) or TLS over one (SSL, SASL_SSL). A variant rather than an interface, so that a
// plaintext read or write is the socket's own call behind one branch, with no virtual call
// and no allocation. Like the socket it wraps it is not thread-safe: the connection calls it
// from its strand only, with at most one read and one write outstanding.
class ConnectionStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  // Plaintext.
  explicit ConnectionStream(Socket socket)
      : stream_(std::in_place_type<Socket>, std::move(socket)) {}
  // TLS, server side; `tls` must outlive the stream. handshake() must complete before the
  // first read or write.
  ConnectionStream(Socket socket, boost::asio::ssl::context& tls)
      : stream_(std::in_place_type<TlsStream>, std::move(socket), tls.native_handle()) {}

  bool is_tls() const { return std::holds_alternative<TlsStream>(stream_); }

  // The TCP socket underneath, for its endpoints and options.
  Socket& socket() {
    if (auto* tls = std::get_if<TlsStream>(&stream_)) return tls->next_layer();
    return std::get<Socket>(stream_);
  }

  // The server side of the TLS handshake; `handler(error_code)`. TLS only.
  template <typename Handler>
  void async_handshake(Handler&& handler) {
    std::get<TlsStream>(stream_).async_handshake(std::forward<Handler>(handler));
  }

  // Reads what is available (after decryption, on TLS) into `buffer`; `handler(error_code,
  // size_t)`.
  template <typename MutableBuffer, typename Handler>
  void async_read_some(const MutableBuffer& buffer, Handler&& handler) {
    if (auto* socket = std::get_if<Socket>(&stream_)) {
      socket->async_read_some(buffer, std::forward<Handler>(handler));
    } else {
      std::get<TlsStream>(stream_).async_read_some(buffer, std::forward<Handler>(handler));
    }
  }

  // Writes all of `buffer`; `handler(error_code, size_t)`.
  template <typename ConstBuffer, typename Handler>
  void async_write(const ConstBuffer& buffer, Handler&& handler) {
    if (auto* socket = std::get_if<Socket>(&stream_)) {
      boost::asio::async_write(*socket, buffer, std::forward<Handler>(handler));
    } else {
      std::get<TlsStream>(stream_).async_write(buffer, std::forward<Handler>(handler));
    }
  }

  // The certificate the TLS client presented and the handshake verified, or null (plaintext,
  // or none presented). Owned by the stream.
  X509* peer_certificate();

  // The negotiated protocol and cipher ("TLSv1.3 TLS_AES_256_GCM_SHA384"), for logs; empty
  // on plaintext.
  std::string tls_description();

  // Closes the socket, which aborts any read, write or handshake in flight. No TLS
  // close_notify is sent: a peer that stopped reading could otherwise hold the close.
  void close();

 private:
  std::variant<Socket, TlsStream> stream_;
};

}  // namespace runnel::broker
