// runneld: Runnel's Kafka-protocol log broker as a program. Parses flags (and an optional
// Kafka-style server.properties) into a BrokerConfig, starts the Broker, prints
// "runneld listening on HOST:PORT" per listener once it accepts connections, and stops
// gracefully on SIGTERM or SIGINT (exit 0).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "broker/broker.h"
#include "broker/security/authorizer.h"
#include "broker/server_properties.h"
#include "console/http_server.h"
#include "core/log.h"

namespace {

using runnel::broker::BrokerConfig;

// "host:port" -> parts; the port may be 0. IPv6 hosts in brackets: "[::1]:9092".
bool split_host_port(const std::string& text, std::string& host, uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    const int value = std::stoi(text.substr(colon + 1));
    if (value < 0 || value > 65535) return false;
    port = static_cast<uint16_t>(value);
  } catch (...) {
    return false;
  }
  return true;
}

// The value of --config, looked for before the flags are parsed: the file sets the
// defaults that the other flags then override.
std::string config_file_of(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) return argv[i + 1];
    if (arg.starts_with("--config=")) return arg.substr(9);
  }
  return {};
}

std::string join(const std::vector<std::string>& parts) {
  std::string joined;
  for (const std::string& part : parts) joined += (joined.empty() ? "" : ",") + part;
  return joined;
}

}  // namespace

int main(int argc, char** argv) {
  BrokerConfig config;
  std::string config_file = config_file_of(argc, argv);
  if (!config_file.empty()) {
    if (auto loaded = runnel::broker::load_server_properties(config_file, config); !loaded.ok()) {
      std::fprintf(stderr, "runneld: --config %s: %s\n", config_file.c_str(),
                   loaded.to_string().c_str());
      return 2;
    }
  }
  std::string data_dir = config.data_dir.string();
  std::string listen = "127.0.0.1:9092";
  std::vector<std::string> listener_flags;
  std::vector<std::string> advertised;
  std::vector<std::string> add_scram;
  std::string mechanisms = join(config.sasl_enabled_mechanisms);
  bool auto_create = config.auto_create_topics;
  std::string per_ip_overrides;

  CLI::App app{"runneld: Runnel's Kafka-protocol log broker (a single node)"};
  app.get_formatter()->column_width(44);
  app.add_option("--config", config_file,
                 "Kafka-style server.properties (listeners, advertised.listeners, "
                 "sasl.enabled.mechanisms, log.dirs, ...); flags override it");
  app.add_option("--data-dir", data_dir, "Directory for topics and their logs (log.dirs)");
  app.add_option("--listen", listen,
                 "HOST:PORT of the one PLAINTEXT listener; port 0 picks a free one")
      ->capture_default_str();
  app.add_option("--listener", listener_flags,
                 "NAME=PROTOCOL://HOST:PORT (repeatable; PLAINTEXT, SASL_PLAINTEXT, SSL or "
                 "SASL_SSL); replaces --listen and the file's listeners");
  app.add_option("--advertised-listener", advertised,
                 "HOST:PORT clients are told to connect to (default: the bound address), or "
                 "NAME://HOST:PORT per listener (repeatable)");
  app.add_option("--sasl-enabled-mechanisms", mechanisms,
                 "SASL mechanisms offered on SASL listeners (sasl.enabled.mechanisms)")
      ->capture_default_str();
  app.add_option("--add-scram", add_scram,
                 "Create a SCRAM user at start, before clients connect: "
                 "'SCRAM-SHA-256=[name=alice,password=secret]' (repeatable; see "
                 "docs/SECURITY.md)");
  std::string client_auth;
  app.add_option("--ssl-certificate-location", config.tls.certificate_location,
                 "PEM certificate (and chain) of the SSL and SASL_SSL listeners "
                 "(ssl.certificate.location)");
  app.add_option("--ssl-key-location", config.tls.key_location,
                 "PEM private key of that certificate (ssl.key.location)");
  app.add_option("--ssl-key-password", config.tls.key_password,
                 "Password of an encrypted private key (ssl.key.password)");
  app.add_option("--ssl-ca-location", config.tls.ca_location,
                 "PEM CA certificates that client certificates must chain to (ssl.ca.location)");
  app.add_option("--ssl-client-auth", client_auth,
                 "Ask TLS clients for a certificate: none, requested or required "
                 "(ssl.client.auth; default none); its subject becomes the principal")
      ->check(CLI::IsMember({"none", "requested", "required"}));
  app.add_option("--node-id", config.node_id, "This broker's id (broker.id)")
      ->capture_default_str();
  app.add_option("--network-threads", config.server.network_threads,
                 "Threads serving connections (num.network.threads)")
      ->capture_default_str();
  app.add_option("--socket-request-max-bytes", config.server.socket_request_max_bytes,
                 "Largest request accepted; larger ones close the connection")
      ->capture_default_str();
  app.add_option("--connections-max-idle-ms", config.server.connections_max_idle_ms,
                 "Close connections idle this long")
      ->capture_default_str();
  app.add_option("--queued-max-request-bytes", config.server.queued_max_request_bytes,
                 "Bytes of requests being read or in flight, broker-wide; past it connections "
                 "pause reading (at least --socket-request-max-bytes)")
      ->capture_default_str();
  app.add_option("--request-read-timeout-ms", config.server.request_read_timeout_ms,
                 "Runnel's own: close a connection whose request has not arrived whole this "
                 "long after its first byte")
      ->capture_default_str();
  app.add_option("--max-connections", config.server.max_connections,
                 "Connections open at once, broker-wide; more are closed on accept")
      ->capture_default_str();
  app.add_option("--max-connections-per-ip", config.server.max_connections_per_ip,
                 "Connections open at once from one client address")
      ->capture_default_str();
  app.add_option("--max-connections-per-ip-overrides", per_ip_overrides,
                 "ADDRESS:COUNT,... per-address exceptions to --max-connections-per-ip");
  app.add_option("--auto-create-topics", auto_create,
                 "Create unknown topics asked for in Metadata (auto.create.topics.enable)")
      ->capture_default_str();
  app.add_option("--num-partitions", config.num_partitions,
                 "Partitions of auto-created topics (num.partitions)")
      ->capture_default_str();
  app.add_option("--log-segment-bytes", config.log_segment_bytes,
                 "Default segment.bytes: roll segments at this size")
      ->capture_default_str();
  app.add_option("--log-roll-ms", config.log_segment_ms,
                 "Default segment.ms: roll segments this old")
      ->capture_default_str();
  app.add_option("--log-retention-ms", config.log_retention_ms,
                 "Default retention.ms (-1: keep forever)")
      ->capture_default_str();
  app.add_option("--log-retention-bytes", config.log_retention_bytes,
                 "Default retention.bytes per partition (-1: no limit)")
      ->capture_default_str();
  app.add_option("--log-retention-check-interval-ms", config.retention_check_interval_ms,
                 "How often retention is enforced")
      ->capture_default_str();
  app.add_option("--log-cleaner-backoff-ms", config.log_cleaner_backoff_ms,
                 "How long the log cleaner sleeps between passes over compacted topics")
      ->capture_default_str();
  app.add_option("--log-flush-interval-messages", config.log_flush_messages,
                 "Default flush.messages: fsync after this many records (default: never, "
                 "the page cache decides; see docs/DURABILITY.md)")
      ->capture_default_str();
  app.add_option("--log-flush-interval-ms", config.log_flush_ms,
                 "Default flush.ms: fsync when the last fsync is this old (default: never)")
      ->capture_default_str();
  app.add_option("--message-max-bytes", config.message_max_bytes,
                 "Default max.message.bytes: largest record batch accepted")
      ->capture_default_str();
  app.add_option("--log-message-timestamp-type", config.log_message_timestamp_type,
                 "Default message.timestamp.type")
      ->check(CLI::IsMember({"CreateTime", "LogAppendTime"}))
      ->capture_default_str();
  app.add_option("--group-min-session-timeout-ms", config.group_min_session_timeout_ms,
                 "Shortest session.timeout.ms a group member may ask for")
      ->capture_default_str();
  app.add_option("--group-max-session-timeout-ms", config.group_max_session_timeout_ms,
                 "Longest session.timeout.ms a group member may ask for")
      ->capture_default_str();
  app.add_option("--group-initial-rebalance-delay-ms", config.group_initial_rebalance_delay_ms,
                 "How long a new group waits for more members before its first generation")
      ->capture_default_str();
  app.add_option("--transaction-max-timeout-ms", config.transaction_max_timeout_ms,
                 "Longest transaction.timeout.ms a transactional producer may ask for")
      ->capture_default_str();
  std::string super_users;
  app.add_flag("--authorizer", config.authorizer_enabled,
               "Enforce ACLs (Kafka's authorizer.class.name); off, every client may do "
               "everything. See docs/SECURITY.md");
  app.add_option("--super-users", super_users,
                 "Principals allowed everything, ';'-separated: 'User:admin;User:bob' "
                 "(super.users)");
  app.add_flag("--allow-everyone-if-no-acl-found", config.allow_everyone_if_no_acl_found,
               "With --authorizer, allow a resource no ACL applies to "
               "(allow.everyone.if.no.acl.found)");
  std::string http_listen;
  app.add_option("--http-listen", http_listen,
                 "[HOST:]PORT to serve /metrics (Prometheus text format) on; without a host, "
                 "127.0.0.1; port 0 picks a free one (printed). Off unless given");
  CLI11_PARSE(app, argc, argv);

  if (data_dir.empty()) {
    std::fprintf(stderr, "runneld: --data-dir (or log.dirs in --config) is required\n");
    return 2;
  }
  config.data_dir = data_dir;
  auto overrides = runnel::broker::ConnectionLimits::parse_overrides(per_ip_overrides);
  if (!overrides.ok()) {
    std::fprintf(stderr, "runneld: %s\n", overrides.status().to_string().c_str());
    return 2;
  }
  config.server.max_connections_per_ip_overrides = std::move(overrides).value();
  config.auto_create_topics = auto_create;
  if (!client_auth.empty()) {
    config.tls.client_auth = runnel::broker::parse_tls_client_auth(client_auth).value();
  }
  config.super_users = runnel::broker::parse_super_users(super_users);
  config.sasl_enabled_mechanisms.clear();
  for (size_t start = 0; start <= mechanisms.size();) {
    size_t end = mechanisms.find(',', start);
    if (end == std::string::npos) end = mechanisms.size();
    if (end > start)
      config.sasl_enabled_mechanisms.push_back(mechanisms.substr(start, end - start));
    start = end + 1;
  }
  for (const std::string& text : add_scram) {
    auto user = runnel::broker::parse_add_scram(text);
    if (!user.ok()) {
      std::fprintf(stderr, "runneld: %s\n", std::string(user.status().message()).c_str());
      return 2;
    }
    config.add_scram.push_back(std::move(*user));
  }
  if (!listener_flags.empty()) {
    if (app.count("--listen") > 0) {
      std::fprintf(stderr, "runneld: --listen and --listener are exclusive\n");
      return 2;
    }
    config.listeners.clear();
    for (const std::string& text : listener_flags) {
      auto listener = runnel::broker::parse_listener_flag(text);
      if (!listener.ok()) {
        std::fprintf(stderr, "runneld: --listener %s\n",
                     std::string(listener.status().message()).c_str());
        return 2;
      }
      config.listeners.push_back(std::move(*listener));
    }
  } else if (app.count("--listen") > 0) {
    config.listeners.clear();
  }
  if (const char* crash_point = std::getenv("RUNNELD_TEST_CRASH_POINT")) {
    config.test_transaction_crash_point = crash_point;
  }
  if (!split_host_port(listen, config.server.host, config.server.port)) {
    std::fprintf(stderr, "runneld: --listen '%s' is not HOST:PORT\n", listen.c_str());
    return 2;
  }
  for (const std::string& text : advertised) {
    if (text.find("://") != std::string::npos) {
      if (auto applied = runnel::broker::apply_advertised_listeners(text, config.listeners);
          !applied.ok()) {
        std::fprintf(stderr, "runneld: --advertised-listener %s\n",
                     std::string(applied.message()).c_str());
        return 2;
      }
      continue;
    }
    std::string host;
    uint16_t port = 0;
    if (!split_host_port(text, host, port)) {
      std::fprintf(stderr, "runneld: --advertised-listener '%s' is not HOST:PORT\n", text.c_str());
      return 2;
    }
    if (config.listeners.size() > 1) {
      std::fprintf(stderr,
                   "runneld: with several listeners, --advertised-listener takes "
                   "NAME://HOST:PORT\n");
      return 2;
    }
    config.advertised_host = host;
    config.advertised_port = port;
    if (config.listeners.size() == 1) {
      config.listeners[0].advertised_host = host;
      config.listeners[0].advertised_port = port;
    }
  }

  // Block the stop signals before any thread starts, so that only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client vanishing mid-write must not kill the broker.
  signal(SIGPIPE, SIG_IGN);

  auto broker = runnel::broker::Broker::start(config);
  if (!broker.ok()) {
    std::fprintf(stderr, "runneld: %s\n", broker.status().to_string().c_str());
    return 1;
  }
  runnel::console::HttpServer http;
  if (!http_listen.empty()) {
    http.route("/metrics", runnel::console::metrics_route(runnel::metrics::Registry::global()));
    auto address = runnel::console::parse_listen_address(http_listen);
    runnel::Status started = address.ok() ? http.start(*address) : address.status();
    if (!started.ok()) {
      std::fprintf(stderr, "runneld: --http-listen: %s\n", started.to_string().c_str());
      (*broker)->stop();
      return 2;
    }
    // Before the Kafka listeners' lines, which tell a waiting script that runneld is ready.
    std::printf("runneld http listening on %s:%u\n", address->host.c_str(), http.port());
  }

  for (const auto& listener : (*broker)->listeners()) {
    std::printf("runneld listening on %s:%u\n", listener.host.c_str(), listener.port);
  }
  std::fflush(stdout);

  int received = 0;
  sigwait(&stop_signals, &received);
  runnel::log::info("runneld: {} received, stopping", received == SIGTERM ? "SIGTERM" : "SIGINT");
  http.stop();
  (*broker)->stop();
  return 0;
}
