#include "broker/security/sasl_server.h"

#include <fmt/format.h>

namespace runnel::broker {
namespace {

// Kafka's words for a failed login; the same whatever failed (unknown user, wrong password,
// forged proof), so that a client learns nothing more.
Status invalid_credentials(std::string_view mechanism) {
  return invalid_argument_error(fmt::format(
      "Authentication failed during authentication due to invalid credentials with SASL "
      "mechanism {}",
      mechanism));
}

// RFC 5802 §5.1: ',' and '=' in a user name travel as "=2C" and "=3D"; any other '=' is an
// error.
std::optional<std::string> decode_saslname(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
      continue;
    }
    if (text.substr(i, 3) == "=2C") {
      out += ',';
    } else if (text.substr(i, 3) == "=3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

// "a=1,b=2" → the fields in order; nullopt when one is not "letter=value".
std::optional<std::vector<std::pair<char, std::string_view>>> parse_attributes(
    std::string_view text) {
  std::vector<std::pair<char, std::string_view>> fields;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view field = text.substr(start, end - start);
    if (field.size() < 2 || field[1] != '=') return std::nullopt;
    fields.emplace_back(field[0], field.substr(2));
    start = end + 1;
  }
  return fields;
}

// Printable ASCII except ',' (RFC 5802's "printable"): what a nonce may hold.
bool valid_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

}  // namespace

const std::vector<std::string>& sasl_supported_mechanisms() {
  static const std::vector<std::string> kMechanisms = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
  return kMechanisms;
}

std::unique_ptr<SaslServer> make_sasl_server(std::string_view mechanism,
                                             const CredentialStore& credentials) {
  if (mechanism == "PLAIN") return std::make_unique<PlainSaslServer>(credentials);
  auto scram = scram_mechanism_from_name(mechanism);
  if (!scram) return nullptr;
  auto nonce = secure_random_bytes(24);
  if (!nonce.ok()) return nullptr;
  return std::make_unique<ScramSaslServer>(*scram, credentials, base64_encode(nonce->view()));
}

Result<SaslServer::Step> PlainSaslServer::evaluate(BytesView response) {
  const std::string_view message = response.as_string_view();
  const size_t first = message.find('\0');
  const size_t second = first == std::string_view::npos ? first : message.find('\0', first + 1);
  if (second == std::string_view::npos || message.find('\0', second + 1) != std::string::npos) {
    return invalid_argument_error("Invalid SASL/PLAIN response: expected 3 tokens");
  }
  const std::string_view authzid = message.substr(0, first);
  const std::string_view user = message.substr(first + 1, second - first - 1);
  const std::string_view password = message.substr(second + 1);
  if (user.empty()) {
    return invalid_argument_error("Authentication failed: username not specified");
  }
  if (password.empty()) {
    return invalid_argument_error("Authentication failed: password not specified");
  }
  if (!authzid.empty() && authzid != user) {
    return invalid_argument_error(
        "Authentication failed: Client requested an authorization id that is different from "
        "username");
  }
  if (!credentials_.verify_password(user, password)) {
    return invalid_argument_error("Authentication failed: Invalid username or password");
  }
  user_ = std::string(user);
  return Step{.challenge = {}, .complete = true};
}

ScramSaslServer::ScramSaslServer(ScramMechanism mechanism, const CredentialStore& credentials,
                                 std::string server_nonce)
    : mechanism_(mechanism), credentials_(credentials), server_nonce_(std::move(server_nonce)) {}

Result<SaslServer::Step> ScramSaslServer::evaluate(BytesView response) {
  const std::string_view message = response.as_string_view();
  Result<Step> step = invalid_argument_error("SCRAM exchange already finished");
  switch (state_) {
    case State::kClientFirst:
      step = client_first(message);
      break;
    case State::kClientFinal:
      step = client_final(message);
      break;
    case State::kDone:
    case State::kFailed:
      break;
  }
  if (!step.ok()) state_ = State::kFailed;
  return step;
}

Result<SaslServer::Step> ScramSaslServer::client_first(std::string_view message) {
  const std::string_view name = scram_mechanism_name(mechanism_);
  // gs2-header = cbind-flag "," [ "a=" authzid ] ","
  const size_t first_comma = message.find(',');
  const size_t second_comma =
      first_comma == std::string_view::npos ? first_comma : message.find(',', first_comma + 1);
  if (second_comma == std::string_view::npos) {
    return invalid_argument_error(fmt::format("Invalid {} client-first message", name));
  }
  const std::string_view cbind = message.substr(0, first_comma);
  if (cbind != "n" && cbind != "y") {
    return invalid_argument_error(
        fmt::format("{}: channel binding is not supported by this broker", name));
  }
  const std::string_view authzid = message.substr(first_comma + 1, second_comma - first_comma - 1);
  gs2_header_ = std::string(message.substr(0, second_comma + 1));
  client_first_bare_ = std::string(message.substr(second_comma + 1));
  auto fields = parse_attributes(client_first_bare_);
  if (!fields || fields->size() < 2 || (*fields)[0].first != 'n' || (*fields)[1].first != 'r') {
    return invalid_argument_error(fmt::format("Invalid {} client-first message", name));
  }
  for (size_t i = 2; i < fields->size(); ++i) {
    // Kafka's only extension is delegation-token authentication, which runneld does not serve.
    if ((*fields)[i].first == 'e' || (*fields)[i].second.starts_with("tokenauth")) {
      return invalid_argument_error(fmt::format("{}: extensions are not supported", name));
    }
  }
  auto user = decode_saslname((*fields)[0].second);
  const std::string_view client_nonce = (*fields)[1].second;
  if (!user || user->empty() || !valid_nonce(client_nonce)) {
    return invalid_argument_error(fmt::format("Invalid {} client-first message", name));
  }
  if (!authzid.empty()) {
    auto authorization = authzid.starts_with("a=") ? decode_saslname(authzid.substr(2))
                                                   : std::optional<std::string>();
    if (!authorization || *authorization != *user) {
      return invalid_argument_error(
          fmt::format("{}: the authorization id must be empty or the user name", name));
    }
  }
  user_ = std::move(*user);
  if (auto credential = credentials_.find(user_, mechanism_)) {
    credential_ = std::move(*credential);
    known_user_ = true;
  } else {
    // A plausible salt, so that the answer looks like a known user's; the proof will fail.
    const Bytes seed = Bytes::from_string(user_ + server_nonce_);
    credential_.salt = scram_hash(mechanism_, seed.view());
    credential_.salt.resize(16);
    credential_.iterations = kScramMinIterations;
  }
  nonce_ = std::string(client_nonce) + server_nonce_;
  server_first_ = fmt::format("r={},s={},i={}", nonce_, base64_encode(credential_.salt.view()),
                              credential_.iterations);
  state_ = State::kClientFinal;
  return Step{.challenge = Bytes::from_string(server_first_), .complete = false};
}

Result<SaslServer::Step> ScramSaslServer::client_final(std::string_view message) {
  const std::string_view name = scram_mechanism_name(mechanism_);
  const size_t proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos) {
    return invalid_argument_error(fmt::format("Invalid {} client-final message", name));
  }
  const std::string_view without_proof = message.substr(0, proof_at);
  auto fields = parse_attributes(without_proof);
  auto proof = base64_decode(message.substr(proof_at + 3));
  if (!fields || fields->size() < 2 || (*fields)[0].first != 'c' || (*fields)[1].first != 'r' ||
      !proof) {
    return invalid_argument_error(fmt::format("Invalid {} client-final message", name));
  }
  auto channel_binding = base64_decode((*fields)[0].second);
  if (!channel_binding || channel_binding->as_string_view() != gs2_header_) {
    return invalid_argument_error(fmt::format("{}: invalid channel binding", name));
  }
  // RFC 5802 wants the nonce back exactly; librdkafka (up to 2.x) sends its own nonce before
  // the combined one. Kafka accepts any nonce that ends with the combined one, and so does
  // runneld: the server's fresh part is what protects against replay, and the proof covers
  // the message as sent.
  if (!(*fields)[1].second.ends_with(nonce_)) {
    return invalid_argument_error(fmt::format("{}: invalid nonce", name));
  }
  const std::string auth_message =
      fmt::format("{},{},{}", client_first_bare_, server_first_, without_proof);
  const Bytes client_signature =
      scram_hmac(mechanism_, credential_.stored_key.view(), std::string_view(auth_message));
  if (!known_user_ || proof->size() != client_signature.size()) {
    return invalid_credentials(name);
  }
  Bytes client_key = std::move(*proof);
  for (size_t i = 0; i < client_key.size(); ++i) {
    client_key.data()[i] ^= client_signature[i];
  }
  const Bytes stored_key = scram_hash(mechanism_, client_key.view());
  if (!constant_time_equal(stored_key.view(), credential_.stored_key.view())) {
    return invalid_credentials(name);
  }
  const Bytes server_signature =
      scram_hmac(mechanism_, credential_.server_key.view(), std::string_view(auth_message));
  state_ = State::kDone;
  return Step{.challenge = Bytes::from_string("v=" + base64_encode(server_signature.view())),
              .complete = true};
}

}  // namespace runnel::broker
