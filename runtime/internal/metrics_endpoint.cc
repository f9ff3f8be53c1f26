#include "runtime/internal/metrics_endpoint.h"

#include <utility>

namespace runnel::internal {

double RateTracker::per_second(const std::string& series, double total) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  auto [it, first] = seen_.try_emplace(series, Seen{total, now, 0});
  if (first) return 0;
  Seen& seen = it->second;
  const double seconds = std::chrono::duration<double>(now - seen.at).count();
  // Two scrapes in the same instant: keep the last rate rather than divide by ~0.
  if (seconds >= 0.001) {
    seen.rate = total >= seen.total ? (total - seen.total) / seconds : 0;
    seen.total = total;
    seen.at = now;
  }
  return seen.rate;
}

namespace {

std::string series_key(const std::string& name, const metrics::Labels& labels) {
  std::string key = name;
  for (const auto& [label, value] : labels) key += "|" + label + "=" + value;
  return key;
}

// A Kafka Streams -total counter and its -rate gauge.
void total_and_rate(metrics::SampleWriter& out, RateTracker& rates, const std::string& prefix,
                    const std::string& what, const std::string& help, const metrics::Labels& labels,
                    double total) {
  out.add(prefix + what + "_total", metrics::Type::kCounter, help + " (since the start).", labels,
          total);
  out.add(prefix + what + "_rate", metrics::Type::kGauge,
          help + " per second, between the last two scrapes.", labels,
          rates.per_second(series_key(prefix + what, labels), total));
}

const char* store_scope_label(StoreKind kind, bool in_memory) {
  switch (kind) {
    case StoreKind::kKeyValue:
      return in_memory ? "in-memory-state-id" : "rocksdb-state-id";
    case StoreKind::kWindow:
      return in_memory ? "in-memory-window-state-id" : "rocksdb-window-state-id";
    case StoreKind::kSession:
      return in_memory ? "in-memory-session-state-id" : "rocksdb-session-state-id";
  }
  return "state-id";
}

std::string underscored(std::string name) {
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

}  // namespace

void write_streams_metrics(const KafkaStreams::Metrics& metrics, RateTracker& rates,
                           metrics::SampleWriter& out) {
  const std::string thread_prefix = "kafka_streams_stream_thread_metrics_";
  const std::string task_prefix = "kafka_streams_stream_task_metrics_";
  const std::string state_prefix = "kafka_streams_stream_state_metrics_";
  for (const StreamThreadMetrics& thread : metrics.threads) {
    const metrics::Labels thread_labels{{"thread_id", thread.name}};
    total_and_rate(out, rates, thread_prefix, "process", "Records processed by the thread",
                   thread_labels, static_cast<double>(thread.processed));
    out.add(thread_prefix + "process_latency_avg", metrics::Type::kGauge,
            "Mean milliseconds to process a record, source through sinks.", thread_labels,
            static_cast<double>(thread.process_latency_avg_ns) / 1e6);
    out.add(thread_prefix + "process_latency_max", metrics::Type::kGauge,
            "Largest mean milliseconds per record of one task's batch of records.", thread_labels,
            static_cast<double>(thread.process_latency_max_ns) / 1e6);
    total_and_rate(out, rates, thread_prefix, "commit", "Commits by the thread", thread_labels,
                   static_cast<double>(thread.commits));
    out.add(thread_prefix + "commit_latency_avg", metrics::Type::kGauge,
            "Mean milliseconds of a commit (producer flush, stores, checkpoints, offsets).",
            thread_labels, static_cast<double>(thread.commit_latency_avg_us) / 1e3);
    out.add(thread_prefix + "commit_latency_max", metrics::Type::kGauge,
            "Largest milliseconds of a commit.", thread_labels,
            static_cast<double>(thread.commit_latency_max_us) / 1e3);
    total_and_rate(out, rates, thread_prefix, "poll", "Consumer polls by the thread", thread_labels,
                   static_cast<double>(thread.polls));
    total_and_rate(out, rates, thread_prefix, "restore",
                   "Changelog records restored into the thread's stores", thread_labels,
                   static_cast<double>(thread.restored_records));
    out.add(thread_prefix + "restore_remaining_records_total", metrics::Type::kGauge,
            "Changelog records the thread's running restoration still has to read (0: none "
            "running).",
            thread_labels, static_cast<double>(thread.restore_remaining_records));
    out.add(thread_prefix + "dropped_records_total", metrics::Type::kCounter,
            "Records dropped by the thread's tasks: skipped on deserialization errors, invalid "
            "timestamps or null keys, late for their window.",
            thread_labels, static_cast<double>(thread.dropped + thread.skipped_deserialization));
    for (const auto& [partition, lag] : thread.consumer_lag) {
      out.add("kafka_consumer_consumer_fetch_manager_metrics_records_lag", metrics::Type::kGauge,
              "Records between the thread's next offset to process and the partition's high "
              "watermark.",
              {{"client_id", thread.name + "-consumer"},
               {"topic", partition.topic},
               {"partition", std::to_string(partition.partition)}},
              static_cast<double>(lag));
    }
    for (const TaskManager::TaskMetrics& task : thread.tasks) {
      const std::string task_id = task.id.to_string();
      const metrics::Labels task_labels{{"thread_id", thread.name}, {"task_id", task_id}};
      total_and_rate(out, rates, task_prefix, "process", "Records processed by the task",
                     task_labels, static_cast<double>(task.counts.processed));
      out.add(task_prefix + "dropped_records_total", metrics::Type::kCounter,
              "Records the task dropped (deserialization errors, invalid timestamps, null keys, "
              "late records).",
              task_labels,
              static_cast<double>(task.counts.dropped + task.counts.skipped_deserialization));
      out.add(task_prefix + "enforced_processing_total", metrics::Type::kCounter,
              "Times the task stopped waiting for an empty input and processed out of "
              "timestamp order (max.task.idle.ms).",
              task_labels, static_cast<double>(task.enforced_processing));
      for (const StreamTask::StoreMetrics& store : task.stores) {
        const metrics::Labels store_labels{
            {"thread_id", thread.name},
            {"task_id", task_id},
            {store_scope_label(store.kind, store.in_memory), store.name}};
        for (const auto& [operation, stats] : store.operations) {
          const std::string op = underscored(operation);
          total_and_rate(out, rates, state_prefix, op, "Store " + operation + " operations",
                         store_labels, static_cast<double>(stats.count));
          out.add(state_prefix + op + "_latency_avg", metrics::Type::kGauge,
                  "Mean nanoseconds of a store " + operation + " operation.", store_labels,
                  stats.mean_ns());
          out.add(state_prefix + op + "_latency_max", metrics::Type::kGauge,
                  "Largest nanoseconds of a store " + operation + " operation.", store_labels,
                  static_cast<double>(stats.max_ns));
        }
      }
    }
  }
}

MetricsEndpoint::MetricsEndpoint(Snapshot snapshot) : snapshot_(std::move(snapshot)) {}

MetricsEndpoint::~MetricsEndpoint() { server_.stop(); }

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::start(const std::string& listen,
                                                                Snapshot snapshot) {
  RUNNEL_ASSIGN_OR_RETURN(console::ListenAddress address, console::parse_listen_address(listen));
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint(std::move(snapshot)));
  MetricsEndpoint* self = endpoint.get();
  endpoint->collector_ = endpoint->registry_.add_collector([self](metrics::SampleWriter& out) {
    std::optional<KafkaStreams::Metrics> metrics = self->snapshot_();
    if (metrics) write_streams_metrics(*metrics, self->rates_, out);
  });
  endpoint->server_.route("/metrics", console::metrics_route(endpoint->registry_));
  RUNNEL_RETURN_IF_ERROR(endpoint->server_.start(address).with_context("metrics.http.listen"));
  return endpoint;
}

}  // namespace runnel::internal
