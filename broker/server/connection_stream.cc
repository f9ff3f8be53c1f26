#include "broker/server/connection_stream.h"

#include <openssl/ssl.h>

namespace runnel::broker {

X509* ConnectionStream::peer_certificate() {
  auto* tls = std::get_if<TlsStream>(&stream_);
  if (tls == nullptr) return nullptr;
  // SSL_get0_peer_certificate borrows: the SSL object keeps it as long as the stream lives.
  return SSL_get0_peer_certificate(tls->native_handle());
}

std::string ConnectionStream::tls_description() {
  auto* tls = std::get_if<TlsStream>(&stream_);
  if (tls == nullptr) return {};
  SSL* ssl = tls->native_handle();
  return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

void ConnectionStream::close() {
  boost::system::error_code ignored;
  Socket& tcp = socket();
  tcp.shutdown(Socket::shutdown_both, ignored);
  tcp.close(ignored);
}

}  // namespace runnel::broker
