#include "runtime/stream_task.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>
#include <utility>

#include "core/log.h"
#include "state/caching_key_value_store.h"
#include "state/caching_session_store.h"
#include "state/caching_window_store.h"
#include "state/change_logging_key_value_store.h"
#include "state/change_logging_session_store.h"
#include "state/change_logging_window_store.h"
#include "state/synchronized_key_value_store.h"

namespace runnel {

// Sends the writes of the task's logged stores to its record collector.
class StreamTask::ChangelogSender final : public state::ChangelogCollector {
 public:
  explicit ChangelogSender(internal::RecordCollector& collector) : collector_(collector) {}
  Status send(const state::ChangelogRecord& record) override {
    topic_.assign(record.topic);
    return collector_.send(topic_, record.key, record.value, record.timestamp, headers_,
                           record.partition);
  }

 private:
  internal::RecordCollector& collector_;
  std::string topic_;  // Reused: the collector takes a std::string.
  const Headers headers_;
};

StreamTask::StreamTask(TaskId id, Options options) : id_(id), options_(std::move(options)) {
  if (options_.store_supplier == nullptr) {
    own_supplier_ = std::make_unique<InMemoryStoreSupplier>();
    options_.store_supplier = own_supplier_.get();
  }
  if (options_.cache_budget == nullptr) {
    own_budget_ = std::make_unique<state::CacheBudget>(kDefaultCacheMaxBytes);
    options_.cache_budget = own_budget_.get();
  }
  changelog_sender_ = std::make_unique<ChangelogSender>(*options_.collector);
  if (options_.buffer_uncommitted_writes) {
    uncommitted_writes_ = std::make_unique<state::UncommittedWrites>();
  }
}

Status StreamTask::make_store(const internal::StoreDef& def) {
  TaskStore ts;
  ts.def = &def;
  if (def.logging) {
    ts.changelog = state::TopicPartition{
        state::changelog_topic_name(options_.application_id, def.name), id_.partition};
  }
  state::TimestampSupplier timestamp = [this] { return current_timestamp_; };
  StoreSupplier& supplier = *options_.store_supplier;
  // Global stores follow their own (non-transactional) source topic: never buffered.
  state::UncommittedWrites* uncommitted = def.global ? nullptr : uncommitted_writes_.get();
  switch (def.kind) {
    case StoreKind::kKeyValue: {
      RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<state::KeyValueStore> store,
                              supplier.make_key_value_store(def, id_, uncommitted));
      if (ts.changelog) {
        store = std::make_unique<state::ChangeLoggingKeyValueStore>(std::move(store), *ts.changelog,
                                                                    *changelog_sender_, timestamp);
      }
      // Metering sits under the cache, not outside it as in Kafka Streams, because the
      // operators find the cache by the type of the store they are handed: it counts and
      // times what reaches the store (every operation without a cache; misses and flushes
      // with one).
      if (options_.record_store_metrics) {
        auto metered = std::make_unique<state::MeteredKeyValueStore>(std::move(store));
        ts.metered_key_value = metered.get();
        store = std::move(metered);
      }
      if (def.caching && options_.cache_budget->max_bytes() > 0) {
        auto cached = std::make_unique<state::CachingKeyValueStore>(
            std::move(store), *options_.cache_budget, timestamp);
        ts.cache = cached.get();
        store = std::move(cached);
      }
      if (def.global) {
        store = std::make_unique<state::SynchronizedKeyValueStore>(std::move(store));
      }
      ts.key_value = std::move(store);
      ts.handle.key_value = ts.key_value.get();
      break;
    }
    case StoreKind::kWindow: {
      RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<state::WindowStore> store,
                              supplier.make_window_store(def, id_, uncommitted));
      if (ts.changelog) {
        store = std::make_unique<state::ChangeLoggingWindowStore>(std::move(store), *ts.changelog,
                                                                  *changelog_sender_, timestamp);
      }
      if (options_.record_store_metrics) {
        auto metered = std::make_unique<state::MeteredWindowStore>(std::move(store));
        ts.metered_window = metered.get();
        store = std::move(metered);
      }
      // A join buffer (retain duplicates) is never cached: each put must stay distinct.
      if (def.caching && !def.retain_duplicates && options_.cache_budget->max_bytes() > 0) {
        auto cached = std::make_unique<state::CachingWindowStore>(
            std::move(store), *options_.cache_budget, timestamp);
        ts.cache = cached.get();
        store = std::move(cached);
      }
      ts.window = std::move(store);
      ts.handle.window = ts.window.get();
      break;
    }
    case StoreKind::kSession: {
      RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<state::SessionStore> store,
                              supplier.make_session_store(def, id_, uncommitted));
      if (ts.changelog) {
        store = std::make_unique<state::ChangeLoggingSessionStore>(std::move(store), *ts.changelog,
                                                                   *changelog_sender_, timestamp);
      }
      if (options_.record_store_metrics) {
        auto metered = std::make_unique<state::MeteredSessionStore>(std::move(store));
        ts.metered_session = metered.get();
        store = std::move(metered);
      }
      if (def.caching && options_.cache_budget->max_bytes() > 0) {
        auto cached = std::make_unique<state::CachingSessionStore>(
            std::move(store), *options_.cache_budget, timestamp);
        ts.cache = cached.get();
        store = std::move(cached);
      }
      ts.session = std::move(store);
      ts.handle.session = ts.session.get();
      break;
    }
  }
  ts.handle.name = def.name;
  ts.handle.kind = def.kind;
  stores_.emplace(def.name, std::move(ts));
  return ok_status();
}

StreamTask::~StreamTask() { close(); }

Result<std::unique_ptr<StreamTask>> StreamTask::create(const Topology& topology, TaskId id,
                                                       Options options) {
  if (!topology.status().ok()) return topology.status().with_context("invalid topology");
  if (options.collector == nullptr || options.clock == nullptr ||
      options.deserialization_handler == nullptr) {
    return invalid_argument_error("StreamTask needs a collector, a clock and a handler");
  }
  const auto& subs = topology.subtopologies();
  if (id.subtopology < 0 || static_cast<std::size_t>(id.subtopology) >= subs.size()) {
    return invalid_argument_error("no sub-topology " + std::to_string(id.subtopology));
  }
  std::unique_ptr<StreamTask> task(new StreamTask(id, std::move(options)));
  std::map<std::string, internal::ProcessorNode*> by_name;
  for (const std::string& name : subs[id.subtopology].nodes) {
    const internal::NodeDef& def = *topology.node(name);
    std::unique_ptr<internal::ProcessorNode> node = def.factory();
    for (const std::string& parent : def.predecessors) def.attach(*by_name.at(parent), *node);
    by_name.emplace(name, node.get());
    task->node_stores_.emplace(name, def.stores);
    for (const std::string& store : def.stores) {
      if (task->stores_.count(store) != 0) continue;
      const internal::StoreDef* store_def = topology.store(store);
      if (store_def == nullptr) return internal_error("undefined store " + store);
      Status s = task->make_store(*store_def);
      if (!s.ok()) {
        task->closed_ = true;  // Nothing was initialised; the destructor closes no processor.
        for (auto& [n, made] : task->stores_) (void)task->close_store(made);
        return s.with_context("store '" + store + "' of task " + id.to_string());
      }
    }
    if (def.kind == internal::NodeKind::kSource) {
      auto* source = static_cast<internal::SourceNodeBase*>(node.get());
      for (const std::string& topic : def.topics) {
        std::string full = def.internal_topics
                               ? Topology::internal_topic_name(task->options_.application_id, topic)
                               : topic;
        task->sources_by_topic_.emplace(full, source);
        task->source_topics_.push_back(std::move(full));
      }
    }
    task->nodes_.push_back(std::move(node));
  }
  // Children before parents, so that a processor may forward from its init.
  for (auto it = task->nodes_.rbegin(); it != task->nodes_.rend(); ++it) {
    Status s = (*it)->init(*task);
    if (!s.ok()) {
      task->closed_ = true;  // Processors that never initialised are not closed either.
    }
    if (!s.ok()) return s.with_context("init of " + (*it)->name() + " in task " + id.to_string());
  }
  return task;
}

Status StreamTask::process(const internal::RawRecordView& record) {
  auto it = sources_by_topic_.find(record.topic);
  if (it == sources_by_topic_.end()) {
    return invalid_argument_error("task " + id_.to_string() + " does not read topic " +
                                  std::string(record.topic));
  }
  // Assigned in place, so that the topic's string keeps its buffer from record to record.
  if (!position_) position_.emplace();
  position_->topic.assign(record.topic);
  position_->partition = record.partition;
  position_->offset = record.offset;
  in_record_ = true;
  Status deserialization_error;
  Status s;
  try {
    s = it->second->process_raw(record, deserialization_error);
  } catch (...) {
    in_record_ = false;
    return handle_processing_exception(&record);
  }
  in_record_ = false;
  if (!deserialization_error.ok()) {
    DeserializationErrorContext context{id_, std::string(record.topic), record.partition,
                                        record.offset, deserialization_error};
    if (options_.deserialization_handler->handle(context) ==
        DeserializationHandlerResponse::kContinue) {
      ++metrics_.skipped_deserialization;
      return ok_status();
    }
    return corruption_error(
        "deserialization failed for record from topic " + std::string(record.topic) +
        " partition " + std::to_string(record.partition) + " offset " +
        std::to_string(record.offset) + ": " + deserialization_error.to_string());
  }
  RUNNEL_RETURN_IF_ERROR(s);
  ++metrics_.processed;
  if (schedules_.empty()) return ok_status();
  return punctuate(PunctuationType::kStreamTime, stream_time_);
}

namespace {

std::string demangled(const char* name) {
  int status = 0;
  char* readable = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = status == 0 && readable != nullptr ? readable : name;
  std::free(readable);
  return out;
}

}  // namespace

Status StreamTask::handle_processing_exception(const internal::RawRecordView* record) {
  ProcessingErrorContext context{.task_id = id_};
  try {
    throw;
  } catch (const std::exception& e) {
    context.exception_type = demangled(typeid(e).name());
    context.message = e.what();
  } catch (...) {
    context.exception_type = "an exception not derived from std::exception";
  }
  if (record != nullptr) {
    context.topic = std::string(record->topic);
    context.partition = record->partition;
    context.offset = record->offset;
    context.timestamp = record->timestamp;
    if (record->key) context.source_key = Bytes(*record->key);
    if (record->value) context.source_value = Bytes(*record->value);
  }
  static LogAndFailProcessingExceptionHandler default_handler;
  ProcessingExceptionHandler& handler =
      options_.processing_handler != nullptr ? *options_.processing_handler : default_handler;
  ProcessingHandlerResponse response;
  try {
    response = handler.handle(context);
  } catch (...) {
    return internal_error("task " + id_.to_string() +
                          ": the processing exception handler threw while handling " +
                          context.exception_type + " (\"" + context.message + "\")");
  }
  for (const DeadLetterRecord& dead : response.dead_letters) {
    Status sent = options_.collector->send(dead.topic, view_of(dead.key), view_of(dead.value),
                                           dead.timestamp, dead.headers, std::nullopt);
    if (!sent.ok()) return sent.with_context("sending a dead-letter record to " + dead.topic);
  }
  if (response.result == ProcessingHandlerResponse::Result::kResume) {
    ++metrics_.dropped;
    return ok_status();
  }
  const std::string where = record == nullptr
                                ? "a punctuation"
                                : "the record from topic " + context.topic + " partition " +
                                      std::to_string(context.partition) + " offset " +
                                      std::to_string(context.offset);
  return internal_error("task " + id_.to_string() + ": " + context.exception_type + " (\"" +
                        context.message + "\") while processing " + where +
                        "; the processing exception handler chose to fail");
}

Status StreamTask::punctuate_wall_clock() {
  return punctuate(PunctuationType::kWallClockTime, options_.clock->now_ms());
}

Status StreamTask::punctuate(PunctuationType type, Timestamp now) {
  // Stream time is unknown until the first record; nothing is due before that.
  if (now < 0) return ok_status();
  std::erase_if(schedules_, [](const Schedule& s) { return s.handle.cancelled(); });
  // Due schedules run in order of their due time, then of scheduling. A punctuator may
  // schedule or cancel others, so the vector is re-read on every round.
  while (true) {
    Schedule* due = nullptr;
    for (Schedule& s : schedules_) {
      if (s.type != type || s.handle.cancelled() || s.next > now) continue;
      if (due == nullptr || s.next < due->next) due = &s;
    }
    if (due == nullptr) return ok_status();
    // Kafka's PunctuationSchedule.next: the next multiple of the interval past `now`, so
    // that punctuations skipped by a jump in time are not replayed one by one.
    const std::int64_t interval = due->interval.count();
    Timestamp next = due->next + interval;
    if (now >= next) next = due->next + ((now - due->next) / interval + 1) * interval;
    due->next = next;
    internal::TaskPunctuator punctuator = due->punctuator;  // `due` may move if one is added.
    Status s;
    try {
      s = punctuator(now);
    } catch (...) {
      s = handle_processing_exception(nullptr);
    }
    if (!s.ok()) return s.with_context("punctuator in task " + id_.to_string());
  }
}

Cancellable StreamTask::schedule(std::chrono::milliseconds interval, PunctuationType type,
                                 internal::TaskPunctuator punctuator) {
  Cancellable handle;
  if (interval.count() <= 0) {
    log::error("task {}: punctuation interval must be positive, got {} ms; not scheduled",
               id_.to_string(), interval.count());
    handle.cancel();
    return handle;
  }
  // As Kafka Streams: stream-time schedules are aligned to 0 and fire with the first record;
  // wall-clock schedules fire one interval from now.
  const Timestamp first =
      type == PunctuationType::kStreamTime ? 0 : options_.clock->now_ms() + interval.count();
  schedules_.push_back(Schedule{interval, type, first, std::move(punctuator), handle});
  return handle;
}

void StreamTask::record_dropped(std::string_view node, std::string_view reason) {
  ++metrics_.dropped;
  // Once per node at warning level: a drop is usually a callable that takes a plain key or
  // value where the stream has nulls, which the user wants to hear about, but not per record.
  if (warned_nodes_.emplace(node).second) {
    log::warn(
        "task {}: {} dropped a record: {} (further drops by this node are logged at debug "
        "level and counted)",
        id_.to_string(), node, reason);
  } else {
    log::debug("task {}: {} dropped a record: {}", id_.to_string(), node, reason);
  }
}

void StreamTask::record_late_dropped(std::string_view node) {
  ++metrics_.dropped_late;
  record_dropped(node, "late: its window had closed (stream time past window end + grace)");
}

Result<StateStore> StreamTask::get_state_store(std::string_view node, std::string_view store) {
  if (options_.global_stores != nullptr) {
    auto global = options_.global_stores->find(store);
    if (global != options_.global_stores->end()) return global->second;
  }
  auto declared = node_stores_.find(node);
  if (declared == node_stores_.end() || std::find(declared->second.begin(), declared->second.end(),
                                                  store) == declared->second.end()) {
    return invalid_argument_error("processor " + std::string(node) + " did not declare store '" +
                                  std::string(store) + "'");
  }
  StateStore* found = this->store(store);
  if (found == nullptr) return not_found_error("no store '" + std::string(store) + "'");
  return *found;
}

std::vector<StreamTask::Store> StreamTask::stores() const {
  std::vector<Store> out;
  for (const auto& [name, ts] : stores_)
    out.push_back(Store{name, ts.def->kind, ts.changelog, ts.def->in_memory});
  return out;
}

std::vector<StreamTask::StoreMetrics> StreamTask::store_metrics() const {
  std::vector<StoreMetrics> out;
  for (const auto& [name, ts] : stores_) {
    StoreMetrics m{.name = name, .kind = ts.def->kind, .in_memory = ts.def->in_memory};
    if (ts.metered_key_value != nullptr) {
      const state::KeyValueStoreMetrics s = ts.metered_key_value->metrics();
      m.operations = {{"put", s.put},
                      {"put-if-absent", s.put_if_absent},
                      {"put-all", s.put_all},
                      {"get", s.get},
                      {"delete", s.delete_key},
                      {"range", s.range},
                      {"prefix-scan", s.prefix_scan},
                      {"all", s.all},
                      {"flush", s.flush},
                      {"restore", s.restore}};
      m.restored_records = s.restored_records;
    } else if (ts.metered_window != nullptr) {
      const state::WindowStoreMetrics s = ts.metered_window->metrics();
      m.operations = {{"put", s.put},
                      {"remove", s.remove},
                      {"fetch", s.fetch},
                      {"fetch-range", s.fetch_range},
                      {"fetch-all", s.fetch_all},
                      {"flush", s.flush},
                      {"restore", s.restore}};
    } else if (ts.metered_session != nullptr) {
      const state::SessionStoreMetrics s = ts.metered_session->metrics();
      m.operations = {{"put", s.put},
                      {"remove", s.remove},
                      {"fetch", s.fetch_session},
                      {"find-sessions", s.find_sessions},
                      {"flush", s.flush},
                      {"restore", s.restore}};
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<state::TopicPartition> StreamTask::changelog_partitions() const {
  std::vector<state::TopicPartition> out;
  for (const auto& [name, ts] : stores_) {
    if (ts.changelog) out.push_back(*ts.changelog);
  }
  return out;
}

StateStore* StreamTask::store(std::string_view name) {
  auto it = stores_.find(name);
  return it == stores_.end() ? nullptr : &it->second.handle;
}

Status StreamTask::restore(std::string_view name, std::span<const state::RestoreRecord> batch) {
  auto it = stores_.find(name);
  if (it == stores_.end()) {
    return not_found_error("task " + id_.to_string() + " has no store '" + std::string(name) + "'");
  }
  TaskStore& ts = it->second;
  Status s = ts.key_value ? ts.key_value->restore_batch(batch)
             : ts.window  ? ts.window->restore_batch(batch)
                          : ts.session->restore_batch(batch);
  if (!s.ok()) return s.with_context("restoring store '" + it->first + "'");
  return s;
}

Status StreamTask::flush() {
  RUNNEL_RETURN_IF_ERROR(flush_caches());
  return make_durable();
}

Status StreamTask::flush_caches() {
  // What a cache forwards may write the cache of another store of this task, one already
  // flushed in this pass: pass again until every cache is empty, so that a commit takes all
  // of the processed input's effects (a topology is acyclic: at most one pass per store).
  for (std::size_t pass = 0; pass <= stores_.size(); ++pass) {
    bool dirty = false;
    for (auto& [name, ts] : stores_) {
      if (ts.cache == nullptr || ts.cache->dirty_entries() == 0) continue;
      dirty = true;
      Status s = ts.cache->flush_cache();
      if (!s.ok()) return s.with_context("flushing the cache of store '" + name + "'");
    }
    if (!dirty) return ok_status();
  }
  return internal_error("task " + id_.to_string() + ": caches still dirty after every pass");
}

Status StreamTask::make_durable() {
  // A cache's flush() writes its (now empty) entries down, then flushes the store below it.
  for (auto& [name, ts] : stores_) {
    Status s = ts.key_value ? ts.key_value->flush()
               : ts.window  ? ts.window->flush()
                            : ts.session->flush();
    if (!s.ok()) return s.with_context("flushing store '" + name + "'");
  }
  return ok_status();
}

Status StreamTask::commit_state() {
  if (uncommitted_writes_ == nullptr) return ok_status();
  Status s = uncommitted_writes_->commit();
  if (!s.ok()) return s.with_context("task " + id_.to_string());
  return s;
}

std::size_t StreamTask::uncommitted_bytes() const {
  return uncommitted_writes_ == nullptr ? 0 : uncommitted_writes_->uncommitted_bytes();
}

Status StreamTask::close_store(TaskStore& ts) {
  if (ts.key_value) return ts.key_value->close();
  if (ts.window) return ts.window->close();
  if (ts.session) return ts.session->close();
  return ok_status();
}

void StreamTask::close() {
  if (!closed_) {
    closed_ = true;
    for (auto& node : nodes_) node->close();
  }
  // Whatever commit_state() did not commit is not kept. What caches write through while
  // their stores close is dropped by the RocksDB stores' own close().
  if (uncommitted_writes_ != nullptr) uncommitted_writes_->discard();
  for (auto& [name, ts] : stores_) {
    Status s = close_store(ts);
    if (!s.ok())
      log::error("task {}: closing store '{}': {}", id_.to_string(), name, s.to_string());
  }
}

}  // namespace runnel
