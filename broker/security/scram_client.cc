#include "broker/security/scram_client.h"

#include <fmt/format.h>

namespace runnel::broker {
namespace {

std::string encode_saslname(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

// The value of attribute `key` in "k=v,k=v"; empty when absent.
std::string_view attribute(std::string_view message, char key) {
  size_t start = 0;
  while (start < message.size()) {
    size_t end = message.find(',', start);
    if (end == std::string_view::npos) end = message.size();
    if (end - start >= 2 && message[start] == key && message[start + 1] == '=') {
      return message.substr(start + 2, end - start - 2);
    }
    start = end + 1;
  }
  return {};
}

constexpr std::string_view kGs2Header = "n,,";

}  // namespace

ScramClient::ScramClient(ScramMechanism mechanism, std::string user, std::string password,
                         std::string client_nonce)
    : mechanism_(mechanism),
      user_(std::move(user)),
      password_(std::move(password)),
      client_nonce_(std::move(client_nonce)) {}

std::string ScramClient::client_first() const {
  return fmt::format("{}n={},r={}", kGs2Header, encode_saslname(user_), client_nonce_);
}

Result<std::string> ScramClient::client_final(std::string_view server_first) {
  const std::string_view nonce = attribute(server_first, 'r');
  auto salt = base64_decode(attribute(server_first, 's'));
  int32_t iterations = 0;
  try {
    iterations = std::stoi(std::string(attribute(server_first, 'i')));
  } catch (...) {
    iterations = 0;
  }
  if (!nonce.starts_with(client_nonce_) || nonce.size() == client_nonce_.size() || !salt ||
      iterations < kScramMinIterations) {
    return invalid_argument_error(
        fmt::format("unexpected SCRAM server-first message '{}'", server_first));
  }
  salted_password_ = scram_salted_password(mechanism_, password_, salt->view(), iterations);
  const std::string without_proof =
      fmt::format("c={},r={}", base64_encode(std::string_view(kGs2Header)), nonce);
  const std::string client_first_bare = client_first().substr(kGs2Header.size());
  auth_message_ = fmt::format("{},{},{}", client_first_bare, server_first, without_proof);
  const Bytes client_key =
      scram_hmac(mechanism_, salted_password_.view(), std::string_view("Client Key"));
  const Bytes stored_key = scram_hash(mechanism_, client_key.view());
  const Bytes signature =
      scram_hmac(mechanism_, stored_key.view(), std::string_view(auth_message_));
  Bytes proof = client_key;
  for (size_t i = 0; i < proof.size(); ++i) proof.data()[i] ^= signature[i];
  return fmt::format("{},p={}", without_proof, base64_encode(proof.view()));
}

Status ScramClient::verify_server_final(std::string_view server_final) const {
  if (auto error = attribute(server_final, 'e'); !error.empty()) {
    return invalid_argument_error(fmt::format("SCRAM authentication failed: {}", error));
  }
  const Bytes server_key =
      scram_hmac(mechanism_, salted_password_.view(), std::string_view("Server Key"));
  const Bytes expected = scram_hmac(mechanism_, server_key.view(), std::string_view(auth_message_));
  auto signature = base64_decode(attribute(server_final, 'v'));
  if (!signature || !constant_time_equal(signature->view(), expected.view())) {
    return invalid_argument_error(
        "the broker's SCRAM signature does not match: it does not "
        "know this user's credential");
  }
  return ok_status();
}

}  // namespace runnel::broker
