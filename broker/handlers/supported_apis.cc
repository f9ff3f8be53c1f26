#include "broker/handlers/supported_apis.h"

#include <array>

#include "broker/protocol/api_key.h"

namespace runnel::broker {
namespace {

constexpr int16_t key(ApiKey api) { return static_cast<int16_t>(api); }

// Why these ranges (from the clients' sources, see shared/kafka-protocol/README.md):
// - Produce 3 and Fetch 4 are the first versions with message format v2 (librdkafka requires
//   both); Produce 7 / Fetch 10 are needed for zstd; Fetch 11 makes kafka-python assume a
//   Kafka 2.3 broker, which selects Produce v7 and Fetch v4.
// - ListOffsets 1 enables offsets-by-timestamp in librdkafka; v2 adds isolation level.
// - Metadata 4 adds allow_auto_topic_creation; higher versions add nothing clients need here.
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
constexpr std::array kSupportedApis = {
    ApiVersionRange{key(ApiKey::kProduce), 3, 7},
    ApiVersionRange{key(ApiKey::kFetch), 4, 11},
    ApiVersionRange{key(ApiKey::kListOffsets), 0, 2},
    ApiVersionRange{key(ApiKey::kMetadata), 0, 4},
    ApiVersionRange{key(ApiKey::kApiVersions), 0, 3},
    ApiVersionRange{key(ApiKey::kCreateTopics), 0, 4},
    ApiVersionRange{key(ApiKey::kDeleteTopics), 0, 3},
    ApiVersionRange{key(ApiKey::kDescribeConfigs), 0, 2},
    ApiVersionRange{key(ApiKey::kCreatePartitions), 0, 0},
    ApiVersionRange{key(ApiKey::kOffsetCommit), 0, 7},
    ApiVersionRange{key(ApiKey::kOffsetFetch), 0, 5},
    ApiVersionRange{key(ApiKey::kFindCoordinator), 0, 2},
    ApiVersionRange{key(ApiKey::kJoinGroup), 0, 5},
    ApiVersionRange{key(ApiKey::kHeartbeat), 0, 3},
    ApiVersionRange{key(ApiKey::kLeaveGroup), 0, 3},
    ApiVersionRange{key(ApiKey::kSyncGroup), 0, 3},
    ApiVersionRange{key(ApiKey::kDescribeGroups), 0, 4},
    ApiVersionRange{key(ApiKey::kListGroups), 0, 2},
    ApiVersionRange{key(ApiKey::kDeleteGroups), 0, 1},
    ApiVersionRange{key(ApiKey::kOffsetDelete), 0, 0},
    ApiVersionRange{key(ApiKey::kInitProducerId), 0, 4},
    ApiVersionRange{key(ApiKey::kAddPartitionsToTxn), 0, 3},
    ApiVersionRange{key(ApiKey::kAddOffsetsToTxn), 0, 3},
    ApiVersionRange{key(ApiKey::kEndTxn), 0, 3},
    ApiVersionRange{key(ApiKey::kTxnOffsetCommit), 0, 3},
    ApiVersionRange{key(ApiKey::kDescribeTransactions), 0, 0},
    ApiVersionRange{key(ApiKey::kListTransactions), 0, 0},
    ApiVersionRange{key(ApiKey::kDescribeAcls), 0, 3},
    ApiVersionRange{key(ApiKey::kCreateAcls), 0, 3},
    ApiVersionRange{key(ApiKey::kDeleteAcls), 0, 3},
    ApiVersionRange{key(ApiKey::kSaslHandshake), 0, 1},
    ApiVersionRange{key(ApiKey::kSaslAuthenticate), 0, 2},
    ApiVersionRange{key(ApiKey::kDescribeUserScramCredentials), 0, 0},
    ApiVersionRange{key(ApiKey::kAlterUserScramCredentials), 0, 0},
};

}  // namespace

std::span<const ApiVersionRange> supported_apis() { return kSupportedApis; }

std::optional<ApiVersionRange> supported_range(int16_t api_key) {
  for (const ApiVersionRange& range : kSupportedApis) {
    if (range.api_key == api_key) return range;
  }
  return std::nullopt;
}

}  // namespace runnel::broker
