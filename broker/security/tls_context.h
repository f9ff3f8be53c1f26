#pragma once

#include <memory>
#include <string>

#include "core/result.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace runnel::broker {

// Kafka's ssl.client.auth: whether a TLS listener asks clients for a certificate.
enum class TlsClientAuth {
  kNone,       // never asks; every SSL client is User:ANONYMOUS
  kRequested,  // asks; a client without one is let in as User:ANONYMOUS
  kRequired,   // asks; a client without a valid one fails the handshake
};

// "none", "requested", "required" (Kafka's spellings); invalid_argument_error otherwise.
Result<TlsClientAuth> parse_tls_client_auth(std::string_view text);

// The certificate, key and client-certificate policy of the broker's SSL and SASL_SSL
// listeners, named as librdkafka's and Kafka's settings (ssl.certificate.location,
// ssl.key.location, ssl.ca.location, ssl.key.password, ssl.client.auth). Every TLS listener of
// a broker uses the same one.
struct TlsConfig {
  std::string certificate_location;  // PEM: the broker's certificate, then its chain
  std::string key_location;          // PEM: its private key (PKCS#8 or traditional)
  std::string key_password;          // for an encrypted key; empty = not encrypted
  std::string ca_location;           // PEM: the CAs client certificates must chain to
  TlsClientAuth client_auth = TlsClientAuth::kNone;

  bool configured() const { return !certificate_location.empty() || !key_location.empty(); }
};

// A server-side TLS context for `config`: TLS 1.2 and 1.3 only, OpenSSL's default ciphers,
// no compression and no renegotiation. Fails (invalid_argument_error, naming the file and
// OpenSSL's reason) when a file is missing or not PEM, the key does not match the
// certificate, or client certificates are requested without ssl.ca.location to check them.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const TlsConfig& config);

}  // namespace runnel::broker
