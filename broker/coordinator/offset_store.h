#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker/storage/log_manager.h"
#include "core/clock.h"
#include "core/result.h"

namespace runnel::broker {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

// A group's committed position in one partition, as the client committed it.
struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp_ms = -1;
};

// Committed offsets of every group, kept in memory and persisted in the internal topic
// `__consumer_offsets` (see committed_offsets.proto for the record format).
//
// The topic is created on first open with `kPartitions` partitions and cleanup.policy=compact;
// a group's records all go to partition hash(group) % kPartitions, so one group's commits are
// totally ordered in one log. Kafka uses 50 partitions to spread coordinators over brokers;
// on a single node partitions only spread compaction work, so runneld uses fewer.
//
// Durability: commit() and remove() return only after the records are appended to the log
// (written to the page cache, as for produced records): an acknowledged commit survives
// kill -9 of the broker, and power loss only as far as the topic's flush policy says
// (docs/DURABILITY.md). open() replays the topic, so the offsets come back after a restart.
//
// Transactional offsets (TxnOffsetCommit, KIP-98): commit_transactional() appends the offsets
// as a transactional batch carrying the producer's id and epoch, and keeps them pending per
// (group, producer id), invisible to fetch(). The transaction coordinator ends the transaction
// with write_transaction_marker() on the group's partition: a commit makes the pending offsets
// the group's committed ones, an abort drops them. open() replays the same way: transactional
// batches stay pending until their marker appears later in the partition; those with no
// marker stay pending for the transaction coordinator's recovery to commit or abort.
// A commit marker applies the pending offsets over whatever was committed since (the records'
// log order, so a replay gives the same result). remove_group() removes committed offsets
// only: offsets pending in an open transaction survive it and appear if that transaction
// commits (the group then exists again), as a commit to a deleted group would.
//
// Thread-safe. `mutex_` serializes writers and guards the in-memory map; a writer appends and
// then updates the map under the same lock, so the map always equals a replay of the log.
class OffsetStore {
 public:
  static constexpr const char* kTopic = "__consumer_offsets";
  static constexpr int32_t kPartitions = 8;

  // Creates the topic when missing, then rebuilds every group's offsets from it.
  static Result<std::unique_ptr<OffsetStore>> open(LogManager& logs, Clock& clock);

  // Appends one record per entry (one batch) and then makes them visible to fetch().
  // On error nothing is visible (a partially applied batch cannot happen: appends are
  // all-or-nothing).
  [[nodiscard]] Status commit(
      const std::string& group,
      const std::vector<std::pair<TopicPartition, CommittedOffset>>& entries);
  // Writes tombstones for the given partitions' offsets (those the group has).
  [[nodiscard]] Status remove(const std::string& group,
                              const std::vector<TopicPartition>& partitions);
  // Writes tombstones for every offset of the group.
  [[nodiscard]] Status remove_group(const std::string& group);

  std::optional<CommittedOffset> fetch(const std::string& group,
                                       const TopicPartition& partition) const;
  // Every committed offset of the group, ordered by topic and partition.
  std::map<TopicPartition, CommittedOffset> fetch_all(const std::string& group) const;
  bool has_offsets(const std::string& group) const;
  // Groups that have at least one committed offset.
  std::vector<std::string> groups() const;

  static int32_t partition_for(const std::string& group);

  // Appends the offsets as one transactional batch of producer (id, epoch) to the group's
  // partition and holds them pending until write_transaction_marker(). An epoch older than
  // the producer's last one in that partition is refused by the log (fenced): the error
  // status says so and nothing is pending.
  [[nodiscard]] Status commit_transactional(
      const std::string& group, int64_t producer_id, int16_t producer_epoch,
      const std::vector<std::pair<TopicPartition, CommittedOffset>>& entries);
  // Writes the marker ending producer `producer_id`'s transaction in partition `partition` of
  // the topic, then applies (commit) or drops (abort) the producer's pending offsets of every
  // group of that partition. Returns the marker's offset.
  Result<int64_t> write_transaction_marker(int32_t partition, int64_t producer_id,
                                           int16_t producer_epoch, ControlType type,
                                           int32_t coordinator_epoch);
  // The offsets of `group` pending in producer `producer_id`'s open transaction.
  std::map<TopicPartition, CommittedOffset> pending(const std::string& group,
                                                    int64_t producer_id) const;
  // Whether any open transaction holds an offset of `group` for `partition` (what OffsetFetch
  // v7+ with require_stable answers UNSTABLE_OFFSET_COMMIT for).
  bool has_pending(const std::string& group, const TopicPartition& partition) const;

 private:
  OffsetStore(LogManager& logs, Clock& clock) : logs_(logs), clock_(clock) {}
  Status load();
  Status load_partition(int32_t partition);
  // Appends a batch of (key, value-or-tombstone) records for `group`. Called with mutex_ held.
  Status append_locked(
      const std::string& group,
      const std::vector<std::pair<TopicPartition, std::optional<CommittedOffset>>>& records,
      std::optional<std::pair<int64_t, int16_t>> transactional_producer = std::nullopt);
  // Applies (commit) or drops the pending offsets of `producer_id` in the groups of
  // `partition`. Called with mutex_ held.
  void complete_pending_locked(int32_t partition, int64_t producer_id, bool commit);

  LogManager& logs_;
  Clock& clock_;

  mutable std::mutex mutex_;
  // group -> partition -> offset; GUARDED_BY(mutex_).
  std::map<std::string, std::map<TopicPartition, CommittedOffset>> offsets_;
  // (group, producer id) -> offsets written in that producer's open transaction;
  // GUARDED_BY(mutex_).
  std::map<std::pair<std::string, int64_t>, std::map<TopicPartition, CommittedOffset>> pending_;
};

}  // namespace runnel::broker
