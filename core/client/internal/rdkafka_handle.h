#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "core/client/client_config.h"
#include "core/client/topic_partition.h"
#include "core/result.h"
#include "core/status.h"

namespace runnel::client::internal {

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using RdKafkaHandle = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

struct RdKafkaGroupMetadataDeleter {
  void operator()(rd_kafka_consumer_group_metadata_t* metadata) const {
    rd_kafka_consumer_group_metadata_destroy(metadata);
  }
};
using RdKafkaGroupMetadata =
    std::unique_ptr<rd_kafka_consumer_group_metadata_t, RdKafkaGroupMetadataDeleter>;

struct RdKafkaConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using RdKafkaConf = std::unique_ptr<rd_kafka_conf_t, RdKafkaConfDeleter>;

struct RdKafkaMessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using RdKafkaMessage = std::unique_ptr<rd_kafka_message_t, RdKafkaMessageDeleter>;

struct RdKafkaPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using RdKafkaPartitionList =
    std::unique_ptr<rd_kafka_topic_partition_list_t, RdKafkaPartitionListDeleter>;

// A librdkafka partition list of `offsets`, each with its commit metadata (consumer commits
// and a transaction's offsets carry it alike).
RdKafkaPartitionList to_partition_list(const std::vector<TopicPartitionOffset>& offsets);

// A librdkafka configuration holding every property of `config`; the first property
// librdkafka refuses is an invalid_argument naming it and librdkafka's reason.
Result<RdKafkaConf> make_conf(const ClientConfig& config);

// A client of `type` built from `conf`, which it consumes (also on failure).
Result<RdKafkaHandle> make_handle(rd_kafka_type_t type, RdKafkaConf conf);

// The Status for a librdkafka error: `what` failed, with librdkafka's name and description.
// Transient errors (timeouts, unreachable brokers, rebalances) map to codes that say
// "retry"; fencing (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, FENCED_INSTANCE_ID, librdkafka's
// _FENCED) maps to Fenced; NO_ERROR maps to OK.
Status status_from(rd_kafka_resp_err_t error, std::string_view what);

}  // namespace runnel::client::internal
