#include "broker/coordinator/transaction_coordinator.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "broker/coordinator/transaction_state.pb.h"
#include "broker/storage/record_batch.h"
#include "broker/storage/record_batch_builder.h"
#include "tests/broker/coordinator/coordinator_test_support.h"

namespace runnel::broker {
namespace {

constexpr int32_t kTimeout = 60000;

CommittedOffset at(int64_t offset) {
  return CommittedOffset{
      .offset = offset, .leader_epoch = -1, .metadata = {}, .commit_timestamp_ms = 1000};
}

class TransactionCoordinatorTest : public testing::OffsetsFixture {
 protected:
  TransactionCoordinatorTest() {
    EXPECT_TRUE(logs_->create_topic("t", 2, {}, false).ok());
    open_coordinator();
  }
  ~TransactionCoordinatorTest() override { transactions_.reset(); }

  void open_coordinator() {
    auto ids = ProducerIdManager::open(dir_ / "data");
    ASSERT_TRUE(ids.ok()) << ids.status().to_string();
    producer_ids_ = std::move(ids).value();
    auto transactions = TransactionCoordinator::open(*logs_, *offsets_, *producer_ids_, clock_,
                                                     TransactionCoordinatorOptions{},
                                                     [this] { ++markers_notified_; });
    ASSERT_TRUE(transactions.ok()) << transactions.status().to_string();
    transactions_ = std::move(transactions).value();
  }

  // Stops and starts everything on the same data directory, as a broker restart does.
  void restart() {
    transactions_.reset();
    producer_ids_.reset();
    open();  // LogManager and OffsetStore
    open_coordinator();
  }

  InitProducerIdResult init(const std::string& id = "txn", int64_t producer_id = -1,
                            int16_t epoch = -1) {
    return transactions_->init_producer_id(id, kTimeout, producer_id, epoch);
  }

  // The marker of the last batch of the partition, nullopt when it is not a control batch.
  std::optional<TransactionMarker> last_marker(const std::string& topic, int32_t partition) {
    std::shared_ptr<Log> log = logs_->log(topic, partition);
    if (log == nullptr || log->log_end_offset() == 0) return std::nullopt;
    auto read = log->read(log->log_end_offset() - 1, 1 << 20);
    if (!read.ok()) return std::nullopt;
    BytesView rest = read->records.view();
    std::optional<TransactionMarker> marker;
    while (rest.size() >= RecordBatchHeader::kSize) {
      const size_t size = RecordBatchHeader::parse(rest).total_size();
      if (size > rest.size()) break;
      marker = parse_transaction_marker(rest.subview(0, size));
      rest = rest.subview(size);
    }
    return marker;
  }

  int64_t end_offset(const std::string& topic, int32_t partition) {
    return logs_->log(topic, partition)->log_end_offset();
  }

  TxnState state(const std::string& id = "txn") { return transactions_->describe(id)->state; }

  // Appends a state record as the coordinator would have before a crash.
  void write_state(const std::string& id, int64_t producer_id, int16_t epoch,
                   coordinator::TransactionStateValue::State txn_state,
                   const std::vector<TopicPartition>& partitions) {
    coordinator::TransactionStateValue value;
    value.set_producer_id(producer_id);
    value.set_producer_epoch(epoch);
    value.set_timeout_ms(kTimeout);
    value.set_state(txn_state);
    for (const TopicPartition& tp : partitions) {
      auto* partition = value.add_partitions();
      partition->set_topic(tp.topic);
      partition->set_partition(tp.partition);
    }
    value.set_start_time_ms(clock_.now_ms());
    value.set_last_update_time_ms(clock_.now_ms());
    std::string bytes;
    value.SerializeToString(&bytes);
    RecordBatchBuilder builder(clock_.now_ms());
    builder.add(Bytes::from_string(id), Bytes::from_string(bytes), clock_.now_ms(), {});
    const Bytes batch = builder.build();
    ASSERT_EQ(logs_->log(TransactionCoordinator::kTopic, TransactionCoordinator::partition_for(id))
                  ->append(batch.view(), clock_.now_ms())
                  .error,
              AppendError::kNone);
  }

  const TopicPartition offsets_partition_{OffsetStore::kTopic, OffsetStore::partition_for("g")};
  std::unique_ptr<ProducerIdManager> producer_ids_;
  std::unique_ptr<TransactionCoordinator> transactions_;
  std::atomic<int> markers_notified_{0};
};

TEST_F(TransactionCoordinatorTest, CreatesTheCompactedTransactionStateTopic) {
  auto topic = logs_->describe_topic(TransactionCoordinator::kTopic);
  ASSERT_TRUE(topic.has_value());
  EXPECT_EQ(topic->partitions, TransactionCoordinator::kPartitions);
  EXPECT_EQ(topic->config.cleanup_policy, "compact");
}

TEST_F(TransactionCoordinatorTest, ANewTransactionalIdGetsAFreshProducerAtEpochZero) {
  const InitProducerIdResult first = init("a");
  const InitProducerIdResult second = init("b");
  EXPECT_EQ(first.error, ErrorCode::kNone);
  EXPECT_EQ(first.producer_epoch, 0);
  EXPECT_GE(first.producer_id, 0);
  EXPECT_NE(first.producer_id, second.producer_id);
  EXPECT_EQ(state("a"), TxnState::kEmpty);
}

TEST_F(TransactionCoordinatorTest, InitializingAgainBumpsTheEpochOfTheSameProducerId) {
  const InitProducerIdResult first = init();
  const InitProducerIdResult second = init();
  EXPECT_EQ(second.error, ErrorCode::kNone);
  EXPECT_EQ(second.producer_id, first.producer_id);
  EXPECT_EQ(second.producer_epoch, 1);
  // The old instance is fenced.
  EXPECT_EQ(transactions_->add_partitions("txn", first.producer_id, 0, {{"t", 0}}),
            ErrorCode::kProducerFenced);
}

TEST_F(TransactionCoordinatorTest, ATimeoutOutsideTheBrokersLimitsIsRefused) {
  EXPECT_EQ(transactions_->init_producer_id("txn", 900001, -1, -1).error,
            ErrorCode::kInvalidTransactionTimeout);
  EXPECT_EQ(transactions_->init_producer_id("txn", 0, -1, -1).error,
            ErrorCode::kInvalidTransactionTimeout);
  EXPECT_EQ(transactions_->init_producer_id("txn", 900000, -1, -1).error, ErrorCode::kNone);
  EXPECT_EQ(transactions_->init_producer_id("", kTimeout, -1, -1).error,
            ErrorCode::kInvalidRequest);
}

TEST_F(TransactionCoordinatorTest, AnExhaustedEpochGivesANewProducerIdAtEpochZero) {
  // The state as the coordinator would have written it after 32766 bumps.
  write_state("txn", 5, INT16_MAX - 1, coordinator::TransactionStateValue::COMPLETE_COMMIT, {});
  restart();
  const InitProducerIdResult bumped = init();
  EXPECT_EQ(bumped.error, ErrorCode::kNone);
  EXPECT_NE(bumped.producer_id, 5);
  EXPECT_EQ(bumped.producer_epoch, 0);
}

TEST_F(TransactionCoordinatorTest, Kip360AProducerNamingItselfBumpsItsEpochAndAStaleOneIsFenced) {
  const InitProducerIdResult first = init();
  const InitProducerIdResult resumed = init("txn", first.producer_id, first.producer_epoch);
  EXPECT_EQ(resumed.error, ErrorCode::kNone);
  EXPECT_EQ(resumed.producer_id, first.producer_id);
  EXPECT_EQ(resumed.producer_epoch, 1);
  // A retry of that bump (its answer lost) gets the same producer back, not another bump.
  const InitProducerIdResult retried = init("txn", first.producer_id, first.producer_epoch);
  EXPECT_EQ(retried.error, ErrorCode::kNone);
  EXPECT_EQ(retried.producer_epoch, 1);
  // Another instance takes over; the old one can no longer resume.
  const InitProducerIdResult other = init();
  EXPECT_EQ(other.producer_epoch, 2);
  EXPECT_EQ(init("txn", first.producer_id, 0).error, ErrorCode::kProducerFenced);
  EXPECT_EQ(init("txn", first.producer_id + 100, 2).error, ErrorCode::kProducerFenced);
}

TEST_F(TransactionCoordinatorTest, AddingPartitionsStartsTheTransaction) {
  const InitProducerIdResult producer = init();
  clock_.advance_ms(5);
  ASSERT_EQ(transactions_->add_partitions("txn", producer.producer_id, producer.producer_epoch,
                                          {{"t", 0}, {"t", 1}}),
            ErrorCode::kNone);
  auto described = transactions_->describe("txn");
  ASSERT_TRUE(described.has_value());
  EXPECT_EQ(described->state, TxnState::kOngoing);
  EXPECT_EQ(described->start_time_ms, clock_.now_ms());
  EXPECT_EQ(described->partitions, (std::set<TopicPartition>{{"t", 0}, {"t", 1}}));
  EXPECT_EQ(described->timeout_ms, kTimeout);
}

TEST_F(TransactionCoordinatorTest, RequestsOfAnUnknownOrStaleProducerAreRefused) {
  EXPECT_EQ(transactions_->add_partitions("nobody", 1, 0, {{"t", 0}}),
            ErrorCode::kInvalidProducerIdMapping);
  const InitProducerIdResult producer = init();
  EXPECT_EQ(transactions_->add_partitions("txn", producer.producer_id + 1, 0, {{"t", 0}}),
            ErrorCode::kInvalidProducerIdMapping);
  EXPECT_EQ(transactions_->add_partitions("txn", producer.producer_id, 1, {{"t", 0}}),
            ErrorCode::kProducerFenced);
  EXPECT_EQ(transactions_->end_transaction("txn", producer.producer_id, 1, true),
            ErrorCode::kProducerFenced);
  EXPECT_EQ(transactions_->add_offsets("txn", producer.producer_id, 1, "g"),
            ErrorCode::kProducerFenced);
}

TEST_F(TransactionCoordinatorTest, CommitWritesACommitMarkerToEveryPartitionOfTheTransaction) {
  const InitProducerIdResult p = init();
  ASSERT_EQ(transactions_->add_partitions("txn", p.producer_id, p.producer_epoch, {{"t", 1}}),
            ErrorCode::kNone);
  ASSERT_EQ(transactions_->end_transaction("txn", p.producer_id, p.producer_epoch, true),
            ErrorCode::kNone);
  EXPECT_EQ(end_offset("t", 0), 0);  // not in the transaction
  EXPECT_EQ(end_offset("t", 1), 1);
  auto marker = last_marker("t", 1);
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(marker->type, ControlType::kCommit);
  EXPECT_EQ(state(), TxnState::kCompleteCommit);
  EXPECT_TRUE(transactions_->describe("txn")->partitions.empty());
  EXPECT_GE(markers_notified_.load(), 1);
}

TEST_F(TransactionCoordinatorTest, EndingATransactionIsCheckedAgainstItsState) {
  const InitProducerIdResult p = init();
  // Nothing was started.
  EXPECT_EQ(transactions_->end_transaction("txn", p.producer_id, p.producer_epoch, true),
            ErrorCode::kInvalidTxnState);
  ASSERT_EQ(transactions_->add_partitions("txn", p.producer_id, p.producer_epoch, {{"t", 0}}),
            ErrorCode::kNone);
  ASSERT_EQ(transactions_->end_transaction("txn", p.producer_id, p.producer_epoch, false),
            ErrorCode::kNone);
  EXPECT_EQ(state(), TxnState::kCompleteAbort);
  // A retried abort is answered as before; a commit of the aborted transaction is not.
  EXPECT_EQ(transactions_->end_transaction("txn", p.producer_id, p.producer_epoch, false),
            ErrorCode::kNone);
  EXPECT_EQ(transactions_->end_transaction("txn", p.producer_id, p.producer_epoch, true),
            ErrorCode::kInvalidTxnState);
  EXPECT_EQ(end_offset("t", 0), 1);  // one marker, not one per retry
  // The next transaction starts from the completed one.
  ASSERT_EQ(transactions_->add_partitions("txn", p.producer_id, p.producer_epoch, {{"t", 1}}),
            ErrorCode::kNone);
  EXPECT_EQ(state(), TxnState::kOngoing);
}

TEST_F(TransactionCoordinatorTest, TransactionalOffsetsBecomeVisibleOnlyWhenTheTransactionCommits) {
  const InitProducerIdResult p = init();
  EXPECT_EQ(transactions_->check_offset_commit("txn", p.producer_id, p.producer_epoch, "g"),
            ErrorCode::kInvalidTxnState);  // AddOffsetsToTxn first
  ASSERT_EQ(transactions_->add_offsets("txn", p.producer_id, p.producer_epoch, "g"),
            ErrorCode::kNone);
  EXPECT_EQ(transactions_->describe("txn")->partitions,
            (std::set<TopicPartition>{offsets_partition_}));
  ASSERT_EQ(transactions_->check_offset_commit("txn", p.producer_id, p.producer_epoch, "g"),
            ErrorCode::kNone);
  ASSERT_TRUE(
      offsets_->commit_transactional("g", p.producer_id, p.producer_epoch, {{{"t", 0}, at(9)}})
          .ok());
  EXPECT_FALSE(offsets_->fetch("g", {"t", 0}).has_value());
  ASSERT_EQ(transactions_->end_transaction("txn", p.producer_id, p.producer_epoch, true),
            ErrorCode::kNone);
  ASSERT_TRUE(offsets_->fetch("g", {"t", 0}).has_value());
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 9);
  auto marker = last_marker(offsets_partition_.topic, offsets_partition_.partition);
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(marker->type, ControlType::kCommit);
}

TEST_F(TransactionCoordinatorTest, AnAbortedTransactionsOffsetsAreDropped) {
  const InitProducerIdResult p = init();
  ASSERT_EQ(transactions_->add_offsets("txn", p.producer_id, p.producer_epoch, "g"),
            ErrorCode::kNone);
  ASSERT_TRUE(
      offsets_->commit_transactional("g", p.producer_id, p.producer_epoch, {{{"t", 0}, at(9)}})
          .ok());
  ASSERT_EQ(transactions_->end_transaction("txn", p.producer_id, p.producer_epoch, false),
            ErrorCode::kNone);
  EXPECT_FALSE(offsets_->fetch("g", {"t", 0}).has_value());
  EXPECT_TRUE(offsets_->pending("g", p.producer_id).empty());
}

TEST_F(TransactionCoordinatorTest, ANewInstanceAbortsThePreviousInstancesOpenTransaction) {
  const InitProducerIdResult old = init();
  ASSERT_EQ(transactions_->add_partitions("txn", old.producer_id, old.producer_epoch, {{"t", 0}}),
            ErrorCode::kNone);
  const InitProducerIdResult fresh = init();
  EXPECT_EQ(fresh.error, ErrorCode::kNone);
  EXPECT_EQ(fresh.producer_id, old.producer_id);
  EXPECT_GT(fresh.producer_epoch, old.producer_epoch);
  auto marker = last_marker("t", 0);
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(marker->type, ControlType::kAbort);
  EXPECT_EQ(state(), TxnState::kEmpty);
  EXPECT_EQ(transactions_->end_transaction("txn", old.producer_id, old.producer_epoch, true),
            ErrorCode::kProducerFenced);
}

TEST_F(TransactionCoordinatorTest,
       ATransactionOpenLongerThanItsTimeoutIsAbortedAndItsProducerFenced) {
  const InitProducerIdResult p = init();
  ASSERT_EQ(transactions_->add_partitions("txn", p.producer_id, p.producer_epoch, {{"t", 0}}),
            ErrorCode::kNone);
  clock_.advance_ms(kTimeout);
  transactions_->tick();
  EXPECT_EQ(state(), TxnState::kOngoing);  // not older than the timeout yet
  clock_.advance_ms(1);
  transactions_->tick();
  EXPECT_EQ(state(), TxnState::kCompleteAbort);
  EXPECT_EQ(transactions_->describe("txn")->producer_epoch, p.producer_epoch + 1);
  auto marker = last_marker("t", 0);
  ASSERT_TRUE(marker.has_value());
  EXPECT_EQ(marker->type, ControlType::kAbort);
  // The zombie's commit is refused; so is its attempt to resume with its old epoch.
  EXPECT_EQ(transactions_->end_transaction("txn", p.producer_id, p.producer_epoch, true),
            ErrorCode::kProducerFenced);
  EXPECT_EQ(init("txn", p.producer_id, p.producer_epoch).error, ErrorCode::kProducerFenced);
}

TEST_F(TransactionCoordinatorTest, TransactionStateSurvivesARestart) {
  const InitProducerIdResult p = init();
  ASSERT_EQ(transactions_->add_partitions("txn", p.producer_id, p.producer_epoch, {{"t", 0}}),
            ErrorCode::kNone);
  ASSERT_EQ(transactions_->end_transaction("txn", p.producer_id, p.producer_epoch, true),
            ErrorCode::kNone);
  restart();
  auto described = transactions_->describe("txn");
  ASSERT_TRUE(described.has_value());
  EXPECT_EQ(described->state, TxnState::kCompleteCommit);
  EXPECT_EQ(described->producer_id, p.producer_id);
  EXPECT_EQ(described->producer_epoch, p.producer_epoch);
  EXPECT_EQ(end_offset("t", 0), 1);  // no marker written again
  EXPECT_EQ(init().producer_epoch, p.producer_epoch + 1);
}

TEST_F(TransactionCoordinatorTest, ACommitInterruptedByACrashCompletesAtRestart) {
  const InitProducerIdResult p = init();
  ASSERT_EQ(transactions_->add_offsets("txn", p.producer_id, p.producer_epoch, "g"),
            ErrorCode::kNone);
  ASSERT_TRUE(
      offsets_->commit_transactional("g", p.producer_id, p.producer_epoch, {{{"t", 0}, at(9)}})
          .ok());
  // The crash came after PrepareCommit was persisted, before any marker.
  write_state("txn", p.producer_id, p.producer_epoch,
              coordinator::TransactionStateValue::PREPARE_COMMIT, {{"t", 1}, offsets_partition_});
  restart();
  EXPECT_EQ(state(), TxnState::kCompleteCommit);
  ASSERT_TRUE(last_marker("t", 1).has_value());
  EXPECT_EQ(last_marker("t", 1)->type, ControlType::kCommit);
  ASSERT_TRUE(offsets_->fetch("g", {"t", 0}).has_value());
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 9);
  // And the completion itself is persisted.
  restart();
  EXPECT_EQ(state(), TxnState::kCompleteCommit);
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 9);
}

TEST_F(TransactionCoordinatorTest, AnOpenTransactionIsAbortedAtRestartAndItsOffsetsDropped) {
  const InitProducerIdResult p = init();
  ASSERT_EQ(transactions_->add_partitions("txn", p.producer_id, p.producer_epoch, {{"t", 0}}),
            ErrorCode::kNone);
  ASSERT_EQ(transactions_->add_offsets("txn", p.producer_id, p.producer_epoch, "g"),
            ErrorCode::kNone);
  ASSERT_TRUE(
      offsets_->commit_transactional("g", p.producer_id, p.producer_epoch, {{{"t", 0}, at(9)}})
          .ok());
  restart();
  EXPECT_EQ(state(), TxnState::kCompleteAbort);
  EXPECT_EQ(transactions_->describe("txn")->producer_epoch, p.producer_epoch + 1);
  ASSERT_TRUE(last_marker("t", 0).has_value());
  EXPECT_EQ(last_marker("t", 0)->type, ControlType::kAbort);
  EXPECT_FALSE(offsets_->fetch("g", {"t", 0}).has_value());
  EXPECT_TRUE(offsets_->pending("g", p.producer_id).empty());
  restart();
  EXPECT_FALSE(offsets_->fetch("g", {"t", 0}).has_value());
}

TEST_F(TransactionCoordinatorTest, Kip360ARetriedBumpIsRecognisedAfterARestart) {
  const InitProducerIdResult first = init();
  const InitProducerIdResult bumped = init("txn", first.producer_id, first.producer_epoch);
  restart();
  const InitProducerIdResult retried = init("txn", first.producer_id, first.producer_epoch);
  EXPECT_EQ(retried.error, ErrorCode::kNone);
  EXPECT_EQ(retried.producer_epoch, bumped.producer_epoch);
}

TEST_F(TransactionCoordinatorTest, ConcurrentTransactionsOfDifferentIdsAllComplete) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 20;
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    while (!stop) transactions_->tick();
  });
  std::vector<std::thread> producers;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      const std::string id = "txn-" + std::to_string(t);
      const std::string group = "g-" + std::to_string(t);
      const InitProducerIdResult p = init(id);
      for (int round = 0; round < kRounds; ++round) {
        const int32_t partition = round % 2;
        if (transactions_->add_partitions(id, p.producer_id, p.producer_epoch,
                                          {{"t", partition}}) != ErrorCode::kNone ||
            transactions_->add_offsets(id, p.producer_id, p.producer_epoch, group) !=
                ErrorCode::kNone ||
            !offsets_
                 ->commit_transactional(group, p.producer_id, p.producer_epoch,
                                        {{{"t", partition}, at(round)}})
                 .ok() ||
            transactions_->end_transaction(id, p.producer_id, p.producer_epoch, true) !=
                ErrorCode::kNone) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& producer : producers) producer.join();
  stop = true;
  ticker.join();
  EXPECT_EQ(failures.load(), 0);
  // One marker per transaction in its data partition.
  EXPECT_EQ(end_offset("t", 0) + end_offset("t", 1), kThreads * kRounds);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(state("txn-" + std::to_string(t)), TxnState::kCompleteCommit);
    const std::string group = "g-" + std::to_string(t);
    EXPECT_EQ(offsets_->fetch(group, {"t", 1})->offset, kRounds - 1);
    EXPECT_EQ(offsets_->fetch(group, {"t", 0})->offset, kRounds - 2);
  }
}

TEST_F(TransactionCoordinatorTest, ListingFiltersByStateAndProducerId) {
  const InitProducerIdResult a = init("a");
  const InitProducerIdResult b = init("b");
  ASSERT_EQ(transactions_->add_partitions("b", b.producer_id, b.producer_epoch, {{"t", 0}}),
            ErrorCode::kNone);
  EXPECT_EQ(transactions_->list({}, {}).size(), 2u);
  auto ongoing = transactions_->list({TxnState::kOngoing}, {});
  ASSERT_EQ(ongoing.size(), 1u);
  EXPECT_EQ(ongoing[0].transactional_id, "b");
  auto by_producer = transactions_->list({}, {a.producer_id});
  ASSERT_EQ(by_producer.size(), 1u);
  EXPECT_EQ(by_producer[0].transactional_id, "a");
  EXPECT_EQ(by_producer[0].state, TxnState::kEmpty);
  EXPECT_TRUE(transactions_->list({TxnState::kOngoing}, {a.producer_id}).empty());
}

TEST_F(TransactionCoordinatorTest, StateNamesAreKafkas) {
  EXPECT_EQ(txn_state_name(TxnState::kPrepareCommit), "PrepareCommit");
  EXPECT_EQ(parse_txn_state("CompleteAbort"), TxnState::kCompleteAbort);
  EXPECT_EQ(parse_txn_state("Dead"), std::nullopt);
}

}  // namespace
}  // namespace runnel::broker
