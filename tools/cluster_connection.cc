#include "tools/cluster_connection.h"

#include <fstream>
#include <map>

#include <fmt/format.h>

#include "broker/protocol/error_code.h"
#include "broker/protocol/generated/sasl_authenticate_request.h"
#include "broker/protocol/generated/sasl_authenticate_response.h"
#include "broker/protocol/generated/sasl_handshake_request.h"
#include "broker/protocol/generated/sasl_handshake_response.h"
#include "broker/security/scram.h"
#include "broker/security/scram_client.h"
#include "core/base64.h"

namespace runnel::tools {
namespace {

// SaslHandshake v1 then SaslAuthenticate v1 (Kafka 1.0+): PLAIN in one token, SCRAM in two.
Status sasl_login(KafkaWireClient& client, const ClusterConnection& cluster) {
  broker::SaslHandshakeRequest handshake;
  handshake.mechanism = cluster.sasl_mechanism;
  RUNNEL_ASSIGN_OR_RETURN(auto offered, client.call<broker::SaslHandshakeResponse>(handshake, 1));
  if (offered.error_code != 0) {
    std::string mechanisms;
    for (const auto& m : offered.mechanisms) mechanisms += (mechanisms.empty() ? "" : ", ") + m;
    return invalid_argument_error(fmt::format("{} does not offer SASL/{} ({}; it offers: {})",
                                              client.address(), cluster.sasl_mechanism,
                                              broker::error_name(offered.error_code), mechanisms));
  }
  const auto send = [&](std::string token) -> Result<std::string> {
    broker::SaslAuthenticateRequest request;
    request.auth_bytes = Bytes::from_string(token);
    RUNNEL_ASSIGN_OR_RETURN(auto answer, client.call<broker::SaslAuthenticateResponse>(request, 1));
    if (answer.error_code != 0) {
      return invalid_argument_error(fmt::format(
          "{} refused the login of '{}': {} ({})", client.address(), cluster.sasl_username,
          answer.error_message.value_or(""), broker::error_name(answer.error_code)));
    }
    return answer.auth_bytes.to_string();
  };
  if (cluster.sasl_mechanism == "PLAIN") {
    std::string token;
    token += '\0';
    token += cluster.sasl_username;
    token += '\0';
    token += cluster.sasl_password;
    return send(std::move(token)).status();
  }
  auto mechanism = broker::scram_mechanism_from_name(cluster.sasl_mechanism);
  if (!mechanism) {
    return invalid_argument_error(fmt::format(
        "SASL mechanism '{}': PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", cluster.sasl_mechanism));
  }
  RUNNEL_ASSIGN_OR_RETURN(Bytes nonce, broker::secure_random_bytes(24));
  broker::ScramClient scram(*mechanism, cluster.sasl_username, cluster.sasl_password,
                            base64_encode(nonce.view()));
  RUNNEL_ASSIGN_OR_RETURN(std::string server_first, send(scram.client_first()));
  RUNNEL_ASSIGN_OR_RETURN(std::string client_final, scram.client_final(server_first));
  RUNNEL_ASSIGN_OR_RETURN(std::string server_final, send(std::move(client_final)));
  return scram.verify_server_final(server_final);
}

}  // namespace

client::ClientConfig ClusterConnection::client_config(client::ClientConfig extra) const {
  extra["bootstrap.servers"] = bootstrap_server;
  extra["log_level"] = "0";
  extra["client.id"] = "runnel-cli";
  if (security_protocol != "PLAINTEXT") extra["security.protocol"] = security_protocol;
  if (uses_sasl()) {
    extra["sasl.mechanism"] = sasl_mechanism;
    extra["sasl.username"] = sasl_username;
    extra["sasl.password"] = sasl_password;
  }
  if (uses_tls()) {
    if (!tls.ca_location.empty()) extra["ssl.ca.location"] = tls.ca_location;
    if (!tls.certificate_location.empty()) {
      extra["ssl.certificate.location"] = tls.certificate_location;
    }
    if (!tls.key_location.empty()) extra["ssl.key.location"] = tls.key_location;
    if (!tls.key_password.empty()) extra["ssl.key.password"] = tls.key_password;
  }
  return extra;
}

Result<std::unique_ptr<KafkaWireClient>> ClusterConnection::connect_wire(
    const std::string& address) const {
  if (security_protocol != "PLAINTEXT" && security_protocol != "SASL_PLAINTEXT" && !uses_tls()) {
    return invalid_argument_error(fmt::format(
        "security protocol {}: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", security_protocol));
  }
  RUNNEL_ASSIGN_OR_RETURN(auto client,
                          KafkaWireClient::connect(address, timeout, uses_tls() ? &tls : nullptr));
  if (uses_sasl()) RUNNEL_RETURN_IF_ERROR(sasl_login(*client, *this));
  return client;
}

Result<std::unique_ptr<client::Admin>> ClusterConnection::connect() const {
  RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<client::Admin> admin,
                          client::Admin::create(client_config()));
  Result<std::vector<client::TopicDescription>> probe = admin->list_topics(timeout);
  if (!probe.ok()) {
    return unavailable_error("no Kafka broker answered at " + bootstrap_server + " within " +
                             std::to_string(timeout.count()) + " ms (" +
                             std::string(probe.status().message()) + ")");
  }
  return admin;
}

namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// `name="value"` out of a JAAS line such as Kafka's
// org.apache.kafka.common.security.scram.ScramLoginModule required username="a" password="b";
std::string jaas_option(std::string_view jaas, std::string_view name) {
  const std::string key = std::string(name) + "=\"";
  size_t at = jaas.find(key);
  while (at != std::string_view::npos && at > 0 && jaas[at - 1] != ' ' && jaas[at - 1] != '\t') {
    at = jaas.find(key, at + 1);
  }
  if (at == std::string_view::npos) return {};
  const size_t start = at + key.size();
  const size_t end = jaas.find('"', start);
  return std::string(jaas.substr(start, end == std::string_view::npos ? end : end - start));
}

}  // namespace

Status load_command_config(const std::string& path, ClusterConnection& cluster) {
  std::ifstream in(path);
  if (!in) return invalid_argument_error(fmt::format("--command-config {}: cannot read it", path));
  std::map<std::string, std::string, std::less<>> properties;
  std::string line;
  while (std::getline(in, line)) {
    const std::string_view view = trim(line);
    if (view.empty() || view.front() == '#' || view.front() == '!') continue;
    const size_t separator = view.find_first_of("=:");
    if (separator == std::string_view::npos) {
      return invalid_argument_error(
          fmt::format("--command-config {}: '{}' is not key=value", path, view));
    }
    properties[std::string(trim(view.substr(0, separator)))] =
        std::string(trim(view.substr(separator + 1)));
  }
  const auto get = [&](std::string_view key) -> const std::string* {
    auto found = properties.find(key);
    return found == properties.end() ? nullptr : &found->second;
  };
  for (const char* type : {"ssl.keystore.type", "ssl.truststore.type"}) {
    if (const std::string* value = get(type); value && *value != "PEM") {
      return invalid_argument_error(fmt::format(
          "--command-config {}: {}={}: runnel reads PEM files only", path, type, *value));
    }
  }
  if (const std::string* value = get("bootstrap.servers")) cluster.bootstrap_server = *value;
  if (const std::string* value = get("security.protocol")) cluster.security_protocol = *value;
  if (const std::string* value = get("sasl.mechanism")) cluster.sasl_mechanism = *value;
  if (const std::string* value = get("sasl.mechanisms")) cluster.sasl_mechanism = *value;
  if (const std::string* value = get("sasl.jaas.config")) {
    cluster.sasl_username = jaas_option(*value, "username");
    cluster.sasl_password = jaas_option(*value, "password");
  }
  if (const std::string* value = get("sasl.username")) cluster.sasl_username = *value;
  if (const std::string* value = get("sasl.password")) cluster.sasl_password = *value;
  if (const std::string* value = get("ssl.truststore.location")) cluster.tls.ca_location = *value;
  if (const std::string* value = get("ssl.ca.location")) cluster.tls.ca_location = *value;
  if (const std::string* value = get("ssl.keystore.location")) {
    cluster.tls.certificate_location = cluster.tls.key_location = *value;
  }
  if (const std::string* value = get("ssl.certificate.location")) {
    cluster.tls.certificate_location = *value;
  }
  if (const std::string* value = get("ssl.key.location")) cluster.tls.key_location = *value;
  if (const std::string* value = get("ssl.key.password")) cluster.tls.key_password = *value;
  const std::string& protocol = cluster.security_protocol;
  if (protocol != "PLAINTEXT" && protocol != "SSL" && protocol != "SASL_PLAINTEXT" &&
      protocol != "SASL_SSL") {
    return invalid_argument_error(fmt::format(
        "--command-config {}: security.protocol={}: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL",
        path, protocol));
  }
  return ok_status();
}

Status check_partition(const client::TopicDescription& topic, std::int32_t partition) {
  if (partition >= 0 && partition < topic.partitions) return Status();
  return invalid_argument_error("topic " + topic.name + " has " + std::to_string(topic.partitions) +
                                " partition(s); there is no partition " +
                                std::to_string(partition));
}

}  // namespace runnel::tools
