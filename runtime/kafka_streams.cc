#include "runtime/kafka_streams.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "core/log.h"
#include "runtime/app_reporter.h"
#include "runtime/internal/default_partitioner.h"
#include "runtime/internal/metrics_endpoint.h"
#include "runtime/internal/process_id.h"

namespace runnel {

using namespace std::chrono_literals;

namespace {

constexpr std::chrono::milliseconds kAdminTimeout = 30s;

bool is_shutting_down(KafkaStreams::State state) {
  return state == KafkaStreams::State::kPendingShutdown ||
         state == KafkaStreams::State::kNotRunning || state == KafkaStreams::State::kError;
}

}  // namespace

const char* KafkaStreams::to_string(State state) {
  switch (state) {
    case State::kCreated:
      return "CREATED";
    case State::kRebalancing:
      return "REBALANCING";
    case State::kRunning:
      return "RUNNING";
    case State::kPendingShutdown:
      return "PENDING_SHUTDOWN";
    case State::kNotRunning:
      return "NOT_RUNNING";
    case State::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

KafkaStreams::KafkaStreams(Topology topology, StreamsProperties properties)
    : topology_(std::move(topology)),
      properties_(std::move(properties)),
      registry_(std::make_shared<internal::TaskRegistry>()) {}

KafkaStreams::~KafkaStreams() { close(); }

Status KafkaStreams::set_state_listener(StateListener listener) {
  std::lock_guard lock(mutex_);
  if (state_.load() != State::kCreated) {
    return invalid_argument_error("the state listener can only be set before start()");
  }
  state_listener_ = std::move(listener);
  return ok_status();
}

Status KafkaStreams::set_processing_exception_handler(
    std::shared_ptr<ProcessingExceptionHandler> handler) {
  std::lock_guard lock(mutex_);
  if (state_.load() != State::kCreated) {
    return invalid_argument_error(
        "the processing exception handler can only be set before start()");
  }
  if (handler == nullptr) return invalid_argument_error("a null processing exception handler");
  processing_handler_ = std::move(handler);
  return ok_status();
}

Status KafkaStreams::set_uncaught_error_handler(UncaughtErrorHandler handler) {
  std::lock_guard lock(mutex_);
  if (state_.load() != State::kCreated) {
    return invalid_argument_error("the uncaught-error handler can only be set before start()");
  }
  error_handler_ = std::move(handler);
  return ok_status();
}

void KafkaStreams::transition_locked(State to) {
  const State from = state_.load();
  if (from == to) return;
  state_.store(to);
  if (to == State::kRebalancing) rebalances_.fetch_add(1);
  // Queries follow the state: only a RUNNING application has every task in place.
  switch (to) {
    case State::kRunning:
      registry_->set_availability(ok_status());
      break;
    case State::kCreated:
    case State::kRebalancing:
      registry_->set_availability(unavailable_error(
          std::string("the application is ") + to_string(to) +
          " (tasks are moving or restoring); its stores can be queried once it is RUNNING"));
      break;
    case State::kPendingShutdown:
    case State::kNotRunning:
    case State::kError:
      registry_->set_availability(aborted_error(std::string("the application is ") + to_string(to) +
                                                "; its stores can no longer be queried"));
      break;
  }
  log::info("stream-client [{}]: state {} -> {}", config_.application_id, to_string(from),
            to_string(to));
  if (state_listener_) state_listener_(to, from);
  if (std::shared_ptr<AppReporter> reporter = reporter_.load()) reporter->report_soon();
}

Status KafkaStreams::start() {
  std::lock_guard threads_lock(threads_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (state_.load() != State::kCreated) {
      return invalid_argument_error(std::string("start() called in state ") +
                                    to_string(state_.load()) + "; an application starts once");
    }
  }
  Status prepared = prepare();
  std::lock_guard lock(mutex_);
  if (!prepared.ok()) {
    log::error("stream-client [{}]: cannot start: {}", config_.application_id,
               prepared.to_string());
    threads_.clear();
    global_thread_.reset();
    state_dir_lock_.release();
    transition_locked(State::kError);
    return prepared;
  }
  if (!config_.metrics_http_listen.empty()) {
    // A scrape waits for threads_mutex_ (metrics()): start() holds it until it returns, and
    // close() takes the endpoint out and stops it before waiting for the threads.
    auto endpoint =
        internal::MetricsEndpoint::start(config_.metrics_http_listen, [this] { return metrics(); });
    if (!endpoint.ok()) {
      log::error("stream-client [{}]: cannot start: {}", config_.application_id,
                 endpoint.status().to_string());
      threads_.clear();
      global_thread_.reset();
      state_dir_lock_.release();
      transition_locked(State::kError);
      return endpoint.status();
    }
    metrics_endpoint_ = std::move(*endpoint);
  }
  thread_states_.assign(threads_.size(), StreamThread::State::kCreated);
  transition_locked(State::kRebalancing);
  if (global_thread_) global_thread_->start();
  for (auto& thread : threads_) thread->start();
  if (report_interval_.count() > 0) {
    auto reporter = std::make_shared<AppReporter>(
        AppReporter::Options{this, &topology_, registry_, process_id_, report_interval_});
    reporter->start();
    reporter_.store(std::move(reporter));
  }
  return ok_status();
}

Status KafkaStreams::prepare() {
  if (!topology_.status().ok()) return topology_.status().with_context("invalid topology");
  // The reporter's setting is Runnel's own, not a librdkafka property for the clients.
  StreamsProperties properties = properties_;
  if (auto interval = properties.find(AppReporter::kIntervalConfig); interval != properties.end()) {
    try {
      report_interval_ = std::chrono::milliseconds(std::stoll(interval->second));
    } catch (const std::exception&) {
      report_interval_ = std::chrono::milliseconds(-1);
    }
    if (report_interval_.count() < 0) {
      return invalid_argument_error(std::string(AppReporter::kIntervalConfig) +
                                    ": expected milliseconds (0: no reports), got '" +
                                    interval->second + "'");
    }
    properties.erase(interval);
  }
  RUNNEL_ASSIGN_OR_RETURN(config_, StreamsConfig::parse(properties));
  if (processing_handler_ != nullptr) config_.processing_handler = processing_handler_;
  if (topology_.subtopologies().empty()) {
    return invalid_argument_error("the topology has no source: nothing to run");
  }
  // The state directory of this application; tasks' stores live under it.
  std::error_code ec;
  const std::filesystem::path app_dir = config_.state_dir / config_.application_id;
  std::filesystem::create_directories(app_dir, ec);
  if (ec)
    return io_error("cannot create state directory " + app_dir.string() + ": " + ec.message());
  if (!topology_.stores().empty()) {
    Result<internal::DirectoryLock> lock = internal::DirectoryLock::try_lock(app_dir);
    if (lock.status().code() == StatusCode::kUnavailable) {
      return unavailable_error("state directory " + app_dir.string() +
                               " is in use by another running instance of application " +
                               config_.application_id + "; give each instance its own state.dir");
    }
    RUNNEL_RETURN_IF_ERROR(lock.status().with_context("locking the state directory"));
    state_dir_lock_ = std::move(*lock);
  }
  // As Kafka Streams: the identity outlives the process only where the state directory is
  // this instance's alone, which its lock (taken for applications with stores) guarantees.
  if (state_dir_lock_.held()) {
    RUNNEL_ASSIGN_OR_RETURN(process_id_, internal::load_or_create_process_id(app_dir));
    process_id_persistent_ = true;
  } else {
    process_id_ = internal::random_process_id();
    process_id_persistent_ = false;
  }
  log::info("stream-client [{}]: process id {}{}", config_.application_id, process_id_,
            process_id_persistent_ ? "" : " (new at each start: the application has no stores)");

  RUNNEL_ASSIGN_OR_RETURN(admin_, client::Admin::create(config_.admin));
  partition_counts_ = std::make_unique<internal::TopicPartitionCounts>(*admin_);
  RUNNEL_RETURN_IF_ERROR(create_internal_topics());

  if (!topology_.global_store_names().empty()) {
    GlobalStreamThread::Options options;
    options.topology = &topology_;
    options.config = &config_;
    options.partition_counts = partition_counts_.get();
    options.on_error = [this](const Status& error) { on_global_error(error); };
    options.registry = registry_.get();
    RUNNEL_ASSIGN_OR_RETURN(global_thread_, GlobalStreamThread::create(std::move(options)));
    RUNNEL_RETURN_IF_ERROR(global_thread_->bootstrap());
  }

  std::set<std::string> sources;
  for (const Topology::Subtopology& sub : topology_.subtopologies()) {
    if (sub.global) continue;  // The global state maintainer reads those.
    for (const std::string& topic : sub.source_topics) {
      sources.insert(topology_.is_internal_topic(topic)
                         ? Topology::internal_topic_name(config_.application_id, topic)
                         : topic);
    }
  }
  source_topics_.assign(sources.begin(), sources.end());

  for (int i = 0; i < config_.num_stream_threads; ++i) {
    StreamThread::Options options;
    options.index = i;
    options.process_id = process_id_;
    options.process_id_persistent = process_id_persistent_;
    options.topology = &topology_;
    options.config = &config_;
    options.partition_counts = partition_counts_.get();
    options.source_topics = source_topics_;
    options.task_registry = registry_.get();
    if (global_thread_) options.global_stores = &global_thread_->stores();
    options.on_state = [this](int index, StreamThread::State state) {
      on_thread_state(index, state);
    };
    options.on_error = [this](int index, const Status& error) { on_thread_error(index, error); };
    RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<StreamThread> thread,
                            StreamThread::create(std::move(options)));
    threads_.push_back(std::move(thread));
  }
  return ok_status();
}

Status KafkaStreams::create_internal_topics() {
  // Partition counts: external sources as the cluster has them; a repartition topic as the
  // topology says, or else as the largest input of the sub-topology that writes it.
  std::map<std::string, std::int32_t> counts;  // Topic names as the topology records them.
  for (const Topology::Subtopology& sub : topology_.subtopologies()) {
    for (const std::string& topic : sub.source_topics) {
      if (topology_.is_internal_topic(topic)) continue;
      Result<std::int32_t> count = partition_counts_->get(topic);
      if (count.status().code() == StatusCode::kNotFound) {
        return not_found_error((sub.global ? "global table topic " : "source topic ") + topic +
                               " does not exist; create it before starting the application");
      }
      RUNNEL_RETURN_IF_ERROR(count.status().with_context("describing source topic " + topic));
      counts[topic] = *count;
    }
  }
  const auto& internals = topology_.internal_topics();
  for (const internal::InternalTopicDef& t : internals) {
    if (t.partitions) {
      if (*t.partitions <= 0) {
        return invalid_argument_error("repartition topic " + t.name +
                                      " needs a positive partition count");
      }
      counts[t.name] = *t.partitions;
    }
  }
  // Co-partitioned user topics (read by one join) must agree.
  for (const std::vector<std::string>& group : topology_.copartition_groups()) {
    std::optional<std::pair<std::string, std::int32_t>> first;
    for (const std::string& topic : group) {
      auto c = counts.find(topic);
      if (c == counts.end()) continue;
      if (!first) {
        first.emplace(topic, c->second);
      } else if (first->second != c->second) {
        return invalid_argument_error(
            "topics " + first->first + " (" + std::to_string(first->second) + " partitions) and " +
            topic + " (" + std::to_string(c->second) +
            " partitions) are joined, so they must have the same partition count");
      }
    }
  }
  // A changelog topic has as many partitions as the sub-topology using its store has tasks.
  std::map<std::string, const Topology::Subtopology*> store_subtopology;
  for (const Topology::Subtopology& sub : topology_.subtopologies()) {
    for (const std::string& name : sub.nodes) {
      const internal::NodeDef* def = topology_.node(name);
      if (def == nullptr) continue;
      for (const std::string& store : def->stores) store_subtopology[store] = &sub;
    }
  }
  // Sub-topology writing each internal topic.
  std::map<std::string, const Topology::Subtopology*> writer;
  for (const Topology::Subtopology& sub : topology_.subtopologies()) {
    for (const std::string& name : sub.nodes) {
      const internal::NodeDef* def = topology_.node(name);
      if (def != nullptr && def->kind == internal::NodeKind::kSink && def->sink_internal) {
        writer[def->sink_topic] = &sub;
      }
    }
  }
  for (bool progress = true; progress;) {
    progress = false;
    for (const internal::InternalTopicDef& t : internals) {
      if (counts.count(t.name) != 0) continue;
      const Topology::Subtopology* from = nullptr;
      if (t.changelog) {
        auto s = store_subtopology.find(t.store);
        if (s != store_subtopology.end()) from = s->second;
      } else {
        auto w = writer.find(t.name);
        if (w != writer.end()) from = w->second;
      }
      if (!t.changelog) {
        // Co-partitioned with topics of known count (a foreign-key join's subscription and
        // response topics, a join's repartition topic): theirs, as Kafka's
        // CopartitionedTopicsEnforcer sizes them, not the writer's.
        std::optional<std::int32_t> copartitioned;
        for (const std::vector<std::string>& group : topology_.copartition_groups()) {
          if (std::find(group.begin(), group.end(), t.name) == group.end()) continue;
          for (const std::string& topic : group) {
            auto c = counts.find(topic);
            if (topic != t.name && c != counts.end()) copartitioned = c->second;
          }
        }
        if (copartitioned) {
          counts[t.name] = *copartitioned;
          progress = true;
          continue;
        }
      }
      if (from == nullptr) continue;
      std::int32_t max = 0;
      bool known = true;
      for (const std::string& input : from->source_topics) {
        auto c = counts.find(input);
        if (c == counts.end()) {
          known = false;
          break;
        }
        max = std::max(max, c->second);
      }
      if (known && max > 0) {
        counts[t.name] = max;
        progress = true;
      }
    }
  }

  std::vector<client::NewTopic> wanted;
  for (const internal::InternalTopicDef& t : internals) {
    auto c = counts.find(t.name);
    if (c == counts.end()) {
      return invalid_argument_error("cannot tell the partition count of repartition topic " +
                                    t.name + "; give it with Repartitioned");
    }
    wanted.push_back({Topology::internal_topic_name(config_.application_id, t.name),
                      c->second,
                      config_.replication_factor,
                      {}});
  }
  if (wanted.empty()) return ok_status();
  RUNNEL_ASSIGN_OR_RETURN(std::vector<Status> created,
                          admin_->create_topics(wanted, kAdminTimeout));
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const client::NewTopic& t = wanted[i];
    if (created[i].ok()) {
      log::info("stream-client [{}]: created internal topic {} with {} partition(s)",
                config_.application_id, t.name, t.partitions);
    } else if (created[i].code() == StatusCode::kAlreadyExists) {
      RUNNEL_ASSIGN_OR_RETURN(client::TopicDescription existing,
                              admin_->describe_topic(t.name, kAdminTimeout));
      if (existing.partitions != t.partitions) {
        return invalid_argument_error(
            "internal topic " + t.name + " exists with " + std::to_string(existing.partitions) +
            " partition(s) but the topology needs " + std::to_string(t.partitions) +
            "; delete it (reset the application) or change the topology");
      }
    } else {
      return created[i].with_context("creating internal topic " + t.name);
    }
    partition_counts_->put(t.name, t.partitions);
  }
  return ok_status();
}

void KafkaStreams::on_thread_state(int index, StreamThread::State state) {
  std::lock_guard lock(mutex_);
  thread_states_[static_cast<std::size_t>(index)] = state;
  if (is_shutting_down(state_.load())) return;
  bool all_running = true;
  bool any_rebalancing = false;
  for (StreamThread::State s : thread_states_) {
    if (s != StreamThread::State::kRunning) all_running = false;
    if (s == StreamThread::State::kStarting || s == StreamThread::State::kPartitionsRevoked ||
        s == StreamThread::State::kPartitionsAssigned || s == StreamThread::State::kCreated) {
      any_rebalancing = true;
    }
  }
  if (all_running) {
    transition_locked(State::kRunning);
  } else if (any_rebalancing) {
    transition_locked(State::kRebalancing);
  }
}

void KafkaStreams::on_thread_error(int index, const Status& error) {
  std::lock_guard lock(mutex_);
  const std::string& name = threads_[static_cast<std::size_t>(index)]->name();
  if (error_handler_) error_handler_(name, error);
  if (state_.load() != State::kNotRunning) transition_locked(State::kError);
  // The client shuts down as a whole (Kafka's SHUTDOWN_CLIENT): the other threads commit what
  // they processed and leave the group.
  for (auto& thread : threads_) thread->request_stop();
}

void KafkaStreams::on_global_error(const Status& error) {
  std::lock_guard lock(mutex_);
  if (error_handler_) error_handler_(global_thread_->name(), error);
  if (state_.load() != State::kNotRunning) transition_locked(State::kError);
  // Without its global stores kept up to date the instance cannot go on (Kafka Streams
  // shuts the client down too).
  for (auto& thread : threads_) thread->request_stop();
}

void KafkaStreams::close() {
  // Before threads_mutex_, which a report being made waits for (it reads the metrics).
  std::shared_ptr<AppReporter> reporter = reporter_.load();
  if (reporter) reporter->stop();
  std::unique_ptr<internal::MetricsEndpoint> endpoint;
  {
    std::lock_guard threads_lock(threads_mutex_);
    endpoint = std::move(metrics_endpoint_);
  }
  // Unlocked: a scrape being answered needs threads_mutex_ to finish.
  if (endpoint) endpoint->stop();
  close_threads();
  // A clean close removes the instance from the reports; a failed one leaves its last word.
  if (reporter) reporter->finish(state_.load() == State::kNotRunning, to_string(state_.load()));
}

void KafkaStreams::close_threads() {
  std::lock_guard threads_lock(threads_mutex_);
  {
    std::lock_guard lock(mutex_);
    const State s = state_.load();
    if (s == State::kNotRunning) return;
    if (s != State::kError) transition_locked(State::kPendingShutdown);
  }
  for (auto& thread : threads_) thread->request_stop();
  for (auto& thread : threads_) thread->join();
  // After the stream threads, whose tasks read the global stores.
  if (global_thread_) {
    global_thread_->request_stop();
    global_thread_->join();
  }
  // Every task is closed: another instance may use the state directory now.
  state_dir_lock_.release();
  // The threads stay (stopped, their clients closed) so that metrics() still reads them.
  std::lock_guard lock(mutex_);
  if (state_.load() == State::kPendingShutdown) transition_locked(State::kNotRunning);
}

Status KafkaStreams::unknown_store_error(const std::string& name) {
  return not_found_error("the topology has no state store named '" + name + "'");
}

Status KafkaStreams::wrong_serde_error(const std::string& name) {
  return invalid_argument_error("store '" + name +
                                "': its serdes are not of the types asked for; give serdes");
}

Result<std::shared_ptr<const internal::StoreReader>> KafkaStreams::store_reader(
    const std::string& name, StoreKind kind) const {
  const internal::StoreDef* def = topology_.store(name);
  if (def == nullptr) return unknown_store_error(name);
  if (def->kind != kind) {
    static constexpr const char* kKinds[] = {"key-value", "window", "session"};
    return invalid_argument_error("store '" + name + "' is a " +
                                  kKinds[static_cast<int>(def->kind)] + " store, not a " +
                                  kKinds[static_cast<int>(kind)] + " store");
  }
  // Fails now rather than at the first read when the application cannot be queried.
  RUNNEL_RETURN_IF_ERROR(registry_->snapshot().status());
  return std::shared_ptr<const internal::StoreReader>(
      std::make_shared<internal::StoreReader>(registry_, name, kind, def->window_size_ms));
}

Result<const Topology::Subtopology*> KafkaStreams::store_owner(const std::string& name) const {
  if (topology_.store(name) == nullptr) return unknown_store_error(name);
  for (const Topology::Subtopology& sub : topology_.subtopologies()) {
    if (sub.global) continue;
    for (const std::string& node : sub.nodes) {
      const internal::NodeDef* def = topology_.node(node);
      if (def == nullptr) continue;
      for (const std::string& store : def->stores) {
        if (store == name) return &sub;
      }
    }
  }
  return not_found_error("no processor uses store '" + name + "'");
}

std::string KafkaStreams::full_topic(const std::string& recorded) const {
  return topology_.is_internal_topic(recorded)
             ? Topology::internal_topic_name(config_.application_id, recorded)
             : recorded;
}

std::vector<std::string> KafkaStreams::full_source_topics(const Topology::Subtopology& sub) const {
  std::vector<std::string> out;
  for (const std::string& topic : sub.source_topics) out.push_back(full_topic(topic));
  return out;
}

const KafkaStreams::TopologyPartitioner* KafkaStreams::topology_partitioner(
    const std::string& name) const {
  // Made once per store on first use; the topology never changes.
  std::lock_guard lock(partitioners_mutex_);
  auto [it, inserted] = partitioners_.try_emplace(name);
  if (inserted) {
    Result<const Topology::Subtopology*> owner = store_owner(name);
    if (owner.ok()) {
      for (const Topology::Subtopology& sub : topology_.subtopologies()) {
        for (const std::string& node : sub.nodes) {
          const internal::NodeDef* def = topology_.node(node);
          if (def == nullptr || !def->key_partitioner) continue;
          for (const std::string& topic : (*owner)->source_topics) {
            if (def->sink_topic == topic)
              it->second = TopologyPartitioner{topic, def->key_partitioner};
          }
        }
      }
    }
  }
  return it->second ? &*it->second : nullptr;
}

Result<KeyQueryMetadata> KafkaStreams::query_metadata_for_key_bytes(const std::string& name,
                                                                    BytesView key) const {
  return key_query_metadata(name, key, nullptr);
}

Result<KeyQueryMetadata> KafkaStreams::key_query_metadata(const std::string& name, BytesView key,
                                                          const PartitionChooser& choose) const {
  RUNNEL_ASSIGN_OR_RETURN(const Topology::Subtopology* owner, store_owner(name));
  // A snapshot succeeds only once the application was RUNNING, so start() has written
  // config_ and partition_counts_ (before any thread existed; the registry's mutex orders that
  // write before this read), and nothing writes them again: no need for threads_mutex_, which
  // close() holds while it joins the threads.
  RUNNEL_ASSIGN_OR_RETURN(internal::TaskRegistry::Snapshot snapshot, registry_->snapshot());
  // The task count of a sub-topology is the partition count of its (co-partitioned) inputs.
  const std::vector<std::string> topics = full_source_topics(*owner);
  std::int32_t partitions = 0;
  std::string widest;
  for (const std::string& full : topics) {
    Result<std::int32_t> count = partition_counts_->get(full);
    if (!count.ok()) return count.status().with_context("partitions of " + full);
    if (*count > partitions) {
      partitions = *count;
      widest = full;
    }
  }
  if (partitions <= 0) return internal_error("store '" + name + "': no input partitions");
  KeyQueryMetadata metadata;
  std::optional<std::int32_t> chosen = choose ? choose(widest, partitions) : std::nullopt;
  if (chosen && (*chosen < 0 || *chosen >= partitions)) {
    return invalid_argument_error("store '" + name + "': the partitioner chose partition " +
                                  std::to_string(*chosen) + " of " + widest + ", which has " +
                                  std::to_string(partitions));
  }
  metadata.partition = chosen ? *chosen : internal::default_partition(key, partitions);
  metadata.task = TaskId{owner->id, metadata.partition};
  // A task's id is fixed before the registry shares its slot.
  for (const std::shared_ptr<internal::TaskSlot>& slot : snapshot.slots) {
    if (slot->id == metadata.task) metadata.local = true;
  }
  if (!config_.application_server) return metadata;
  RUNNEL_ASSIGN_OR_RETURN(internal::GroupAssignment assignment, group_assignment());
  // The task's partition of any of its (co-partitioned) inputs names its owner.
  const auto holds = [&](const std::set<client::TopicPartition>& partitions) {
    for (const std::string& topic : topics) {
      if (partitions.contains({topic, metadata.partition})) return true;
    }
    return false;
  };
  for (const auto& [host, held] : assignment) {
    if (holds(held.active)) metadata.active_host = host;
    if (holds(held.standby)) metadata.standby_hosts.push_back(host);
  }
  if (!metadata.active_host) {
    return unavailable_error("store '" + name +
                             "': no instance with an application.server runs task " +
                             metadata.task.to_string() +
                             " now (a member left or joined and the group has not rebalanced "
                             "yet, or the task's owner set no application.server)");
  }
  return metadata;
}

Result<internal::GroupAssignment> KafkaStreams::group_assignment() const {
  // RUNNING (so start() is done: admin_ and config_ are written) at the count read here.
  const std::uint64_t rebalances = rebalances_.load();
  RUNNEL_RETURN_IF_ERROR(registry_->snapshot().status());
  std::lock_guard lock(assignment_mutex_);
  if (assignment_cache_ && assignment_cache_->first == rebalances) {
    return assignment_cache_->second;
  }
  RUNNEL_ASSIGN_OR_RETURN(client::GroupDescription group,
                          admin_->describe_group(config_.application_id, kAdminTimeout));
  // Mid-rebalance the members' assignments are those of the generation that ends: asking
  // again once the group settles gives the new ones.
  if (group.state != "Stable") {
    return unavailable_error("the application's group " + config_.application_id + " is " +
                             group.state + ", not Stable; retry once it has rebalanced");
  }
  // A rebalance of this instance that began meanwhile may have made the answer old.
  if (rebalances_.load() != rebalances || !registry_->snapshot().ok()) {
    return unavailable_error("the application is rebalancing; retry once it is RUNNING");
  }
  internal::GroupAssignment assignment = internal::group_assignment(group);
  assignment_cache_.emplace(rebalances, assignment);
  return assignment;
}

std::vector<StreamsMetadata> KafkaStreams::streams_metadata(
    const internal::GroupAssignment& assignment) const {
  std::vector<StreamsMetadata> out;
  for (const auto& [host, held] : assignment) {
    StreamsMetadata m;
    m.host = host;
    m.topic_partitions = held.active;
    m.standby_topic_partitions = held.standby;
    for (const Topology::Subtopology& sub : topology_.subtopologies()) {
      if (sub.global) continue;
      bool active = false;
      bool standby = false;
      for (const std::string& topic : full_source_topics(sub)) {
        for (const client::TopicPartition& tp : held.active) active |= tp.topic == topic;
        for (const client::TopicPartition& tp : held.standby) standby |= tp.topic == topic;
      }
      for (const std::string& node : sub.nodes) {
        const internal::NodeDef* def = topology_.node(node);
        if (def == nullptr) continue;
        for (const std::string& store : def->stores) {
          if (active) m.state_store_names.insert(store);
          if (standby) m.standby_state_store_names.insert(store);
        }
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<StreamsMetadata>> KafkaStreams::metadata_for_all_streams_clients() const {
  // RUNNING, so start() has written config_ (see key_query_metadata).
  RUNNEL_RETURN_IF_ERROR(registry_->snapshot().status());
  if (!config_.application_server) {
    return invalid_argument_error(
        "this instance has no application.server: set it to learn where the others are");
  }
  RUNNEL_ASSIGN_OR_RETURN(internal::GroupAssignment assignment, group_assignment());
  return streams_metadata(assignment);
}

Result<std::vector<StreamsMetadata>> KafkaStreams::streams_metadata_for_store(
    const std::string& name) const {
  RUNNEL_RETURN_IF_ERROR(store_owner(name).status());
  RUNNEL_ASSIGN_OR_RETURN(std::vector<StreamsMetadata> all, metadata_for_all_streams_clients());
  std::vector<StreamsMetadata> out;
  for (StreamsMetadata& m : all) {
    if (m.state_store_names.contains(name) || m.standby_state_store_names.contains(name)) {
      out.push_back(std::move(m));
    }
  }
  return out;
}

KafkaStreams::Metrics KafkaStreams::metrics() const {
  std::lock_guard threads_lock(threads_mutex_);
  Metrics m;
  for (const auto& thread : threads_) {
    StreamThreadMetrics t = thread->metrics();
    m.processed += t.processed;
    m.skipped_deserialization += t.skipped_deserialization;
    m.dropped += t.dropped;
    m.dropped_late += t.dropped_late;
    m.restored_records += t.restored_records;
    m.restored_bytes += t.restored_bytes;
    for (const auto& [tp, lag] : t.consumer_lag) m.consumer_lag += lag;
    m.threads.push_back(std::move(t));
  }
  if (global_thread_) m.global = global_thread_->metrics();
  return m;
}

std::optional<std::uint16_t> KafkaStreams::metrics_http_port() const {
  std::lock_guard threads_lock(threads_mutex_);
  if (!metrics_endpoint_) return std::nullopt;
  return metrics_endpoint_->port();
}

}  // namespace runnel
