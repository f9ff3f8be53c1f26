#pragma once

#include <cstdint>
#include <string>

#include "core/metrics.h"

namespace runnel::broker {

class LogManager;
class OffsetStore;

// The broker's metrics in metrics::Registry::global(), named as the Prometheus JMX exporter's
// usual Kafka rules render Kafka's MBeans (docs/OBSERVABILITY.md has the mapping):
//   kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec,topic=T  (Count)
//     -> kafka_server_brokertopicmetrics_bytesin_total{topic="T"}
//   kafka.network:type=RequestMetrics,name=RequestsPerSec,request=Produce  (Count)
//     -> kafka_network_requestmetrics_requests_total{request="Produce"}
// Every function is thread-safe and takes no lock once a topic or API has been seen by the
// calling thread.

// A produce request's records appended to `topic`: MessagesInPerSec and BytesInPerSec.
void record_produced(const std::string& topic, std::uint64_t bytes, std::uint64_t messages);
// Record bytes a fetch response carries from `topic`: BytesOutPerSec.
void record_fetched(const std::string& topic, std::uint64_t bytes);
// One request of API `api_key` answered `total_time_ms` after its frame arrived whole
// (RequestsPerSec and TotalTimeMs).
void record_request(int16_t api_key, double total_time_ms);

// A collector that reports each partition's size, start and end offsets (kafka.log:type=Log)
// and each group's lag per partition it committed (as kafka_exporter names it) at every
// scrape. `logs` and `offsets` must outlive the returned handle.
[[nodiscard]] metrics::Registry::CollectorHandle add_broker_state_collector(
    const LogManager& logs, const OffsetStore& offsets);

}  // namespace runnel::broker
