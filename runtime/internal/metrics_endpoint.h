#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "console/http_server.h"
#include "core/metrics.h"
#include "core/result.h"
#include "runtime/kafka_streams.h"

namespace runnel::internal {

// Kafka's -rate gauges from the totals the threads already keep: per series, the increase
// since the previous scrape divided by the seconds between them (since the first sight of
// the series on the first scrape). Thread-safe.
class RateTracker {
 public:
  double per_second(const std::string& series, double total);

 private:
  struct Seen {
    double total = 0;
    std::chrono::steady_clock::time_point at;
    double rate = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Seen> seen_;  // Guarded by mutex_.
};

// Writes a KafkaStreams instance's metrics under the names the Prometheus JMX exporter gives
// Kafka Streams' MBeans (kafka.streams:type=stream-thread-metrics,thread-id=T process-rate ->
// kafka_streams_stream_thread_metrics_process_rate{thread_id="T"}); docs/OBSERVABILITY.md
// lists them.
void write_streams_metrics(const KafkaStreams::Metrics& metrics, RateTracker& rates,
                           metrics::SampleWriter& out);

// The instance's /metrics over HTTP (metrics.http.listen): its own registry, whose one
// collector reads the threads' published metrics at each scrape. The stream threads pay
// nothing per record for it: what they count they counted already.
class MetricsEndpoint {
 public:
  // Reads the instance's metrics, or nullopt when they are not available now (the instance
  // is starting or closing); must not block on the caller of stop().
  using Snapshot = std::function<std::optional<KafkaStreams::Metrics>()>;

  // Listens on `listen` (HOST:PORT) and serves until destroyed.
  [[nodiscard]] static Result<std::unique_ptr<MetricsEndpoint>> start(const std::string& listen,
                                                                      Snapshot snapshot);
  ~MetricsEndpoint();

  std::uint16_t port() const { return server_.port(); }
  // Stops serving; idempotent.
  void stop() { server_.stop(); }

 private:
  explicit MetricsEndpoint(Snapshot snapshot);

  const Snapshot snapshot_;
  RateTracker rates_;
  metrics::Registry registry_;
  metrics::Registry::CollectorHandle collector_;
  console::HttpServer server_;  // Last: stops serving before what it serves goes.
};

}  // namespace runnel::internal
