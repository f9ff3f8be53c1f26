#include "tools/transactions_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "broker/protocol/error_code.h"
#include "broker/protocol/generated/describe_transactions_request.h"
#include "broker/protocol/generated/describe_transactions_response.h"
#include "broker/protocol/generated/find_coordinator_request.h"
#include "broker/protocol/generated/find_coordinator_response.h"
#include "broker/protocol/generated/list_transactions_request.h"
#include "broker/protocol/generated/list_transactions_response.h"
#include "broker/protocol/generated/metadata_request.h"
#include "broker/protocol/generated/metadata_response.h"
#include "tools/command_output.h"
#include "tools/kafka_wire_client.h"

namespace runnel::tools {
namespace {

// Versions every Kafka release with the API serves (and runneld serves).
constexpr int16_t kTransactionsMetadataVersion = 1;
constexpr int16_t kFindCoordinatorVersion = 1;
constexpr int16_t kListTransactionsVersion = 0;
constexpr int16_t kDescribeTransactionsVersion = 0;
constexpr int8_t kTransactionKeyType = 1;

Status protocol_error(int16_t code, const std::string& what) {
  return unavailable_error(fmt::format("{}: {} ({})", what, broker::error_name(code), code));
}

// Every broker of the cluster, as "host:port", from a Metadata request to the bootstrap one.
Result<std::vector<std::string>> broker_addresses(const ClusterConnection& cluster) {
  RUNNEL_ASSIGN_OR_RETURN(auto client, cluster.connect_wire(cluster.bootstrap_server));
  broker::MetadataRequest request;
  request.topics.emplace();  // no topics: brokers only
  RUNNEL_ASSIGN_OR_RETURN(
      auto metadata, client->call<broker::MetadataResponse>(request, kTransactionsMetadataVersion));
  std::vector<std::string> addresses;
  for (const auto& broker : metadata.brokers) {
    addresses.push_back(fmt::format("{}:{}", broker.host, broker.port));
  }
  if (addresses.empty()) addresses.push_back(cluster.bootstrap_server);
  return addresses;
}

std::string age(int64_t start_ms) {
  if (start_ms < 0) return "-";
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return fmt::format("{:.1f}s", static_cast<double>(std::max<int64_t>(0, now - start_ms)) / 1000.0);
}

int list_transactions(const ClusterConnection& cluster, const std::vector<std::string>& states,
                      const std::vector<int64_t>& producer_ids) {
  auto addresses = broker_addresses(cluster);
  if (!addresses.ok()) return fail(addresses.status());
  broker::ListTransactionsRequest request;
  request.state_filters = states;
  request.producer_id_filters = producer_ids;
  std::vector<broker::ListTransactionsResponse::TransactionState> all;
  for (const std::string& address : *addresses) {
    auto client = cluster.connect_wire(address);
    if (!client.ok()) return fail(client.status());
    auto listed =
        (*client)->call<broker::ListTransactionsResponse>(request, kListTransactionsVersion);
    if (!listed.ok()) return fail(listed.status());
    if (listed->error_code != 0) {
      return fail(protocol_error(listed->error_code, "listing transactions on " + address));
    }
    for (const std::string& unknown : listed->unknown_state_filters) {
      std::fprintf(stderr, "runnel: %s does not know the state '%s'\n", address.c_str(),
                   unknown.c_str());
    }
    all.insert(all.end(), listed->transaction_states.begin(), listed->transaction_states.end());
  }
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.transactional_id < b.transactional_id; });
  std::printf("%-50s %12s  %s\n", "TRANSACTIONAL ID", "PRODUCER ID", "STATE");
  for (const auto& txn : all) {
    std::printf("%-50s %12lld  %s\n", txn.transactional_id.c_str(),
                static_cast<long long>(txn.producer_id), txn.transaction_state.c_str());
  }
  return 0;
}

int describe_transaction(const ClusterConnection& cluster, const std::string& transactional_id) {
  auto bootstrap = cluster.connect_wire(cluster.bootstrap_server);
  if (!bootstrap.ok()) return fail(bootstrap.status());
  broker::FindCoordinatorRequest find;
  find.key = transactional_id;
  find.key_type = kTransactionKeyType;
  auto coordinator =
      (*bootstrap)->call<broker::FindCoordinatorResponse>(find, kFindCoordinatorVersion);
  if (!coordinator.ok()) return fail(coordinator.status());
  if (coordinator->error_code != 0) {
    return fail(protocol_error(coordinator->error_code,
                               "finding the coordinator of '" + transactional_id + "'"));
  }
  auto client = cluster.connect_wire(fmt::format("{}:{}", coordinator->host, coordinator->port));
  if (!client.ok()) return fail(client.status());
  broker::DescribeTransactionsRequest request;
  request.transactional_ids = {transactional_id};
  auto described =
      (*client)->call<broker::DescribeTransactionsResponse>(request, kDescribeTransactionsVersion);
  if (!described.ok()) return fail(described.status());
  for (const auto& txn : described->transaction_states) {
    if (txn.error_code != 0) {
      return fail(protocol_error(txn.error_code, "describing '" + transactional_id + "'"));
    }
    std::printf("transactional id  %s\n", txn.transactional_id.c_str());
    std::printf("state             %s\n", txn.transaction_state.c_str());
    std::printf("producer          id %lld, epoch %d\n", static_cast<long long>(txn.producer_id),
                txn.producer_epoch);
    std::printf("timeout           %d ms\n", txn.transaction_timeout_ms);
    std::printf("open for          %s\n", age(txn.transaction_start_time_ms).c_str());
    std::printf("coordinator       %s\n", (*client)->address().c_str());
    std::printf("partitions\n");
    for (const auto& topic : txn.topics) {
      for (int32_t partition : topic.partitions) {
        std::printf("  %s-%d\n", topic.topic.c_str(), partition);
      }
    }
  }
  return 0;
}

}  // namespace

void add_transactions_command(CLI::App& parent, const ClusterConnection& cluster,
                              std::function<int()>& run) {
  CLI::App* transactions =
      parent.add_subcommand("transactions", "List and describe producers' transactions");
  transactions->require_subcommand(1);
  auto states = std::make_shared<std::vector<std::string>>();
  auto producer_ids = std::make_shared<std::vector<int64_t>>();
  CLI::App* list = transactions->add_subcommand(
      "list", "List the transactional ids every broker's coordinator knows, with their state");
  list->add_option("--state", *states,
                   "Only these states (Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, "
                   "CompleteAbort, Empty, PrepareEpochFence, Dead); repeatable");
  list->add_option("--producer-id", *producer_ids, "Only these producer ids; repeatable");
  list->callback([&cluster, &run, states, producer_ids] {
    run = [&cluster, states, producer_ids] {
      return list_transactions(cluster, *states, *producer_ids);
    };
  });
  auto id = std::make_shared<std::string>();
  CLI::App* describe = transactions->add_subcommand(
      "describe", "Show a transaction's state, producer, timeout, age and partitions");
  describe->add_option("transactional-id", *id, "The producer's transactional.id")->required();
  describe->callback([&cluster, &run, id] {
    run = [&cluster, id] { return describe_transaction(cluster, *id); };
  });
}

}  // namespace runnel::tools
