#include "runtime/internal/producer_collector.h"

#include <utility>

#include "runtime/internal/default_partitioner.h"

namespace runnel::internal {

using namespace std::chrono_literals;

void TopicPartitionCounts::put(const std::string& topic, std::int32_t partitions) {
  std::lock_guard lock(mutex_);
  counts_[topic] = partitions;
}

Result<std::int32_t> TopicPartitionCounts::get(const std::string& topic) {
  {
    std::lock_guard lock(mutex_);
    auto it = counts_.find(topic);
    if (it != counts_.end()) return it->second;
  }
  // Asked without the lock: a slow cluster must not stall threads that need known counts.
  RUNNEL_ASSIGN_OR_RETURN(client::TopicDescription description, admin_.describe_topic(topic, 30s));
  if (description.partitions <= 0) {
    return not_found_error("topic " + topic + " has no partitions");
  }
  std::lock_guard lock(mutex_);
  counts_[topic] = description.partitions;
  return description.partitions;
}

Result<std::int32_t> ProducerCollector::count_of(const std::string& topic) {
  auto it = local_counts_.find(topic);
  if (it != local_counts_.end()) return it->second;
  RUNNEL_ASSIGN_OR_RETURN(std::int32_t count, counts_.get(topic));
  local_counts_.emplace(topic, count);
  return count;
}

Status ProducerCollector::send(const std::string& topic, NullableBytesView key,
                               NullableBytesView value, Timestamp timestamp, const Headers& headers,
                               std::optional<std::int32_t> partition) {
  if (!deferred_.ok()) return std::exchange(deferred_, Status());
  if (transactional_) RUNNEL_RETURN_IF_ERROR(begin_transaction_if_needed());
  std::int32_t p = client::kAnyPartition;
  if (partition) {
    RUNNEL_ASSIGN_OR_RETURN(std::int32_t count, count_of(topic));
    if (*partition < 0 || *partition >= count) {
      return invalid_argument_error("partitioner chose partition " + std::to_string(*partition) +
                                    " of topic " + topic + ", which has " + std::to_string(count));
    }
    p = *partition;
  } else if (key) {
    RUNNEL_ASSIGN_OR_RETURN(std::int32_t count, count_of(topic));
    p = default_partition(*key, count);
  }
  Status s = producer_->send({.topic = topic,
                              .partition = p,
                              .key = key,
                              .value = value,
                              .timestamp = timestamp,
                              .headers = headers.empty() ? nullptr : &headers});
  if (!s.ok()) return s.with_context("send to " + topic);
  return s;
}

Status ProducerCollector::begin_transaction_if_needed() {
  if (in_transaction_) return ok_status();
  RUNNEL_RETURN_IF_ERROR(producer_->begin_transaction());
  in_transaction_ = true;
  return ok_status();
}

void ProducerCollector::transaction_ended(bool aborted) {
  in_transaction_ = false;
  if (aborted) {
    producer_->clear_acknowledged_offsets();
    acknowledged_.clear();
  }
}

void ProducerCollector::track_changelogs() {
  for (const std::string& topic : changelog_topics_) producer_->track_acknowledged_offsets(topic);
}

void ProducerCollector::collect_acknowledged() {
  for (const auto& [tp, offset] : producer_->acknowledged_offsets()) {
    auto [it, inserted] = acknowledged_.emplace(tp, offset);
    if (!inserted && offset > it->second) it->second = offset;
  }
  producer_->clear_acknowledged_offsets();
}

std::map<client::TopicPartition, std::int64_t> ProducerCollector::acknowledged_changelog_offsets() {
  collect_acknowledged();
  return acknowledged_;
}

void ProducerCollector::set_producer(client::Producer& producer) {
  producer_ = &producer;
  track_changelogs();
}

std::int32_t ProducerCollector::partition_count(const std::string& topic) {
  Result<std::int32_t> count = count_of(topic);
  if (count.ok()) return *count;
  if (deferred_.ok()) deferred_ = count.status().with_context("partition count of " + topic);
  return 1;
}

}  // namespace runnel::internal
