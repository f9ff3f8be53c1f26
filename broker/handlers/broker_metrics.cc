#include "broker/handlers/broker_metrics.h"

#include <array>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "broker/coordinator/offset_store.h"
#include "broker/handlers/supported_apis.h"
#include "broker/protocol/api_key.h"
#include "broker/storage/log.h"
#include "broker/storage/log_manager.h"

namespace runnel::broker {
namespace {

// One topic's BrokerTopicMetrics counters.
struct TopicCounters {
  std::shared_ptr<metrics::Counter> bytes_in;
  std::shared_ptr<metrics::Counter> messages_in;
  std::shared_ptr<metrics::Counter> bytes_out;
};

struct BrokerTopicFamilies {
  metrics::Family<metrics::Counter>& bytes_in = metrics::Registry::global().counter(
      "kafka_server_brokertopicmetrics_bytesin_total",
      "Bytes of record batches appended by produce requests (BytesInPerSec); without a topic "
      "label: every topic.");
  metrics::Family<metrics::Counter>& messages_in = metrics::Registry::global().counter(
      "kafka_server_brokertopicmetrics_messagesin_total",
      "Records appended by produce requests (MessagesInPerSec); without a topic label: every "
      "topic.");
  metrics::Family<metrics::Counter>& bytes_out = metrics::Registry::global().counter(
      "kafka_server_brokertopicmetrics_bytesout_total",
      "Bytes of record batches sent in fetch responses (BytesOutPerSec); without a topic "
      "label: every topic.");
  TopicCounters all{bytes_in.with({}), messages_in.with({}), bytes_out.with({})};
};

BrokerTopicFamilies& topic_families() {
  static BrokerTopicFamilies* families = new BrokerTopicFamilies();
  return *families;
}

// The calling thread's counters for `topic`: looked up in the registry (under its lock) the
// first time this thread sees the topic, then from a thread-local map.
const TopicCounters& topic_counters(const std::string& topic) {
  thread_local std::unordered_map<std::string, TopicCounters> cache;
  auto found = cache.find(topic);
  if (found != cache.end()) return found->second;
  BrokerTopicFamilies& families = topic_families();
  const metrics::Labels labels{{"topic", topic}};
  return cache
      .emplace(topic,
               TopicCounters{families.bytes_in.with(labels), families.messages_in.with(labels),
                             families.bytes_out.with(labels)})
      .first->second;
}

// Every API key Kafka defines is below this.
constexpr int16_t kApiKeys = 128;

struct RequestMetrics {
  std::shared_ptr<metrics::Counter> requests;
  std::shared_ptr<metrics::Histogram> total_time_ms;
};

// Made once for every known API key, so that a request looks its metrics up by index.
const std::array<RequestMetrics, kApiKeys>& request_metrics() {
  static const std::array<RequestMetrics, kApiKeys>* all = [] {
    auto* made = new std::array<RequestMetrics, kApiKeys>();
    metrics::Family<metrics::Counter>& requests =
        metrics::Registry::global().counter("kafka_network_requestmetrics_requests_total",
                                            "Requests answered, by API (RequestsPerSec).");
    metrics::Family<metrics::Histogram>& total_time = metrics::Registry::global().histogram(
        "kafka_network_requestmetrics_totaltimems",
        "Milliseconds from a request's arrival to its response being handed to the network, "
        "by API (TotalTimeMs; Fetch includes its long-poll wait).",
        metrics::Histogram::latency_ms_bounds());
    for (int16_t key = 0; key < kApiKeys; ++key) {
      if (!supported_range(key)) continue;  // only what runneld serves
      const metrics::Labels labels{{"request", std::string(api_name(key))}};
      (*made)[key] = RequestMetrics{requests.with(labels), total_time.with(labels)};
    }
    return made;
  }();
  return *all;
}

}  // namespace

void record_produced(const std::string& topic, std::uint64_t bytes, std::uint64_t messages) {
  const TopicCounters& counters = topic_counters(topic);
  counters.bytes_in->inc(bytes);
  counters.messages_in->inc(messages);
  topic_families().all.bytes_in->inc(bytes);
  topic_families().all.messages_in->inc(messages);
}

void record_fetched(const std::string& topic, std::uint64_t bytes) {
  topic_counters(topic).bytes_out->inc(bytes);
  topic_families().all.bytes_out->inc(bytes);
}

void record_request(int16_t api_key, double total_time_ms) {
  if (api_key < 0 || api_key >= kApiKeys) return;
  const RequestMetrics& api = request_metrics()[api_key];
  if (!api.requests) return;
  api.requests->inc();
  api.total_time_ms->observe(total_time_ms);
}

metrics::Registry::CollectorHandle add_broker_state_collector(const LogManager& logs,
                                                              const OffsetStore& offsets) {
  return metrics::Registry::global().add_collector([&logs, &offsets](metrics::SampleWriter& out) {
    using metrics::Type;
    std::map<TopicPartition, int64_t> end_offsets;
    for (const TopicInfo& topic : logs.list_topics()) {
      for (int32_t partition = 0; partition < topic.partitions; ++partition) {
        std::shared_ptr<Log> log = logs.log(topic.name, partition);
        if (log == nullptr) continue;
        const metrics::Labels labels{{"topic", topic.name},
                                     {"partition", std::to_string(partition)}};
        const int64_t end = log->log_end_offset();
        end_offsets[TopicPartition{topic.name, partition}] = end;
        out.add("kafka_log_log_size", Type::kGauge,
                "Bytes of the partition's log segments on disk (kafka.log:type=Log,name=Size).",
                labels, static_cast<double>(log->size_bytes()));
        out.add("kafka_log_log_logendoffset", Type::kGauge,
                "The offset the partition's next record gets (LogEndOffset).", labels,
                static_cast<double>(end));
        out.add("kafka_log_log_logstartoffset", Type::kGauge,
                "The partition's first offset still stored (LogStartOffset).", labels,
                static_cast<double>(log->log_start_offset()));
      }
    }
    for (const std::string& group : offsets.groups()) {
      for (const auto& [partition, committed] : offsets.fetch_all(group)) {
        auto end = end_offsets.find(partition);
        if (end == end_offsets.end() || committed.offset < 0) continue;
        const metrics::Labels labels{{"consumergroup", group},
                                     {"topic", partition.topic},
                                     {"partition", std::to_string(partition.partition)}};
        out.add("kafka_consumergroup_current_offset", Type::kGauge,
                "The group's committed offset in the partition.", labels,
                static_cast<double>(committed.offset));
        out.add("kafka_consumergroup_lag", Type::kGauge,
                "Records between the group's committed offset and the partition's end "
                "(log end offset minus committed offset).",
                labels, static_cast<double>(std::max<int64_t>(0, end->second - committed.offset)));
      }
    }
  });
}

}  // namespace runnel::broker
