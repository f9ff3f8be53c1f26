#include "broker/security/tls_context.h"

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace runnel::broker {
namespace {

namespace ssl = boost::asio::ssl;

// What OpenSSL says went wrong last ("no start line", "key values mismatch").
std::string reason_of(const boost::system::error_code& error) {
  std::string reason = error.message();
  if (const char* lib = ERR_lib_error_string(static_cast<unsigned long>(error.value()))) {
    reason = fmt::format("{} ({})", reason, lib);
  }
  return reason;
}

Status file_error(std::string_view setting, const std::string& path,
                  const boost::system::error_code& error) {
  return invalid_argument_error(fmt::format("{} {}: {}", setting, path, reason_of(error)));
}

}  // namespace

Result<TlsClientAuth> parse_tls_client_auth(std::string_view text) {
  if (text == "none") return TlsClientAuth::kNone;
  if (text == "requested") return TlsClientAuth::kRequested;
  if (text == "required") return TlsClientAuth::kRequired;
  return invalid_argument_error(
      fmt::format("ssl.client.auth={}: none, requested or required", text));
}

Result<std::shared_ptr<ssl::context>> make_server_tls_context(const TlsConfig& config) {
  if (config.certificate_location.empty() || config.key_location.empty()) {
    return invalid_argument_error(
        "an SSL or SASL_SSL listener needs ssl.certificate.location and ssl.key.location "
        "(--ssl-certificate-location, --ssl-key-location)");
  }
  if (config.client_auth != TlsClientAuth::kNone && config.ca_location.empty()) {
    return invalid_argument_error(
        "ssl.client.auth=requested or required needs ssl.ca.location (--ssl-ca-location): "
        "the CAs client certificates are checked against");
  }
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  // TLS 1.2 and 1.3 only; SSLv2/3, TLS 1.0 and 1.1 are refused in the handshake.
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  // A client renegotiating could make the broker redo handshakes at will.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);

  boost::system::error_code error;
  if (!config.key_password.empty()) {
    context->set_password_callback([password = config.key_password](
                                       size_t, ssl::context::password_purpose) { return password; },
                                   error);
  }
  context->use_certificate_chain_file(config.certificate_location, error);
  if (error) return file_error("ssl.certificate.location", config.certificate_location, error);
  const auto not_its_key = [&] {
    ERR_clear_error();
    return invalid_argument_error(fmt::format(
        "ssl.key.location {} is not the key of the certificate in ssl.certificate.location {}",
        config.key_location, config.certificate_location));
  };
  context->use_private_key_file(config.key_location, ssl::context::pem, error);
  if (error &&
      ERR_GET_REASON(static_cast<unsigned long>(error.value())) == X509_R_KEY_VALUES_MISMATCH) {
    return not_its_key();
  }
  if (error) return file_error("ssl.key.location", config.key_location, error);
  if (SSL_CTX_check_private_key(native) != 1) return not_its_key();
  if (!config.ca_location.empty()) {
    context->load_verify_file(config.ca_location, error);
    if (error) return file_error("ssl.ca.location", config.ca_location, error);
    // The CA names sent in the CertificateRequest, so that a client with several
    // certificates picks one these CAs signed.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.ca_location.c_str())) {
      SSL_CTX_set_client_CA_list(native, names);
    }
  }
  switch (config.client_auth) {
    case TlsClientAuth::kNone:
      context->set_verify_mode(ssl::verify_none);
      break;
    case TlsClientAuth::kRequested:
      context->set_verify_mode(ssl::verify_peer);
      break;
    case TlsClientAuth::kRequired:
      context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      break;
  }
  ERR_clear_error();
  return context;
}

}  // namespace runnel::broker
