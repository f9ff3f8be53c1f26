#include "core/client/internal/rdkafka_handle.h"

#include <cstring>
#include <string>

namespace runnel::client::internal {

Result<RdKafkaConf> make_conf(const ClientConfig& config) {
  RdKafkaConf conf(rd_kafka_conf_new());
  char error[512];
  for (const auto& [name, value] : config) {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      return invalid_argument_error("client config " + name + "=" + value + ": " + error);
    }
  }
  return conf;
}

Result<RdKafkaHandle> make_handle(rd_kafka_type_t type, RdKafkaConf conf) {
  char error[512];
  // rd_kafka_new takes ownership of the configuration only when it succeeds.
  rd_kafka_t* handle = rd_kafka_new(type, conf.get(), error, sizeof error);
  if (handle == nullptr) {
    return invalid_argument_error(std::string("cannot create the Kafka client: ") + error);
  }
  conf.release();
  return RdKafkaHandle(handle);
}

RdKafkaPartitionList to_partition_list(const std::vector<TopicPartitionOffset>& offsets) {
  RdKafkaPartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const TopicPartitionOffset& o : offsets) {
    rd_kafka_topic_partition_t* entry = rd_kafka_topic_partition_list_add(
        list.get(), o.topic_partition.topic.c_str(), o.topic_partition.partition);
    entry->offset = o.offset;
    if (!o.metadata.empty()) {
      // librdkafka frees the metadata with the list.
      entry->metadata = rd_kafka_mem_malloc(nullptr, o.metadata.size());
      std::memcpy(entry->metadata, o.metadata.data(), o.metadata.size());
      entry->metadata_size = o.metadata.size();
    }
  }
  return list;
}

Status status_from(rd_kafka_resp_err_t error, std::string_view what) {
  if (error == RD_KAFKA_RESP_ERR_NO_ERROR) return Status();
  std::string message =
      std::string(what) + ": " + rd_kafka_err2name(error) + " (" + rd_kafka_err2str(error) + ")";
  switch (error) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
      return timeout_error(std::move(message));
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
      return unavailable_error(std::move(message));
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return not_found_error(std::move(message));
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return already_exists_error(std::move(message));
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR__DESTROY:
      return aborted_error(std::move(message));
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
      return out_of_range_error(std::move(message));
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return invalid_argument_error(std::move(message));
    // Another producer with this transactional.id (or a newer epoch of it) or another member
    // with this group.instance.id took over.
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
      return fenced_error(std::move(message));
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
      return io_error(std::move(message));
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
      return corruption_error(std::move(message));
    default:
      return unavailable_error(std::move(message));
  }
}

}  // namespace runnel::client::internal
