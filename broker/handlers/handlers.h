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
#include "broker/handlers/describe_log_dirs_handler.h"
#include "broker/handlers/describe_producers_handler.h"
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
#include "broker/handlers/list_partition_reassignments_handler.h"
#include "broker/handlers/list_transactions_handler.h"
#include "broker/handlers/metadata_handler.h"
#include "broker/handlers/offset_commit_handler.h"
#include "broker/handlers/offset_delete_handler.h"
#include "broker/handlers/offset_fetch_handler.h"
#include "broker/handlers/offset_for_leader_epoch_handler.h"
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

// Every served API. Each handler type states its versions in its own header. Every API whose
// schema has flexible versions (KIP-482; request header v2, response header v1) is served up
// to at least its first flexible one; the old versions the Debian clients use (librdkafka
// 2.0.2, kafka-python 2.0.2, KafkaJS 2.2, Sarama) stay. Where each range stops, and why (the
// next version needs something a single node without topic ids, leader changes, KIP-848
// groups or KIP-890 transactions cannot honour); docs/PROTOCOL.md has the same per API:
// - Produce 3-10: 3 is the first with message format v2 (librdkafka requires it), 7 allows
//   zstd, 9 is flexible, 10 only adds leader hints to NOT_LEADER answers (never sent);
//   11 is KIP-890's TRANSACTION_ABORTABLE.
// - Fetch 4-12: 4 is message format v2, 10 zstd, 11 makes kafka-python assume a 2.3 broker,
//   12 is flexible; 13+ name topics by id (KIP-516), which runneld does not keep.
// - ListOffsets 0-6: 1 enables offsets-by-timestamp in librdkafka, 2 adds isolation level,
//   4 leader epochs (always 0 here, and fenced as Kafka does), 6 is flexible; 7 is the max
//   timestamp lookup (KIP-734), not served.
// - Metadata 0-9: 4 adds allow_auto_topic_creation, 5-6 are what Sarama with Version=2.1+
//   sends without negotiating, 7 leader epochs (0: one leader forever), 8 authorized
//   operations (KIP-430), 9 is flexible; 10+ carry topic ids.
// - ApiVersions 0-4, every version: 3 is what librdkafka asks for first (flexible), 4 what the
//   Java client 3.9+ asks (KAFKA-17011 only changes feature flags, of which runneld has none).
//   A newer version is answered with UNSUPPORTED_VERSION in the v0 layout, to retry lower.
// - CreateTopics 0-6 (5: flexible, the created topic's configs, KIP-525; 6 may throttle,
//   never here); 7 returns topic ids. DeleteTopics 0-5 (4 flexible, 5 error messages); 6
//   deletes by topic id. CreatePartitions 0-3, DeleteGroups 0-2, DescribeGroups 0-5,
//   Heartbeat 0-4, AlterConfigs 0-2: every version. DescribeConfigs 0-4 (3 adds config types;
//   runneld has no documentation to give).
// - Group APIs start at 0: librdkafka enables its group consumer only when FindCoordinator 0,
//   JoinGroup/SyncGroup/Heartbeat/LeaveGroup 0, OffsetCommit 1-2 and OffsetFetch 1 are in the
//   advertised ranges. JoinGroup 4 is where member ids are required (KIP-394), 5 adds
//   group.instance.id, 6 is flexible, 9 is the last (the leader is never told to skip its
//   assignment). SyncGroup 5 checks the protocol type and name (KIP-559). LeaveGroup 5 adds
//   a reason. ListGroups 4 filters by state (KIP-518), 5 by type (all groups are classic).
//   FindCoordinator 4 batches keys (KIP-699); 5 and 6 are KIP-890 and share groups.
//   OffsetCommit 0-8 and OffsetFetch 0-8 (7: require_stable, 8: batched groups): 9 of both
//   is KIP-848's member epoch, whose consumer groups runneld does not serve.
// - InitProducerId 0 enables librdkafka's idempotent producer; librdkafka's transactions need
//   3+ (KIP-360), and 4 is where PRODUCER_FENCED appears (KIP-588); 5 (KIP-890) is not served.
// - AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and TxnOffsetCommit 0-3 (3 is flexible):
//   AddPartitionsToTxn 4+ is the brokers' batched form (KIP-890) and the others' 4+ add
//   KIP-890's TRANSACTION_ABORTABLE. TxnOffsetCommit 3 carries the member (KIP-447).
// - DescribeTransactions 0 and ListTransactions 0-1 (1: duration filter, KIP-994).
// - DescribeAcls, CreateAcls and DeleteAcls 0-3: librdkafka sends 0-1, kafka-acls.sh and the
//   Java Admin 2-3 (flexible; 1 added prefixed patterns, KIP-290).
// - SaslHandshake 0-1 (no flexible version) and SaslAuthenticate 0-2: v0 handshakes are
//   followed by raw tokens (pre-1.0 clients); SaslAuthenticate 1 adds the session lifetime
//   (always 0: KIP-368 re-authentication is not served), 2 is flexible.
//   Describe/AlterUserScramCredentials 0 (KIP-554), the only versions.
// - DeleteRecords 0-2, every version (2 is flexible): KafkaJS sends 0-1, librdkafka 0-1
//   (rd_kafka_DeleteRecords), the Java Admin 2.
// - IncrementalAlterConfigs 0-1, every version (1 is flexible).
// - OffsetDelete 0, the only version (not flexible).
// - OffsetForLeaderEpoch 0-4, every version (4 is flexible): one epoch, 0, per partition.
// - DescribeLogDirs 0-4, every version (2 is flexible, 4 adds the volume's sizes): the one
//   data directory.
// - DescribeProducers 0 (KIP-664), the only version (flexible).
// - ListPartitionReassignments 0, the only version (KIP-455; KafkaJS's
//   listPartitionReassignments): always empty, as nothing moves on one node.
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
    DescribeClusterHandler,
    OffsetForLeaderEpochHandler,
    DescribeLogDirsHandler,
    DescribeProducersHandler,
    ListPartitionReassignmentsHandler>;
// clang-format on

// Calls `visit.template operator()<Handler>()` for the handler of `api_key` and returns true,
// or returns false when no listed handler serves that API.
template <typename... Handlers, typename Visitor>
bool visit_handler(HandlerList<Handlers...> /*list*/, int16_t api_key, Visitor&& visit) {
  return ((api_key == Handlers::kApiKey ? (visit.template operator()<Handlers>(), true) : false) ||
          ...);
}

}  // namespace runnel::broker
