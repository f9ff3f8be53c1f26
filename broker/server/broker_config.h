#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "broker/security/tls_context.h"
#include "broker/server/server.h"

namespace runnel::broker {

// One of Kafka's listeners (listeners=NAME://HOST:PORT with
// listener.security.protocol.map=NAME:PROTOCOL): a port clients connect to and how they
// authenticate there.
struct ListenerConfig {
  std::string name;  // "PLAINTEXT", "SASL_PLAINTEXT", "INTERNAL"...
  // PLAINTEXT, SASL_PLAINTEXT, SSL or SASL_SSL
  std::string security_protocol = "PLAINTEXT";
  std::string host = "127.0.0.1";
  uint16_t port = 9092;  // 0 = an ephemeral port
  // advertised.listeners: what Metadata tells clients that came in on this listener;
  // empty / 0 = the bound address.
  std::string advertised_host;
  uint16_t advertised_port = 0;
};

// A SCRAM user created (or replaced) when the broker starts, before any listener accepts:
// how the first user gets onto a broker whose only listener needs SASL (Kafka's
// `kafka-storage format --add-scram`).
struct ScramUserConfig {
  std::string mechanism;  // "SCRAM-SHA-256" or "SCRAM-SHA-512"
  std::string name;
  std::string password;
  int32_t iterations = 4096;
};

// Everything runneld is started with; runneld's flags (runneld --help) set these, and
// embedding code fills them in directly. Names follow Kafka's broker configs.
struct BrokerConfig {
  std::filesystem::path data_dir;  // log.dirs
  ServerOptions server;            // listener, threads, request size limit, idle timeout
  // What Metadata tells clients to connect to; empty / 0 = the bound listener.
  std::string advertised_host;
  uint16_t advertised_port = 0;
  // listeners / advertised.listeners: one Server each, sharing `server`'s threads count and
  // limits. Empty = one PLAINTEXT listener on server.host:port advertised as above.
  std::vector<ListenerConfig> listeners;
  // sasl.enabled.mechanisms: what SaslHandshake offers on SASL listeners.
  std::vector<std::string> sasl_enabled_mechanisms = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
  // The certificate and key of the SSL and SASL_SSL listeners, and whether they ask clients
  // for certificates (ssl.certificate.location, ssl.key.location, ssl.ca.location,
  // ssl.client.auth).
  TlsConfig tls;
  // Users to create at start (runneld --add-scram).
  std::vector<ScramUserConfig> add_scram;
  int32_t node_id = 0;                           // broker.id
  bool auto_create_topics = true;                // auto.create.topics.enable
  int32_t num_partitions = 1;                    // num.partitions, for auto-created topics
  int64_t retention_check_interval_ms = 300000;  // log.retention.check.interval.ms
  int64_t log_cleaner_backoff_ms = 15000;        // log.cleaner.backoff.ms: between passes

  // Consumer groups (Kafka's group.* settings).
  int32_t group_min_session_timeout_ms = 6000;      // group.min.session.timeout.ms
  int32_t group_max_session_timeout_ms = 1800000;   // group.max.session.timeout.ms
  int32_t group_initial_rebalance_delay_ms = 3000;  // group.initial.rebalance.delay.ms
  // How often session and rebalance timeouts are checked: they fire up to this much late.
  int64_t group_timeout_check_interval_ms = 100;

  // Transactions (Kafka's transaction.* settings).
  int32_t transaction_max_timeout_ms = 900000;  // transaction.max.timeout.ms
  // How often transaction timeouts are checked (Kafka's
  // transaction.abort.timed.out.transaction.cleanup.interval.ms is 10 s).
  int64_t transaction_timeout_check_interval_ms = 1000;
  // Crash tests only: TransactionCoordinatorOptions::test_crash_point.
  std::string test_transaction_crash_point;

  // Authorization (Kafka's authorizer.class.name, super.users,
  // allow.everyone.if.no.acl.found). Off by default: every client may do everything. On, the
  // ACLs in <data-dir>/acls.meta decide (docs/SECURITY.md).
  bool authorizer_enabled = false;
  std::vector<std::string> super_users;  // "User:admin"
  bool allow_everyone_if_no_acl_found = false;

  // Topic defaults (each topic may override them with its own config).
  int64_t log_segment_bytes = 1073741824;                 // log.segment.bytes -> segment.bytes
  int64_t log_segment_ms = 604800000;                     // log.roll.ms -> segment.ms
  int64_t log_retention_ms = 604800000;                   // log.retention.ms -> retention.ms
  int64_t log_retention_bytes = -1;                       // log.retention.bytes
  int64_t log_flush_messages = INT64_MAX;                 // log.flush.interval.messages
  int64_t log_flush_ms = INT64_MAX;                       // log.flush.interval.ms
  int32_t message_max_bytes = 1048588;                    // message.max.bytes
  std::string log_message_timestamp_type = "CreateTime";  // log.message.timestamp.type
};

}  // namespace runnel::broker
