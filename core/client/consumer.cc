#include "core/client/consumer.h"

#include <cstring>
#include <string>

namespace runnel::client {

using internal::RdKafkaPartitionList;
using internal::status_from;

namespace {

RdKafkaPartitionList to_list(const std::vector<TopicPartition>& partitions) {
  RdKafkaPartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition);
  }
  return list;
}

RdKafkaPartitionList to_list(const std::vector<TopicPartitionOffset>& offsets) {
  RdKafkaPartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets) {
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

std::vector<TopicPartition> partitions_of(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  out.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back({list->elems[i].topic, list->elems[i].partition});
  }
  return out;
}

// The first per-partition error of `list`, naming the partition.
Status first_partition_error(const rd_kafka_topic_partition_list_t* list, std::string_view what) {
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return status_from(
          e.err, std::string(what) + " " + e.topic + "[" + std::to_string(e.partition) + "]");
    }
  }
  return Status();
}

// An error that a rd_kafka_error_t carries, which this function destroys.
Status take_error(rd_kafka_error_t* error, std::string_view what) {
  if (error == nullptr) return Status();
  Status status = status_from(rd_kafka_error_code(error),
                              std::string(what) + ": " + rd_kafka_error_string(error));
  rd_kafka_error_destroy(error);
  return status;
}

}  // namespace

Result<std::unique_ptr<Consumer>> Consumer::create(const ClientConfig& config,
                                                   RebalanceListener* listener) {
  RUNNEL_ASSIGN_OR_RETURN(internal::RdKafkaConf conf, internal::make_conf(config));
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::on_rebalance);
  rd_kafka_conf_set_opaque(conf.get(), listener);
  RUNNEL_ASSIGN_OR_RETURN(internal::RdKafkaHandle handle,
                          internal::make_handle(RD_KAFKA_CONSUMER, std::move(conf)));
  // Every event, group ones included, is served by rd_kafka_consumer_poll.
  rd_kafka_poll_set_consumer(handle.get());
  return std::unique_ptr<Consumer>(new Consumer(std::move(handle)));
}

Consumer::~Consumer() {
  (void)close();
  // close() has left the group already; destroying must not wait to do it again.
  rd_kafka_destroy_flags(handle_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

void Consumer::on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t error,
                            rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* listener = static_cast<RebalanceListener*>(opaque);
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE";
  if (error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (listener != nullptr) listener->on_partitions_assigned(partitions_of(partitions));
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_assign(handle, partitions)) {
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(handle, partitions);
    }
    return;
  }
  // Revoked (or lost): the listener hears it while the partitions are still held.
  if (listener != nullptr) {
    if (rd_kafka_assignment_lost(handle)) {
      listener->on_partitions_lost(partitions_of(partitions));
    } else {
      listener->on_partitions_revoked(partitions_of(partitions));
    }
  }
  if (cooperative) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(handle, partitions)) {
      rd_kafka_error_destroy(e);
    }
  } else {
    rd_kafka_assign(handle, nullptr);
  }
}

Status Consumer::subscribe(const std::vector<std::string>& topics) {
  RdKafkaPartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& topic : topics) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  return status_from(rd_kafka_subscribe(handle_.get(), list.get()), "subscribe");
}

Status Consumer::assign(const std::vector<TopicPartitionOffset>& partitions) {
  RdKafkaPartitionList list = to_list(partitions);
  return status_from(rd_kafka_assign(handle_.get(), list.get()), "assign");
}

Result<std::vector<TopicPartition>> Consumer::assignment() const {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  RUNNEL_RETURN_IF_ERROR(status_from(rd_kafka_assignment(handle_.get(), &raw), "assignment"));
  RdKafkaPartitionList list(raw);
  return partitions_of(list.get());
}

Result<std::vector<ConsumerRecord>> Consumer::poll(std::chrono::milliseconds timeout,
                                                   std::size_t max_records) {
  if (!deferred_error_.ok()) return std::exchange(deferred_error_, Status());
  std::vector<ConsumerRecord> records;
  int wait_ms = static_cast<int>(timeout.count());
  while (records.size() < max_records) {
    internal::RdKafkaMessage message(rd_kafka_consumer_poll(handle_.get(), wait_ms));
    if (message == nullptr) break;
    wait_ms = 0;  // Only the first record is waited for; the rest is what is buffered.
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string what = "consume";
      if (message->rkt != nullptr) {
        what += std::string(" from ") + rd_kafka_topic_name(message->rkt);
        if (message->partition >= 0) what += "[" + std::to_string(message->partition) + "]";
      }
      Status status =
          status_from(message->err, what + ": " + rd_kafka_message_errstr(message.get()));
      if (records.empty()) return status;
      deferred_error_ = std::move(status);
      break;
    }
    records.emplace_back(std::move(message));
  }
  return records;
}

Status Consumer::commit(const std::vector<TopicPartitionOffset>& offsets) {
  if (offsets.empty()) return Status();
  RdKafkaPartitionList list = to_list(offsets);
  RUNNEL_RETURN_IF_ERROR(
      status_from(rd_kafka_commit(handle_.get(), list.get(), /*async=*/0), "commit"));
  return first_partition_error(list.get(), "commit");
}

Result<std::vector<TopicPartitionOffset>> Consumer::committed(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) const {
  RdKafkaPartitionList list = to_list(partitions);
  RUNNEL_RETURN_IF_ERROR(
      status_from(rd_kafka_committed(handle_.get(), list.get(), static_cast<int>(timeout.count())),
                  "committed"));
  RUNNEL_RETURN_IF_ERROR(first_partition_error(list.get(), "committed"));
  std::vector<TopicPartitionOffset> out;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    TopicPartitionOffset o{{e.topic, e.partition}, e.offset, {}};
    if (e.metadata != nullptr) {
      o.metadata.assign(static_cast<const char*>(e.metadata), e.metadata_size);
    }
    out.push_back(std::move(o));
  }
  return out;
}

Status Consumer::seek(const TopicPartition& partition, std::int64_t offset,
                      std::chrono::milliseconds timeout) {
  RdKafkaPartitionList list = to_list(std::vector<TopicPartitionOffset>{{partition, offset, {}}});
  RUNNEL_RETURN_IF_ERROR(take_error(
      rd_kafka_seek_partitions(handle_.get(), list.get(), static_cast<int>(timeout.count())),
      "seek"));
  return first_partition_error(list.get(), "seek");
}

Status Consumer::pause(const std::vector<TopicPartition>& partitions) {
  RdKafkaPartitionList list = to_list(partitions);
  RUNNEL_RETURN_IF_ERROR(
      status_from(rd_kafka_pause_partitions(handle_.get(), list.get()), "pause"));
  return first_partition_error(list.get(), "pause");
}

Status Consumer::resume(const std::vector<TopicPartition>& partitions) {
  RdKafkaPartitionList list = to_list(partitions);
  RUNNEL_RETURN_IF_ERROR(
      status_from(rd_kafka_resume_partitions(handle_.get(), list.get()), "resume"));
  return first_partition_error(list.get(), "resume");
}

Result<std::pair<std::int64_t, std::int64_t>> Consumer::watermark_offsets(
    const TopicPartition& partition, std::chrono::milliseconds timeout) const {
  int64_t low = -1;
  int64_t high = -1;
  RUNNEL_RETURN_IF_ERROR(status_from(
      rd_kafka_query_watermark_offsets(handle_.get(), partition.topic.c_str(), partition.partition,
                                       &low, &high, static_cast<int>(timeout.count())),
      "watermark offsets of " + partition.topic + "[" + std::to_string(partition.partition) + "]"));
  return std::make_pair(low, high);
}

Result<std::int64_t> Consumer::cached_high_watermark(const TopicPartition& partition) const {
  int64_t low = -1;
  int64_t high = -1;
  RUNNEL_RETURN_IF_ERROR(
      status_from(rd_kafka_get_watermark_offsets(handle_.get(), partition.topic.c_str(),
                                                 partition.partition, &low, &high),
                  "cached watermark offsets of " + partition.topic + "[" +
                      std::to_string(partition.partition) + "]"));
  return high;
}

Result<std::int64_t> Consumer::offset_for_time(const TopicPartition& partition, Timestamp timestamp,
                                               std::chrono::milliseconds timeout) const {
  RdKafkaPartitionList list =
      to_list(std::vector<TopicPartitionOffset>{{partition, timestamp, {}}});
  RUNNEL_RETURN_IF_ERROR(status_from(
      rd_kafka_offsets_for_times(handle_.get(), list.get(), static_cast<int>(timeout.count())),
      "offsets for times"));
  RUNNEL_RETURN_IF_ERROR(first_partition_error(list.get(), "offset for time"));
  if (list->elems[0].offset >= 0) return list->elems[0].offset;
  // No record at or after the timestamp: the end of the partition, as Kafka's reset tool uses.
  RUNNEL_ASSIGN_OR_RETURN(auto marks, watermark_offsets(partition, timeout));
  return marks.second;
}

Result<std::int64_t> Consumer::position(const TopicPartition& partition) const {
  RdKafkaPartitionList list = to_list(std::vector<TopicPartition>{partition});
  RUNNEL_RETURN_IF_ERROR(status_from(rd_kafka_position(handle_.get(), list.get()), "position"));
  RUNNEL_RETURN_IF_ERROR(first_partition_error(list.get(), "position"));
  return list->elems[0].offset;
}

Result<ConsumerGroupMetadata> Consumer::group_metadata() const {
  rd_kafka_consumer_group_metadata_t* metadata = rd_kafka_consumer_group_metadata(handle_.get());
  if (metadata == nullptr) {
    return invalid_argument_error("group metadata: the consumer has no group.id");
  }
  return ConsumerGroupMetadata(internal::RdKafkaGroupMetadata(metadata));
}

Status Consumer::close() {
  if (closed_) return Status();
  closed_ = true;
  return status_from(rd_kafka_consumer_close(handle_.get()), "close");
}

}  // namespace runnel::client
