#include "tools/cluster_connection.h"

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
  if (security_protocol != "PLAINTEXT") {
    extra["security.protocol"] = security_protocol;
    extra["sasl.mechanism"] = sasl_mechanism;
    extra["sasl.username"] = sasl_username;
    extra["sasl.password"] = sasl_password;
  }
  return extra;
}

Result<std::unique_ptr<KafkaWireClient>> ClusterConnection::connect_wire(
    const std::string& address) const {
  RUNNEL_ASSIGN_OR_RETURN(auto client, KafkaWireClient::connect(address, timeout));
  if (security_protocol == "SASL_PLAINTEXT") {
    RUNNEL_RETURN_IF_ERROR(sasl_login(*client, *this));
  } else if (security_protocol != "PLAINTEXT") {
    return invalid_argument_error(fmt::format(
        "security protocol {}: runnel speaks PLAINTEXT and SASL_PLAINTEXT", security_protocol));
  }
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

Status check_partition(const client::TopicDescription& topic, std::int32_t partition) {
  if (partition >= 0 && partition < topic.partitions) return Status();
  return invalid_argument_error("topic " + topic.name + " has " + std::to_string(topic.partitions) +
                                " partition(s); there is no partition " +
                                std::to_string(partition));
}

}  // namespace runnel::tools
