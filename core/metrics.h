#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace runnel::metrics {

// A metric's labels, in the order they are written out: {{"topic", "orders"}, {"partition", "0"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

// The striped cell a thread adds to. Threads are spread over the cells round-robin as they
// first touch a metric, so that two threads rarely share a cache line: an increment is one
// relaxed atomic add on a line the thread (almost always) has to itself, with no lock.
std::size_t this_thread_cell();
inline constexpr std::size_t kCells = 8;

// A monotonically increasing count. Thread-safe; inc() takes no lock.
class Counter {
 public:
  void inc(std::uint64_t n = 1) {
    cells_[this_thread_cell()].value.fetch_add(n, std::memory_order_relaxed);
  }
  // The sum over the cells; concurrent increments may or may not be in it.
  std::uint64_t value() const;

 private:
  struct alignas(64) Cell {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<Cell, kCells> cells_;
};

// A value that goes up and down (a size, an offset). Thread-safe, lock-free.
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into buckets by upper bound (Prometheus' histogram: cumulative
// `_bucket{le=...}` counts, `_sum` and `_count`). Thread-safe; observe() takes no lock.
class Histogram {
 public:
  // `upper_bounds` ascending; +Inf is implied.
  explicit Histogram(std::vector<double> upper_bounds);

  void observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;       // without +Inf
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

  // Bounds for a latency in milliseconds, 0.1 ms to 10 s.
  static std::vector<double> latency_ms_bounds();

 private:
  struct alignas(64) Cell {
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets;  // one per bound, then +Inf
    std::atomic<double> sum{0};
  };
  std::vector<double> upper_bounds_;
  std::array<Cell, kCells> cells_;
};

enum class Type { kCounter, kGauge, kHistogram };

// What a collector reports at scrape time: values it already keeps (a log's size, a
// consumer's lag), read when Prometheus asks rather than pushed on every change.
class SampleWriter {
 public:
  virtual ~SampleWriter() = default;
  // `name` is the full sample name (counters end in _total). Samples of one name must share
  // `type` and `help`.
  virtual void add(const std::string& name, Type type, const std::string& help,
                   const Labels& labels, double value) = 0;
};

// A set of metrics of one name and type that differ by their labels. Thread-safe; with()
// and remove() take the family's lock, so a hot path looks its metric up once and keeps it.
template <typename Metric>
class Family {
 public:
  Family(std::function<std::unique_ptr<Metric>()> make) : make_(std::move(make)) {}

  // The metric with these labels, made on first use. The family keeps it until remove().
  std::shared_ptr<Metric> with(const Labels& labels) {
    std::lock_guard lock(mutex_);
    std::shared_ptr<Metric>& metric = metrics_[labels];
    if (!metric) metric = make_();
    return metric;
  }
  // Stops exposing the metric with these labels (a closed task's); holders keep theirs.
  void remove(const Labels& labels) {
    std::lock_guard lock(mutex_);
    metrics_.erase(labels);
  }
  std::vector<std::pair<Labels, std::shared_ptr<Metric>>> all() const {
    std::lock_guard lock(mutex_);
    return {metrics_.begin(), metrics_.end()};
  }

 private:
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mutex_;
  std::map<Labels, std::shared_ptr<Metric>> metrics_;  // Guarded by mutex_.
};

// One registry of counters, gauges, histograms and collectors, rendered in Prometheus' text
// exposition format (version 0.0.4). Thread-safe. Registration takes a lock; updating a
// metric one holds does not.
class Registry {
 public:
  using Collector = std::function<void(SampleWriter&)>;

  // Removes its collector when destroyed. Must not outlive the registry.
  class CollectorHandle {
   public:
    CollectorHandle() = default;
    CollectorHandle(Registry* registry, std::uint64_t id) : registry_(registry), id_(id) {}
    CollectorHandle(CollectorHandle&& other) noexcept { *this = std::move(other); }
    CollectorHandle& operator=(CollectorHandle&& other) noexcept;
    ~CollectorHandle() { reset(); }
    void reset();

   private:
    Registry* registry_ = nullptr;
    std::uint64_t id_ = 0;
  };

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The family of this name, made on first call; a later call with the same name returns
  // the same family (its help and, for histograms, bounds are the first call's). A name
  // already registered with another type is a programming error (std::logic_error).
  Family<Counter>& counter(const std::string& name, const std::string& help);
  Family<Gauge>& gauge(const std::string& name, const std::string& help);
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<double> upper_bounds);

  // Calls `collector` at every scrape, from the scraping thread, until the handle dies.
  [[nodiscard]] CollectorHandle add_collector(Collector collector);

  // Every metric, in the text format, families in name order.
  std::string scrape() const;

  // The process's registry (the broker's metrics live here).
  static Registry& global();

 private:
  struct Entry {
    Type type;
    std::string help;
    std::unique_ptr<Family<Counter>> counters;
    std::unique_ptr<Family<Gauge>> gauges;
    std::unique_ptr<Family<Histogram>> histograms;
  };
  Entry& entry(const std::string& name, Type type, const std::string& help);

  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;           // Guarded by mutex_.
  std::map<std::uint64_t, Collector> collectors_;  // Guarded by mutex_.
  std::uint64_t next_collector_id_ = 1;            // Guarded by mutex_.
};

// `name` with every character Prometheus does not allow in a metric or label name replaced
// by '_' ("process-rate" -> "process_rate"), and a leading digit prefixed with '_'.
std::string sanitize_name(const std::string& name);

// A label value as the text format writes it between quotes: \ " and newline escaped.
std::string escape_label_value(const std::string& value);

// A sample value as the text format writes it: integers exactly, +Inf, -Inf, NaN.
std::string format_value(double value);

}  // namespace runnel::metrics
