#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/status.h"
#include "operators/internal/processor_node.h"
#include "operators/internal/task_context.h"
#include "operators/state_store.h"
#include "operators/task_id.h"
#include "operators/timestamp_extractor.h"
#include "operators/topology.h"
#include "runtime/deserialization_exception_handler.h"
#include "runtime/processing_exception_handler.h"
#include "runtime/store_supplier.h"
#include "state/cache_budget.h"
#include "state/changelog_collector.h"
#include "state/metered_key_value_store.h"
#include "state/metered_session_store.h"
#include "state/metered_window_store.h"
#include "state/operation_stats.h"
#include "state/store_cache.h"
#include "state/uncommitted_writes.h"

namespace runnel {

// The global stores an application instance keeps (GlobalKTable), by name, as the global
// state maintainer made them: thread-safe (SynchronizedKeyValueStore), shared by every task.
using GlobalStores = std::map<std::string, StateStore, std::less<>>;

// One partition's instance of one sub-topology: its own processor nodes, state stores, stream
// time and punctuation schedules. Records come in serialized (process), pass through the
// typed node graph without serialization, and leave serialized through the RecordCollector.
//
// What a runtime does with a task's state (the seam StreamThread/TaskManager code against):
//   1. create(): the task makes each store its processors use through Options::
//      store_supplier (RocksDbStoreSupplier for <state.dir>/<application.id>/<task>/<store>),
//      wraps it (change-logging when the store is logged, then caching when asked: key-value,
//      window and session stores alike, except join buffers that retain duplicates), then
//      inits the processors. Processors run init before restoration, so an init must not rely
//      on store contents (the DSL's processors only look their stores up there).
//   2. Before processing: for each store in stores() with a changelog, read the changelog
//      partition from the checkpointed offset to its end and hand the records to
//      restore(store, batch) (batches of any size, in offset order). Restoring bypasses
//      change-logging and caching.
//   3. At commit (at-least-once): flush_caches() (caches forward their entries downstream,
//      which may produce records), flush the producer, commit input offsets; when a
//      checkpoint is due, make_durable() (the stores' memtables to disk), then write the
//      checkpoint (changelog offsets).
//      At commit (exactly-once, Options::buffer_uncommitted_writes): flush_caches() (caches
//      forward and write through; the RocksDB stores keep those writes buffered), commit the
//      Kafka transaction (records, changelog writes and input offsets), then commit_state()
//      (the buffered writes go to RocksDB); when a checkpoint is due, make_durable(), then
//      write the checkpoint. So the stores on disk only ever hold committed state, never
//      newer than a committed transaction and never older than the checkpoint: after a crash
//      the task restores from its checkpoint (the committed changelog after it) instead of
//      wiping its stores. As in Kafka Streams, checkpoints (and so disk writes) come once the
//      changelogs moved on by enough records, not at every commit.
//   4. close(): closes processors, then stores. A clean close flushes first (and, with
//      buffered writes, commits the transaction and calls commit_state()); a close without
//      commit_state() (dirty) drops the uncommitted writes of the RocksDB stores.
//
// A global sub-topology (Topology::Subtopology::global) is made into one task with partition
// kGlobalTaskPartition, fed every partition of its topic by the global state maintainer; its
// store is made thread-safe (SynchronizedKeyValueStore) because other tasks' threads read it.
//
// Thread-compatible: a task is driven by one thread at a time (a StreamThread, or the
// TopologyTestDriver).
class StreamTask final : private internal::TaskContext {
 public:
  struct Options {
    std::string application_id;
    // Borrowed; must outlive the task.
    internal::RecordCollector* collector = nullptr;
    const Clock* clock = nullptr;
    DeserializationExceptionHandler* deserialization_handler = nullptr;
    // Makes the byte stores; borrowed, must outlive the task. Null: in memory.
    StoreSupplier* store_supplier = nullptr;
    // For sources without a TimestampExtractor of their own.
    DefaultTimestampExtractor default_timestamp_extractor =
        DefaultTimestampExtractor::kFailOnInvalidTimestamp;
    // Shared by the caches of the task's stores with caching enabled, and of the other tasks
    // of its thread; borrowed, must outlive the task. Null: a budget of the task's own of
    // kDefaultCacheMaxBytes. A budget of 0 bytes turns caching off.
    state::CacheBudget* cache_budget = nullptr;
    // The global stores, which every processor may read without declaring them (as in
    // Kafka Streams); borrowed, must outlive the task. Null: none.
    const GlobalStores* global_stores = nullptr;
    // Exactly-once: the task's RocksDB stores (every segment of its window and session
    // stores included) hold their writes in memory until commit_state(), so uncommitted
    // state never reaches disk, and expired segments are deleted only at commit_state().
    // False (at-least-once): writes go straight to RocksDB and commit_state() does nothing.
    // In-memory stores are unaffected (they are rebuilt from their changelogs anyway).
    bool buffer_uncommitted_writes = false;
    // Wraps every store in its metered decorator (metrics.recording.level=DEBUG): a count per
    // store call, two clock reads per 16 calls. False: store_metrics() reports no operations.
    bool record_store_metrics = true;
    // For exceptions thrown by user code while processing a record or punctuating; borrowed.
    // Null: log and fail, Kafka Streams' default.
    ProcessingExceptionHandler* processing_handler = nullptr;
  };
  static constexpr std::size_t kDefaultCacheMaxBytes = 10 << 20;

  // A state store of the task, as the runtime sees it.
  struct Store {
    std::string name;
    StoreKind kind = StoreKind::kKeyValue;
    // Where its writes are logged: <application.id>-<store>-changelog, partition = the
    // task's partition; nullopt for a store with logging disabled (nothing to restore).
    std::optional<state::TopicPartition> changelog;
    // Kept in memory (Materialized::with_in_memory_store): empty whenever the task is made,
    // so restored from the start of its changelog whatever the checkpoint says.
    bool in_memory = false;
  };

  // One store's operations as its metered decorator counted them, under Kafka Streams'
  // operation names ("put", "get", "range", "fetch", "restore", ...).
  struct StoreMetrics {
    std::string name;
    StoreKind kind = StoreKind::kKeyValue;
    bool in_memory = false;
    std::vector<std::pair<std::string, state::OperationStats>> operations;
    std::uint64_t restored_records = 0;  // key-value stores only
  };

  struct Metrics {
    std::uint64_t processed = 0;                // Records that reached a source and were processed.
    std::uint64_t skipped_deserialization = 0;  // Skipped by the deserialization handler.
    std::uint64_t dropped = 0;                  // Dropped by operators (invalid timestamp, nulls).
    std::uint64_t dropped_late = 0;             // Of `dropped`: records for windows already closed.
  };

  // Makes the nodes of sub-topology `id.subtopology` of `topology`, connects them, makes the
  // state stores they use and inits the nodes (user processors' init runs here). Fails when
  // the topology carries an error, a store cannot be made (the supplier's error) or a node
  // fails to init. The topology must outlive the task.
  [[nodiscard]] static Result<std::unique_ptr<StreamTask>> create(const Topology& topology,
                                                                  TaskId id, Options options);
  ~StreamTask() override;
  StreamTask(const StreamTask&) = delete;
  StreamTask& operator=(const StreamTask&) = delete;

  // Processes one record of one of the sub-topology's source topics (internal topics by their
  // full name), then runs the stream-time punctuators it made due. A record that does not
  // deserialize goes to the DeserializationExceptionHandler: skipped, or a Corruption error
  // naming topic, partition and offset. Errors from operators (a sink that cannot serialize)
  // are returned as they are.
  [[nodiscard]] Status process(const internal::RawRecordView& record);

  // Runs the wall-clock punctuators due at the clock's current time.
  [[nodiscard]] Status punctuate_wall_clock();

  // The topics this task reads, with internal ones under their full names.
  const std::vector<std::string>& source_topics() const { return source_topics_; }
  Timestamp stream_time() const override { return stream_time_; }
  // Sets the stream time from a previous run's commit, before the task processes: a record
  // older than it is then late by as much as it would have been without the restart.
  void restore_stream_time(Timestamp time) {
    if (time > stream_time_) stream_time_ = time;
  }
  TaskId id() const { return id_; }
  const Metrics& metrics() const { return metrics_; }
  // Its stores' metered counts; on the task's thread (or after it stopped).
  std::vector<StoreMetrics> store_metrics() const;

  // The task's state stores, in name order.
  std::vector<Store> stores() const;
  // The changelog partitions of the task's logged stores.
  std::vector<state::TopicPartition> changelog_partitions() const;
  // The outermost store (with its decorators) named `name`, or null; for tests and tools.
  StateStore* store(std::string_view name);
  // Applies changelog records (in offset order) to store `name`, through the store's restore
  // API: no change-logging, no caching. NotFound for a store the task does not have.
  [[nodiscard]] Status restore(std::string_view name, std::span<const state::RestoreRecord> batch);
  // Flushes the stores' caches: their entries are written down to the stores and forwarded,
  // which may send records to the collector. Errors name the store.
  [[nodiscard]] Status flush_caches();
  // Writes what the stores hold to disk (RocksDB's memtables), so that a checkpoint may
  // cover it; with buffer_uncommitted_writes, only what commit_state() applied (uncommitted
  // writes stay buffered in memory). Call it after flush_caches() (a cache still holding
  // entries would forward them here). Errors name the store.
  [[nodiscard]] Status make_durable();
  // flush_caches(), then make_durable(): everything processed so far is in the stores and
  // on disk (with buffer_uncommitted_writes, everything committed).
  [[nodiscard]] Status flush();

  // Exactly-once: applies the writes the RocksDB stores buffered since the last
  // commit_state() to RocksDB (one atomic write per store), then deletes the window/session
  // segments that expired meanwhile. Call it after flush_caches() and after the Kafka
  // transaction holding those writes' changelog records has committed; make_durable()
  // before writing a checkpoint. On an error the stores may hold part of the commit: do not
  // write the checkpoint, and close the task dirty (restoration repairs the stores). Does
  // nothing (OK) without buffer_uncommitted_writes.
  [[nodiscard]] Status commit_state();
  // Bytes the task's stores hold uncommitted (an estimate; 0 when not buffering): a runtime
  // may commit early when this grows large, since it is all kept in memory.
  std::size_t uncommitted_bytes() const;

  // Closes every processor (user processors' close runs here), then every store (store
  // errors are logged; flush() first for a clean close, and commit_state() too when
  // buffering: what was not committed is dropped); idempotent.
  void close();

 private:
  struct Schedule {
    std::chrono::milliseconds interval;
    PunctuationType type;
    Timestamp next;
    internal::TaskPunctuator punctuator;
    Cancellable handle;
  };

  StreamTask(TaskId id, Options options);
  Status punctuate(PunctuationType type, Timestamp now);
  // Hands the exception in flight (inside a catch) to the processing handler and sends its
  // dead-letter records; OK when the handler resumes. `record`: what was being processed,
  // null for a punctuation.
  Status handle_processing_exception(const internal::RawRecordView* record);

  // TaskContext.
  const std::string& application_id() const override { return options_.application_id; }
  TaskId task_id() const override { return id_; }
  void observe_timestamp(Timestamp timestamp) override {
    current_timestamp_ = timestamp;
    if (timestamp > stream_time_) stream_time_ = timestamp;
  }
  std::int64_t wall_clock_ms() const override { return options_.clock->now_ms(); }
  DefaultTimestampExtractor default_timestamp_extractor() const override {
    return options_.default_timestamp_extractor;
  }
  const std::optional<RecordPosition>& current_position() const override {
    return in_record_ ? position_ : no_position_;
  }
  Cancellable schedule(std::chrono::milliseconds interval, PunctuationType type,
                       internal::TaskPunctuator punctuator) override;
  internal::RecordCollector& collector() override { return *options_.collector; }
  void record_dropped(std::string_view node, std::string_view reason) override;
  void record_late_dropped(std::string_view node) override;
  Result<StateStore> get_state_store(std::string_view node, std::string_view store) override;

  class ChangelogSender;
  struct TaskStore {
    const internal::StoreDef* def = nullptr;
    std::unique_ptr<state::KeyValueStore> key_value;  // Outermost decorator.
    std::unique_ptr<state::WindowStore> window;
    std::unique_ptr<state::SessionStore> session;
    state::StoreCache* cache = nullptr;  // The caching decorator, if any, inside the above.
    // The metering decorator inside the above, which counts and times every operation.
    state::MeteredKeyValueStore* metered_key_value = nullptr;
    state::MeteredWindowStore* metered_window = nullptr;
    state::MeteredSessionStore* metered_session = nullptr;
    std::optional<state::TopicPartition> changelog;
    StateStore handle;
  };
  Status make_store(const internal::StoreDef& def);
  static Status close_store(TaskStore& ts);

  TaskId id_;
  Options options_;
  std::unique_ptr<StoreSupplier> own_supplier_;     // When Options gives none.
  std::unique_ptr<state::CacheBudget> own_budget_;  // When Options gives none.
  std::unique_ptr<ChangelogSender> changelog_sender_;
  // With Options::buffer_uncommitted_writes, else null. Before stores_, which register
  // with it: it must outlive them.
  std::unique_ptr<state::UncommittedWrites> uncommitted_writes_;
  // Stores before nodes: nodes are destroyed first, and may hold pointers to stores.
  std::map<std::string, TaskStore, std::less<>> stores_;
  // Per node, the stores it declared.
  std::map<std::string, std::vector<std::string>, std::less<>> node_stores_;
  Timestamp current_timestamp_ = kNoTimestamp;  // Of the last record that reached a source.
  std::vector<std::unique_ptr<internal::ProcessorNode>> nodes_;  // Creation order.
  std::map<std::string, internal::SourceNodeBase*, std::less<>> sources_by_topic_;
  std::vector<std::string> source_topics_;
  Timestamp stream_time_ = kNoTimestamp;
  std::optional<RecordPosition> position_;  // Of the last record processed.
  bool in_record_ = false;                  // Whether a record (not a punctuator) is running.
  const std::optional<RecordPosition> no_position_;
  std::vector<Schedule> schedules_;
  Metrics metrics_;
  std::set<std::string, std::less<>> warned_nodes_;  // Nodes whose first drop was logged.
  bool closed_ = false;
};

}  // namespace runnel
