#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "broker/handlers/append_notifier.h"
#include "broker/server/broker_config.h"
#include "broker/storage/log_manager.h"
#include "core/clock.h"

namespace runnel::broker {

class Authorizer;
class CredentialStore;
class GroupCoordinator;
class OffsetStore;
class ProducerIdManager;
class TransactionCoordinator;

// An address clients are told to connect to.
struct AdvertisedEndpoint {
  std::string host;
  int32_t port = 0;
};

// How this broker names itself to clients in Metadata responses.
struct BrokerIdentity {
  int32_t node_id = 0;
  std::string host;  // advertised: the address clients connect to (the first listener's)
  int32_t port = 0;
  std::string cluster_id;
  // Per listener name, its advertised address: a client is told the address of the listener
  // its request came in on, as Kafka does.
  std::map<std::string, AdvertisedEndpoint> listeners;

  AdvertisedEndpoint advertised(const std::string& listener_name) const {
    auto found = listeners.find(listener_name);
    return found != listeners.end() ? found->second : AdvertisedEndpoint{host, port};
  }
};

// What every request handler works on. Owned by Broker, which outlives every request; the
// members are thread-safe, so handlers on different connections use them concurrently.
struct BrokerContext {
  LogManager& logs;
  AppendNotifier& appends;
  GroupCoordinator& groups;              // consumer groups; thread-safe
  OffsetStore& offsets;                  // committed offsets (reads); thread-safe
  ProducerIdManager& producer_ids;       // idempotent producers' ids; thread-safe
  TransactionCoordinator& transactions;  // transactional ids and their transactions; thread-safe
  CredentialStore& credentials;          // SCRAM users; thread-safe
  Clock& clock;
  const BrokerConfig& config;
  BrokerIdentity identity;
  // The ACL authorizer, or null when authorization is off (every request allowed; the ACL
  // APIs answer SECURITY_DISABLED). Handlers ask it through Access, never directly.
  Authorizer* authorizer = nullptr;
};

}  // namespace runnel::broker
