#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/client/admin.h"
#include "core/client/client_config.h"
#include "core/result.h"
#include "tools/kafka_wire_client.h"

namespace runnel::tools {

// What every runnel subcommand needs to reach a cluster: the bootstrap address, the
// request timeout, and clients configured alike.
struct ClusterConnection {
  std::string bootstrap_server = "127.0.0.1:9092";
  std::chrono::milliseconds timeout{10'000};
  // How to connect and authenticate (librdkafka's security.protocol, sasl.mechanism,
  // sasl.username, sasl.password): PLAINTEXT, SSL, or SASL_PLAINTEXT / SASL_SSL with PLAIN,
  // SCRAM-SHA-256 or SCRAM-SHA-512.
  std::string security_protocol = "PLAINTEXT";
  std::string sasl_mechanism = "SCRAM-SHA-256";
  std::string sasl_username;
  std::string sasl_password;
  // SSL and SASL_SSL (librdkafka's ssl.ca.location, ssl.certificate.location,
  // ssl.key.location, ssl.key.password).
  WireTlsOptions tls;

  bool uses_tls() const { return security_protocol == "SSL" || security_protocol == "SASL_SSL"; }
  bool uses_sasl() const { return security_protocol.starts_with("SASL_"); }

  // librdkafka properties for a client of this cluster. librdkafka's own log lines are off:
  // runnel reports failures itself, once, in words that name the broker.
  client::ClientConfig client_config(client::ClientConfig extra = {}) const;

  // An admin client that has shown the cluster answers: an unavailable_error naming the
  // address when no broker answers within the timeout.
  Result<std::unique_ptr<client::Admin>> connect() const;

  // A wire client to `address`, over TLS for SSL and SASL_SSL and authenticated for
  // SASL_PLAINTEXT and SASL_SSL: an error naming the broker's reason when it refuses the
  // certificate or the credentials.
  Result<std::unique_ptr<KafkaWireClient>> connect_wire(const std::string& address) const;
};

// Reads a Kafka client properties file (the --command-config of Kafka's tools) into
// `cluster`: security.protocol, sasl.mechanism(s), sasl.username, sasl.password, or Java's
// sasl.jaas.config with username="..." password="..."; ssl.ca.location (or a PEM
// ssl.truststore.location), ssl.certificate.location and ssl.key.location (or a PEM
// ssl.keystore.location holding both), ssl.key.password; bootstrap.servers. Other keys are
// ignored; an unreadable file or a value runnel cannot use is an invalid_argument_error.
Status load_command_config(const std::string& path, ClusterConnection& cluster);

// OK when `partition` is one of `topic`'s; otherwise an invalid_argument naming both.
Status check_partition(const client::TopicDescription& topic, std::int32_t partition);

}  // namespace runnel::tools
