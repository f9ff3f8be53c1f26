#include "broker/coordinator/offset_store.h"

#include <gtest/gtest.h>

#include "broker/storage/record_batch_builder.h"
#include "tests/broker/coordinator/coordinator_test_support.h"

namespace runnel::broker {
namespace {

CommittedOffset at(int64_t offset, std::string metadata = "") {
  return CommittedOffset{.offset = offset,
                         .leader_epoch = -1,
                         .metadata = std::move(metadata),
                         .commit_timestamp_ms = 1000};
}

class OffsetStoreTest : public testing::OffsetsFixture {};

TEST_F(OffsetStoreTest, CreatesTheCompactedInternalTopic) {
  auto topic = logs_->describe_topic(OffsetStore::kTopic);
  ASSERT_TRUE(topic.has_value());
  EXPECT_EQ(topic->partitions, OffsetStore::kPartitions);
  EXPECT_EQ(topic->config.cleanup_policy, "compact");
}

TEST_F(OffsetStoreTest, CommittedOffsetsAndMetadataSurviveAReopen) {
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, at(5, "meta-0")}, {{"t", 1}, at(7)}}).ok());
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, at(9, "meta-1")}}).ok());
  ASSERT_TRUE(offsets_->commit("other", {{{"u", 3}, at(1)}}).ok());
  open();
  auto t0 = offsets_->fetch("g", {"t", 0});
  ASSERT_TRUE(t0.has_value());
  EXPECT_EQ(t0->offset, 9);
  EXPECT_EQ(t0->metadata, "meta-1");
  EXPECT_EQ(t0->commit_timestamp_ms, 1000);
  ASSERT_TRUE(offsets_->fetch("g", {"t", 1}).has_value());
  EXPECT_EQ(offsets_->fetch("g", {"t", 1})->offset, 7);
  EXPECT_EQ(offsets_->fetch("other", {"u", 3})->offset, 1);
  EXPECT_FALSE(offsets_->fetch("g", {"t", 2}).has_value());
  EXPECT_EQ(offsets_->groups(), (std::vector<std::string>{"g", "other"}));
}

TEST_F(OffsetStoreTest, DeletedOffsetsStayDeletedAfterAReopen) {
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, at(5)}, {{"t", 1}, at(7)}}).ok());
  ASSERT_TRUE(offsets_->commit("h", {{{"t", 0}, at(2)}}).ok());
  ASSERT_TRUE(offsets_->remove("g", {{"t", 1}}).ok());
  ASSERT_TRUE(offsets_->remove_group("h").ok());
  open();
  EXPECT_TRUE(offsets_->fetch("g", {"t", 0}).has_value());
  EXPECT_FALSE(offsets_->fetch("g", {"t", 1}).has_value());
  EXPECT_FALSE(offsets_->has_offsets("h"));
  EXPECT_EQ(offsets_->groups(), (std::vector<std::string>{"g"}));
}

TEST_F(OffsetStoreTest, AGroupsRecordsAllGoToOnePartitionOfTheTopic) {
  const int32_t partition = OffsetStore::partition_for("g");
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, at(5)}, {{"t", 1}, at(7)}}).ok());
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, at(6)}}).ok());
  EXPECT_EQ(logs_->log(OffsetStore::kTopic, partition)->log_end_offset(), 3);
  // Stable across processes: it names where the group's records are on disk.
  EXPECT_EQ(OffsetStore::partition_for("g"), partition);
}

TEST_F(OffsetStoreTest, AnUndecodableRecordIsSkippedAtStartNotFatal) {
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, at(5)}}).ok());
  RecordBatchBuilder garbage(1000);
  garbage.add(Bytes::from_string("\xff\xff not a key"), Bytes::from_string("x"), 1000, {});
  const Bytes batch = garbage.build();
  ASSERT_EQ(logs_->log(OffsetStore::kTopic, OffsetStore::partition_for("g"))
                ->append(batch.view(), 1000)
                .error,
            AppendError::kNone);
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 1}, at(6)}}).ok());
  open();
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 5);
  EXPECT_EQ(offsets_->fetch("g", {"t", 1})->offset, 6);
}

// The offsets of producer 7's transaction in group g, pending until the marker.
class TransactionalOffsetsTest : public OffsetStoreTest {
 protected:
  static constexpr int64_t kProducer = 7;
  static constexpr int16_t kEpoch = 0;
  const int32_t partition_ = OffsetStore::partition_for("g");

  Result<int64_t> end(ControlType type) {
    return offsets_->write_transaction_marker(partition_, kProducer, kEpoch, type, 0);
  }
};

TEST_F(TransactionalOffsetsTest, TransactionalOffsetsAreInvisibleUntilTheCommitMarker) {
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, at(1)}}).ok());
  ASSERT_TRUE(offsets_->commit_transactional("g", kProducer, kEpoch, {{{"t", 0}, at(5)}}).ok());
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 1);
  EXPECT_EQ(offsets_->pending("g", kProducer).size(), 1u);
  ASSERT_TRUE(end(ControlType::kCommit).ok());
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 5);
  EXPECT_TRUE(offsets_->pending("g", kProducer).empty());
}

TEST_F(TransactionalOffsetsTest, AnAbortMarkerDropsTheTransactionsOffsets) {
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, at(1)}}).ok());
  ASSERT_TRUE(offsets_->commit_transactional("g", kProducer, kEpoch, {{{"t", 0}, at(5)}}).ok());
  ASSERT_TRUE(end(ControlType::kAbort).ok());
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 1);
  EXPECT_TRUE(offsets_->pending("g", kProducer).empty());
  open();
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 1);
  EXPECT_TRUE(offsets_->pending("g", kProducer).empty());
}

TEST_F(TransactionalOffsetsTest, ACommittedTransactionsOffsetsSurviveAReopen) {
  ASSERT_TRUE(offsets_->commit_transactional("g", kProducer, kEpoch, {{{"t", 0}, at(5)}}).ok());
  ASSERT_TRUE(end(ControlType::kCommit).ok());
  open();
  ASSERT_TRUE(offsets_->fetch("g", {"t", 0}).has_value());
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 5);
}

TEST_F(TransactionalOffsetsTest, OffsetsOfATransactionWithNoMarkerStayPendingAcrossAReopen) {
  ASSERT_TRUE(offsets_->commit_transactional("g", kProducer, kEpoch, {{{"t", 0}, at(5)}}).ok());
  open();
  EXPECT_FALSE(offsets_->fetch("g", {"t", 0}).has_value());
  ASSERT_EQ(offsets_->pending("g", kProducer).size(), 1u);
  // The transaction coordinator's recovery then ends it.
  ASSERT_TRUE(end(ControlType::kCommit).ok());
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 5);
}

TEST_F(TransactionalOffsetsTest, AMarkerEndsOnlyItsOwnProducersOffsets) {
  ASSERT_TRUE(offsets_->commit_transactional("g", kProducer, kEpoch, {{{"t", 0}, at(5)}}).ok());
  ASSERT_TRUE(offsets_->commit_transactional("g", kProducer + 1, 0, {{{"t", 1}, at(6)}}).ok());
  ASSERT_TRUE(end(ControlType::kCommit).ok());
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 5);
  EXPECT_FALSE(offsets_->fetch("g", {"t", 1}).has_value());
  EXPECT_EQ(offsets_->pending("g", kProducer + 1).size(), 1u);
}

TEST_F(TransactionalOffsetsTest, DeletingAGroupKeepsTheOffsetsOfItsOpenTransaction) {
  ASSERT_TRUE(offsets_->commit("g", {{{"t", 0}, at(1)}}).ok());
  ASSERT_TRUE(offsets_->commit_transactional("g", kProducer, kEpoch, {{{"t", 1}, at(5)}}).ok());
  ASSERT_TRUE(offsets_->remove_group("g").ok());
  EXPECT_FALSE(offsets_->has_offsets("g"));
  ASSERT_TRUE(end(ControlType::kCommit).ok());
  EXPECT_FALSE(offsets_->fetch("g", {"t", 0}).has_value());
  EXPECT_EQ(offsets_->fetch("g", {"t", 1})->offset, 5);
}

}  // namespace
}  // namespace runnel::broker
