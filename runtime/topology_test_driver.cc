#include "runtime/topology_test_driver.h"

#include <algorithm>
#include <utility>

#include "runtime/internal/default_partitioner.h"

namespace runnel {

// Takes what sinks produce: keeps it per topic for the test and queues what the topology
// itself reads for processing after the current record.
class TopologyTestDriver::Collector final : public internal::RecordCollector {
 public:
  explicit Collector(TopologyTestDriver& driver) : driver_(driver) {}

  Status send(const std::string& topic, NullableBytesView key, NullableBytesView value,
              Timestamp timestamp, const Headers& headers,
              std::optional<std::int32_t> partition) override {
    const std::int32_t count = driver_.partition_count(topic);
    std::int32_t p = 0;
    if (partition) {
      if (*partition < 0 || *partition >= count) {
        return invalid_argument_error("partitioner chose partition " + std::to_string(*partition) +
                                      " of topic " + topic + ", which has " +
                                      std::to_string(count));
      }
      p = *partition;
    } else if (key) {
      p = internal::default_partition(*key, count);
    }
    ProducedRecord record{topic,
                          p,
                          driver_.next_offset_[{topic, p}]++,
                          key ? NullableBytes(Bytes(*key)) : std::nullopt,
                          value ? NullableBytes(Bytes(*value)) : std::nullopt,
                          timestamp,
                          headers};
    if (driver_.subtopology_by_topic_.count(topic) != 0) {
      driver_.pending_.emplace_back(Pending{topic, p, record.offset}, record);
    }
    driver_.outputs_[topic].push_back(std::move(record));
    return ok_status();
  }

  std::int32_t partition_count(const std::string& topic) override {
    return driver_.partition_count(topic);
  }

 private:
  TopologyTestDriver& driver_;
};

TopologyTestDriver::TopologyTestDriver(Topology topology, Config config)
    : topology_(std::move(topology)),
      config_(std::move(config)),
      clock_(config_.initial_wall_clock_ms),
      cache_budget_(std::make_unique<state::CacheBudget>(config_.cache_max_bytes)),
      collector_(std::make_unique<Collector>(*this)) {
  if (!config_.deserialization_handler) {
    config_.deserialization_handler = std::make_shared<LogAndFailExceptionHandler>();
  }
}

TopologyTestDriver::~TopologyTestDriver() {
  // Global tasks last: the others read their stores.
  for (auto& [id, task] : tasks_) {
    if (id.second != kGlobalTaskPartition) task->close();
  }
  for (auto& [id, task] : tasks_) task->close();
}

Result<std::unique_ptr<TopologyTestDriver>> TopologyTestDriver::create(Topology topology,
                                                                       Config config) {
  if (!topology.status().ok()) return topology.status().with_context("invalid topology");
  std::unique_ptr<TopologyTestDriver> driver(
      new TopologyTestDriver(std::move(topology), std::move(config)));
  const Topology& t = driver->topology_;
  for (const internal::InternalTopicDef& internal : t.internal_topics()) {
    const std::string full =
        Topology::internal_topic_name(driver->config_.application_id, internal.name);
    if (internal.partitions) {
      if (*internal.partitions <= 0) {
        return invalid_argument_error("repartition topic " + internal.name +
                                      " needs a positive partition count");
      }
      driver->partitions_by_topic_[full] = *internal.partitions;
    }
  }
  // Global tasks first: every other task's processors may look their stores up at init.
  for (const Topology::Subtopology& sub : t.subtopologies()) {
    if (!sub.global) continue;
    driver->global_subtopologies_.insert(sub.id);
    RUNNEL_ASSIGN_OR_RETURN(StreamTask * global, driver->task_for(sub.id, kGlobalTaskPartition));
    for (const StreamTask::Store& store : global->stores()) {
      driver->global_stores_.emplace(store.name, *global->store(store.name));
    }
  }
  for (const Topology::Subtopology& sub : t.subtopologies()) {
    for (const std::string& topic : sub.source_topics) {
      const std::string full =
          t.is_internal_topic(topic)
              ? Topology::internal_topic_name(driver->config_.application_id, topic)
              : topic;
      driver->subtopology_by_topic_[full] = sub.id;
    }
    // Partition 0 of every sub-topology exists from the start, as in Kafka's driver, so that
    // processors are initialised (and punctuators scheduled) before the first record.
    if (!sub.global) RUNNEL_RETURN_IF_ERROR(driver->task_for(sub.id, 0).status());
  }
  return driver;
}

std::int32_t TopologyTestDriver::partition_count(const std::string& topic) const {
  auto it = partitions_by_topic_.find(topic);
  return it == partitions_by_topic_.end() ? 1 : it->second;
}

Result<StreamTask*> TopologyTestDriver::task_for(std::int32_t subtopology, std::int32_t partition) {
  auto key = std::make_pair(subtopology, partition);
  auto it = tasks_.find(key);
  if (it != tasks_.end()) return it->second.get();
  StreamTask::Options options{.application_id = config_.application_id,
                              .collector = collector_.get(),
                              .clock = &clock_,
                              .deserialization_handler = config_.deserialization_handler.get(),
                              .store_supplier = config_.store_supplier.get(),
                              .default_timestamp_extractor = config_.default_timestamp_extractor,
                              .cache_budget = cache_budget_.get(),
                              .global_stores = &global_stores_,
                              .processing_handler = config_.processing_handler.get()};
  RUNNEL_ASSIGN_OR_RETURN(
      std::unique_ptr<StreamTask> task,
      StreamTask::create(topology_, TaskId{subtopology, partition}, std::move(options)));
  StreamTask* raw = task.get();
  tasks_.emplace(key, std::move(task));
  return raw;
}

Status TopologyTestDriver::process_one(const std::string& topic, std::int32_t partition,
                                       std::int64_t offset, const ProducedRecord& record) {
  auto sub = subtopology_by_topic_.find(topic);
  if (sub == subtopology_by_topic_.end()) {
    return not_found_error("topic " + topic + " is not read by the topology");
  }
  // A global table's one task takes every partition of its topic.
  const bool global = global_subtopologies_.count(sub->second) != 0;
  RUNNEL_ASSIGN_OR_RETURN(StreamTask * task,
                          task_for(sub->second, global ? kGlobalTaskPartition : partition));
  internal::RawRecordView view{topic,
                               partition,
                               offset,
                               view_of(record.key),
                               view_of(record.value),
                               record.timestamp,
                               &record.headers};
  return task->process(view);
}

Status TopologyTestDriver::drain() {
  while (!pending_.empty()) {
    auto [where, record] = std::move(pending_.front());
    pending_.pop_front();
    Status s = process_one(where.topic, where.partition, where.offset, record);
    if (!s.ok()) {
      pending_.clear();
      return s;
    }
  }
  return ok_status();
}

Status TopologyTestDriver::pipe_raw(const std::string& topic, NullableBytes key,
                                    NullableBytes value, Timestamp timestamp, Headers headers) {
  if (subtopology_by_topic_.count(topic) == 0) {
    return not_found_error("topic " + topic + " is not read by the topology");
  }
  ProducedRecord record{topic,
                        0,
                        next_offset_[{topic, 0}]++,
                        std::move(key),
                        std::move(value),
                        timestamp,
                        std::move(headers)};
  Status s = process_one(topic, 0, record.offset, record);
  if (!s.ok()) {
    pending_.clear();
    return s;
  }
  RUNNEL_RETURN_IF_ERROR(drain());
  return commit_all();
}

Status TopologyTestDriver::commit_all() {
  // A flush may forward records that reach another task's cache (through a repartition
  // topic); flush again after processing them, until a flush produces nothing to process.
  bool produced = true;
  while (produced) {
    for (auto& [id, task] : tasks_) {
      Status s = task->flush();
      if (!s.ok()) {
        pending_.clear();
        return s;
      }
    }
    produced = !pending_.empty();
    RUNNEL_RETURN_IF_ERROR(drain());
  }
  return ok_status();
}

StreamTask* TopologyTestDriver::task(std::int32_t subtopology, std::int32_t partition) {
  auto it = tasks_.find({subtopology, partition});
  return it == tasks_.end() ? nullptr : it->second.get();
}

Result<StateStore*> TopologyTestDriver::find_store(const std::string& name, StoreKind kind,
                                                   std::int32_t partition) {
  const internal::StoreDef* def = topology_.store(name);
  if (def == nullptr) return not_found_error("the topology has no store '" + name + "'");
  if (def->kind != kind) return invalid_argument_error("store '" + name + "' is of another kind");
  if (def->global) {  // One instance, whatever the partition asked for.
    auto global = global_stores_.find(name);
    if (global != global_stores_.end()) return &global->second;
  }
  for (auto& [id, task] : tasks_) {
    if (id.second != partition) continue;
    if (StateStore* store = task->store(name)) return store;
  }
  return not_found_error("no task of partition " + std::to_string(partition) + " has store '" +
                         name + "'");
}

Status TopologyTestDriver::advance_wall_clock_time(std::chrono::milliseconds duration) {
  clock_.advance_ms(duration.count());
  for (auto& [id, task] : tasks_) {
    Status s = task->punctuate_wall_clock();
    if (!s.ok()) {
      pending_.clear();
      return s;
    }
    RUNNEL_RETURN_IF_ERROR(drain());
  }
  return commit_all();
}

std::vector<std::string> TopologyTestDriver::produced_topic_names() const {
  std::vector<std::string> out;
  for (const auto& [topic, queue] : outputs_) out.push_back(topic);
  return out;
}

StreamTask::Metrics TopologyTestDriver::metrics() const {
  StreamTask::Metrics sum;
  for (const auto& [id, task] : tasks_) {
    sum.processed += task->metrics().processed;
    sum.skipped_deserialization += task->metrics().skipped_deserialization;
    sum.dropped += task->metrics().dropped;
    sum.dropped_late += task->metrics().dropped_late;
  }
  return sum;
}

}  // namespace runnel
