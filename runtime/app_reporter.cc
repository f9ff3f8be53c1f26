#include "runtime/app_reporter.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "runtime/kafka_streams.h"

namespace runnel {
namespace {

using namespace std::chrono_literals;

// Bounds how long a close() waits for the last report, and a first report for its topic.
constexpr std::chrono::milliseconds kClientTimeout = 5s;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The bytes of the files under `dir` (a store's RocksDB directory); 0 when there is none.
std::int64_t directory_bytes(const std::filesystem::path& dir) {
  std::error_code ec;
  std::int64_t total = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) {
      const auto size = it->file_size(size_error);
      if (!size_error) total += static_cast<std::int64_t>(size);
    }
  }
  return total;
}

const char* guarantee_name(ProcessingGuarantee guarantee) {
  return guarantee == ProcessingGuarantee::kExactlyOnceV2 ? "exactly_once_v2" : "at_least_once";
}

}  // namespace

AppReporter::AppReporter(Options options) : options_(std::move(options)) {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0) host_ = host;
  started_at_ms_ = now_ms();
}

AppReporter::~AppReporter() { stop(); }

std::string AppReporter::key() const {
  return options_.app->config().application_id + "/" + options_.instance_id;
}

void AppReporter::start() {
  thread_ = std::thread([this] { run(); });
}

void AppReporter::report_soon() {
  std::lock_guard lock(mutex_);
  report_pending_ = true;
  wake_.notify_one();
}

void AppReporter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void AppReporter::finish(bool clean, const char* state) {
  if (finished_) return;
  finished_ = true;
  if (clean) {
    publish(std::nullopt);
  } else if (!last_report_.empty()) {
    // Not a fresh report: that reads the threads' metrics, under a lock close() holds.
    nlohmann::json report = nlohmann::json::parse(last_report_, nullptr, false);
    if (!report.is_discarded()) {
      report["state"] = state;
      report["reported_at"] = now_ms();
      publish(report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
  producer_.reset();
}

void AppReporter::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    report_pending_ = false;
    lock.unlock();
    last_report_ = make_report();
    publish(last_report_);
    lock.lock();
    wake_.wait_for(lock, options_.interval, [this] { return stopping_ || report_pending_; });
  }
}

Status AppReporter::create_topic(const StreamsConfig& config) {
  Result<std::unique_ptr<client::Admin>> admin = client::Admin::create(config.admin);
  if (!admin.ok()) return admin.status();
  Result<std::vector<Status>> created = (*admin)->create_topics(
      {{kTopic, 1, config.replication_factor, {{"cleanup.policy", "compact"}}}}, kClientTimeout);
  if (!created.ok()) return created.status();
  return created->front();
}

void AppReporter::publish(const std::optional<std::string>& value) {
  const StreamsConfig& config = options_.app->config();
  if (producer_ == nullptr) {
    client::ClientConfig producer_config = config.producer;
    producer_config["client.id"] = config.application_id + "-" + options_.instance_id + "-reporter";
    producer_config["acks"] = "all";
    // A report is re-sent at the next interval anyway: no long retries behind a close.
    producer_config["message.timeout.ms"] = std::to_string(kClientTimeout.count());
    Result<std::unique_ptr<client::Producer>> producer = client::Producer::create(producer_config);
    if (!producer.ok()) {
      log::warn("stream-client [{}]: cannot report to {}: {}", config.application_id, kTopic,
                producer.status().to_string());
      return;
    }
    producer_ = std::move(*producer);
  }
  if (!topic_ready_) {
    Status status = create_topic(config);
    if (!status.ok() && status.code() != StatusCode::kAlreadyExists) {
      log::warn("stream-client [{}]: cannot create {}: {}", config.application_id, kTopic,
                status.to_string());
      return;
    }
    topic_ready_ = true;
  }
  const std::string record_key = key();
  client::OutgoingRecord record{.topic = kTopic, .key = BytesView(std::string_view(record_key))};
  if (value) record.value = BytesView(std::string_view(*value));
  const std::string application_id = config.application_id;
  Status sent = producer_->send(record, [application_id](const client::DeliveryReport& report) {
    if (!report.status.ok()) {
      log::warn("stream-client [{}]: report to {} failed: {}", application_id, kTopic,
                report.status.to_string());
    }
  });
  if (!sent.ok()) {
    log::warn("stream-client [{}]: report to {} failed: {}", config.application_id, kTopic,
              sent.to_string());
  }
  // Periodic reports go out in the background (the next one follows anyway); the last one
  // is waited for, so that it is written before the application's close() returns.
  if (finished_) {
    (void)producer_->flush(kClientTimeout);
  } else {
    producer_->poll();
  }
}

std::string AppReporter::make_report() {
  const StreamsConfig& config = options_.app->config();
  const Topology& topology = *options_.topology;
  const KafkaStreams::State state = options_.app->state();
  const KafkaStreams::Metrics metrics = options_.app->metrics();

  // Tasks whose stores were restored are in the registry (only readable while RUNNING).
  std::set<TaskId> running;
  Result<internal::TaskRegistry::Snapshot> snapshot = options_.registry->snapshot();
  if (snapshot.ok()) {
    for (const auto& slot : snapshot->slots) running.insert(slot->id);
  }
  // Outside RUNNING the registry does not tell restored tasks from others: the tasks then
  // take the instance's state ("rebalancing"), not a guess.
  std::string unknown_task_state = "restoring";
  if (!snapshot.ok()) {
    unknown_task_state = KafkaStreams::to_string(state);
    for (char& c : unknown_task_state) c = static_cast<char>(std::tolower(c));
  }
  // The stores and full source topic names of each sub-topology.
  std::map<std::int32_t, std::set<std::string>> stores_of;
  std::map<std::int32_t, std::vector<std::string>> sources_of;
  for (const Topology::Subtopology& sub : topology.subtopologies()) {
    for (const std::string& topic : sub.source_topics) {
      sources_of[sub.id].push_back(topology.is_internal_topic(topic)
                                       ? Topology::internal_topic_name(config.application_id, topic)
                                       : topic);
    }
    for (const std::string& node : sub.nodes) {
      const internal::NodeDef* def = topology.node(node);
      if (def == nullptr) continue;
      for (const std::string& store : def->stores) stores_of[sub.id].insert(store);
    }
  }

  std::map<std::string, std::int64_t> store_bytes;
  nlohmann::json threads = nlohmann::json::array();
  for (const StreamThreadMetrics& thread : metrics.threads) {
    nlohmann::json tasks = nlohmann::json::array();
    for (const TaskManager::TaskMetrics& task : thread.tasks) {
      nlohmann::json inputs = nlohmann::json::array();
      for (const std::string& topic : sources_of[task.id.subtopology]) {
        auto lag = thread.consumer_lag.find({topic, task.id.partition});
        inputs.push_back({{"topic", topic},
                          {"partition", task.id.partition},
                          {"lag", lag == thread.consumer_lag.end() ? nlohmann::json(nullptr)
                                                                   : nlohmann::json(lag->second)}});
      }
      nlohmann::json task_stores = nlohmann::json::array();
      for (const std::string& name : stores_of[task.id.subtopology]) {
        const internal::StoreDef* def = topology.store(name);
        if (def == nullptr || def->in_memory) {
          task_stores.push_back({{"name", name}, {"bytes", nullptr}});
          continue;
        }
        const std::int64_t bytes =
            directory_bytes(config.state_dir / config.application_id / task.id.to_string() / name);
        store_bytes[name] += bytes;
        task_stores.push_back({{"name", name}, {"bytes", bytes}});
      }
      tasks.push_back({{"id", task.id.to_string()},
                       {"state", running.count(task.id) != 0 ? "running" : unknown_task_state},
                       {"processed", task.counts.processed},
                       {"input_partitions", std::move(inputs)},
                       {"stores", std::move(task_stores)}});
    }
    threads.push_back({{"name", thread.name},
                       {"processed", thread.processed},
                       {"restored_records", thread.restored_records},
                       {"tasks", std::move(tasks)}});
  }
  nlohmann::json stores = nlohmann::json::array();
  for (const auto& [name, def] : topology.stores()) {
    if (def.global) continue;
    stores.push_back(
        {{"name", name},
         {"persistent", !def.in_memory},
         {"bytes", def.in_memory ? nlohmann::json(nullptr) : nlohmann::json(store_bytes[name])}});
  }
  nlohmann::json report = {
      {"format", 1},
      {"application_id", config.application_id},
      {"instance_id", options_.instance_id},
      {"client_id", config.application_id + "-" + options_.instance_id},
      {"host", host_},
      {"pid", static_cast<std::int64_t>(::getpid())},
      {"state", KafkaStreams::to_string(state)},
      {"processing_guarantee", guarantee_name(config.processing_guarantee)},
      {"started_at", started_at_ms_},
      {"reported_at", now_ms()},
      {"report_interval_ms", options_.interval.count()},
      {"processed", metrics.processed},
      {"lag", metrics.consumer_lag},
      {"restored_records", metrics.restored_records},
      {"threads", std::move(threads)},
      {"stores", std::move(stores)},
      {"topology", topology.describe().to_string()},
  };
  return report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace runnel
