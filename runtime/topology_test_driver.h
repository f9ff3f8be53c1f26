#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "core/headers.h"
#include "core/record.h"
#include "core/result.h"
#include "core/serde.h"
#include "core/status.h"
#include "operators/internal/builder_state.h"
#include "operators/internal/task_context.h"
#include "operators/key_value.h"
#include "operators/topology.h"
#include "runtime/deserialization_exception_handler.h"
#include "runtime/store_supplier.h"
#include "runtime/stream_task.h"
#include "state/cache_budget.h"
#include "state/typed_key_value_store.h"
#include "state/typed_session_store.h"
#include "state/typed_window_store.h"

namespace runnel {

template <typename K, typename V>
class TestInputTopic;
template <typename K, typename V>
class TestOutputTopic;

// Runs a Topology in-process, with no broker and no threads, deterministically: what Kafka
// Streams' TopologyTestDriver is to Java applications. Records piped into an input topic are
// processed to completion before pipe_input returns; what sinks produce is kept per topic for
// TestOutputTopic to read. Records produced to a topic the topology reads (a repartition
// topic, or a user topic it also consumes) are fed back through that topic's source before
// the pipe returns, in production order.
//
// Tasks: one per (sub-topology, partition), made on first use. Records piped by the test go to
// partition 0; records produced to a repartition topic go to the partition their partitioner
// (or murmur2 of the key, as Kafka's producer) chooses among the topic's partition count
// (Repartitioned::partitions, default 1). Wall-clock time is a mock clock that moves only with
// advance_wall_clock_time. Not thread-safe.
class TopologyTestDriver {
 public:
  struct Config {
    std::string application_id = "topology-test-driver";
    std::int64_t initial_wall_clock_ms = 0;
    // Null: LogAndFailExceptionHandler, Kafka Streams' default. Shared so that a test can
    // keep a handle on the handler to inspect it.
    std::shared_ptr<DeserializationExceptionHandler> deserialization_handler;
    // Null: LogAndFailProcessingExceptionHandler, Kafka Streams' default: an exception thrown
    // by user code fails pipe_input with an Internal error naming it.
    std::shared_ptr<ProcessingExceptionHandler> processing_handler;
    // Makes the tasks' byte stores. Null: in memory (InMemoryStoreSupplier).
    std::shared_ptr<StoreSupplier> store_supplier;
    // For sources without a TimestampExtractor of their own (Consumed).
    DefaultTimestampExtractor default_timestamp_extractor =
        DefaultTimestampExtractor::kFailOnInvalidTimestamp;
    // The record caches' size (cache.max.bytes.buffering), shared by every store with caching
    // enabled. The driver commits after each piped record, so caches only coalesce the
    // updates one input record causes.
    std::size_t cache_max_bytes = 10 << 20;
  };

  // A record as a sink produced it.
  struct ProducedRecord {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    NullableBytes key;
    NullableBytes value;
    Timestamp timestamp = kNoTimestamp;
    Headers headers;
  };

  // Fails when the topology carries a build error or a processor's init fails.
  [[nodiscard]] static Result<std::unique_ptr<TopologyTestDriver>> create(Topology topology,
                                                                          Config config);
  [[nodiscard]] static Result<std::unique_ptr<TopologyTestDriver>> create(Topology topology) {
    return create(std::move(topology), Config{});
  }
  ~TopologyTestDriver();

  // An input topic writing with the given serdes (null: the types' DefaultSerde). The topic's
  // records are processed as they are piped. The driver must outlive the returned handle.
  // Leaving a serde out for a type without a DefaultSerde is a compile error.
  template <typename K, typename V>
  TestInputTopic<K, V> create_input_topic(const std::string& topic) {
    static_assert(require_default_serdes<K, V>());
    return create_input_topic<K, V>(topic, nullptr, nullptr);
  }
  template <typename K, typename V>
  TestInputTopic<K, V> create_input_topic(const std::string& topic,
                                          std::shared_ptr<const Serde<K>> key_serde) {
    static_assert(require_default_serdes<V>());
    return create_input_topic<K, V>(topic, std::move(key_serde), nullptr);
  }
  template <typename K, typename V>
  TestInputTopic<K, V> create_input_topic(const std::string& topic,
                                          std::shared_ptr<const Serde<K>> key_serde,
                                          std::shared_ptr<const Serde<V>> value_serde) {
    if (!key_serde) key_serde = internal::default_serde<K>();
    if (!value_serde) value_serde = internal::default_serde<V>();
    return TestInputTopic<K, V>(this, topic, std::move(key_serde), std::move(value_serde));
  }
  // An output topic reading with the given serdes (null: the types' DefaultSerde). Internal
  // topics are read by their full name, <application.id>-<name>-repartition. Leaving a serde
  // out for a type without a DefaultSerde is a compile error.
  template <typename K, typename V>
  TestOutputTopic<K, V> create_output_topic(const std::string& topic) {
    static_assert(require_default_serdes<K, V>());
    return create_output_topic<K, V>(topic, nullptr, nullptr);
  }
  template <typename K, typename V>
  TestOutputTopic<K, V> create_output_topic(const std::string& topic,
                                            std::shared_ptr<const Serde<K>> key_serde) {
    static_assert(require_default_serdes<V>());
    return create_output_topic<K, V>(topic, std::move(key_serde), nullptr);
  }
  template <typename K, typename V>
  TestOutputTopic<K, V> create_output_topic(const std::string& topic,
                                            std::shared_ptr<const Serde<K>> key_serde,
                                            std::shared_ptr<const Serde<V>> value_serde) {
    if (!key_serde) key_serde = internal::default_serde<K>();
    if (!value_serde) value_serde = internal::default_serde<V>();
    return TestOutputTopic<K, V>(this, topic, std::move(key_serde), std::move(value_serde));
  }

  // Pipes one serialized record into `topic` (partition 0) and processes it and everything
  // it leads to. Errors: the topic is not read by the topology, a deserialization failure
  // under LogAndFail, an operator's failure.
  [[nodiscard]] Status pipe_raw(const std::string& topic, NullableBytes key, NullableBytes value,
                                Timestamp timestamp, Headers headers = {});

  // Moves the mock wall clock forward and runs the wall-clock punctuators that became due, in
  // every task.
  [[nodiscard]] Status advance_wall_clock_time(std::chrono::milliseconds duration);
  std::int64_t wall_clock_ms() const { return clock_.now_ms(); }

  // The records produced to `topic` and not read yet; reading takes from the front.
  std::deque<ProducedRecord>& output_queue(const std::string& topic) { return outputs_[topic]; }
  // Every topic a sink has produced to, sorted.
  std::vector<std::string> produced_topic_names() const;

  // Sums over all tasks.
  StreamTask::Metrics metrics() const;

  // Typed views of the state store `name` of the task of `partition` (0: the one the test's
  // records go to; any for a global table's store, of which there is one), read with the serdes the
  // store was defined with (Materialized's, or add_state_store's), or with the given ones. NotFound
  // for an unknown store or a task that does not exist; InvalidArgument for a store of another kind
  // or types that are not the store's. The view borrows the driver.
  template <typename K, typename V>
  [[nodiscard]] Result<state::TypedKeyValueStore<K, V>> get_key_value_store(
      const std::string& name, std::int32_t partition = 0,
      std::shared_ptr<const Serde<K>> key_serde = nullptr,
      std::shared_ptr<const Serde<V>> value_serde = nullptr) {
    RUNNEL_ASSIGN_OR_RETURN(StateStore * store, find_store(name, StoreKind::kKeyValue, partition));
    auto serdes_or = store_serdes<K, V>(name, key_serde, value_serde);
    if (!serdes_or.ok()) return serdes_or.status();
    auto serdes = std::move(serdes_or).value();
    return state::TypedKeyValueStore<K, V>(*store->key_value, *serdes.first, *serdes.second);
  }
  template <typename K, typename V>
  [[nodiscard]] Result<state::TypedWindowStore<K, V>> get_window_store(
      const std::string& name, std::int32_t partition = 0,
      std::shared_ptr<const Serde<K>> key_serde = nullptr,
      std::shared_ptr<const Serde<V>> value_serde = nullptr) {
    RUNNEL_ASSIGN_OR_RETURN(StateStore * store, find_store(name, StoreKind::kWindow, partition));
    auto serdes_or = store_serdes<K, V>(name, key_serde, value_serde);
    if (!serdes_or.ok()) return serdes_or.status();
    auto serdes = std::move(serdes_or).value();
    return state::TypedWindowStore<K, V>(*store->window, *serdes.first, *serdes.second);
  }
  template <typename K, typename V>
  [[nodiscard]] Result<state::TypedSessionStore<K, V>> get_session_store(
      const std::string& name, std::int32_t partition = 0,
      std::shared_ptr<const Serde<K>> key_serde = nullptr,
      std::shared_ptr<const Serde<V>> value_serde = nullptr) {
    RUNNEL_ASSIGN_OR_RETURN(StateStore * store, find_store(name, StoreKind::kSession, partition));
    auto serdes_or = store_serdes<K, V>(name, key_serde, value_serde);
    if (!serdes_or.ok()) return serdes_or.status();
    auto serdes = std::move(serdes_or).value();
    return state::TypedSessionStore<K, V>(*store->session, *serdes.first, *serdes.second);
  }
  // The task of (sub-topology, partition), or null if it was not made yet.
  StreamTask* task(std::int32_t subtopology, std::int32_t partition);
  const Topology& topology() const { return topology_; }

 private:
  class Collector;
  struct Pending {
    std::string topic;
    std::int32_t partition;
    std::int64_t offset;
  };

  TopologyTestDriver(Topology topology, Config config);
  Result<StateStore*> find_store(const std::string& name, StoreKind kind, std::int32_t partition);
  template <typename K, typename V>
  Result<std::pair<std::shared_ptr<const Serde<K>>, std::shared_ptr<const Serde<V>>>> store_serdes(
      const std::string& name, std::shared_ptr<const Serde<K>> key_serde,
      std::shared_ptr<const Serde<V>> value_serde) {
    const internal::StoreDef* def = topology_.store(name);
    if (!key_serde) key_serde = internal::store_serde<K>(def->key_serde);
    if (!value_serde) value_serde = internal::store_serde<V>(def->value_serde);
    if (!key_serde || !value_serde) {
      return invalid_argument_error("store '" + name +
                                    "': its serdes are not of the types asked for; give serdes");
    }
    // Kept so that the typed view's serde references stay valid.
    held_serdes_.push_back(key_serde);
    held_serdes_.push_back(value_serde);
    return std::make_pair(key_serde, value_serde);
  }
  // Commits every task as Kafka's driver does after each input: flushes their stores (caches
  // forward what they hold) and processes what that produced.
  Status commit_all();
  Result<StreamTask*> task_for(std::int32_t subtopology, std::int32_t partition);
  Status process_one(const std::string& topic, std::int32_t partition, std::int64_t offset,
                     const ProducedRecord& record);
  Status drain();
  std::int32_t partition_count(const std::string& topic) const;

  Topology topology_;
  Config config_;
  ManualClock clock_;
  std::unique_ptr<state::CacheBudget> cache_budget_;  // Before tasks_, which charge it.
  std::unique_ptr<Collector> collector_;
  std::map<std::string, std::int32_t> subtopology_by_topic_;  // Full topic names.
  std::map<std::string, std::int32_t> partitions_by_topic_;   // Internal topics with a count.
  std::map<std::pair<std::int32_t, std::int32_t>, std::unique_ptr<StreamTask>> tasks_;
  // Global tables: their sub-topologies (one task each, partition kGlobalTaskPartition) and
  // stores, which every other task reads.
  std::set<std::int32_t> global_subtopologies_;
  GlobalStores global_stores_;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> next_offset_;
  std::map<std::string, std::deque<ProducedRecord>> outputs_;
  // Every produced record to a topic the topology reads, waiting to be processed: kept apart
  // from outputs_ so that a test reading an output queue does not take records from the
  // topology.
  std::deque<std::pair<Pending, ProducedRecord>> pending_;
  std::vector<std::shared_ptr<const void>> held_serdes_;

  friend class Collector;
};

// Writes typed records into a topic of a TopologyTestDriver. Borrows the driver.
template <typename K, typename V>
class TestInputTopic {
 public:
  // Pipes (key, value) with `timestamp`; either may be null (std::nullopt).
  [[nodiscard]] Status pipe_input(std::optional<K> key, std::optional<V> value,
                                  Timestamp timestamp) {
    return pipe(key, value, timestamp, Headers());
  }
  // Pipes (key, value) at the topic's current time, then advances that time by the
  // auto-advance step (0 unless set), as Kafka's TestInputTopic does.
  [[nodiscard]] Status pipe_input(std::optional<K> key, std::optional<V> value) {
    const Timestamp t = current_time_;
    current_time_ += auto_advance_ms_;
    return pipe(key, value, t, Headers());
  }
  // Pipes a whole record: key, value, timestamp and headers (its position is ignored).
  [[nodiscard]] Status pipe_record(const Record<K, V>& record) {
    return pipe(record.key, record.value, record.timestamp, record.headers);
  }

  void set_current_time(Timestamp t) { current_time_ = t; }
  void set_auto_advance(std::chrono::milliseconds step) { auto_advance_ms_ = step.count(); }
  const std::string& topic() const { return topic_; }

 private:
  friend class TopologyTestDriver;
  TestInputTopic(TopologyTestDriver* driver, std::string topic,
                 std::shared_ptr<const Serde<K>> key_serde,
                 std::shared_ptr<const Serde<V>> value_serde)
      : driver_(driver),
        topic_(std::move(topic)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  Status pipe(const std::optional<K>& key, const std::optional<V>& value, Timestamp timestamp,
              Headers headers) {
    if (!key_serde_ || !value_serde_) {
      return invalid_argument_error("input topic " + topic_ + ": no serde for its types");
    }
    RUNNEL_ASSIGN_OR_RETURN(NullableBytes key_bytes, key_serde_->serialize_nullable(key));
    RUNNEL_ASSIGN_OR_RETURN(NullableBytes value_bytes, value_serde_->serialize_nullable(value));
    return driver_->pipe_raw(topic_, std::move(key_bytes), std::move(value_bytes), timestamp,
                             std::move(headers));
  }

  TopologyTestDriver* driver_;
  std::string topic_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
  Timestamp current_time_ = 0;
  std::int64_t auto_advance_ms_ = 0;
};

// Reads typed records a TopologyTestDriver's sinks produced to one topic, oldest first; each
// read consumes the record. Borrows the driver.
template <typename K, typename V>
class TestOutputTopic {
  using TypedRecord = Record<K, V>;
  using TypedKeyValue = KeyValue<K, V>;

 public:
  // NotFound when the topic has nothing unread; the serde's error when it does not decode.
  [[nodiscard]] Result<Record<K, V>> read_record() {
    if (!key_serde_ || !value_serde_) {
      return invalid_argument_error("output topic " + topic_ + ": no serde for its types");
    }
    auto& queue = driver_->output_queue(topic_);
    if (queue.empty()) return not_found_error("no record to read in topic " + topic_);
    TopologyTestDriver::ProducedRecord produced = std::move(queue.front());
    queue.pop_front();
    RUNNEL_ASSIGN_OR_RETURN(std::optional<K> key,
                            key_serde_->deserialize_nullable(view_of(produced.key)));
    RUNNEL_ASSIGN_OR_RETURN(std::optional<V> value,
                            value_serde_->deserialize_nullable(view_of(produced.value)));
    return Record<K, V>{std::move(key), std::move(value), produced.timestamp,
                        std::move(produced.headers),
                        RecordPosition{produced.topic, produced.partition, produced.offset}};
  }
  [[nodiscard]] Result<KeyValue<K, V>> read_key_value() {
    RUNNEL_ASSIGN_OR_RETURN(TypedRecord r, read_record());
    return KeyValue<K, V>(std::move(r.key), std::move(r.value));
  }
  [[nodiscard]] Result<std::optional<V>> read_value() {
    RUNNEL_ASSIGN_OR_RETURN(TypedRecord r, read_record());
    return std::move(r.value);
  }
  // Every unread record, oldest first.
  [[nodiscard]] Result<std::vector<Record<K, V>>> read_records_to_list() {
    std::vector<Record<K, V>> out;
    while (!is_empty()) {
      RUNNEL_ASSIGN_OR_RETURN(TypedRecord r, read_record());
      out.push_back(std::move(r));
    }
    return out;
  }
  [[nodiscard]] Result<std::vector<KeyValue<K, V>>> read_key_values_to_list() {
    std::vector<KeyValue<K, V>> out;
    while (!is_empty()) {
      RUNNEL_ASSIGN_OR_RETURN(TypedKeyValue kv, read_key_value());
      out.push_back(std::move(kv));
    }
    return out;
  }
  bool is_empty() const { return driver_->output_queue(topic_).empty(); }
  std::size_t queue_size() const { return driver_->output_queue(topic_).size(); }

 private:
  friend class TopologyTestDriver;
  TestOutputTopic(TopologyTestDriver* driver, std::string topic,
                  std::shared_ptr<const Serde<K>> key_serde,
                  std::shared_ptr<const Serde<V>> value_serde)
      : driver_(driver),
        topic_(std::move(topic)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  TopologyTestDriver* driver_;
  std::string topic_;
  std::shared_ptr<const Serde<K>> key_serde_;
  std::shared_ptr<const Serde<V>> value_serde_;
};

}  // namespace runnel
