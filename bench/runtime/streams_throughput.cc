// End-to-end records/s of a stateless KafkaStreams topology through an in-process runneld,
// next to the same run's raw librdkafka consume→produce pipe over the same input (the
// ceiling: no deserialization, no tasks, no commits). A macro benchmark: docs/BENCHMARKS.md
// gives the command and the figures.
//
//   build/bin/streams_throughput [count] [value-bytes] [partitions] [commit.interval.ms]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include "bench/runtime/streams_bench_support.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"

namespace {

using namespace std::chrono_literals;
using runnel::bench::check;
using runnel::bench::Clock;
using runnel::bench::seconds_since;
using runnel::client::ClientConfig;

// Consumes every record of `in` (assigned, from the start) and produces it unchanged to
// `out`, then flushes: the most a consume→produce application could do. Its wall time, and
// the CPU it spent: this thread's (the application's loop) and its clients' threads'.
struct RawPipe {
  double seconds = 0;
  runnel::bench::NewThreadsCpu cpu;  // `other`: this thread.
};

double this_thread_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}
RawPipe raw_pipe(const std::string& bootstrap, const std::string& in, const std::string& out,
                 int partitions, std::int64_t count) {
  const auto threads_before = runnel::bench::thread_cpu();
  const double loop_before = this_thread_cpu_seconds();
  // The stream threads' consumer setting (runtime/stream_thread.cc), without which librdkafka
  // leaves the consumer waiting on an empty queue much of the time.
  auto consumer = runnel::client::Consumer::create({{"bootstrap.servers", bootstrap},
                                                    {"group.id", "raw-pipe"},
                                                    {"enable.auto.commit", "false"},
                                                    {"queued.min.messages", "1000000"}});
  check(consumer.status(), "consumer");
  auto producer = runnel::client::Producer::create({{"bootstrap.servers", bootstrap}});
  check(producer.status(), "producer");
  std::vector<runnel::client::TopicPartitionOffset> assignment;
  for (int p = 0; p < partitions; ++p) {
    assignment.push_back({{in, p}, runnel::client::kOffsetBeginning, {}});
  }
  check((*consumer)->assign(assignment), "assign");
  const auto start = Clock::now();
  std::int64_t done = 0;
  while (done < count) {
    auto batch = (*consumer)->poll(100ms);
    check(batch.status(), "poll");
    for (const runnel::client::ConsumerRecord& r : *batch) {
      check((*producer)->send({.topic = out,
                               .partition = r.partition(),
                               .key = r.key(),
                               .value = r.value(),
                               .timestamp = r.timestamp()}),
            "send");
    }
    done += static_cast<std::int64_t>(batch->size());
  }
  check((*producer)->flush(60s), "flush");
  RawPipe result;
  result.seconds = seconds_since(start);
  result.cpu = runnel::bench::new_threads_cpu(threads_before, runnel::bench::thread_cpu());
  result.cpu.other = this_thread_cpu_seconds() - loop_before;
  return result;
}

// RUNNEL_BENCH_PROPS="name=value,...": more application properties (e.g. producer.linger.ms=100),
// to compare settings.
void add_extra_properties(runnel::StreamsProperties& props) {
  const char* extra = std::getenv("RUNNEL_BENCH_PROPS");
  if (extra == nullptr) return;
  std::string_view rest(extra);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const std::size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      props[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    }
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
}

std::uint64_t commits(const runnel::KafkaStreams::Metrics& m) {
  std::uint64_t n = 0;
  for (const auto& t : m.threads) n += t.commits;
  return n;
}

std::uint64_t commit_avg_us(const runnel::KafkaStreams::Metrics& m) {
  std::uint64_t n = 0;
  std::uint64_t total = 0;
  for (const auto& t : m.threads) {
    n += t.commits;
    total += t.commits * t.commit_latency_avg_us;
  }
  return n == 0 ? 0 : total / n;
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t count = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int value_bytes = argc > 2 ? std::atoi(argv[2]) : 100;
  const int partitions = argc > 3 ? std::atoi(argv[3]) : 4;
  const std::string commit_ms = argc > 4 ? argv[4] : "1000";

  const auto dir = std::filesystem::temp_directory_path() /
                   ("runnel-streams-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto broker = runnel::bench::start_broker(dir / "broker");
  const std::string bootstrap = broker->bootstrap_servers();
  runnel::bench::create_topics(bootstrap, {"bench-in", "raw-out", "streams-out"}, partitions);
  // The input: `count` records with 8-byte keys (100,000 distinct) and `value_bytes` values.
  const double produce_seconds =
      runnel::bench::produce_input(bootstrap, "bench-in", count, value_bytes, partitions);
  std::printf("input: %lld records of %d+8 bytes in %d partitions, produced in %.2f s\n",
              static_cast<long long>(count), value_bytes, partitions, produce_seconds);

  // RUNNEL_BENCH_STATELESS_ONLY=1: only the 1-thread stateless run, to profile it alone.
  const bool stateless_only = std::getenv("RUNNEL_BENCH_STATELESS_ONLY") != nullptr;
  const RawPipe pipe =
      stateless_only ? RawPipe{} : raw_pipe(bootstrap, "bench-in", "raw-out", partitions, count);
  const double raw = pipe.seconds;
  std::printf(
      "raw librdkafka consume->produce pipe: %.2f s, %.0f records/s; CPU %.2f s (loop %.2f, "
      "librdkafka %.2f): %.0f records/CPU-s\n",
      raw, static_cast<double>(count) / raw, pipe.cpu.total(), pipe.cpu.other, pipe.cpu.rdkafka,
      static_cast<double>(count) / pipe.cpu.total());

  // The same pipe as a topology: bytes in, a map_values (value copied, uppercased first
  // byte), bytes out, through a task per partition, commits every 100 ms... as configured.
  for (const char* threads : {"1", "2"}) {
    if (stateless_only && std::string(threads) != "1") break;
    const std::string out = std::string("streams-out");
    const std::string app_id = std::string("bench-") + threads;
    runnel::StreamsBuilder builder;
    builder.stream<std::string, std::string>("bench-in")
        .map_values([](const std::string& v) {
          std::string copy = v;
          if (!copy.empty()) copy[0] = 'V';
          return copy;
        })
        .to(out);
    const std::int64_t before = runnel::bench::end_offsets(bootstrap, out, partitions);
    runnel::StreamsProperties props{{"application.id", app_id},
                                    {"bootstrap.servers", bootstrap},
                                    {"state.dir", (dir / "state").string()},
                                    {"num.stream.threads", threads},
                                    {"commit.interval.ms", commit_ms}};
    add_extra_properties(props);
    runnel::KafkaStreams app(builder.build(), props);
    const auto threads_before = runnel::bench::thread_cpu();
    const auto start = Clock::now();
    check(app.start(), "start");
    // The group join and the first fetch, which the raw pipe (assigned, no group) does not pay.
    while (app.metrics().processed == 0) std::this_thread::sleep_for(1ms);
    const double startup = seconds_since(start);
    while (static_cast<std::int64_t>(app.metrics().processed) < count) {
      std::this_thread::sleep_for(5ms);
    }
    // The application's threads (stream threads, librdkafka's) up to the last record; the
    // broker's threads were there before.
    const runnel::bench::NewThreadsCpu cpu =
        runnel::bench::new_threads_cpu(threads_before, runnel::bench::thread_cpu());
    // close() commits: the producer is flushed, every output record acknowledged.
    app.close();
    const double elapsed = seconds_since(start);
    if (runnel::bench::end_offsets(bootstrap, out, partitions) - before != count) {
      std::fprintf(stderr, "output is missing records\n");
      return 1;
    }
    const auto m = app.metrics();
    std::uint64_t latency = 0;
    for (const auto& t : m.threads) latency = std::max(latency, t.process_latency_avg_ns);
    std::printf(
        "KafkaStreams stateless, %s thread(s): %.2f s, %.0f records/s (%.0f%% of the raw pipe); "
        "process latency avg %llu ns/record; %.2f s to the first record; %llu commits, avg %llu "
        "us; CPU to the last record %.2f s (stream threads %.2f, librdkafka %.2f): %.0f "
        "records/CPU-s\n",
        threads, elapsed, static_cast<double>(count) / elapsed, 100.0 * raw / elapsed,
        static_cast<unsigned long long>(latency), startup,
        static_cast<unsigned long long>(commits(m)),
        static_cast<unsigned long long>(commit_avg_us(m)), cpu.total(), cpu.other, cpu.rdkafka,
        static_cast<double>(count) / cpu.total());
  }
  if (stateless_only) {
    broker->stop();
    std::filesystem::remove_all(dir);
    return 0;
  }
  // A stateful topology: a count per key (100,000 keys) in RocksDB, every update logged to
  // the changelog and sent downstream.
  {
    runnel::StreamsBuilder builder;
    builder.stream<std::string, std::string>("bench-in")
        .group_by_key()
        // Every update written and sent, as the recorded figures were taken.
        .count(runnel::Materialized<std::string, std::int64_t>::as("bench-counts")
                   .with_caching_disabled())
        .to_stream()
        .to("streams-out");
    runnel::StreamsProperties props{{"application.id", "bench-count"},
                                    {"bootstrap.servers", bootstrap},
                                    {"state.dir", (dir / "state").string()},
                                    {"commit.interval.ms", commit_ms}};
    add_extra_properties(props);
    {
      runnel::KafkaStreams app(builder.build(), props);
      const auto start = Clock::now();
      check(app.start(), "start");
      while (static_cast<std::int64_t>(app.metrics().processed) < count) {
        std::this_thread::sleep_for(5ms);
      }
      app.close();
      const double elapsed = seconds_since(start);
      std::printf(
          "KafkaStreams stateful count (RocksDB, logged), 1 thread: %.2f s, %.0f records/s (%.0f%% "
          "of the raw pipe)\n",
          elapsed, static_cast<double>(count) / elapsed, 100.0 * raw / elapsed);
    }
    // Restoration: local state deleted, the stores are rebuilt from the changelog.
    std::filesystem::remove_all(dir / "state" / "bench-count");
    double restore_rate = 0;
    std::uint64_t restored_bytes = 0;
    {
      runnel::KafkaStreams app(builder.build(), props);
      const auto start = Clock::now();
      check(app.start(), "start");
      while (app.state() != runnel::KafkaStreams::State::kRunning) std::this_thread::sleep_for(5ms);
      const double elapsed = seconds_since(start);
      app.close();
      const auto m = app.metrics();
      double seconds = 0;
      for (const auto& t : m.threads) seconds += t.restore_seconds;
      restored_bytes = m.restored_bytes;
      restore_rate = static_cast<double>(m.restored_bytes) / 1e6 / seconds;
      std::printf(
          "restoration: %llu records, %.1f MB (keys+values) in %.2f s: %.1f MB/s, %.0f records/s "
          "(start to RUNNING %.2f s)\n",
          static_cast<unsigned long long>(m.restored_records),
          static_cast<double>(m.restored_bytes) / 1e6, seconds, restore_rate,
          static_cast<double>(m.restored_records) / seconds, elapsed);
    }
    // The ceiling: a plain consumer reading the same changelog from the start, with
    // librdkafka's defaults and then with the restore consumer's fetch settings (a larger
    // local queue, a short backoff when it is full), which is the fair comparison.
    const runnel::client::ClientConfig tuned{{"queued.min.messages", "2000000"},
                                             {"fetch.error.backoff.ms", "20"}};
    for (const bool with_restore_settings : {false, true}) {
      runnel::client::ClientConfig config{
          {"bootstrap.servers", bootstrap},
          {"group.id", with_restore_settings ? "raw-restore-tuned" : "raw-restore"}};
      if (with_restore_settings) config.insert(tuned.begin(), tuned.end());
      auto consumer = runnel::client::Consumer::create(config);
      check(consumer.status(), "consumer");
      std::vector<runnel::client::TopicPartitionOffset> assignment;
      std::int64_t total = 0;
      for (int p = 0; p < partitions; ++p) {
        assignment.push_back(
            {{"bench-count-bench-counts-changelog", p}, runnel::client::kOffsetBeginning, {}});
        auto marks = (*consumer)->watermark_offsets({"bench-count-bench-counts-changelog", p}, 10s);
        check(marks.status(), "watermarks");
        total += marks->second;
      }
      check((*consumer)->assign(assignment), "assign");
      const auto start = Clock::now();
      std::int64_t done = 0;
      std::uint64_t bytes = 0;
      while (done < total) {
        auto batch = (*consumer)->poll(100ms, 10000);
        check(batch.status(), "poll");
        for (const auto& r : *batch) {
          bytes += (r.key() ? r.key()->size() : 0) + (r.value() ? r.value()->size() : 0);
        }
        done += static_cast<std::int64_t>(batch->size());
      }
      const double elapsed = seconds_since(start);
      const double rate = static_cast<double>(bytes) / 1e6 / elapsed;
      std::printf(
          "raw consume of the changelog (%s): %lld records, %.1f MB in %.2f s: %.1f MB/s; "
          "restoration at %.0f%% of it\n",
          with_restore_settings ? "restore consumer's fetch settings" : "librdkafka defaults",
          static_cast<long long>(total), static_cast<double>(bytes) / 1e6, elapsed, rate,
          100.0 * restore_rate / rate);
    }
    (void)restored_bytes;
  }
  broker->stop();
  std::filesystem::remove_all(dir);
  return 0;
}
