#include "broker/storage/producer_state.h"

#include <algorithm>
#include <map>

namespace runnel::broker {
namespace {

int32_t last_sequence_of(const RecordBatchHeader& batch) {
  const int64_t last = static_cast<int64_t>(batch.base_sequence) + batch.last_offset_delta;
  return static_cast<int32_t>(last > INT32_MAX ? last - INT32_MAX - 1 : last);
}

int32_t next_sequence(int32_t sequence) { return sequence == INT32_MAX ? 0 : sequence + 1; }

}  // namespace

ProducerStateTable::Verdict ProducerStateTable::check(const std::vector<RecordBatchHeader>& batches,
                                                      bool unsequenced_allowed) const {
  Verdict verdict;
  // What the request's own earlier batches would make the state, per producer: a later batch
  // of the same request must follow them.
  std::map<int64_t, std::pair<int16_t, int32_t>> pending;  // id -> (epoch, last sequence)
  size_t duplicates = 0;
  for (const RecordBatchHeader& batch : batches) {
    if (batch.producer_id < 0) continue;
    if (unsequenced_allowed && batch.base_sequence < 0) {
      auto found = producers_.find(batch.producer_id);
      if (found != producers_.end() && batch.producer_epoch < found->second.epoch) {
        verdict.error = AppendError::kInvalidProducerEpoch;
        return verdict;
      }
      continue;
    }
    const int32_t last = last_sequence_of(batch);
    if (auto staged = pending.find(batch.producer_id); staged != pending.end()) {
      if (batch.producer_epoch != staged->second.first ||
          batch.base_sequence != next_sequence(staged->second.second)) {
        verdict.error = AppendError::kOutOfOrderSequenceNumber;
        return verdict;
      }
      staged->second.second = last;
      continue;
    }
    auto found = producers_.find(batch.producer_id);
    if (found == producers_.end()) {
      pending[batch.producer_id] = {batch.producer_epoch, last};
      continue;
    }
    const Producer& producer = found->second;
    if (batch.producer_epoch < producer.epoch) {
      verdict.error = AppendError::kInvalidProducerEpoch;
      return verdict;
    }
    if (batch.producer_epoch > producer.epoch) {
      // A new epoch starts its sequences again.
      if (batch.base_sequence != 0) {
        verdict.error = AppendError::kOutOfOrderSequenceNumber;
        return verdict;
      }
      pending[batch.producer_id] = {batch.producer_epoch, last};
      continue;
    }
    bool duplicate = false;
    for (const BatchRange& range : producer.batches) {
      if (range.first_sequence == batch.base_sequence && range.last_sequence == last) {
        duplicate = true;
        if (duplicates == 0) verdict.duplicate_base_offset = range.first_offset;
        verdict.duplicate_last_offset = range.last_offset;
        break;
      }
    }
    if (duplicate) {
      ++duplicates;
      continue;
    }
    // No batch known in this epoch (a marker made the entry): any sequence, as for an
    // unknown producer.
    if (!producer.batches.empty() &&
        batch.base_sequence != next_sequence(producer.batches.back().last_sequence)) {
      verdict.error = AppendError::kOutOfOrderSequenceNumber;
      return verdict;
    }
    pending[batch.producer_id] = {batch.producer_epoch, last};
  }
  if (duplicates > 0) {
    if (duplicates != batches.size()) {
      verdict.error = AppendError::kOutOfOrderSequenceNumber;
      return verdict;
    }
    verdict.duplicate = true;
  }
  return verdict;
}

void ProducerStateTable::record(const RecordBatchHeader& batch) {
  if (batch.producer_id < 0) return;
  if (batch.is_control()) {
    end_transaction(batch.producer_id, batch.producer_epoch);
    return;
  }
  Producer& producer = producers_[batch.producer_id];
  if (batch.producer_epoch != producer.epoch) {
    producer.epoch = batch.producer_epoch;
    producer.batches.clear();
  }
  producer.last_timestamp = batch.max_timestamp;
  if (batch.is_transactional())
    open_transactions_.try_emplace(batch.producer_id, batch.base_offset);
  if (batch.base_sequence < 0) return;  // the broker's own batch: no sequence to remember
  producer.batches.push_back(BatchRange{.first_sequence = batch.base_sequence,
                                        .last_sequence = last_sequence_of(batch),
                                        .first_offset = batch.base_offset,
                                        .last_offset = batch.last_offset()});
  while (producer.batches.size() > kCachedBatches) producer.batches.pop_front();
}

std::vector<ProducerStateTable::ActiveProducer> ProducerStateTable::active_producers() const {
  std::vector<ActiveProducer> active;
  for (const auto& [id, producer] : producers_) {
    auto open = open_transactions_.find(id);
    active.push_back(ActiveProducer{
        .producer_id = id,
        .epoch = producer.epoch,
        .last_sequence = producer.batches.empty() ? -1 : producer.batches.back().last_sequence,
        .last_timestamp = producer.last_timestamp,
        .transaction_start_offset = open != open_transactions_.end() ? open->second : -1});
  }
  std::sort(active.begin(), active.end(), [](const ActiveProducer& a, const ActiveProducer& b) {
    return a.producer_id < b.producer_id;
  });
  return active;
}

bool ProducerStateTable::marker_epoch_valid(int64_t producer_id, int16_t epoch) const {
  auto found = producers_.find(producer_id);
  return found == producers_.end() || epoch >= found->second.epoch;
}

std::optional<int64_t> ProducerStateTable::end_transaction(int64_t producer_id, int16_t epoch) {
  Producer& producer = producers_[producer_id];
  if (epoch > producer.epoch) {
    producer.epoch = epoch;
    producer.batches.clear();
  }
  auto open = open_transactions_.find(producer_id);
  if (open == open_transactions_.end()) return std::nullopt;
  const int64_t first = open->second;
  open_transactions_.erase(open);
  return first;
}

std::optional<int64_t> ProducerStateTable::first_unstable_offset() const {
  std::optional<int64_t> first;
  for (const auto& [id, offset] : open_transactions_) {
    if (!first || offset < *first) first = offset;
  }
  return first;
}

}  // namespace runnel::broker
