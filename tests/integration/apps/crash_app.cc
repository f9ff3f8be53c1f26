// A small stateful Streams application for the crash tests (test_streams_crash.py): it runs
// until SIGTERM or SIGINT (a clean close: commit, checkpoints, leave the group); kill -9 is
// the crash.
//
//   crash_app --topology windowed-count|sum --bootstrap-server HOST:PORT
//             [--application-id ID] [--state-dir DIR] [--commit-interval-ms MS] [--threads N]
//             [--input TOPIC] [--output TOPIC] [--stall-after N] [--config KEY=VALUE ...]
//
// --config sets any KafkaStreams property over the ones the other options give (e.g.
// --config processing.guarantee=exactly_once_v2), as in the examples (examples/common/).
//
// Input: key a string, value a big-endian int64 (Kafka's LongSerializer), with the record's
// own timestamp. Output (both topologies): key a string, value a big-endian int64.
//   windowed-count: per key and tumbling 10 s window, the number of records, in the RocksDB
//     window store "window-counts" (change-logged); output key "<key>@<window start ms>".
//   sum: per key, the sum of the values, a KTable aggregate in the RocksDB store "sums"
//     (change-logged); output key the input key.
// Every update is written (caching off), so the last record of a key in the output is its
// value.
//
// Lines on stdout, for the test to follow: "tasks: 0_0,0_3" whenever the set of tasks this
// instance owns changes (with "tasks: " alone for none), "state: RUNNING" (or another
// KafkaStreams state) whenever the application's state changes, and "stalled" once --stall-after N
// records were taken in: the stream thread that reads record N+1 then blocks in it for ever,
// so that a test can kill -9 the process at a known point in the middle of the stream with
// whatever was processed since the last commit still uncommitted. After a clean close:
// "processed: N restored: M", the records it processed and the changelog records it replayed.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "examples/common/streams_cli.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"

namespace {

using namespace std::chrono_literals;

volatile sig_atomic_t stop = 0;

// Records taken in by this process, over every stream thread.
std::atomic<std::int64_t> taken_in{0};

// Counts a record in; past `stall_after` (when >= 0), reports "stalled" once and never
// returns: the calling stream thread hangs until the process is killed.
void count_in(std::int64_t stall_after) {
  const std::int64_t n = taken_in.fetch_add(1) + 1;
  if (stall_after < 0 || n <= stall_after) return;
  if (n == stall_after + 1) {
    std::printf("stalled\n");
    std::fflush(stdout);
  }
  while (true) std::this_thread::sleep_for(1s);
}

runnel::Topology windowed_count(const std::string& input, const std::string& output,
                                std::int64_t stall_after) {
  runnel::StreamsBuilder builder;
  builder.stream<std::string, std::int64_t>(input)
      .peek([stall_after](const auto&, const auto&) { count_in(stall_after); })
      .group_by_key()
      // A grace of a day: the records a restart processes again are never late.
      .windowed_by(runnel::TimeWindows::of_size(10s).grace(24h))
      .count(runnel::Materialized<std::string, std::int64_t>::as("window-counts")
                 .with_caching_disabled())
      .to_stream()
      .map([](const runnel::Windowed<std::string>& key, const std::int64_t& count) {
        return runnel::KeyValue<std::string, std::int64_t>(
            key.key + "@" + std::to_string(key.window.start_ms), count);
      })
      .to(output);
  return builder.build();
}

runnel::Topology sum(const std::string& input, const std::string& output,
                     std::int64_t stall_after) {
  runnel::StreamsBuilder builder;
  builder.stream<std::string, std::int64_t>(input)
      .peek([stall_after](const auto&, const auto&) { count_in(stall_after); })
      .group_by_key()
      .aggregate(
          [] { return std::int64_t{0}; },
          [](const std::string&, const std::int64_t& value, std::int64_t total) {
            return total + value;
          },
          runnel::Materialized<std::string, std::int64_t>::as("sums").with_caching_disabled())
      .to_stream()
      .to(output);
  return builder.build();
}

std::string task_list(const runnel::KafkaStreams& app) {
  std::set<std::string> ids;
  for (const runnel::StreamThreadMetrics& thread : app.metrics().threads) {
    for (const auto& task : thread.tasks) ids.insert(task.id.to_string());
  }
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string topology = "windowed-count";
  std::string bootstrap = "127.0.0.1:9092";
  std::string application_id = "crash-app";
  std::string state_dir = "/tmp/runnel-streams";
  std::string input = "crash-input";
  std::string output = "crash-output";
  int commit_interval_ms = 100;
  int threads = 1;
  int session_timeout_ms = 6000;
  std::int64_t stall_after = -1;
  CLI::App cli{"A stateful Streams application for crash tests"};
  cli.add_option("--topology", topology, "windowed-count or sum")
      ->check(CLI::IsMember({"windowed-count", "sum"}))
      ->capture_default_str();
  cli.add_option("--bootstrap-server", bootstrap, "A broker")->capture_default_str();
  cli.add_option("--application-id", application_id, "application.id")->capture_default_str();
  cli.add_option("--state-dir", state_dir, "state.dir")->capture_default_str();
  cli.add_option("--input", input, "The input topic")->capture_default_str();
  cli.add_option("--output", output, "The output topic")->capture_default_str();
  cli.add_option("--commit-interval-ms", commit_interval_ms, "commit.interval.ms")
      ->capture_default_str();
  cli.add_option("--threads", threads, "num.stream.threads")->capture_default_str();
  cli.add_option("--session-timeout-ms", session_timeout_ms,
                 "The consumer's session.timeout.ms: how soon a killed instance's tasks move")
      ->capture_default_str();
  cli.add_option("--stall-after", stall_after,
                 "Hang the stream thread that takes in record N+1 (N counted over the process)");
  runnel::StreamsProperties overrides;
  runnel::examples::add_config_option(cli, overrides);
  CLI11_PARSE(cli, argc, argv);

  runnel::KafkaStreams app(topology == "sum" ? sum(input, output, stall_after)
                                             : windowed_count(input, output, stall_after),
                           runnel::examples::with_overrides(
                               {{"application.id", application_id},
                                {"bootstrap.servers", bootstrap},
                                {"state.dir", state_dir},
                                {"commit.interval.ms", std::to_string(commit_interval_ms)},
                                {"num.stream.threads", std::to_string(threads)},
                                {"consumer.session.timeout.ms", std::to_string(session_timeout_ms)},
                                {"consumer.heartbeat.interval.ms", "500"}},
                               overrides));
  if (runnel::Status s = app.start(); !s.ok()) {
    std::fprintf(stderr, "crash_app: %s\n", s.to_string().c_str());
    return 1;
  }
  ::signal(SIGINT, [](int) { stop = 1; });
  ::signal(SIGTERM, [](int) { stop = 1; });
  std::string reported = "-";
  runnel::KafkaStreams::State reported_state = runnel::KafkaStreams::State::kCreated;
  while (!stop && app.state() != runnel::KafkaStreams::State::kError) {
    if (const runnel::KafkaStreams::State state = app.state(); state != reported_state) {
      reported_state = state;
      std::printf("state: %s\n", runnel::KafkaStreams::to_string(state));
      std::fflush(stdout);
    }
    if (std::string tasks = task_list(app); tasks != reported) {
      reported = tasks;
      std::printf("tasks: %s\n", tasks.c_str());
      std::fflush(stdout);
    }
    std::this_thread::sleep_for(50ms);
  }
  const bool failed = app.state() == runnel::KafkaStreams::State::kError;
  app.close();
  const runnel::KafkaStreams::Metrics m = app.metrics();
  std::printf("processed: %llu restored: %llu\n", static_cast<unsigned long long>(m.processed),
              static_cast<unsigned long long>(m.restored_records));
  return failed ? 1 : 0;
}
