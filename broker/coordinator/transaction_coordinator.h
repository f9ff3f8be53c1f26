#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "broker/coordinator/offset_store.h"
#include "broker/coordinator/producer_id_manager.h"
#include "broker/protocol/error_code.h"
#include "broker/storage/log_manager.h"
#include "core/clock.h"
#include "core/result.h"

namespace runnel::broker {

// A transactional id's state, as Kafka's TransactionState (names as DescribeTransactions and
// ListTransactions show them).
enum class TxnState {
  kEmpty,
  kOngoing,
  kPrepareCommit,
  kPrepareAbort,
  kCompleteCommit,
  kCompleteAbort
};

std::string_view txn_state_name(TxnState state);
// The state named `name` (Kafka's spelling), nullopt when there is none.
std::optional<TxnState> parse_txn_state(std::string_view name);

// Kafka's transaction.* broker settings.
struct TransactionCoordinatorOptions {
  int32_t max_timeout_ms = 900000;  // transaction.max.timeout.ms
  // For crash tests of a whole runneld (tests/integration/test_transaction_recovery.py): the
  // process kills itself (SIGKILL, as kill -9) when ending a transaction reaches this step:
  // "after-prepare" (Prepare* persisted, no marker written) or "after-markers" (markers
  // written, Complete* not persisted). Empty: never. runneld sets it from the environment
  // variable RUNNELD_TEST_CRASH_POINT.
  std::string test_crash_point;
};

struct InitProducerIdResult {
  ErrorCode error = ErrorCode::kNone;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

struct TransactionDescription {
  std::string transactional_id;
  TxnState state = TxnState::kEmpty;
  int32_t timeout_ms = 0;
  int64_t start_time_ms = -1;  // -1 when no transaction is open
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::set<TopicPartition> partitions;  // of the open (or completing) transaction
};

struct TransactionListing {
  std::string transactional_id;
  int64_t producer_id = -1;
  TxnState state = TxnState::kEmpty;
  int64_t start_time_ms = -1;  // of the open transaction; -1 when none is open
};

// The transaction coordinator (KIP-98, with KIP-360's epoch bump on InitProducerId and
// KIP-588's PRODUCER_FENCED): per transactional id, its producer id and epoch, its timeout,
// its state and the partitions of its open transaction. Every change is persisted in the
// compacted internal topic `__transaction_state` (transaction_state.proto) before it is
// answered, and open() replays the topic.
//
// Ending a transaction (end_transaction, a timeout, recovery) persists PrepareCommit or
// PrepareAbort, writes a transaction marker (control batch) to every partition of the
// transaction, synchronously since runneld is a single node (no WriteTxnMarkers), and then
// persists CompleteCommit or CompleteAbort. The marker of a group's __consumer_offsets
// partition goes through the OffsetStore, which then applies or drops the transaction's
// pending offsets. After writing markers the coordinator calls `on_markers_written` (the
// broker wakes waiting read_committed fetches: the last stable offset moved).
//
// Errors are Kafka's: the coordinator answers PRODUCER_FENCED for a stale epoch; handlers of
// requests older than KIP-588 turn it into INVALID_PRODUCER_EPOCH.
//
// Time: timeouts are enforced by tick(), which the broker calls periodically and tests call
// after moving a ManualClock: a transaction open longer than its timeout is aborted with an
// epoch bump, so that the producer that left it open is fenced.
//
// Thread safety: every method may be called from any thread. `mutex_` guards the map. A
// transaction being ended is marked `completing` under the lock; its markers are written with
// the lock released (other transactional ids go on meanwhile) and requests for that id get
// CONCURRENT_TRANSACTIONS until it is complete, as in Kafka. Lock order: mutex_, then the
// OffsetStore's (markers are written with mutex_ released, though).
class TransactionCoordinator {
 public:
  static constexpr const char* kTopic = "__transaction_state";
  // Kafka uses 50 to spread coordinators over brokers; one node only spreads compaction.
  static constexpr int32_t kPartitions = 4;
  // Kafka's coordinator epoch is the state partition's leader epoch; a single node has one.
  static constexpr int32_t kCoordinatorEpoch = 0;

  // Creates the topic when missing, replays it, then finishes what a crash interrupted: a
  // transaction in PrepareCommit/PrepareAbort gets its markers (again) and completes; an
  // Ongoing one is aborted with an epoch bump. Must run after OffsetStore::open(), whose
  // pending transactional offsets this completes.
  static Result<std::unique_ptr<TransactionCoordinator>> open(
      LogManager& logs, OffsetStore& offsets, ProducerIdManager& producer_ids, Clock& clock,
      TransactionCoordinatorOptions options = {}, std::function<void()> on_markers_written = [] {});

  // InitProducerId with a transactional id. A new id gets a fresh producer id at epoch 0; a
  // known one has its epoch bumped (a new producer id when the epoch is exhausted), after its
  // open transaction, if any, is aborted. `expected_producer_id`/`expected_epoch` (v3+, -1
  // when absent) must name the current producer (or the one just bumped: a retry), else
  // PRODUCER_FENCED. INVALID_TRANSACTION_TIMEOUT outside (0, max_timeout_ms].
  InitProducerIdResult init_producer_id(const std::string& transactional_id, int32_t timeout_ms,
                                        int64_t expected_producer_id, int16_t expected_epoch);
  // AddPartitionsToTxn: the partitions join the transaction, which becomes Ongoing. The caller
  // checked that the partitions exist.
  ErrorCode add_partitions(const std::string& transactional_id, int64_t producer_id,
                           int16_t producer_epoch, const std::vector<TopicPartition>& partitions);
  // AddOffsetsToTxn: the group's __consumer_offsets partition joins the transaction.
  ErrorCode add_offsets(const std::string& transactional_id, int64_t producer_id,
                        int16_t producer_epoch, const std::string& group);
  // TxnOffsetCommit's check: the producer is current and the group's offsets partition is in
  // its Ongoing transaction (AddOffsetsToTxn came first). The offsets are appended after this
  // returns, with no lock held across: a client that sends EndTxn before its TxnOffsetCommit
  // is answered can have its offsets land after the marker, pending until that producer's
  // next marker in the partition (clients wait for the answer; Kafka has the same window).
  ErrorCode check_offset_commit(const std::string& transactional_id, int64_t producer_id,
                                int16_t producer_epoch, const std::string& group) const;
  // EndTxn: commits or aborts the Ongoing transaction (a retry of a completed end answers
  // NONE).
  ErrorCode end_transaction(const std::string& transactional_id, int64_t producer_id,
                            int16_t producer_epoch, bool commit);

  std::optional<TransactionDescription> describe(const std::string& transactional_id) const;
  // Every transactional id whose state is in `states` and producer id in `producer_ids` (an
  // empty filter matches all), ordered by id.
  std::vector<TransactionListing> list(const std::set<TxnState>& states,
                                       const std::set<int64_t>& producer_ids) const;

  // Aborts, with an epoch bump, every transaction open longer than its timeout.
  void tick();

  const TransactionCoordinatorOptions& options() const { return options_; }

  static int32_t partition_for(const std::string& transactional_id);

 private:
  struct Transaction {
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    // The producer (id, epoch) before the last InitProducerId: a retried InitProducerId
    // carrying it gets the current one back (KIP-360).
    int64_t last_producer_id = -1;
    int16_t last_producer_epoch = -1;
    int32_t timeout_ms = 0;
    TxnState state = TxnState::kEmpty;
    std::set<TopicPartition> partitions;
    std::set<std::string> groups;
    int64_t start_time_ms = -1;
    int64_t last_update_time_ms = -1;
    // Markers are being written (by one thread, with mutex_ released).
    bool completing = false;
  };

  TransactionCoordinator(LogManager& logs, OffsetStore& offsets, ProducerIdManager& producer_ids,
                         Clock& clock, TransactionCoordinatorOptions options,
                         std::function<void()> on_markers_written);
  Status load();
  Status load_partition(int32_t partition);
  Status recover();
  // Appends the transaction's state to __transaction_state. Called with mutex_ held.
  Status persist_locked(const std::string& transactional_id, const Transaction& txn);
  // AddPartitionsToTxn and AddOffsetsToTxn (with the group).
  ErrorCode add_to_transaction(const std::string& transactional_id, int64_t producer_id,
                               int16_t producer_epoch,
                               const std::vector<TopicPartition>& partitions,
                               const std::optional<std::string>& group);
  // The producer check shared by the requests of an open transaction.
  ErrorCode check_producer_locked(const Transaction& txn, int64_t producer_id,
                                  int16_t producer_epoch) const;
  // Ends `transactional_id`'s transaction, which is in state Prepare*: writes the markers
  // (with mutex_ released), then persists Complete*. `lock` is held on entry and on return.
  Status complete_locked(std::unique_lock<std::mutex>& lock, const std::string& transactional_id);
  // Moves an Ongoing transaction to PrepareAbort with the epoch bumped (fencing its producer),
  // then completes it. `lock` is held on entry and on return.
  Status abort_fenced_locked(std::unique_lock<std::mutex>& lock,
                             const std::string& transactional_id);
  Status write_markers(const std::set<TopicPartition>& partitions, int64_t producer_id,
                       int16_t producer_epoch, bool commit);
  // Kills the process when `step` is options_.test_crash_point.
  void crash_point(std::string_view step) const;

  LogManager& logs_;
  OffsetStore& offsets_;
  ProducerIdManager& producer_ids_;
  Clock& clock_;
  const TransactionCoordinatorOptions options_;
  const std::function<void()> on_markers_written_;

  mutable std::mutex mutex_;
  std::map<std::string, Transaction> transactions_;  // GUARDED_BY(mutex_)
};

}  // namespace runnel::broker
