#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/client/consumer.h"
#include "core/client/topic_partition.h"
#include "core/result.h"
#include "state/key_value_store.h"

namespace runnel::internal {

// One store's changelog partition to replay into it.
struct ChangelogToRestore {
  std::string store;
  client::TopicPartition changelog;
  // The next changelog offset the store has not applied, from the task's checkpoint;
  // nullopt when there is none (replay from the start of the log).
  std::optional<std::int64_t> checkpoint;
};

// How a restoration went.
struct RestoreOutcome {
  // Per changelog partition, the offset after the last one the store now reflects: the
  // partition's high watermark when restoration started.
  std::map<client::TopicPartition, std::int64_t> end_offsets;
  // Changelogs whose checkpoint was outside the log (the topic was deleted and made again,
  // or compacted past it): their store must be wiped and restored from the start.
  std::vector<client::TopicPartition> stale;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
};

// Replays changelog partitions into stores with its own consumer, which reads partitions it is
// assigned and belongs to no group (Kafka Streams' restore consumer). Owned and used by one
// StreamThread.
class ChangelogReader {
 public:
  // Applies a batch of `changelog`'s records to its store.
  using Apply = std::function<Status(const ChangelogToRestore& changelog,
                                     std::span<const state::RestoreRecord>)>;

  // `config`: the consumer properties (bootstrap.servers at least); `name` for logs.
  [[nodiscard]] static Result<std::unique_ptr<ChangelogReader>> create(client::ClientConfig config,
                                                                       std::string name);

  // Reads each changelog from its checkpoint (or its start) up to its high watermark as of
  // this call and hands the records to `apply`, in offset order per store, in batches. With
  // isolation.level=read_committed in `config` (exactly_once_v2) the end is the last stable
  // offset instead, only committed records are applied, and a changelog counts as restored
  // when the consumer's position reaches the end, past transaction markers it never returns. A
  // checkpoint outside [log start, high watermark] is reported in `stale` and not read: the
  // caller wipes the store and calls again without a checkpoint. Stops with Aborted when
  // `stop` becomes true. Logs progress.
  [[nodiscard]] Result<RestoreOutcome> restore(const std::vector<ChangelogToRestore>& changelogs,
                                               const Apply& apply, const std::atomic<bool>& stop);

  // Offsets restore() still has to read before its changelogs are restored (Kafka Streams'
  // restore-remaining-records-total); 0 when no restoration runs. Any thread may ask.
  std::int64_t remaining_records() const { return remaining_.load(std::memory_order_relaxed); }

 private:
  ChangelogReader(std::unique_ptr<client::Consumer> consumer, std::string name)
      : consumer_(std::move(consumer)), name_(std::move(name)) {}

  std::unique_ptr<client::Consumer> consumer_;
  std::string name_;
  std::atomic<std::int64_t> remaining_{0};  // Written by restore() only.
};

}  // namespace runnel::internal
