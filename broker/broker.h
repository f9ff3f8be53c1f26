#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "broker/server/broker_config.h"
#include "broker/storage/log_cleaner.h"
#include "core/metrics.h"
#include "core/result.h"

namespace runnel::broker {

class LogManager;
class AppendNotifier;
class CredentialStore;
class GroupCoordinator;
class OffsetStore;
class ProducerIdManager;
class TransactionCoordinator;
struct BrokerContext;
class RequestDispatcher;
class Server;
class PeriodicTask;
class Authorizer;

// runneld as a class: the log storage under `config.data_dir`, the Kafka-protocol server on
// `config.server.host:port` and the request handlers between them. Tests, examples and
// applications start one in-process on port 0 and point any Kafka client at
// bootstrap_servers():
//
//   BrokerConfig config;
//   config.data_dir = temp_dir;
//   config.server.port = 0;
//   RUNNEL_ASSIGN_OR_RETURN(auto broker, Broker::start(config));
//   produce_to(broker->bootstrap_servers());
//   broker->stop();
//
// stop() (and the destructor) is graceful: stop accepting, let in-flight requests finish
// (waiting fetches answer at once), flush every log, close the files.
class Broker {
 public:
  // invalid_argument_error for a listener with an unknown security protocol, a duplicate
  // listener name, a bad --add-scram user, or an SSL or SASL_SSL listener without a usable
  // certificate and key (config.tls).
  static Result<std::unique_ptr<Broker>> start(BrokerConfig config);

  // A listener as bound: its name, protocol and the real port when 0 was asked.
  struct BoundListener {
    std::string name;
    std::string security_protocol;
    std::string host;
    uint16_t port = 0;
  };

  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;
  ~Broker();

  // The first bound listener (the real port when 0 was asked).
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  // Every listener, in configuration order.
  const std::vector<BoundListener>& listeners() const { return bound_; }
  // "host:port" as clients should be told: the first listener's advertised address, or
  // the named listener's.
  std::string bootstrap_servers() const;
  std::string bootstrap_servers(const std::string& listener_name) const;

  // The log cleaner's totals (compacted topics), for metrics and tests.
  CleanerMetrics cleaner_metrics() const;

  // Idempotent and thread-safe; returns once everything is flushed and closed.
  void stop();

 private:
  explicit Broker(BrokerConfig config);

  BrokerConfig config_;
  std::string host_;
  uint16_t port_ = 0;
  std::vector<BoundListener> bound_;
  // Declaration order is destruction order reversed: the server (and its threads) goes first,
  // then what handlers use.
  std::unique_ptr<LogManager> logs_;
  std::unique_ptr<AppendNotifier> appends_;
  std::unique_ptr<OffsetStore> offsets_;
  std::unique_ptr<GroupCoordinator> groups_;
  std::unique_ptr<ProducerIdManager> producer_ids_;
  std::unique_ptr<TransactionCoordinator> transactions_;
  std::unique_ptr<Authorizer> authorizer_;  // null: authorization off
  std::unique_ptr<CredentialStore> credentials_;
  std::unique_ptr<BrokerContext> context_;
  std::unique_ptr<RequestDispatcher> dispatcher_;
  // One per listener; the first one's threads also run the broker's timers.
  std::vector<std::unique_ptr<Server>> servers_;
  std::unique_ptr<PeriodicTask> retention_;
  std::unique_ptr<PeriodicTask> group_timeouts_;
  std::unique_ptr<PeriodicTask> transaction_timeouts_;
  // Reports partition sizes and offsets and group lag to metrics::Registry::global() at each
  // scrape; declared last so that it goes before the logs and offsets it reads.
  metrics::Registry::CollectorHandle state_metrics_;
  std::mutex stop_mutex_;
  bool stopped_ = false;
};

}  // namespace runnel::broker
