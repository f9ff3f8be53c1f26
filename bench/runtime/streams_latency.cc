// End-to-end latency, produce → output record, of a stateless and a stateful KafkaStreams
// topology through an in-process runneld at a fixed input rate, next to the same run's raw
// librdkafka consume→produce pipe (the floor: no tasks, no serdes, no commits). A macro
// benchmark: docs/BENCHMARKS.md gives the command and the figures.
//
//   build/bin/streams_latency [--seconds S] [--partitions P] [--commit-ms C]
//                             [--linger-ms L] [--prop name=value]... [--pipes
//                             raw,stateless,stateful] [rate ...]
//
// Each rate (records/s, default 1000 and 10000) runs the three pipes one after the other,
// each reading its own input topic and writing its own output topic. A record's value
// starts with the steady-clock time it was handed to the input producer (ns); a consumer of
// the output, in the same process, subtracts it from the time it receives the record. Warm-up
// records (sent while the pipe starts and joins its group) are not counted.
//
// What is measured is the pipe, not the benchmark's own clients: the input producer sends
// with linger.ms=0 and the output consumer uses fetch.wait.max.ms as is (runneld answers a
// waiting fetch as soon as a record is appended, so that wait is never served in full).
// --linger-ms sets producer.linger.ms of the raw pipe's producer and of the applications
// (default: not set, i.e. librdkafka's 5 ms for the raw pipe and whatever the runtime sets).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.h"
#include "core/client/admin.h"
#include "core/client/consumer.h"
#include "core/client/producer.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using runnel::client::ClientConfig;

constexpr std::size_t kValueBytes = 100;
constexpr int kKeys = 1000;
constexpr auto kWarmup = 2s;

void check(const runnel::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.to_string().c_str());
    std::exit(1);
  }
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// The value's layout: send time (ns, native order), a warm-up flag, then padding.
std::string make_value(std::int64_t sent_ns, bool warmup) {
  std::string value(kValueBytes, 'v');
  std::memcpy(value.data(), &sent_ns, sizeof sent_ns);
  value[sizeof sent_ns] = warmup ? 'w' : 'm';
  return value;
}

struct Options {
  int seconds = 10;
  int partitions = 4;
  std::string commit_ms = "1000";
  std::string linger_ms;  // Empty: not set.
  std::vector<int> rates;
  runnel::StreamsProperties extra;  // --prop name=value: more application properties.
  std::string pipes = "raw,stateless,stateful";
};

// Reads `topic` from the start in a thread of its own and keeps the latency of every
// measured record.
class OutputReader {
 public:
  OutputReader(const std::string& bootstrap, const std::string& topic, int partitions) {
    auto consumer = runnel::client::Consumer::create(
        {{"bootstrap.servers", bootstrap}, {"group.id", "latency-reader-" + topic}});
    check(consumer.status(), "reader");
    consumer_ = std::move(*consumer);
    std::vector<runnel::client::TopicPartitionOffset> assignment;
    for (int p = 0; p < partitions; ++p) {
      assignment.push_back({{topic, p}, runnel::client::kOffsetBeginning, {}});
    }
    check(consumer_->assign(assignment), "reader assign");
    thread_ = std::thread([this] { run(); });
  }
  ~OutputReader() {
    stop_.store(true);
    thread_.join();
    latencies_.clear();
  }

  std::int64_t warmup_seen() const { return warmup_.load(); }
  std::int64_t measured_seen() const { return measured_.load(); }
  std::vector<std::int64_t> latencies() {
    std::lock_guard lock(mutex_);
    return latencies_;
  }

 private:
  void run() {
    while (!stop_.load()) {
      auto batch = consumer_->poll(50ms);
      check(batch.status(), "reader poll");
      const std::int64_t received = now_ns();
      std::lock_guard lock(mutex_);
      for (const runnel::client::ConsumerRecord& r : *batch) {
        if (!r.value() || r.value()->size() < sizeof(std::int64_t) + 1) continue;
        std::int64_t sent = 0;
        std::memcpy(&sent, r.value()->data(), sizeof sent);
        if (r.value()->data()[sizeof sent] == 'w') {
          warmup_.fetch_add(1);
        } else {
          latencies_.push_back(received - sent);
          measured_.fetch_add(1);
        }
      }
    }
  }

  std::unique_ptr<runnel::client::Consumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> warmup_{0};
  std::atomic<std::int64_t> measured_{0};
  std::mutex mutex_;
  std::vector<std::int64_t> latencies_;  // Guarded by mutex_.
};

// Sends `count` records at `rate` per second to `topic`, each stamped as it is sent. Paced
// against the start time, so that a late send is followed by quicker ones rather than
// lowering the rate.
void send_at_rate(runnel::client::Producer& producer, const std::string& topic, int rate,
                  std::int64_t count, bool warmup) {
  const auto start = Clock::now();
  char key[16];
  for (std::int64_t i = 0; i < count; ++i) {
    std::this_thread::sleep_until(start + std::chrono::nanoseconds(i * 1'000'000'000 / rate));
    std::snprintf(key, sizeof key, "k%07d", static_cast<int>(i % kKeys));
    const std::string value = make_value(now_ns(), warmup);
    check(producer.send({.topic = topic,
                         .key = runnel::BytesView(std::string_view(key, 8)),
                         .value = runnel::BytesView(std::string_view(value))}),
          "send");
    producer.poll();  // Serves delivery reports as they come.
  }
}

struct Percentiles {
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  std::size_t count = 0;
};

Percentiles percentiles(std::vector<std::int64_t> ns) {
  Percentiles out;
  out.count = ns.size();
  if (ns.empty()) return out;
  std::sort(ns.begin(), ns.end());
  auto at = [&ns](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1));
    return static_cast<double>(ns[i]) / 1e6;
  };
  out.p50_ms = at(0.50);
  out.p99_ms = at(0.99);
  out.p999_ms = at(0.999);
  out.max_ms = static_cast<double>(ns.back()) / 1e6;
  return out;
}

// The raw pipe: a consumer of `in` (assigned, from the start) producing every record
// unchanged to `out`, in its own thread until stopped.
class RawPipe {
 public:
  RawPipe(const std::string& bootstrap, const std::string& in, const std::string& out,
          int partitions, const std::string& linger_ms)
      : out_(out) {
    auto consumer = runnel::client::Consumer::create({{"bootstrap.servers", bootstrap},
                                                      {"group.id", "raw-pipe-" + in},
                                                      {"enable.auto.commit", "false"},
                                                      {"queued.min.messages", "1000000"}});
    check(consumer.status(), "pipe consumer");
    consumer_ = std::move(*consumer);
    ClientConfig producer_config{{"bootstrap.servers", bootstrap}};
    if (!linger_ms.empty()) producer_config["linger.ms"] = linger_ms;
    auto producer = runnel::client::Producer::create(producer_config);
    check(producer.status(), "pipe producer");
    producer_ = std::move(*producer);
    std::vector<runnel::client::TopicPartitionOffset> assignment;
    for (int p = 0; p < partitions; ++p) {
      assignment.push_back({{in, p}, runnel::client::kOffsetBeginning, {}});
    }
    check(consumer_->assign(assignment), "pipe assign");
    thread_ = std::thread([this] { run(); });
  }
  ~RawPipe() {
    stop_.store(true);
    thread_.join();
    check(producer_->flush(30s), "pipe flush");
  }

 private:
  void run() {
    while (!stop_.load()) {
      auto batch = consumer_->poll(100ms);
      check(batch.status(), "pipe poll");
      for (const runnel::client::ConsumerRecord& r : *batch) {
        check(producer_->send({.topic = out_,
                               .partition = r.partition(),
                               .key = r.key(),
                               .value = r.value(),
                               .timestamp = r.timestamp()}),
              "pipe send");
      }
      producer_->poll();
    }
  }

  const std::string out_;
  std::unique_ptr<runnel::client::Consumer> consumer_;
  std::unique_ptr<runnel::client::Producer> producer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

// One measured run: `start_pipe` starts whatever turns `in` into `out` (and returns what stops
// it when destroyed); warm-up records are sent until the first one comes out, then
// rate × seconds measured records.
Percentiles measure(const std::string& bootstrap, const std::string& in, const std::string& out,
                    const Options& options, int rate,
                    const std::function<std::shared_ptr<void>()>& start_pipe) {
  auto producer =
      runnel::client::Producer::create({{"bootstrap.servers", bootstrap}, {"linger.ms", "0"}});
  check(producer.status(), "input producer");
  OutputReader reader(bootstrap, out, options.partitions);
  std::shared_ptr<void> pipe = start_pipe();
  // Warm-up: the pipe joins its group, creates its tasks and fetches its first records.
  std::int64_t warmup_sent = 0;
  const auto warmup_start = Clock::now();
  while (reader.warmup_seen() == 0 || Clock::now() - warmup_start < kWarmup) {
    const std::int64_t n = std::max(1, rate / 10);
    send_at_rate(**producer, in, rate, n, /*warmup=*/true);
    warmup_sent += n;
    if (Clock::now() - warmup_start > 60s) {
      std::fprintf(stderr, "%s: no output after 60 s of warm-up\n", in.c_str());
      std::exit(1);
    }
  }
  check((*producer)->flush(30s), "warm-up flush");
  const auto drain_deadline = Clock::now() + 60s;
  while (reader.warmup_seen() < warmup_sent && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(10ms);
  }
  const std::int64_t count = static_cast<std::int64_t>(rate) * options.seconds;
  send_at_rate(**producer, in, rate, count, /*warmup=*/false);
  check((*producer)->flush(30s), "input flush");
  const auto deadline = Clock::now() + 60s;
  while (reader.measured_seen() < count && Clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  if (reader.measured_seen() < count) {
    std::fprintf(stderr, "%s: %lld of %lld records came out\n", out.c_str(),
                 static_cast<long long>(reader.measured_seen()), static_cast<long long>(count));
    std::exit(1);
  }
  pipe.reset();
  return percentiles(reader.latencies());
}

void print(const char* what, int rate, const Percentiles& p) {
  std::printf("%-34s %7d rec/s  n=%-7zu p50 %8.2f ms  p99 %8.2f ms  p999 %8.2f ms  max %8.2f ms\n",
              what, rate, p.count, p.p50_ms, p.p99_ms, p.p999_ms, p.max_ms);
  std::fflush(stdout);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--seconds") {
      o.seconds = std::atoi(next().c_str());
    } else if (arg == "--partitions") {
      o.partitions = std::atoi(next().c_str());
    } else if (arg == "--commit-ms") {
      o.commit_ms = next();
    } else if (arg == "--linger-ms") {
      o.linger_ms = next();
    } else if (arg == "--prop") {
      const std::string item = next();
      const std::size_t eq = item.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "--prop needs name=value\n");
        std::exit(2);
      }
      o.extra[item.substr(0, eq)] = item.substr(eq + 1);
    } else if (arg == "--pipes") {
      o.pipes = next();
    } else {
      o.rates.push_back(std::atoi(arg.c_str()));
      if (o.rates.back() <= 0) {
        std::fprintf(
            stderr,
            "usage: %s [--seconds S] [--partitions P] [--commit-ms C] "
            "[--linger-ms L] [--prop name=value] [--pipes raw,stateless,stateful] [rate ...]\n",
            argv[0]);
        std::exit(2);
      }
    }
  }
  if (o.rates.empty()) o.rates = {1000, 10000};
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("runnel-latency-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  runnel::broker::BrokerConfig config;
  config.data_dir = dir / "broker";
  config.server.host = "127.0.0.1";
  config.server.port = 0;
  config.group_initial_rebalance_delay_ms = 0;
  auto broker = runnel::broker::Broker::start(config);
  check(broker.status(), "broker");
  const std::string bootstrap = (*broker)->bootstrap_servers();
  auto admin = runnel::client::Admin::create({{"bootstrap.servers", bootstrap}});
  check(admin.status(), "admin");
  auto create = [&](const std::string& topic) {
    auto created = (*admin)->create_topics({{topic, options.partitions, 1, {}}}, 10s);
    check(created.status(), "create");
    check((*created)[0], topic.c_str());
  };

  std::printf(
      "%d s per run, %d partitions, %zu-byte values, %d keys, commit.interval.ms=%s, "
      "producer linger.ms=%s\n",
      options.seconds, options.partitions, kValueBytes, kKeys, options.commit_ms.c_str(),
      options.linger_ms.empty() ? "(default)" : options.linger_ms.c_str());
  for (const int rate : options.rates) {
    const std::string suffix = "-" + std::to_string(rate);
    for (const char* kind : {"raw", "stateless", "stateful"}) {
      const std::string in = std::string(kind) + "-in" + suffix;
      const std::string out = std::string(kind) + "-out" + suffix;
      create(in);
      create(out);
    }
    auto wanted = [&options](const char* pipe) {
      return options.pipes.find(pipe) != std::string::npos;
    };
    if (wanted("raw"))
      print("raw librdkafka consume->produce", rate,
            measure(bootstrap, "raw-in" + suffix, "raw-out" + suffix, options, rate, [&] {
              return std::make_shared<RawPipe>(bootstrap, "raw-in" + suffix, "raw-out" + suffix,
                                               options.partitions, options.linger_ms);
            }));
    auto app_props = [&](const std::string& id) {
      runnel::StreamsProperties props{{"application.id", id},
                                      {"bootstrap.servers", bootstrap},
                                      {"state.dir", (dir / "state").string()},
                                      {"commit.interval.ms", options.commit_ms}};
      if (!options.linger_ms.empty()) props["producer.linger.ms"] = options.linger_ms;
      for (const auto& [name, value] : options.extra) props[name] = value;
      return props;
    };
    auto start_app = [&](runnel::StreamsBuilder& builder, const std::string& id) {
      auto app = std::make_shared<runnel::KafkaStreams>(builder.build(), app_props(id));
      check(app->start(), "start");
      return std::shared_ptr<void>(app, app.get());
    };
    if (wanted("stateless")) {
      // map_values: the value copied, its last byte changed (the send time stays).
      runnel::StreamsBuilder builder;
      builder.stream<std::string, std::string>("stateless-in" + suffix)
          .map_values([](const std::string& v) {
            std::string copy = v;
            copy.back() = 'V';
            return copy;
          })
          .to("stateless-out" + suffix);
      print("KafkaStreams stateless map_values", rate,
            measure(bootstrap, "stateless-in" + suffix, "stateless-out" + suffix, options, rate,
                    [&] { return start_app(builder, "lat-stateless" + suffix); }));
    }
    if (wanted("stateful")) {
      // reduce to the latest value per key: a RocksDB get and put and a changelog record per
      // input record, the update sent downstream at once (no cache).
      runnel::StreamsBuilder builder;
      builder.stream<std::string, std::string>("stateful-in" + suffix)
          .group_by_key()
          .reduce(
              [](const std::string&, const std::string& v) { return v; },
              runnel::Materialized<std::string, std::string>::as("latest").with_caching_disabled())
          .to_stream()
          .to("stateful-out" + suffix);
      print("KafkaStreams stateful reduce", rate,
            measure(bootstrap, "stateful-in" + suffix, "stateful-out" + suffix, options, rate,
                    [&] { return start_app(builder, "lat-stateful" + suffix); }));
    }
  }
  (*broker)->stop();
  std::filesystem::remove_all(dir);
  return 0;
}
