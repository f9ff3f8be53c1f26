#include "broker/coordinator/offset_store.h"

#include <functional>
#include <limits>
#include <utility>

#include "broker/coordinator/committed_offsets.pb.h"
#include "broker/storage/record_batch.h"
#include "broker/storage/record_batch_builder.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

// Kafka's offsets.topic.segment.bytes: small segments let the cleaner reclaim space sooner.
constexpr const char* kOffsetsTopicSegmentBytes = "104857600";

std::string encode_key(const std::string& group, const TopicPartition& partition) {
  coordinator::CommittedOffsetKey key;
  key.set_group(group);
  key.set_topic(partition.topic);
  key.set_partition(partition.partition);
  std::string bytes;
  key.SerializeToString(&bytes);
  return bytes;
}

std::string encode_value(const CommittedOffset& offset) {
  coordinator::CommittedOffsetValue value;
  value.set_offset(offset.offset);
  value.set_leader_epoch(offset.leader_epoch);
  value.set_metadata(offset.metadata);
  value.set_commit_timestamp_ms(offset.commit_timestamp_ms);
  std::string bytes;
  value.SerializeToString(&bytes);
  return bytes;
}

}  // namespace

int32_t OffsetStore::partition_for(const std::string& group) {
  // std::hash is not stable across builds; the partition must be, since it is on disk. FNV-1a.
  uint32_t hash = 2166136261u;
  for (unsigned char c : group) {
    hash ^= c;
    hash *= 16777619u;
  }
  return static_cast<int32_t>(hash % static_cast<uint32_t>(kPartitions));
}

Result<std::unique_ptr<OffsetStore>> OffsetStore::open(LogManager& logs, Clock& clock) {
  std::unique_ptr<OffsetStore> store(new OffsetStore(logs, clock));
  if (!logs.describe_topic(kTopic).has_value()) {
    RUNNEL_RETURN_IF_ERROR(logs.create_topic(
        kTopic, kPartitions,
        {{"cleanup.policy", "compact"}, {"segment.bytes", kOffsetsTopicSegmentBytes}}, false));
    log::info("created internal topic {} ({} partitions, compacted)", kTopic, kPartitions);
  }
  RUNNEL_RETURN_IF_ERROR(store->load());
  return store;
}

Status OffsetStore::load() {
  std::lock_guard lock(mutex_);
  for (int32_t partition = 0; partition < kPartitions; ++partition) {
    RUNNEL_RETURN_IF_ERROR(load_partition(partition));
  }
  size_t count = 0;
  for (const auto& [group, offsets] : offsets_) count += offsets.size();
  log::info("loaded {} committed offset(s) of {} group(s) from {} ({} pending in transactions)",
            count, offsets_.size(), kTopic, pending_.size());
  return ok_status();
}

Status OffsetStore::load_partition(int32_t partition) {
  std::shared_ptr<Log> partition_log = logs_.log(kTopic, partition);
  if (partition_log == nullptr) {
    return internal_error(fmt::format("{}-{} is missing", kTopic, partition));
  }
  auto replay = [this, partition](const RecordBatchHeader& header, BytesView batch) {
    Result<std::vector<DecodedRecord>> decoded = decode_uncompressed_batch(batch);
    if (!decoded.ok()) {
      log::warn("{}-{} offset {}: undecodable batch skipped: {}", kTopic, partition,
                header.base_offset, decoded.status().to_string());
      return ok_status();
    }
    if (header.is_control()) {
      // The end of a producer's transaction in this partition: its pending offsets (held
      // since its transactional batches) are applied or dropped.
      if (auto marker = parse_transaction_marker(batch)) {
        complete_pending_locked(partition, header.producer_id,
                                marker->type == ControlType::kCommit);
      }
      return ok_status();
    }
    const bool transactional = header.is_transactional();
    for (const DecodedRecord& record : *decoded) {
      if (!record.key.has_value()) continue;
      coordinator::CommittedOffsetKey key;
      if (!key.ParseFromArray(record.key->data(), static_cast<int>(record.key->size()))) {
        // Only the broker writes here (produce to the topic is refused), but a broker that
        // cannot start over one bad record is worse than a lost offset: skip it, loudly.
        log::warn("{}-{} offset {}: undecodable key; record skipped", kTopic, partition,
                  record.offset);
        continue;
      }
      const TopicPartition tp{key.topic(), key.partition()};
      if (transactional && record.value.has_value()) {
        coordinator::CommittedOffsetValue value;
        if (!value.ParseFromArray(record.value->data(), static_cast<int>(record.value->size()))) {
          log::warn("{}-{} offset {}: undecodable value; record skipped", kTopic, partition,
                    record.offset);
          continue;
        }
        pending_[{key.group(), header.producer_id}][tp] =
            CommittedOffset{.offset = value.offset(),
                            .leader_epoch = value.leader_epoch(),
                            .metadata = value.metadata(),
                            .commit_timestamp_ms = value.commit_timestamp_ms()};
        continue;
      }
      if (!record.value.has_value()) {
        auto group = offsets_.find(key.group());
        if (group != offsets_.end()) {
          group->second.erase(tp);
          if (group->second.empty()) offsets_.erase(group);
        }
        continue;
      }
      coordinator::CommittedOffsetValue value;
      if (!value.ParseFromArray(record.value->data(), static_cast<int>(record.value->size()))) {
        log::warn("{}-{} offset {}: undecodable value; record skipped", kTopic, partition,
                  record.offset);
        continue;
      }
      offsets_[key.group()][tp] =
          CommittedOffset{.offset = value.offset(),
                          .leader_epoch = value.leader_epoch(),
                          .metadata = value.metadata(),
                          .commit_timestamp_ms = value.commit_timestamp_ms()};
    }
    return ok_status();
  };
  return partition_log->for_each_batch(partition_log->log_start_offset(), replay);
}

Status OffsetStore::append_locked(
    const std::string& group,
    const std::vector<std::pair<TopicPartition, std::optional<CommittedOffset>>>& records,
    std::optional<std::pair<int64_t, int16_t>> transactional_producer) {
  if (records.empty()) return ok_status();
  std::shared_ptr<Log> partition_log = logs_.log(kTopic, partition_for(group));
  if (partition_log == nullptr) return unavailable_error(fmt::format("{} is missing", kTopic));
  const int64_t now = clock_.now_ms();
  RecordBatchBuilder builder(now);
  for (const auto& [partition, offset] : records) {
    const std::string key = encode_key(group, partition);
    NullableBytes value;
    if (offset.has_value()) value = Bytes::from_string(encode_value(*offset));
    builder.add(Bytes::from_string(key), value, now, {});
  }
  if (transactional_producer.has_value()) {
    builder.set_transactional(transactional_producer->first, transactional_producer->second);
  }
  const Bytes batch = builder.build();
  AppendResult appended = partition_log->append(batch.view(), now, AppendOrigin::kCoordinator);
  if (appended.error != AppendError::kNone) {
    return unavailable_error(fmt::format("appending to {} failed: {}", kTopic, appended.message));
  }
  return ok_status();
}

Status OffsetStore::commit(const std::string& group,
                           const std::vector<std::pair<TopicPartition, CommittedOffset>>& entries) {
  std::vector<std::pair<TopicPartition, std::optional<CommittedOffset>>> records;
  records.reserve(entries.size());
  for (const auto& [partition, offset] : entries) records.emplace_back(partition, offset);
  std::lock_guard lock(mutex_);
  RUNNEL_RETURN_IF_ERROR(append_locked(group, records));
  auto& group_offsets = offsets_[group];
  for (const auto& [partition, offset] : entries) group_offsets[partition] = offset;
  return ok_status();
}

Status OffsetStore::commit_transactional(
    const std::string& group, int64_t producer_id, int16_t producer_epoch,
    const std::vector<std::pair<TopicPartition, CommittedOffset>>& entries) {
  std::vector<std::pair<TopicPartition, std::optional<CommittedOffset>>> records;
  records.reserve(entries.size());
  for (const auto& [partition, offset] : entries) records.emplace_back(partition, offset);
  std::lock_guard lock(mutex_);
  RUNNEL_RETURN_IF_ERROR(
      append_locked(group, records, std::make_pair(producer_id, producer_epoch)));
  auto& pending = pending_[{group, producer_id}];
  for (const auto& [partition, offset] : entries) pending[partition] = offset;
  return ok_status();
}

Result<int64_t> OffsetStore::write_transaction_marker(int32_t partition, int64_t producer_id,
                                                      int16_t producer_epoch, ControlType type,
                                                      int32_t coordinator_epoch) {
  std::shared_ptr<Log> partition_log = logs_.log(kTopic, partition);
  if (partition_log == nullptr) {
    return unavailable_error(fmt::format("{}-{} is missing", kTopic, partition));
  }
  // Under the lock, so that the map stays equal to a replay of the log.
  std::lock_guard lock(mutex_);
  RUNNEL_ASSIGN_OR_RETURN(
      int64_t offset, partition_log->append_transaction_marker(producer_id, producer_epoch, type,
                                                               coordinator_epoch, clock_.now_ms()));
  complete_pending_locked(partition, producer_id, type == ControlType::kCommit);
  return offset;
}

void OffsetStore::complete_pending_locked(int32_t partition, int64_t producer_id, bool commit) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    const auto& [group, producer] = it->first;
    if (producer != producer_id || partition_for(group) != partition) {
      ++it;
      continue;
    }
    if (commit) {
      auto& committed = offsets_[group];
      for (const auto& [tp, offset] : it->second) committed[tp] = offset;
    }
    it = pending_.erase(it);
  }
}

std::map<TopicPartition, CommittedOffset> OffsetStore::pending(const std::string& group,
                                                               int64_t producer_id) const {
  std::lock_guard lock(mutex_);
  auto found = pending_.find({group, producer_id});
  if (found == pending_.end()) return {};
  return found->second;
}

bool OffsetStore::has_pending(const std::string& group, const TopicPartition& partition) const {
  std::lock_guard lock(mutex_);
  // pending_ is ordered by (group, producer id): the group's entries are contiguous.
  for (auto it = pending_.lower_bound({group, std::numeric_limits<int64_t>::min()});
       it != pending_.end() && it->first.first == group; ++it) {
    if (it->second.contains(partition)) return true;
  }
  return false;
}

Status OffsetStore::remove(const std::string& group,
                           const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(mutex_);
  auto found = offsets_.find(group);
  if (found == offsets_.end()) return ok_status();
  std::vector<std::pair<TopicPartition, std::optional<CommittedOffset>>> records;
  for (const TopicPartition& partition : partitions) {
    if (found->second.contains(partition)) records.emplace_back(partition, std::nullopt);
  }
  RUNNEL_RETURN_IF_ERROR(append_locked(group, records));
  for (const auto& record : records) found->second.erase(record.first);
  if (found->second.empty()) offsets_.erase(found);
  return ok_status();
}

Status OffsetStore::remove_group(const std::string& group) {
  std::vector<TopicPartition> partitions;
  {
    std::lock_guard lock(mutex_);
    auto found = offsets_.find(group);
    if (found == offsets_.end()) return ok_status();
    for (const auto& [partition, offset] : found->second) partitions.push_back(partition);
  }
  return remove(group, partitions);
}

std::optional<CommittedOffset> OffsetStore::fetch(const std::string& group,
                                                  const TopicPartition& partition) const {
  std::lock_guard lock(mutex_);
  auto found = offsets_.find(group);
  if (found == offsets_.end()) return std::nullopt;
  auto offset = found->second.find(partition);
  if (offset == found->second.end()) return std::nullopt;
  return offset->second;
}

std::map<TopicPartition, CommittedOffset> OffsetStore::fetch_all(const std::string& group) const {
  std::lock_guard lock(mutex_);
  auto found = offsets_.find(group);
  if (found == offsets_.end()) return {};
  return found->second;
}

bool OffsetStore::has_offsets(const std::string& group) const {
  std::lock_guard lock(mutex_);
  return offsets_.contains(group);
}

std::vector<std::string> OffsetStore::groups() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [group, offsets] : offsets_) names.push_back(group);
  return names;
}

}  // namespace runnel::broker
