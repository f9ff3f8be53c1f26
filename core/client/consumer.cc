#include "core/client/consumer.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace runnel::client {

using internal::RdKafkaPartitionList;
using internal::status_from;
using internal::to_partition_list;

namespace {

RdKafkaPartitionList to_list(const std::vector<TopicPartition>& partitions) {
  RdKafkaPartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition);
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
                                                   RebalanceListener* listener, Queueing queueing) {
  RUNNEL_ASSIGN_OR_RETURN(internal::RdKafkaConf conf, internal::make_conf(config));
  auto context = std::make_unique<RebalanceContext>();
  context->listener = listener;
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::on_rebalance);
  rd_kafka_conf_set_opaque(conf.get(), context.get());
  RUNNEL_ASSIGN_OR_RETURN(internal::RdKafkaHandle handle,
                          internal::make_handle(RD_KAFKA_CONSUMER, std::move(conf)));
  // Every event, group ones included, is served by rd_kafka_consumer_poll.
  rd_kafka_poll_set_consumer(handle.get());
  std::unique_ptr<Consumer> consumer(new Consumer(std::move(handle), std::move(context), queueing));
  if (queueing == Queueing::kPerPartition) {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      return internal_error(std::string("consumer wake-up pipe: ") + std::strerror(errno));
    }
    consumer->wake_read_ = fds[0];
    consumer->wake_write_ = fds[1];
    consumer->consumer_queue_.reset(rd_kafka_queue_get_consumer(consumer->handle_.get()));
    rd_kafka_queue_io_event_enable(consumer->consumer_queue_.get(), consumer->wake_write_, "1", 1);
  }
  return consumer;
}

Consumer::Consumer(internal::RdKafkaHandle handle, std::unique_ptr<RebalanceContext> context,
                   Queueing queueing)
    : handle_(std::move(handle)), context_(std::move(context)), queueing_(queueing) {
  context_->consumer = this;
}

void Consumer::QueueDeleter::operator()(rd_kafka_queue_t* queue) const {
  // librdkafka must write to the wake-up pipe no more: it is closed after the queues go.
  rd_kafka_queue_io_event_enable(queue, -1, nullptr, 0);
  rd_kafka_queue_destroy(queue);
}

Consumer::~Consumer() {
  (void)close();
  partition_queues_.clear();
  consumer_queue_.reset();
  // close() has left the group already; destroying must not wait to do it again.
  rd_kafka_destroy_flags(handle_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  if (wake_read_ >= 0) ::close(wake_read_);
  if (wake_write_ >= 0) ::close(wake_write_);
}

void Consumer::attach_partition_queues(const rd_kafka_topic_partition_list_t* partitions) {
  if (queueing_ != Queueing::kPerPartition) return;
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = partitions->elems[i];
    QueueHandle queue(rd_kafka_queue_get_partition(handle_.get(), p.topic, p.partition));
    if (queue == nullptr) continue;  // Not a consumer: cannot happen here.
    // Marks the queue as the application's: fetching never forwards it to the shared one.
    rd_kafka_queue_forward(queue.get(), nullptr);
    rd_kafka_queue_io_event_enable(queue.get(), wake_write_, "1", 1);
    partition_queues_[TopicPartition{p.topic, p.partition}] = std::move(queue);
  }
}

void Consumer::detach_partition_queues(const rd_kafka_topic_partition_list_t* partitions) {
  if (partitions == nullptr) {
    partition_queues_.clear();
    return;
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    partition_queues_.erase(
        TopicPartition{partitions->elems[i].topic, partitions->elems[i].partition});
  }
}

void Consumer::on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t error,
                            rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* context = static_cast<RebalanceContext*>(opaque);
  RebalanceListener* listener = context->listener;
  // NULL while the consumer group is shutting down (a rebalance callback from inside
  // rd_kafka_consumer_close): the eager path is then the safe one.
  const char* protocol = rd_kafka_rebalance_protocol(handle);
  const bool cooperative = protocol != nullptr && std::string_view(protocol) == "COOPERATIVE";
  if (error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (listener != nullptr) listener->on_partitions_assigned(partitions_of(partitions));
    if (context->consumer != nullptr) context->consumer->attach_partition_queues(partitions);
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
    if (context->consumer != nullptr) context->consumer->detach_partition_queues(partitions);
  } else {
    rd_kafka_assign(handle, nullptr);
    if (context->consumer != nullptr) context->consumer->detach_partition_queues(nullptr);
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
  RdKafkaPartitionList list = to_partition_list(partitions);
  detach_partition_queues(nullptr);
  attach_partition_queues(list.get());
  return status_from(rd_kafka_assign(handle_.get(), list.get()), "assign");
}

Result<std::vector<TopicPartition>> Consumer::assignment() const {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  RUNNEL_RETURN_IF_ERROR(status_from(rd_kafka_assignment(handle_.get(), &raw), "assignment"));
  RdKafkaPartitionList list(raw);
  return partitions_of(list.get());
}

bool Consumer::take(internal::RdKafkaMessage message, std::vector<ConsumerRecord>& records) {
  if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return true;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string what = "consume";
    if (message->rkt != nullptr) {
      what += std::string(" from ") + rd_kafka_topic_name(message->rkt);
      if (message->partition >= 0) what += "[" + std::to_string(message->partition) + "]";
    }
    deferred_error_ =
        status_from(message->err, what + ": " + rd_kafka_message_errstr(message.get()));
    return false;
  }
  records.emplace_back(std::move(message));
  return true;
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
    if (!take(std::move(message), records)) {
      if (records.empty()) return std::exchange(deferred_error_, Status());
      break;
    }
  }
  return records;
}

void Consumer::drain_wakeups() const {
  char buffer[256];
  while (::read(wake_read_, buffer, sizeof buffer) > 0) {
  }
}

Result<std::vector<ConsumerRecord>> Consumer::poll_partitions(
    std::chrono::milliseconds timeout,
    const std::function<std::size_t(const TopicPartition&)>& room) {
  if (queueing_ != Queueing::kPerPartition) {
    return invalid_argument_error("poll_partitions: the consumer shares one queue; use poll()");
  }
  if (!deferred_error_.ok()) return std::exchange(deferred_error_, Status());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<ConsumerRecord> records;
  std::vector<rd_kafka_message_t*> batch;
  for (;;) {
    // Emptied before the queues are read: a record landing after this wakes the wait below.
    drain_wakeups();
    // Events: rebalances (which change partition_queues_), errors, and records fetched
    // before a queue was detached from the shared one, if any.
    while (internal::RdKafkaMessage message{rd_kafka_consumer_poll(handle_.get(), 0)}) {
      if (!take(std::move(message), records)) {
        if (records.empty()) return std::exchange(deferred_error_, Status());
        return records;
      }
    }
    for (const auto& [tp, queue] : partition_queues_) {
      const std::size_t wanted = room(tp);
      if (wanted == 0) continue;
      batch.resize(wanted);
      const ssize_t n = rd_kafka_consume_batch_queue(queue.get(), 0, batch.data(), wanted);
      bool failed = false;
      for (ssize_t i = 0; i < n; ++i) {
        // The batch's records are consumed (their offsets passed) whatever comes between
        // them: every one is kept, and the first error is returned after them.
        Status earlier = std::exchange(deferred_error_, Status());
        if (!take(internal::RdKafkaMessage(batch[static_cast<std::size_t>(i)]), records)) {
          failed = true;
        }
        if (!earlier.ok()) deferred_error_ = std::move(earlier);
      }
      if (failed) {
        if (records.empty()) return std::exchange(deferred_error_, Status());
        return records;
      }
    }
    if (!records.empty()) return records;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return records;
    pollfd fd{wake_read_, POLLIN, 0};
    (void)::poll(&fd, 1, static_cast<int>(left.count()) + 1);
  }
}

Status Consumer::commit(const std::vector<TopicPartitionOffset>& offsets) {
  if (offsets.empty()) return Status();
  RdKafkaPartitionList list = to_partition_list(offsets);
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
  RdKafkaPartitionList list =
      to_partition_list(std::vector<TopicPartitionOffset>{{partition, offset, {}}});
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
      to_partition_list(std::vector<TopicPartitionOffset>{{partition, timestamp, {}}});
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
