#include "bench/nexmark/nexmark_inprocess.h"

#include <stdlib.h>

#include <deque>
#include <map>
#include <memory>

#include <sys/resource.h>

#include "core/clock.h"
#include "operators/internal/task_context.h"
#include "runtime/deserialization_exception_handler.h"
#include "runtime/store_supplier.h"
#include "runtime/stream_task.h"
#include "state/cache_budget.h"

namespace runnel::nexmark {
namespace {

constexpr const char* kApplicationId = "nexmark";

double thread_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Counts what the tasks send, and keeps the records of topics the topology reads (its
// repartition topics) for the driver to feed back.
class Collector final : public internal::RecordCollector {
 public:
  struct Pending {
    std::string topic;
    NullableBytes key;
    NullableBytes value;
    Timestamp timestamp;
  };

  explicit Collector(std::map<std::string, std::int32_t> subtopology_by_topic)
      : subtopology_by_topic_(std::move(subtopology_by_topic)) {}

  Status send(const std::string& topic, NullableBytesView key, NullableBytesView value,
              Timestamp timestamp, const Headers&, std::optional<std::int32_t>) override {
    if (subtopology_by_topic_.count(topic) != 0) {
      ++repartition_records;
      pending.push_back({topic, key ? NullableBytes(Bytes(*key)) : std::nullopt,
                         value ? NullableBytes(Bytes(*value)) : std::nullopt, timestamp});
    } else if (ends_with(topic, "-changelog")) {
      ++changelog_records;
    } else {
      ++output_records;
    }
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }

  std::int32_t subtopology(const std::string& topic) const {
    return subtopology_by_topic_.at(topic);
  }

  std::deque<Pending> pending;
  std::int64_t output_records = 0;
  std::int64_t changelog_records = 0;
  std::int64_t repartition_records = 0;

 private:
  std::map<std::string, std::int32_t> subtopology_by_topic_;
};

std::filesystem::path fresh_dir(const std::filesystem::path& under) {
  std::string pattern = (under / "runnel-nexmark-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return under / "runnel-nexmark";
  return pattern;
}

}  // namespace

SerializedEvents serialize_events(const Generator& generator, std::int64_t count) {
  SerializedEvents out;
  out.values.reserve(static_cast<std::size_t>(count));
  out.timestamps.reserve(static_cast<std::size_t>(count));
  EventSerde serde;
  for (std::int64_t n = 0; n < count; ++n) {
    Bytes bytes;
    (void)serde.serialize_to(generator.event(n), bytes);  // Cannot fail.
    out.values.push_back(std::move(bytes));
    out.timestamps.push_back(generator.timestamp(n));
  }
  return out;
}

Result<InProcessResult> run_in_process(Query query, const QueryOptions& query_options,
                                       const SerializedEvents& events,
                                       const InProcessOptions& options) {
  const Topology topology = build_query(query, query_options);
  RUNNEL_RETURN_IF_ERROR(topology.status());
  std::map<std::string, std::int32_t> subtopology_by_topic;
  for (const Topology::Subtopology& sub : topology.subtopologies()) {
    for (const std::string& topic : sub.source_topics) {
      subtopology_by_topic[topology.is_internal_topic(topic)
                               ? Topology::internal_topic_name(kApplicationId, topic)
                               : topic] = sub.id;
    }
  }
  const std::filesystem::path dir = fresh_dir(options.state_dir);
  InProcessResult result;
  {
    Collector collector(subtopology_by_topic);
    RocksDbStoreSupplier supplier(dir, kApplicationId);
    state::CacheBudget budget(options.cache_max_bytes);
    SystemClock clock;
    LogAndFailExceptionHandler handler;
    std::map<std::int32_t, std::unique_ptr<StreamTask>> tasks;
    for (const Topology::Subtopology& sub : topology.subtopologies()) {
      StreamTask::Options task_options{.application_id = kApplicationId,
                                       .collector = &collector,
                                       .clock = &clock,
                                       .deserialization_handler = &handler,
                                       .store_supplier = &supplier,
                                       .cache_budget = &budget};
      RUNNEL_ASSIGN_OR_RETURN(tasks[sub.id],
                              StreamTask::create(topology, TaskId{sub.id, 0}, task_options));
    }
    std::map<std::string, std::int64_t> offsets;
    const auto drain = [&]() -> Status {
      while (!collector.pending.empty()) {
        Collector::Pending record = std::move(collector.pending.front());
        collector.pending.pop_front();
        internal::RawRecordView view{record.topic,
                                     0,
                                     offsets[record.topic]++,
                                     view_of(record.key),
                                     view_of(record.value),
                                     record.timestamp,
                                     nullptr};
        RUNNEL_RETURN_IF_ERROR(tasks.at(collector.subtopology(record.topic))->process(view));
      }
      return ok_status();
    };
    const auto commit = [&]() -> Status {
      do {
        for (auto& [id, task] : tasks) RUNNEL_RETURN_IF_ERROR(task->flush());
        RUNNEL_RETURN_IF_ERROR(drain());
      } while (!collector.pending.empty());
      ++result.commits;
      return ok_status();
    };

    StreamTask& source_task = *tasks.at(collector.subtopology(kEventsTopic));
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = thread_cpu_seconds();
    auto last_commit = start;
    const std::int64_t count = static_cast<std::int64_t>(events.values.size());
    for (std::int64_t i = 0; i < count; ++i) {
      internal::RawRecordView view{kEventsTopic,
                                   0,
                                   i,
                                   std::nullopt,
                                   events.values[static_cast<std::size_t>(i)].view(),
                                   events.timestamps[static_cast<std::size_t>(i)],
                                   nullptr};
      RUNNEL_RETURN_IF_ERROR(source_task.process(view));
      RUNNEL_RETURN_IF_ERROR(drain());
      if ((i & 1023) == 0 &&
          std::chrono::steady_clock::now() - last_commit >= options.commit_interval) {
        RUNNEL_RETURN_IF_ERROR(commit());
        last_commit = std::chrono::steady_clock::now();
      }
    }
    RUNNEL_RETURN_IF_ERROR(commit());
    result.cpu_seconds = thread_cpu_seconds() - cpu_start;
    result.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.events = count;
    result.output_records = collector.output_records;
    result.changelog_records = collector.changelog_records;
    result.repartition_records = collector.repartition_records;
    for (auto& [id, task] : tasks) result.dropped_late += task->metrics().dropped_late;
    for (auto& [id, task] : tasks) task->close();
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return result;
}

}  // namespace runnel::nexmark
