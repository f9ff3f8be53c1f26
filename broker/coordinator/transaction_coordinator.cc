#include "broker/coordinator/transaction_coordinator.h"

#include <array>
#include <csignal>
#include <utility>

#include <fmt/format.h>

#include "broker/coordinator/transaction_state.pb.h"
#include "broker/storage/record_batch.h"
#include "broker/storage/record_batch_builder.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

// Kafka's transaction.state.log.segment.bytes.
constexpr const char* kTransactionStateLogSegmentBytes = "104857600";
// Kafka's TransactionMetadata.isEpochExhausted: the last epoch is kept for the fence bump.
constexpr int16_t kMaxEpoch = INT16_MAX - 1;

constexpr std::array<std::pair<TxnState, std::string_view>, 6> kStateNames = {{
    {TxnState::kEmpty, "Empty"},
    {TxnState::kOngoing, "Ongoing"},
    {TxnState::kPrepareCommit, "PrepareCommit"},
    {TxnState::kPrepareAbort, "PrepareAbort"},
    {TxnState::kCompleteCommit, "CompleteCommit"},
    {TxnState::kCompleteAbort, "CompleteAbort"},
}};

using StateProto = coordinator::TransactionStateValue;

StateProto::State to_proto(TxnState state) {
  switch (state) {
    case TxnState::kEmpty:
      return StateProto::EMPTY;
    case TxnState::kOngoing:
      return StateProto::ONGOING;
    case TxnState::kPrepareCommit:
      return StateProto::PREPARE_COMMIT;
    case TxnState::kPrepareAbort:
      return StateProto::PREPARE_ABORT;
    case TxnState::kCompleteCommit:
      return StateProto::COMPLETE_COMMIT;
    case TxnState::kCompleteAbort:
      return StateProto::COMPLETE_ABORT;
  }
  return StateProto::EMPTY;
}

std::optional<TxnState> from_proto(int state) {
  switch (state) {
    case StateProto::EMPTY:
      return TxnState::kEmpty;
    case StateProto::ONGOING:
      return TxnState::kOngoing;
    case StateProto::PREPARE_COMMIT:
      return TxnState::kPrepareCommit;
    case StateProto::PREPARE_ABORT:
      return TxnState::kPrepareAbort;
    case StateProto::COMPLETE_COMMIT:
      return TxnState::kCompleteCommit;
    case StateProto::COMPLETE_ABORT:
      return TxnState::kCompleteAbort;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string_view txn_state_name(TxnState state) {
  for (const auto& [value, name] : kStateNames) {
    if (value == state) return name;
  }
  return "Unknown";
}

std::optional<TxnState> parse_txn_state(std::string_view name) {
  for (const auto& [value, known] : kStateNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

int32_t TransactionCoordinator::partition_for(const std::string& transactional_id) {
  // Stable across builds, since the partition is on disk (FNV-1a, as OffsetStore does).
  uint32_t hash = 2166136261u;
  for (unsigned char c : transactional_id) {
    hash ^= c;
    hash *= 16777619u;
  }
  return static_cast<int32_t>(hash % static_cast<uint32_t>(kPartitions));
}

TransactionCoordinator::TransactionCoordinator(LogManager& logs, OffsetStore& offsets,
                                               ProducerIdManager& producer_ids, Clock& clock,
                                               TransactionCoordinatorOptions options,
                                               std::function<void()> on_markers_written)
    : logs_(logs),
      offsets_(offsets),
      producer_ids_(producer_ids),
      clock_(clock),
      options_(options),
      on_markers_written_(std::move(on_markers_written)) {}

Result<std::unique_ptr<TransactionCoordinator>> TransactionCoordinator::open(
    LogManager& logs, OffsetStore& offsets, ProducerIdManager& producer_ids, Clock& clock,
    TransactionCoordinatorOptions options, std::function<void()> on_markers_written) {
  std::unique_ptr<TransactionCoordinator> coordinator(new TransactionCoordinator(
      logs, offsets, producer_ids, clock, options, std::move(on_markers_written)));
  if (!logs.describe_topic(kTopic).has_value()) {
    RUNNEL_RETURN_IF_ERROR(logs.create_topic(
        kTopic, kPartitions,
        {{"cleanup.policy", "compact"}, {"segment.bytes", kTransactionStateLogSegmentBytes}},
        false));
    log::info("created internal topic {} ({} partitions, compacted)", kTopic, kPartitions);
  }
  RUNNEL_RETURN_IF_ERROR(coordinator->load());
  RUNNEL_RETURN_IF_ERROR(coordinator->recover());
  return coordinator;
}

Status TransactionCoordinator::load() {
  std::lock_guard lock(mutex_);
  for (int32_t partition = 0; partition < kPartitions; ++partition) {
    RUNNEL_RETURN_IF_ERROR(load_partition(partition));
  }
  log::info("loaded {} transactional id(s) from {}", transactions_.size(), kTopic);
  return ok_status();
}

Status TransactionCoordinator::load_partition(int32_t partition) {
  std::shared_ptr<Log> partition_log = logs_.log(kTopic, partition);
  if (partition_log == nullptr) {
    return internal_error(fmt::format("{}-{} is missing", kTopic, partition));
  }
  auto replay = [this, partition](const RecordBatchHeader& header, BytesView batch) {
    // A control batch is not a state record (no transaction includes this topic:
    // AddPartitionsToTxn refuses it).
    if (header.is_control()) return ok_status();
    Result<std::vector<DecodedRecord>> decoded = decode_uncompressed_batch(batch);
    if (!decoded.ok()) {
      log::warn("{}-{} offset {}: undecodable batch skipped: {}", kTopic, partition,
                header.base_offset, decoded.status().to_string());
      return ok_status();
    }
    for (const DecodedRecord& record : *decoded) {
      if (!record.key.has_value()) continue;
      const std::string id(record.key->view().as_string_view());
      if (!record.value.has_value()) {
        transactions_.erase(id);
        continue;
      }
      StateProto value;
      std::optional<TxnState> state;
      if (!value.ParseFromArray(record.value->data(), static_cast<int>(record.value->size())) ||
          !(state = from_proto(value.state()))) {
        // Only the broker writes here; a broker that cannot start over one bad record is
        // worse than a forgotten transactional id (its producer re-initializes).
        log::warn("{}-{} offset {}: undecodable transaction state; record skipped", kTopic,
                  partition, record.offset);
        continue;
      }
      Transaction& txn = transactions_[id];
      txn.producer_id = value.producer_id();
      txn.producer_epoch = static_cast<int16_t>(value.producer_epoch());
      txn.timeout_ms = value.timeout_ms();
      txn.state = *state;
      txn.partitions.clear();
      for (const auto& tp : value.partitions()) {
        txn.partitions.insert(TopicPartition{tp.topic(), tp.partition()});
      }
      txn.groups = std::set<std::string>(value.groups().begin(), value.groups().end());
      txn.start_time_ms = value.start_time_ms();
      txn.last_update_time_ms = value.last_update_time_ms();
      txn.last_producer_id = value.has_last_producer_id() ? value.last_producer_id() : -1;
      txn.last_producer_epoch = value.has_last_producer_epoch()
                                    ? static_cast<int16_t>(value.last_producer_epoch())
                                    : int16_t{-1};
    }
    return ok_status();
  };
  return partition_log->for_each_batch(partition_log->log_start_offset(), replay);
}

Status TransactionCoordinator::recover() {
  std::unique_lock lock(mutex_);
  std::vector<std::string> to_complete;
  std::vector<std::string> to_abort;
  for (const auto& [id, txn] : transactions_) {
    if (txn.state == TxnState::kPrepareCommit || txn.state == TxnState::kPrepareAbort) {
      to_complete.push_back(id);
    } else if (txn.state == TxnState::kOngoing) {
      to_abort.push_back(id);
    }
  }
  // A failure here is logged, not fatal: the transaction stays as it is and tick() retries.
  for (const std::string& id : to_complete) {
    log::info("transactional id {}: completing the {} interrupted by the restart", id,
              txn_state_name(transactions_.at(id).state));
    if (Status done = complete_locked(lock, id); !done.ok()) {
      log::error("transactional id {}: completing failed: {}", id, done.to_string());
    }
  }
  for (const std::string& id : to_abort) {
    log::info("transactional id {}: aborting the transaction left open by the restart", id);
    if (Status done = abort_fenced_locked(lock, id); !done.ok()) {
      log::error("transactional id {}: aborting failed: {}", id, done.to_string());
    }
  }
  return ok_status();
}

Status TransactionCoordinator::persist_locked(const std::string& transactional_id,
                                              const Transaction& txn) {
  std::shared_ptr<Log> partition_log = logs_.log(kTopic, partition_for(transactional_id));
  if (partition_log == nullptr) return unavailable_error(fmt::format("{} is missing", kTopic));
  StateProto value;
  value.set_producer_id(txn.producer_id);
  value.set_producer_epoch(txn.producer_epoch);
  value.set_timeout_ms(txn.timeout_ms);
  value.set_state(to_proto(txn.state));
  for (const TopicPartition& tp : txn.partitions) {
    auto* partition = value.add_partitions();
    partition->set_topic(tp.topic);
    partition->set_partition(tp.partition);
  }
  for (const std::string& group : txn.groups) value.add_groups(group);
  value.set_start_time_ms(txn.start_time_ms);
  value.set_last_update_time_ms(txn.last_update_time_ms);
  if (txn.last_producer_id >= 0) {
    value.set_last_producer_id(txn.last_producer_id);
    value.set_last_producer_epoch(txn.last_producer_epoch);
  }
  std::string bytes;
  value.SerializeToString(&bytes);
  const int64_t now = clock_.now_ms();
  RecordBatchBuilder builder(now);
  builder.add(Bytes::from_string(transactional_id), Bytes::from_string(bytes), now, {});
  const Bytes batch = builder.build();
  AppendResult appended = partition_log->append(batch.view(), now);
  if (appended.error != AppendError::kNone) {
    return unavailable_error(fmt::format("appending to {} failed: {}", kTopic, appended.message));
  }
  return ok_status();
}

ErrorCode TransactionCoordinator::check_producer_locked(const Transaction& txn, int64_t producer_id,
                                                        int16_t producer_epoch) const {
  if (producer_id != txn.producer_id) return ErrorCode::kInvalidProducerIdMapping;
  if (producer_epoch != txn.producer_epoch) return ErrorCode::kProducerFenced;
  if (txn.completing) return ErrorCode::kConcurrentTransactions;
  return ErrorCode::kNone;
}

Status TransactionCoordinator::write_markers(const std::set<TopicPartition>& partitions,
                                             int64_t producer_id, int16_t producer_epoch,
                                             bool commit) {
  const ControlType type = commit ? ControlType::kCommit : ControlType::kAbort;
  Status first_error = ok_status();
  // Every partition is attempted even after a failure: the transaction stays Prepare* and the
  // markers are written again later, where a second marker is harmless.
  for (const TopicPartition& tp : partitions) {
    Status written = ok_status();
    if (tp.topic == OffsetStore::kTopic) {
      Result<int64_t> offset = offsets_.write_transaction_marker(
          tp.partition, producer_id, producer_epoch, type, kCoordinatorEpoch);
      if (!offset.ok()) written = offset.status();
    } else {
      std::shared_ptr<Log> partition_log = logs_.log(tp.topic, tp.partition);
      if (partition_log == nullptr) {
        // Deleted with the transaction open: nothing left to mark.
        log::warn("transaction marker for {}-{} skipped: the partition is gone", tp.topic,
                  tp.partition);
        continue;
      }
      Result<int64_t> offset = partition_log->append_transaction_marker(
          producer_id, producer_epoch, type, kCoordinatorEpoch, clock_.now_ms());
      if (!offset.ok()) written = offset.status();
    }
    if (!written.ok() && first_error.ok()) {
      first_error = unavailable_error(fmt::format("writing the transaction marker to {}-{}: {}",
                                                  tp.topic, tp.partition, written.to_string()));
    }
  }
  return first_error;
}

void TransactionCoordinator::crash_point(std::string_view step) const {
  if (options_.test_crash_point != step) return;
  log::warn("RUNNELD_TEST_CRASH_POINT={}: killing runneld", step);
  std::raise(SIGKILL);
}

Status TransactionCoordinator::complete_locked(std::unique_lock<std::mutex>& lock,
                                               const std::string& transactional_id) {
  // std::map references stay valid across insertions, and ids are never erased while the
  // broker runs; `completing` keeps every other request off this one.
  Transaction& txn = transactions_.at(transactional_id);
  const bool commit = txn.state == TxnState::kPrepareCommit;
  txn.completing = true;
  const std::set<TopicPartition> partitions = txn.partitions;
  const int64_t producer_id = txn.producer_id;
  const int16_t producer_epoch = txn.producer_epoch;
  lock.unlock();
  crash_point("after-prepare");
  Status written = write_markers(partitions, producer_id, producer_epoch, commit);
  on_markers_written_();
  if (written.ok()) crash_point("after-markers");
  lock.lock();
  txn.completing = false;
  if (!written.ok()) return written;
  txn.state = commit ? TxnState::kCompleteCommit : TxnState::kCompleteAbort;
  txn.partitions.clear();
  txn.groups.clear();
  txn.last_update_time_ms = clock_.now_ms();
  if (Status persisted = persist_locked(transactional_id, txn); !persisted.ok()) {
    // The markers are written: the transaction is over. A restart finds Prepare* and writes
    // them again, which readers tolerate.
    log::error("transactional id {}: persisting {} failed: {}", transactional_id,
               txn_state_name(txn.state), persisted.to_string());
  }
  return ok_status();
}

Status TransactionCoordinator::abort_fenced_locked(std::unique_lock<std::mutex>& lock,
                                                   const std::string& transactional_id) {
  Transaction& txn = transactions_.at(transactional_id);
  const Transaction before = txn;
  // The bump fences the producer that left the transaction open: its next request is refused.
  if (txn.producer_epoch < INT16_MAX) ++txn.producer_epoch;
  txn.last_producer_id = -1;
  txn.last_producer_epoch = -1;
  txn.state = TxnState::kPrepareAbort;
  txn.last_update_time_ms = clock_.now_ms();
  if (Status persisted = persist_locked(transactional_id, txn); !persisted.ok()) {
    txn = before;
    return persisted;
  }
  return complete_locked(lock, transactional_id);
}

InitProducerIdResult TransactionCoordinator::init_producer_id(const std::string& transactional_id,
                                                              int32_t timeout_ms,
                                                              int64_t expected_producer_id,
                                                              int16_t expected_epoch) {
  if (transactional_id.empty()) return {.error = ErrorCode::kInvalidRequest};
  if (timeout_ms <= 0 || timeout_ms > options_.max_timeout_ms) {
    return {.error = ErrorCode::kInvalidTransactionTimeout};
  }
  std::unique_lock lock(mutex_);
  const int64_t now = clock_.now_ms();
  auto found = transactions_.find(transactional_id);
  if (found == transactions_.end()) {
    Result<int64_t> id = producer_ids_.next_id();
    if (!id.ok()) {
      log::error("InitProducerId {}: {}", transactional_id, id.status().to_string());
      return {.error = ErrorCode::kCoordinatorNotAvailable};
    }
    Transaction txn;
    txn.producer_id = *id;
    txn.producer_epoch = 0;
    txn.timeout_ms = timeout_ms;
    txn.last_update_time_ms = now;
    if (Status persisted = persist_locked(transactional_id, txn); !persisted.ok()) {
      log::error("InitProducerId {}: {}", transactional_id, persisted.to_string());
      return {.error = ErrorCode::kCoordinatorNotAvailable};
    }
    transactions_.emplace(transactional_id, txn);
    return {.producer_id = txn.producer_id, .producer_epoch = txn.producer_epoch};
  }
  Transaction& txn = found->second;
  if (txn.completing) return {.error = ErrorCode::kConcurrentTransactions};
  if (expected_producer_id >= 0) {
    // KIP-360: a producer re-initializing names itself. A retry of the bump it did not see
    // the answer to gets the current producer; anyone else is a zombie.
    if (expected_producer_id == txn.last_producer_id && expected_epoch == txn.last_producer_epoch &&
        (txn.state == TxnState::kEmpty || txn.state == TxnState::kCompleteAbort ||
         txn.state == TxnState::kCompleteCommit)) {
      return {.producer_id = txn.producer_id, .producer_epoch = txn.producer_epoch};
    }
    if (expected_producer_id != txn.producer_id || expected_epoch != txn.producer_epoch) {
      return {.error = ErrorCode::kProducerFenced};
    }
  }
  const int64_t previous_id = txn.producer_id;
  const int16_t previous_epoch = txn.producer_epoch;
  if (txn.state == TxnState::kPrepareCommit || txn.state == TxnState::kPrepareAbort) {
    // An earlier completion failed to write its markers: finish it first.
    if (Status done = complete_locked(lock, transactional_id); !done.ok()) {
      log::error("InitProducerId {}: {}", transactional_id, done.to_string());
      return {.error = ErrorCode::kConcurrentTransactions};
    }
  } else if (txn.state == TxnState::kOngoing) {
    // The new producer instance must not inherit its predecessor's transaction.
    if (Status done = abort_fenced_locked(lock, transactional_id); !done.ok()) {
      log::error("InitProducerId {}: aborting the open transaction: {}", transactional_id,
                 done.to_string());
      return {.error = ErrorCode::kConcurrentTransactions};
    }
  }
  const Transaction before = txn;
  if (txn.producer_epoch >= kMaxEpoch) {
    Result<int64_t> id = producer_ids_.next_id();
    if (!id.ok()) {
      log::error("InitProducerId {}: {}", transactional_id, id.status().to_string());
      return {.error = ErrorCode::kCoordinatorNotAvailable};
    }
    txn.producer_id = *id;
    txn.producer_epoch = 0;
  } else {
    ++txn.producer_epoch;
  }
  txn.last_producer_id = previous_id;
  txn.last_producer_epoch = previous_epoch;
  txn.timeout_ms = timeout_ms;
  txn.state = TxnState::kEmpty;
  txn.partitions.clear();
  txn.groups.clear();
  txn.start_time_ms = -1;
  txn.last_update_time_ms = now;
  if (Status persisted = persist_locked(transactional_id, txn); !persisted.ok()) {
    log::error("InitProducerId {}: {}", transactional_id, persisted.to_string());
    txn = before;
    return {.error = ErrorCode::kCoordinatorNotAvailable};
  }
  return {.producer_id = txn.producer_id, .producer_epoch = txn.producer_epoch};
}

ErrorCode TransactionCoordinator::add_partitions(const std::string& transactional_id,
                                                 int64_t producer_id, int16_t producer_epoch,
                                                 const std::vector<TopicPartition>& partitions) {
  return add_to_transaction(transactional_id, producer_id, producer_epoch, partitions,
                            std::nullopt);
}

ErrorCode TransactionCoordinator::add_offsets(const std::string& transactional_id,
                                              int64_t producer_id, int16_t producer_epoch,
                                              const std::string& group) {
  if (group.empty()) return ErrorCode::kInvalidGroupId;
  // As Kafka does: the group's offsets partition joins the transaction like any other, so
  // that it gets the marker that makes the transaction's offsets visible.
  const TopicPartition offsets_partition{OffsetStore::kTopic, OffsetStore::partition_for(group)};
  return add_to_transaction(transactional_id, producer_id, producer_epoch, {offsets_partition},
                            group);
}

ErrorCode TransactionCoordinator::add_to_transaction(const std::string& transactional_id,
                                                     int64_t producer_id, int16_t producer_epoch,
                                                     const std::vector<TopicPartition>& partitions,
                                                     const std::optional<std::string>& group) {
  if (transactional_id.empty()) return ErrorCode::kInvalidRequest;
  std::lock_guard lock(mutex_);
  auto found = transactions_.find(transactional_id);
  if (found == transactions_.end()) return ErrorCode::kInvalidProducerIdMapping;
  Transaction& txn = found->second;
  if (ErrorCode error = check_producer_locked(txn, producer_id, producer_epoch);
      error != ErrorCode::kNone) {
    return error;
  }
  if (txn.state == TxnState::kPrepareCommit || txn.state == TxnState::kPrepareAbort) {
    return ErrorCode::kConcurrentTransactions;
  }
  bool all_known = txn.state == TxnState::kOngoing && (!group || txn.groups.contains(*group));
  for (const TopicPartition& tp : partitions) all_known = all_known && txn.partitions.contains(tp);
  if (all_known) return ErrorCode::kNone;
  const Transaction before = txn;
  const int64_t now = clock_.now_ms();
  if (txn.state != TxnState::kOngoing) {
    txn.state = TxnState::kOngoing;
    txn.start_time_ms = now;
  }
  txn.partitions.insert(partitions.begin(), partitions.end());
  if (group) txn.groups.insert(*group);
  txn.last_update_time_ms = now;
  if (Status persisted = persist_locked(transactional_id, txn); !persisted.ok()) {
    log::error("adding to transaction {}: {}", transactional_id, persisted.to_string());
    txn = before;
    return ErrorCode::kCoordinatorNotAvailable;
  }
  return ErrorCode::kNone;
}

ErrorCode TransactionCoordinator::check_offset_commit(const std::string& transactional_id,
                                                      int64_t producer_id, int16_t producer_epoch,
                                                      const std::string& group) const {
  std::lock_guard lock(mutex_);
  auto found = transactions_.find(transactional_id);
  if (found == transactions_.end()) return ErrorCode::kInvalidProducerIdMapping;
  const Transaction& txn = found->second;
  if (ErrorCode error = check_producer_locked(txn, producer_id, producer_epoch);
      error != ErrorCode::kNone) {
    return error;
  }
  const TopicPartition offsets_partition{OffsetStore::kTopic, OffsetStore::partition_for(group)};
  if (txn.state != TxnState::kOngoing || !txn.partitions.contains(offsets_partition)) {
    return ErrorCode::kInvalidTxnState;
  }
  return ErrorCode::kNone;
}

ErrorCode TransactionCoordinator::end_transaction(const std::string& transactional_id,
                                                  int64_t producer_id, int16_t producer_epoch,
                                                  bool commit) {
  if (transactional_id.empty()) return ErrorCode::kInvalidRequest;
  std::unique_lock lock(mutex_);
  auto found = transactions_.find(transactional_id);
  if (found == transactions_.end()) return ErrorCode::kInvalidProducerIdMapping;
  Transaction& txn = found->second;
  if (ErrorCode error = check_producer_locked(txn, producer_id, producer_epoch);
      error != ErrorCode::kNone) {
    return error;
  }
  const TxnState prepare = commit ? TxnState::kPrepareCommit : TxnState::kPrepareAbort;
  switch (txn.state) {
    case TxnState::kOngoing: {
      const Transaction before = txn;
      txn.state = prepare;
      txn.last_update_time_ms = clock_.now_ms();
      if (Status persisted = persist_locked(transactional_id, txn); !persisted.ok()) {
        log::error("EndTxn {}: {}", transactional_id, persisted.to_string());
        txn = before;
        return ErrorCode::kCoordinatorNotAvailable;
      }
      break;
    }
    case TxnState::kPrepareCommit:
    case TxnState::kPrepareAbort:
      // An earlier completion failed (its markers are retried here); the other outcome is
      // no longer possible.
      if (txn.state != prepare) return ErrorCode::kInvalidTxnState;
      break;
    case TxnState::kCompleteCommit:
      // A retry of an end that succeeded is answered as it was.
      return commit ? ErrorCode::kNone : ErrorCode::kInvalidTxnState;
    case TxnState::kCompleteAbort:
      return commit ? ErrorCode::kInvalidTxnState : ErrorCode::kNone;
    case TxnState::kEmpty:
      return ErrorCode::kInvalidTxnState;
  }
  if (Status done = complete_locked(lock, transactional_id); !done.ok()) {
    // The decision is persisted: the client retries, and tick() or a restart completes it.
    log::error("EndTxn {}: {}", transactional_id, done.to_string());
    return ErrorCode::kCoordinatorNotAvailable;
  }
  return ErrorCode::kNone;
}

std::optional<TransactionDescription> TransactionCoordinator::describe(
    const std::string& transactional_id) const {
  std::lock_guard lock(mutex_);
  auto found = transactions_.find(transactional_id);
  if (found == transactions_.end()) return std::nullopt;
  const Transaction& txn = found->second;
  return TransactionDescription{.transactional_id = transactional_id,
                                .state = txn.state,
                                .timeout_ms = txn.timeout_ms,
                                .start_time_ms = txn.start_time_ms,
                                .producer_id = txn.producer_id,
                                .producer_epoch = txn.producer_epoch,
                                .partitions = txn.partitions};
}

std::vector<TransactionListing> TransactionCoordinator::list(
    const std::set<TxnState>& states, const std::set<int64_t>& producer_ids) const {
  std::lock_guard lock(mutex_);
  std::vector<TransactionListing> listings;
  for (const auto& [id, txn] : transactions_) {
    if (!states.empty() && !states.contains(txn.state)) continue;
    if (!producer_ids.empty() && !producer_ids.contains(txn.producer_id)) continue;
    listings.push_back(TransactionListing{.transactional_id = id,
                                          .producer_id = txn.producer_id,
                                          .state = txn.state,
                                          .start_time_ms = txn.start_time_ms});
  }
  return listings;
}

void TransactionCoordinator::tick() {
  std::unique_lock lock(mutex_);
  const int64_t now = clock_.now_ms();
  std::vector<std::string> expired;
  std::vector<std::string> unfinished;
  for (const auto& [id, txn] : transactions_) {
    if (txn.completing) continue;
    if (txn.state == TxnState::kOngoing && txn.start_time_ms + txn.timeout_ms < now) {
      expired.push_back(id);
    } else if (txn.state == TxnState::kPrepareCommit || txn.state == TxnState::kPrepareAbort) {
      unfinished.push_back(id);  // an earlier completion failed to write its markers
    }
  }
  for (const std::string& id : expired) {
    Transaction& txn = transactions_.at(id);
    // Checked again: the lock was released while an earlier one wrote its markers.
    if (txn.completing || txn.state != TxnState::kOngoing) continue;
    log::info("transactional id {}: aborting the transaction open for more than {} ms", id,
              txn.timeout_ms);
    if (Status done = abort_fenced_locked(lock, id); !done.ok()) {
      log::error("transactional id {}: aborting the timed-out transaction: {}", id,
                 done.to_string());
    }
  }
  for (const std::string& id : unfinished) {
    Transaction& txn = transactions_.at(id);
    if (txn.completing ||
        (txn.state != TxnState::kPrepareCommit && txn.state != TxnState::kPrepareAbort)) {
      continue;
    }
    if (Status done = complete_locked(lock, id); !done.ok()) {
      log::error("transactional id {}: completing: {}", id, done.to_string());
    }
  }
}

}  // namespace runnel::broker
