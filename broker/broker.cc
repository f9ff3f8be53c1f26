#include "broker/broker.h"

#include <chrono>

#include <fmt/format.h>

#include "broker/coordinator/group_coordinator.h"
#include "broker/coordinator/offset_store.h"
#include "broker/coordinator/producer_id_manager.h"
#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/append_notifier.h"
#include "broker/handlers/broker_context.h"
#include "broker/handlers/request_dispatcher.h"
#include "broker/periodic_task.h"
#include "broker/security/authorizer.h"
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

}  // namespace

Broker::Broker(BrokerConfig config) : config_(std::move(config)) {}

Result<std::unique_ptr<Broker>> Broker::start(BrokerConfig config) {
  std::unique_ptr<Broker> broker(new Broker(std::move(config)));
  const BrokerConfig& cfg = broker->config_;
  // Validate the defaults the same way a CreateTopics config would be.
  RUNNEL_ASSIGN_OR_RETURN(TopicConfig defaults, topic_defaults(cfg).with_overrides({}));
  RUNNEL_ASSIGN_OR_RETURN(broker->logs_, LogManager::open(cfg.data_dir, defaults, system_clock()));
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
      .clock = system_clock(),
      .config = cfg,
      .identity =
          BrokerIdentity{.node_id = cfg.node_id, .host = {}, .port = 0, .cluster_id = "runneld"},
      .authorizer = broker->authorizer_.get(),
  });
  broker->dispatcher_ = std::make_unique<RequestDispatcher>(*broker->context_);
  share_limits(broker->config_.server);  // every listener's Server counts against the same limits
  RUNNEL_ASSIGN_OR_RETURN(broker->server_, Server::start(cfg.server, *broker->dispatcher_));
  broker->host_ = broker->server_->host();
  broker->port_ = broker->server_->port();
  // Set before start() returns: no client knows the port earlier, so no request reads the
  // identity before it is complete.
  BrokerIdentity& identity = broker->context_->identity;
  identity.host = cfg.advertised_host.empty() ? broker->host_ : cfg.advertised_host;
  identity.port = cfg.advertised_port != 0 ? cfg.advertised_port : broker->port_;

  broker->retention_ = std::make_unique<PeriodicTask>(
      broker->server_->executor(), std::chrono::milliseconds(cfg.retention_check_interval_ms),
      [logs = broker->logs_.get()] { logs->run_retention(); });
  broker->group_timeouts_ = std::make_unique<PeriodicTask>(
      broker->server_->executor(), std::chrono::milliseconds(cfg.group_timeout_check_interval_ms),
      [groups = broker->groups_.get()] { groups->tick(); });
  broker->transaction_timeouts_ = std::make_unique<PeriodicTask>(
      broker->server_->executor(),
      std::chrono::milliseconds(cfg.transaction_timeout_check_interval_ms),
      [transactions = broker->transactions_.get()] { transactions->tick(); });
  broker->logs_->start_cleaner(std::chrono::milliseconds(cfg.log_cleaner_backoff_ms));
  log::info("runneld broker {} serving {} topic(s) from {} on {}:{}", cfg.node_id,
            broker->logs_->list_topics().size(), cfg.data_dir.string(), broker->host_,
            broker->port_);
  return broker;
}

Broker::~Broker() { stop(); }

std::string Broker::bootstrap_servers() const {
  return fmt::format("{}:{}", context_->identity.host, context_->identity.port);
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
  if (server_) server_->stop();
  if (logs_) {
    if (Status flushed = logs_->flush_all(); !flushed.ok()) {
      log::error("runneld: flushing logs at stop failed: {}", flushed.to_string());
    }
  }
  log::info("runneld stopped");
}

}  // namespace runnel::broker
