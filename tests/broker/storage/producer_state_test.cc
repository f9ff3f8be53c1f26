// Idempotent producers on a partition: retries are not written twice, gaps are refused, and
// the state comes back when the log is reopened.
#include "broker/storage/producer_state.h"

#include <gtest/gtest.h>

#include "broker/storage/log.h"
#include "tests/broker/storage/storage_test_support.h"

namespace runnel::broker {
namespace {

using testing::make_batch;
using testing::reseal;
using testing::TempDir;

constexpr int64_t kNow = 1'700'000'000'000;

// A batch of `records` records from producer `id` at `epoch`, first sequence `sequence`.
Bytes idempotent_batch(int64_t id, int16_t epoch, int32_t sequence, int records) {
  Bytes batch = make_batch(records);
  store_big_endian<int64_t>(batch.data() + 43, id);
  store_big_endian<int16_t>(batch.data() + 51, epoch);
  store_big_endian<int32_t>(batch.data() + 53, sequence);
  reseal(batch);
  return batch;
}

class ProducerStateTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    log_.reset();
    auto log = Log::open(dir_.path() / "p-0", TopicConfig{}, kNow);
    ASSERT_TRUE(log.ok()) << log.status().to_string();
    log_ = std::move(log).value();
  }
  AppendResult append(const Bytes& batch) { return log_->append(batch.view(), kNow); }

  TempDir dir_;
  std::unique_ptr<Log> log_;
};

TEST_F(ProducerStateTest, ARetriedBatchGetsItsOriginalOffsetsAndIsNotWrittenAgain) {
  ASSERT_EQ(append(idempotent_batch(7, 0, 0, 3)).error, AppendError::kNone);
  ASSERT_EQ(append(idempotent_batch(7, 0, 3, 2)).error, AppendError::kNone);
  EXPECT_EQ(log_->log_end_offset(), 5);
  // The response to the second batch was lost; the producer sends it again.
  AppendResult retry = append(idempotent_batch(7, 0, 3, 2));
  EXPECT_EQ(retry.error, AppendError::kNone);
  EXPECT_EQ(retry.base_offset, 3);
  EXPECT_EQ(retry.last_offset, 4);
  // An older one of the last five, too.
  EXPECT_EQ(append(idempotent_batch(7, 0, 0, 3)).base_offset, 0);
  EXPECT_EQ(log_->log_end_offset(), 5);
}

TEST_F(ProducerStateTest, ABatchAfterAGapIsRefusedAndNothingIsWritten) {
  ASSERT_EQ(append(idempotent_batch(7, 0, 0, 3)).error, AppendError::kNone);
  EXPECT_EQ(append(idempotent_batch(7, 0, 4, 1)).error, AppendError::kOutOfOrderSequenceNumber);
  EXPECT_EQ(log_->log_end_offset(), 3);
  EXPECT_EQ(append(idempotent_batch(7, 0, 3, 1)).error, AppendError::kNone);
}

TEST_F(ProducerStateTest, AnOlderEpochIsRefusedAndANewEpochStartsAtSequenceZero) {
  ASSERT_EQ(append(idempotent_batch(7, 2, 0, 1)).error, AppendError::kNone);
  EXPECT_EQ(append(idempotent_batch(7, 1, 1, 1)).error, AppendError::kInvalidProducerEpoch);
  EXPECT_EQ(append(idempotent_batch(7, 3, 5, 1)).error, AppendError::kOutOfOrderSequenceNumber);
  EXPECT_EQ(append(idempotent_batch(7, 3, 0, 1)).error, AppendError::kNone);
}

TEST_F(ProducerStateTest, AnUnknownProducerIsAcceptedAtAnySequence) {
  EXPECT_EQ(append(idempotent_batch(9, 0, 1234, 2)).error, AppendError::kNone);
  EXPECT_EQ(append(idempotent_batch(9, 0, 1236, 1)).error, AppendError::kNone);
}

TEST_F(ProducerStateTest, SequencesWrapAfterInt32Max) {
  ASSERT_EQ(append(idempotent_batch(7, 0, INT32_MAX - 1, 2)).error, AppendError::kNone);
  EXPECT_EQ(append(idempotent_batch(7, 0, 0, 1)).error, AppendError::kNone);
}

TEST_F(ProducerStateTest, BatchesWithoutAProducerIdAreNeverChecked) {
  const Bytes plain = make_batch(2);
  ASSERT_EQ(append(plain).error, AppendError::kNone);
  ASSERT_EQ(append(plain).error, AppendError::kNone);
  EXPECT_EQ(log_->log_end_offset(), 4);
}

TEST_F(ProducerStateTest, TheStateIsRebuiltFromTheLogWhenItReopens) {
  for (int32_t sequence = 0; sequence < 10; sequence += 2) {
    ASSERT_EQ(append(idempotent_batch(7, 0, sequence, 2)).error, AppendError::kNone);
  }
  open();
  AppendResult retry = append(idempotent_batch(7, 0, 8, 2));
  EXPECT_EQ(retry.error, AppendError::kNone);
  EXPECT_EQ(retry.base_offset, 8);
  EXPECT_EQ(log_->log_end_offset(), 10);
  EXPECT_EQ(append(idempotent_batch(7, 0, 11, 1)).error, AppendError::kOutOfOrderSequenceNumber);
  EXPECT_EQ(append(idempotent_batch(7, 0, 10, 1)).error, AppendError::kNone);
}

TEST_F(ProducerStateTest, ActiveProducersListEachProducersEpochLastSequenceAndTimestamp) {
  ASSERT_EQ(append(idempotent_batch(9, 2, 0, 3)).error, AppendError::kNone);
  ASSERT_EQ(append(idempotent_batch(7, 0, 0, 2)).error, AppendError::kNone);
  ASSERT_EQ(append(make_batch(1)).error, AppendError::kNone);  // no producer id: not listed
  const auto active = log_->active_producers();
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0].producer_id, 7);
  EXPECT_EQ(active[0].last_sequence, 1);
  EXPECT_EQ(active[1].producer_id, 9);
  EXPECT_EQ(active[1].epoch, 2);
  EXPECT_EQ(active[1].last_sequence, 2);
  EXPECT_EQ(active[1].last_timestamp, 1'000);  // make_batch's timestamp
  EXPECT_EQ(active[1].transaction_start_offset, -1);
}

TEST(ProducerStateTableTest, ARequestWhoseSecondBatchSkipsASequenceIsRefused) {
  ProducerStateTable table;
  RecordBatchHeader first;
  first.producer_id = 1;
  first.producer_epoch = 0;
  first.base_sequence = 0;
  first.last_offset_delta = 1;
  RecordBatchHeader second = first;
  second.base_sequence = 3;
  EXPECT_EQ(table.check({first, second}).error, AppendError::kOutOfOrderSequenceNumber);
  second.base_sequence = 2;
  EXPECT_EQ(table.check({first, second}).error, AppendError::kNone);
}

}  // namespace
}  // namespace runnel::broker
