#include "broker/broker.h"

#include <algorithm>
#include <chrono>

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>

#include "broker/coordinator/group_coordinator.h"
#include "broker/coordinator/offset_store.h"
#include "broker/coordinator/producer_id_manager.h"
#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/append_notifier.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/broker_metrics.h"
#include "broker/handlers/request_dispatcher.h"
#include "broker/periodic_task.h"
#include "broker/security/authorizer.h"
#include "broker/security/credential_store.h"
#include "broker/security/sasl_server.h"
#include "broker/security/tls_context.h"
#include "broker/server/server.h"
#include "broker/storage/log_manager.h"
#include "core/clock.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

// The broker-wide topic defaults, from Kafka's broker settings (log.retention.ms and so on).
TopicConfig topic_defaults(const BrokerConfig& config) {
  TopicConfig defaults;
  defaults.segment_bytes = config.log_segment_bytes;
  defaults.segment_ms = config.log_segment_ms;
  defaults.retention_ms = config.log_retention_ms;
  defaults.retention_bytes = config.log_retention_bytes;
  defaults.flush_messages = config.log_flush_messages;
  defaults.flush_ms = config.log_flush_ms;
  defaults.max_message_bytes = config.message_max_bytes;
  defaults.message_timestamp_type = config.log_message_timestamp_type;
  return defaults;
}

// The listeners to open: the configured ones, or the single PLAINTEXT one of `server`.
Result<std::vector<ListenerConfig>> listeners_of(const BrokerConfig& config) {
  if (config.listeners.empty()) {
    return std::vector<ListenerConfig>{ListenerConfig{.name = "PLAINTEXT",
                                                      .security_protocol = "PLAINTEXT",
                                                      .host = config.server.host,
                                                      .port = config.server.port,
                                                      .advertised_host = config.advertised_host,
                                                      .advertised_port = config.advertised_port}};
  }
  std::vector<std::string> names;
  for (const ListenerConfig& listener : config.listeners) {
    const std::string& protocol = listener.security_protocol;
    if (protocol != "PLAINTEXT" && protocol != "SASL_PLAINTEXT" && protocol != "SSL" &&
        protocol != "SASL_SSL") {
      return invalid_argument_error(fmt::format(
          "listener {}: unknown security protocol '{}' (PLAINTEXT, SASL_PLAINTEXT, SSL or "
          "SASL_SSL)",
          listener.name, protocol));
    }
    if (listener.name.empty()) return invalid_argument_error("a listener needs a name");
    if (std::find(names.begin(), names.end(), listener.name) != names.end()) {
      return invalid_argument_error(fmt::format("listener name {} is used twice", listener.name));
    }
    names.push_back(listener.name);
  }
  return config.listeners;
}

bool uses_tls(const ListenerConfig& listener) {
  return listener.security_protocol == "SSL" || listener.security_protocol == "SASL_SSL";
}

// The TLS context of the SSL and SASL_SSL listeners, made once (the certificate and key are
// read at start, so a bad file stops the start); null when no listener uses TLS.
Result<std::shared_ptr<boost::asio::ssl::context>> tls_context_for(
    const BrokerConfig& config, const std::vector<ListenerConfig>& listeners) {
  if (std::none_of(listeners.begin(), listeners.end(), uses_tls)) {
    if (config.tls.configured()) {
      log::warn("runneld: ssl.* settings given but no SSL or SASL_SSL listener; ignored");
    }
    return std::shared_ptr<boost::asio::ssl::context>();
  }
  return make_server_tls_context(config.tls);
}

Status check_mechanisms(const BrokerConfig& config) {
  const auto& supported = sasl_supported_mechanisms();
  for (const std::string& mechanism : config.sasl_enabled_mechanisms) {
    if (std::find(supported.begin(), supported.end(), mechanism) == supported.end()) {
      return invalid_argument_error(fmt::format(
          "sasl.enabled.mechanisms: {} is not served (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)",
          mechanism));
    }
  }
  return ok_status();
}

// Creates or replaces the --add-scram users, before any client can connect.
Status add_scram_users(const BrokerConfig& config, CredentialStore& credentials) {
  for (const ScramUserConfig& user : config.add_scram) {
    auto mechanism = scram_mechanism_from_name(user.mechanism);
    if (!mechanism) {
      return invalid_argument_error(fmt::format(
          "--add-scram: unknown mechanism '{}' (SCRAM-SHA-256 or SCRAM-SHA-512)", user.mechanism));
    }
    if (user.name.empty() || user.password.empty()) {
      return invalid_argument_error("--add-scram: a user needs a name and a password");
    }
    if (user.iterations < kScramMinIterations || user.iterations > kScramMaxIterations) {
      return invalid_argument_error(fmt::format("--add-scram: iterations must be {}-{}",
                                                kScramMinIterations, kScramMaxIterations));
    }
    RUNNEL_ASSIGN_OR_RETURN(Bytes salt, secure_random_bytes(32));
    RUNNEL_RETURN_IF_ERROR(credentials.upsert(
        user.name, *mechanism,
        scram_credential_from_password(*mechanism, user.password, salt.view(), user.iterations)));
    log::info("runneld: SCRAM user '{}' ({}) created", user.name, user.mechanism);
  }
  return ok_status();
}

}  // namespace

Broker::Broker(BrokerConfig config) : config_(std::move(config)) {}

Result<std::unique_ptr<Broker>> Broker::start(BrokerConfig config) {
  std::unique_ptr<Broker> broker(new Broker(std::move(config)));
  const BrokerConfig& cfg = broker->config_;
  // Validate the defaults the same way a CreateTopics config would be.
  RUNNEL_ASSIGN_OR_RETURN(TopicConfig defaults, topic_defaults(cfg).with_overrides({}));
  RUNNEL_ASSIGN_OR_RETURN(std::vector<ListenerConfig> listeners, listeners_of(cfg));
  RUNNEL_RETURN_IF_ERROR(check_mechanisms(cfg));
  RUNNEL_ASSIGN_OR_RETURN(auto tls_context, tls_context_for(cfg, listeners));
  RUNNEL_ASSIGN_OR_RETURN(broker->logs_, LogManager::open(cfg.data_dir, defaults, system_clock()));
  // After the LogManager, which creates the data directory.
  RUNNEL_ASSIGN_OR_RETURN(broker->credentials_, CredentialStore::open(cfg.data_dir));
  RUNNEL_RETURN_IF_ERROR(add_scram_users(cfg, *broker->credentials_));
  broker->appends_ = std::make_unique<AppendNotifier>();
  // Committed offsets are back (replayed from __consumer_offsets) before any client connects.
  RUNNEL_ASSIGN_OR_RETURN(broker->offsets_, OffsetStore::open(*broker->logs_, system_clock()));
  broker->groups_ = std::make_unique<GroupCoordinator>(
      *broker->offsets_, system_clock(),
      GroupCoordinatorOptions{
          .min_session_timeout_ms = cfg.group_min_session_timeout_ms,
          .max_session_timeout_ms = cfg.group_max_session_timeout_ms,
          .initial_rebalance_delay_ms = cfg.group_initial_rebalance_delay_ms,
          .max_metadata_bytes = 4096,
      });
  RUNNEL_ASSIGN_OR_RETURN(broker->producer_ids_, ProducerIdManager::open(cfg.data_dir));
  // After the OffsetStore: recovery completes or aborts the transactions a stop interrupted,
  // which applies or drops their pending offsets.
  RUNNEL_ASSIGN_OR_RETURN(
      broker->transactions_,
      TransactionCoordinator::open(
          *broker->logs_, *broker->offsets_, *broker->producer_ids_, system_clock(),
          TransactionCoordinatorOptions{.max_timeout_ms = cfg.transaction_max_timeout_ms,
                                        .test_crash_point = cfg.test_transaction_crash_point},
          // Markers move the last stable offset: read_committed fetches waiting may now read.
          [appends = broker->appends_.get()] { appends->notify_appended(); }));
  if (cfg.authorizer_enabled) {
    RUNNEL_ASSIGN_OR_RETURN(
        broker->authorizer_,
        Authorizer::open(cfg.data_dir,
                         AuthorizerOptions{
                             .super_users = cfg.super_users,
                             .allow_everyone_if_no_acl_found = cfg.allow_everyone_if_no_acl_found,
                         }));
  }
  broker->context_.reset(new BrokerContext{
      .logs = *broker->logs_,
      .appends = *broker->appends_,
      .groups = *broker->groups_,
      .offsets = *broker->offsets_,
      .producer_ids = *broker->producer_ids_,
      .transactions = *broker->transactions_,
      .credentials = *broker->credentials_,
      .clock = system_clock(),
      .config = cfg,
      .identity =
          BrokerIdentity{.node_id = cfg.node_id, .host = {}, .port = 0, .cluster_id = "runneld"},
      .authorizer = broker->authorizer_.get(),
  });
  broker->dispatcher_ = std::make_unique<RequestDispatcher>(*broker->context_);
  share_limits(broker->config_.server);  // every listener's Server counts against the same limits
  // The identity is complete before start() returns: no client knows a port earlier, so no
  // request reads it before. (A client guessing a fixed port could connect between two
  // listeners' starts; it is then told the first listener's address, which is bound.)
  BrokerIdentity& identity = broker->context_->identity;
  for (const ListenerConfig& listener : listeners) {
    ServerOptions options = cfg.server;
    options.listener_name = listener.name;
    options.security_protocol = listener.security_protocol;
    options.host = listener.host;
    options.port = listener.port;
    if (uses_tls(listener)) options.tls_context = tls_context;
    RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<Server> server,
                            Server::start(options, *broker->dispatcher_));
    BoundListener bound{.name = listener.name,
                        .security_protocol = listener.security_protocol,
                        .host = server->host(),
                        .port = server->port()};
    identity.listeners[listener.name] = AdvertisedEndpoint{
        .host = listener.advertised_host.empty() ? bound.host : listener.advertised_host,
        .port = listener.advertised_port != 0 ? listener.advertised_port : bound.port};
    if (broker->servers_.empty()) {
      identity.host = identity.listeners[listener.name].host;
      identity.port = identity.listeners[listener.name].port;
    }
    broker->bound_.push_back(std::move(bound));
    broker->servers_.push_back(std::move(server));
  }
  broker->host_ = broker->bound_.front().host;
  broker->port_ = broker->bound_.front().port;
  Server& first = *broker->servers_.front();

  broker->retention_ = std::make_unique<PeriodicTask>(
      first.executor(), std::chrono::milliseconds(cfg.retention_check_interval_ms),
      [logs = broker->logs_.get()] { logs->run_retention(); });
  broker->group_timeouts_ = std::make_unique<PeriodicTask>(
      first.executor(), std::chrono::milliseconds(cfg.group_timeout_check_interval_ms),
      [groups = broker->groups_.get()] { groups->tick(); });
  broker->transaction_timeouts_ = std::make_unique<PeriodicTask>(
      first.executor(), std::chrono::milliseconds(cfg.transaction_timeout_check_interval_ms),
      [transactions = broker->transactions_.get()] { transactions->tick(); });
  broker->state_metrics_ = add_broker_state_collector(*broker->logs_, *broker->offsets_);
  broker->logs_->start_cleaner(std::chrono::milliseconds(cfg.log_cleaner_backoff_ms));
  for (const BoundListener& listener : broker->bound_) {
    log::info("runneld broker {} serving {} topic(s) from {} on {}:{} (listener {}, {})",
              cfg.node_id, broker->logs_->list_topics().size(), cfg.data_dir.string(),
              listener.host, listener.port, listener.name, listener.security_protocol);
  }
  return broker;
}

Broker::~Broker() { stop(); }

std::string Broker::bootstrap_servers() const {
  return fmt::format("{}:{}", context_->identity.host, context_->identity.port);
}

std::string Broker::bootstrap_servers(const std::string& listener_name) const {
  const AdvertisedEndpoint endpoint = context_->identity.advertised(listener_name);
  return fmt::format("{}:{}", endpoint.host, endpoint.port);
}

CleanerMetrics Broker::cleaner_metrics() const { return logs_->cleaner_metrics(); }

void Broker::stop() {
  std::lock_guard lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  if (retention_) retention_->stop();
  if (logs_) logs_->stop_cleaner();
  if (group_timeouts_) group_timeouts_->stop();
  if (transaction_timeouts_) transaction_timeouts_->stop();
  // Waiting JoinGroup and SyncGroup requests answer now (the clients look for the coordinator
  // again), so that the server's drain does not wait for rebalances.
  if (groups_) groups_->shut_down();
  // Waiting fetches answer now, so that the server's drain does not wait out their max_wait.
  if (appends_) appends_->shut_down();
  for (auto& server : servers_) server->stop();
  if (logs_) {
    if (Status flushed = logs_->flush_all(); !flushed.ok()) {
      log::error("runneld: flushing logs at stop failed: {}", flushed.to_string());
    }
  }
  log::info("runneld stopped");
}

}  // namespace runnel::broker
