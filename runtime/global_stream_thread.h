#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/client/consumer.h"
#include "core/result.h"
#include "core/status.h"
#include "operators/topology.h"
#include "runtime/internal/producer_collector.h"
#include "runtime/internal/task_registry.h"
#include "runtime/store_supplier.h"
#include "runtime/stream_task.h"
#include "runtime/streams_config.h"
#include "state/checkpoint_file.h"

namespace runnel {

// What the global state maintainer has done.
struct GlobalStreamThreadMetrics {
  // Records read by the last bootstrap (start()): the whole topics on a first start, only
  // what is past the checkpoint on a restart.
  std::uint64_t bootstrap_records = 0;
  double bootstrap_seconds = 0;
  // Records applied since the bootstrap, by the maintainer's own thread.
  std::uint64_t processed = 0;
  std::uint64_t checkpoints = 0;
};

// Keeps an application instance's global stores (GlobalKTable): Kafka Streams'
// GlobalStreamThread. One per KafkaStreams instance, with its own consumer assigned every
// partition of every global table's topic (no consumer group: each instance reads all of
// them) and one task per global sub-topology (TaskId{id, kGlobalTaskPartition}), whose stores
// live in <state.dir>/<application.id>/global/ beside the checkpoint file there.
//
//   1. bootstrap(), on the caller's thread: reads the checkpoint (the next offset per
//      partition), asks each partition's end offset, then reads from the checkpoint (or the
//      log start: no checkpoint, an in-memory store, or a checkpoint outside the log, which
//      wipes the directory first) up to those end offsets, each record through the global
//      task (deserialized, a null value deleting the key), and writes the checkpoint.
//      KafkaStreams::start() calls it before any stream thread exists, so a task never sees a
//      global store behind its topic's end as of start().
//   2. start(): a thread of its own polls on from there and applies what arrives; every
//      commit.interval.ms it flushes the stores and writes the checkpoint, and again when it
//      stops. A failure (a record that does not deserialize under log-and-fail, a store
//      error) ends the thread through Options::on_error without writing a checkpoint.
//
// Thread safety: bootstrap() before start(), from one thread; request_stop(), join() and
// metrics() from any. The stores (stores()) are SynchronizedKeyValueStores, written by the
// maintainer and read by every stream thread's tasks concurrently; the map itself is fixed
// once bootstrap() returns and until the maintainer is destroyed, which must come after the
// stream threads are joined.
class GlobalStreamThread {
 public:
  struct Options {
    const Topology* topology = nullptr;                          // Borrowed; outlives this.
    const StreamsConfig* config = nullptr;                       // Borrowed.
    internal::TopicPartitionCounts* partition_counts = nullptr;  // Borrowed.
    // Called on the maintainer's thread once, when an error ends it.
    std::function<void(const Status& error)> on_error;
    // Where the global stores are offered to interactive queries; borrowed, may be null.
    // Readers need no lock of the maintainer: the global stores are synchronized.
    internal::TaskRegistry* registry = nullptr;
  };

  // Makes the consumer (no broker contacted yet). InvalidArgument when the topology has no
  // global table or librdkafka refuses a property.
  [[nodiscard]] static Result<std::unique_ptr<GlobalStreamThread>> create(Options options);
  // Stops and joins the thread, then closes the stores.
  ~GlobalStreamThread();
  GlobalStreamThread(const GlobalStreamThread&) = delete;
  GlobalStreamThread& operator=(const GlobalStreamThread&) = delete;

  // Step 1 above. NotFound naming the topic when a global table's topic does not exist;
  // Aborted when request_stop() came first; the task's error (naming topic, partition and
  // offset) for a record that fails under log-and-fail.
  [[nodiscard]] Status bootstrap();
  // Step 2; after a successful bootstrap().
  void start();
  void request_stop() { stop_requested_.store(true); }
  // Waits for the thread (which flushes and checkpoints on its way out).
  void join();

  const std::string& name() const { return name_; }
  // The global stores by name; valid after bootstrap() until destruction.
  const GlobalStores& stores() const { return stores_; }
  GlobalStreamThreadMetrics metrics() const;
  // Where the checkpoint file is: <state.dir>/<application.id>/global/.checkpoint.
  std::filesystem::path checkpoint_path() const;

 private:
  class NoSinkCollector;
  struct Partition {
    StreamTask* task = nullptr;
    std::int64_t next = 0;  // The next offset to apply.
  };

  GlobalStreamThread(Options options, std::string name);
  Status make_tasks();
  void close_tasks();
  // Applies a batch of records to the tasks; updates next offsets.
  Status apply(const std::vector<client::ConsumerRecord>& records, std::uint64_t& count);
  Status checkpoint();
  // Moves each partition's next offset up to the consumer's position (past transaction
  // markers under read_committed).
  void advance_past_markers();
  void run();

  Options options_;
  const std::string name_;
  std::unique_ptr<RocksDbStoreSupplier> supplier_;
  std::unique_ptr<NoSinkCollector> collector_;
  std::unique_ptr<client::Consumer> consumer_;
  // Owned by the thread that calls bootstrap() and then by the maintainer's thread.
  std::map<std::string, std::unique_ptr<StreamTask>> tasks_;  // By topic.
  // The tasks' places in Options::registry; removed before the tasks close.
  std::vector<std::shared_ptr<internal::TaskSlot>> registry_slots_;
  std::map<state::TopicPartition, Partition> partitions_;
  GlobalStores stores_;
  std::atomic<bool> stop_requested_{false};
  std::thread thread_;

  mutable std::mutex metrics_mutex_;
  GlobalStreamThreadMetrics metrics_;  // Guarded by metrics_mutex_.
};

}  // namespace runnel
