#pragma once

// The one list of the APIs runneld serves. Dispatch (RequestDispatcher), the ApiVersions
// answer (supported_apis()) and the request decoder fuzzer's cases are all generated from
// it, so serving a new API takes its handler's file pair (a type deriving from HandlerTraits,
// see handler.h) and one line here. The order is the order of the ApiVersions answer.

#include "broker/handlers/add_offsets_to_txn_handler.h"
#include "broker/handlers/add_partitions_to_txn_handler.h"
#include "broker/handlers/alter_configs_handlers.h"
#include "broker/handlers/api_versions_handler.h"
#include "broker/handlers/create_acls_handler.h"
#include "broker/handlers/create_partitions_handler.h"
#include "broker/handlers/create_topics_handler.h"
#include "broker/handlers/delete_acls_handler.h"
#include "broker/handlers/delete_groups_handler.h"
#include "broker/handlers/delete_records_handler.h"
#include "broker/handlers/delete_topics_handler.h"
#include "broker/handlers/describe_acls_handler.h"
#include "broker/handlers/describe_cluster_handler.h"
#include "broker/handlers/describe_configs_handler.h"
#include "broker/handlers/describe_groups_handler.h"
#include "broker/handlers/describe_transactions_handler.h"
#include "broker/handlers/end_txn_handler.h"
#include "broker/handlers/fetch_handler.h"
#include "broker/handlers/find_coordinator_handler.h"
#include "broker/handlers/heartbeat_handler.h"
#include "broker/handlers/init_producer_id_handler.h"
#include "broker/handlers/join_group_handler.h"
#include "broker/handlers/leave_group_handler.h"
#include "broker/handlers/list_groups_handler.h"
#include "broker/handlers/list_offsets_handler.h"
#include "broker/handlers/list_transactions_handler.h"
#include "broker/handlers/metadata_handler.h"
#include "broker/handlers/offset_commit_handler.h"
#include "broker/handlers/offset_delete_handler.h"
#include "broker/handlers/offset_fetch_handler.h"
#include "broker/handlers/produce_handler.h"
#include "broker/handlers/sasl_handlers.h"
#include "broker/handlers/sync_group_handler.h"
#include "broker/handlers/txn_offset_commit_handler.h"
#include "broker/handlers/user_scram_credentials_handlers.h"

namespace runnel::broker {

// A compile-time list of handler types.
template <typename... Handlers>
struct HandlerList {
  static constexpr size_t kSize = sizeof...(Handlers);
};

// Every served API. Each handler type states its versions in its own header; why they stop
// where they do (from the clients' sources, see shared/kafka-protocol/README.md):
// - Produce 3 and Fetch 4 are the first versions with message format v2 (librdkafka requires
//   both); Produce 7 / Fetch 10 are needed for zstd; Fetch 11 makes kafka-python assume a
//   Kafka 2.3 broker, which selects Produce v7 and Fetch v4.
// - ListOffsets 1 enables offsets-by-timestamp in librdkafka; v2 adds isolation level.
// - Metadata 4 adds allow_auto_topic_creation; 5 adds offline replicas (none on one node) and
//   6 only changes quota throttling, so both are served: Sarama with Version=2.1+ sends 5 or
//   6 without negotiating. 7 adds leader epochs (KIP-320), which runneld does not keep; 9+
//   are flexible.
// - ApiVersions 3 is what librdkafka asks for first (flexible body, header v2).
// - Group APIs start at 0: librdkafka enables its group consumer only when FindCoordinator 0,
//   JoinGroup/SyncGroup/Heartbeat/LeaveGroup 0, OffsetCommit 1-2 and OffsetFetch 1 are in the
//   advertised ranges. JoinGroup 4 is where member ids are required (KIP-394) and 5 adds
//   group.instance.id (librdkafka hangs without it when static membership is configured);
//   LeaveGroup 3 leaves by instance id. The maxima are the last non-flexible versions.
// - InitProducerId 0 enables librdkafka's idempotent producer; librdkafka's transactions need
//   3+ (KIP-360), and 4 is where PRODUCER_FENCED appears (KIP-588); 5 (KIP-890) is not served.
// - AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and TxnOffsetCommit 0-3: what librdkafka and
//   KafkaJS send; AddPartitionsToTxn 4+ is the brokers' batched form (KIP-890) and the others'
//   4+ add KIP-890's TRANSACTION_ABORTABLE. TxnOffsetCommit 3 carries the member (KIP-447).
// - DescribeTransactions and ListTransactions 0 (KIP-664), for kafka-transactions.sh and Admin.
// - DescribeAcls, CreateAcls and DeleteAcls 0-3: librdkafka sends 0-1, kafka-acls.sh and the
//   Java Admin 2-3 (flexible; 1 added prefixed patterns, KIP-290).
// - SaslHandshake 0-1 and SaslAuthenticate 0-2: v0 handshakes are followed by raw tokens
//   (pre-1.0 clients); SaslAuthenticate 1 adds the session lifetime (always 0: KIP-368
//   re-authentication is not served), 2 is flexible. Describe/AlterUserScramCredentials 0
//   (KIP-554), the only versions.
// - DeleteRecords 0-2, every version (2 is flexible): KafkaJS sends 0-1, librdkafka 0-1
//   (rd_kafka_DeleteRecords), the Java Admin 2.
// - AlterConfigs 0-1 and IncrementalAlterConfigs 0-1: librdkafka 2.0, kafka-python and KafkaJS
//   send AlterConfigs 0-1; IncrementalAlterConfigs 1 is flexible. AlterConfigs 2 (flexible,
//   Java Admin only, which prefers the incremental API) is not served.
// - DescribeCluster 0 (KIP-700, the Java Admin 2.8+); 1 adds controller endpoints (KIP-919),
//   whose refusal needs an error code the schemas here do not have yet.
// One API a line (clang-format would pack them), so that adding one is a one-line change.
// clang-format off
using ServedApis = HandlerList<
    ProduceHandler,
    FetchHandler,
    ListOffsetsHandler,
    MetadataHandler,
    ApiVersionsHandler,
    CreateTopicsHandler,
    DeleteTopicsHandler,
    DescribeConfigsHandler,
    CreatePartitionsHandler,
    OffsetCommitHandler,
    OffsetFetchHandler,
    FindCoordinatorHandler,
    JoinGroupHandler,
    HeartbeatHandler,
    LeaveGroupHandler,
    SyncGroupHandler,
    DescribeGroupsHandler,
    ListGroupsHandler,
    DeleteGroupsHandler,
    OffsetDeleteHandler,
    InitProducerIdHandler,
    AddPartitionsToTxnHandler,
    AddOffsetsToTxnHandler,
    EndTxnHandler,
    TxnOffsetCommitHandler,
    DescribeTransactionsHandler,
    ListTransactionsHandler,
    DescribeAclsHandler,
    CreateAclsHandler,
    DeleteAclsHandler,
    SaslHandshakeHandler,
    SaslAuthenticateHandler,
    DescribeUserScramCredentialsHandler,
    AlterUserScramCredentialsHandler,
    DeleteRecordsHandler,
    AlterConfigsHandler,
    IncrementalAlterConfigsHandler,
    DescribeClusterHandler>;
// clang-format on

// Calls `visit.template operator()<Handler>()` for the handler of `api_key` and returns true,
// or returns false when no listed handler serves that API.
template <typename... Handlers, typename Visitor>
bool visit_handler(HandlerList<Handlers...> /*list*/, int16_t api_key, Visitor&& visit) {
  return ((api_key == Handlers::kApiKey ? (visit.template operator()<Handlers>(), true) : false) ||
          ...);
}

}  // namespace runnel::broker
