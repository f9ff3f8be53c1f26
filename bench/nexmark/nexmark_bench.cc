// NEXMark as a benchmark: one query over N generated events, in-process through tasks or end
// to end as a KafkaStreams application on an in-process runneld. One line per run:
//
//   nexmark query=q5 mode=e2e guarantee=at_least_once events=1000000 partitions=2 threads=1
//     wall_s=... cpu_s=... events_per_cpu_s=... events_per_wall_s=... output=...
//     changelog=... repartition=... dropped_late=... commit_ms=... grace_ms=...
//     [e2e: cpu_stream_threads_s=... cpu_rdkafka_s=... cpu_rocksdb_s=...]
//
//   nexmark_bench --query q5 [--events 100000] [--mode inprocess|e2e]
//                 [--guarantee at_least_once|exactly_once_v2] [--partitions 2] [--threads 1]
//                 [--commit-interval-ms N] [--seed 0] [--rate 10000] [--grace-ms 30000]
//   --query all runs every query, --query q0,q5 those listed, one line each, over one input.
//
// What is measured:
//  - inprocess: the processing thread's CPU time (RUSAGE_THREAD) and wall time from the first
//    record to the end of the last commit; the events are generated and serialized before.
//    Commit interval: 30 s unless given (the runtime's at-least-once default).
//  - e2e: the broker runs in this process; the events are produced to `nexmark-events`
//    (null keys, event i in partition i % partitions, timestamp = the event's time) before
//    the application starts. The application runs in a child process (this binary again,
//    --role app), so its CPU time is its own: getrusage(RUSAGE_SELF) of the child, i.e. the
//    stream threads, librdkafka's threads and RocksDB's background threads, from start()
//    to the moment the last record was processed (its consumer lag 0 on every partition it
//    reads, nothing processed for 2 commit intervals afterwards: caches and repartitions
//    drained). Wall time is the same span. Commit interval: 1000 ms under at-least-once
//    unless given (Kafka Streams' 30 s default would hold cached results back past the end
//    of a short run), 100 ms under exactly_once_v2 (the runtime's default).
//  - changelog / repartition: the sums of the end offsets of the application's
//    <app>-*-changelog and <app>-*-repartition topics after the run (under exactly_once_v2
//    they include one transaction marker per partition per commit); output: the output
//    topic's end offsets likewise.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>

#include "bench/nexmark/nexmark_generator.h"
#include "bench/nexmark/nexmark_inprocess.h"
#include "bench/nexmark/nexmark_queries.h"
#include "bench/runtime/streams_bench_support.h"
#include "runtime/kafka_streams.h"

namespace {

using namespace std::chrono_literals;
using runnel::bench::check;
using runnel::bench::Clock;
using runnel::bench::seconds_since;
namespace nx = runnel::nexmark;

struct Args {
  std::string query = "q0";
  std::int64_t events = 100'000;  // Short by default: q5 or q11 at 1 M take minutes on 2 cores.
  std::string mode = "inprocess";
  std::string guarantee = "at_least_once";
  int partitions = 2;
  int threads = 1;
  std::optional<std::int64_t> commit_interval_ms;
  std::uint64_t seed = 0;
  std::int64_t rate = 10'000;
  std::int64_t grace_ms = nx::QueryOptions{}.grace_ms;
  // Child process only.
  std::string role;
  std::string bootstrap;
  std::string state_dir;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "%s\nusage: nexmark_bench --query q0|q1|q2|q3|q4|q5|q7|q8|q11|all [--events N] "
               "[--mode inprocess|e2e] [--guarantee at_least_once|exactly_once_v2] "
               "[--partitions P] [--threads T] [--commit-interval-ms N] [--seed S] "
               "[--rate EVENTS_PER_S] [--grace-ms G]\n",
               why);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + flag).c_str());
    const std::string value = argv[++i];
    if (flag == "--query")
      a.query = value;
    else if (flag == "--events")
      a.events = std::atoll(value.c_str());
    else if (flag == "--mode")
      a.mode = value;
    else if (flag == "--guarantee")
      a.guarantee = value;
    else if (flag == "--partitions")
      a.partitions = std::atoi(value.c_str());
    else if (flag == "--threads")
      a.threads = std::atoi(value.c_str());
    else if (flag == "--commit-interval-ms")
      a.commit_interval_ms = std::atoll(value.c_str());
    else if (flag == "--seed")
      a.seed = std::strtoull(value.c_str(), nullptr, 10);
    else if (flag == "--rate")
      a.rate = std::atoll(value.c_str());
    else if (flag == "--grace-ms")
      a.grace_ms = std::atoll(value.c_str());
    else if (flag == "--role")
      a.role = value;
    else if (flag == "--bootstrap")
      a.bootstrap = value;
    else if (flag == "--state-dir")
      a.state_dir = value;
    else
      usage(("unknown flag " + flag).c_str());
  }
  if (a.mode != "inprocess" && a.mode != "e2e") usage("--mode: inprocess or e2e");
  if (a.guarantee != "at_least_once" && a.guarantee != "exactly_once_v2") {
    usage("--guarantee: at_least_once or exactly_once_v2");
  }
  if (a.events <= 0 || a.partitions <= 0 || a.threads <= 0 || a.rate <= 0) {
    usage("--events, --partitions, --threads and --rate must be positive");
  }
  return a;
}

nx::GeneratorConfig generator_config(const Args& a) {
  nx::GeneratorConfig config;
  config.seed = a.seed;
  config.events_per_second = a.rate;
  return config;
}

nx::QueryOptions query_options(const Args& a, const nx::Generator& generator) {
  nx::QueryOptions options;
  options.max_auction_duration_ms = generator.max_auction_duration_ms();
  options.grace_ms = a.grace_ms;
  return options;
}

// The CPU seconds of this process's live threads by kind (bench/runtime's thread_cpu):
// librdkafka's (named rdk:*), RocksDB's background threads (rocksdb:*), and the rest: the
// stream threads (unnamed, so they carry the process's name) and the idle main thread.
struct ThreadCpu {
  double rdkafka = 0;
  double rocksdb = 0;
  double stream = 0;
};
ThreadCpu thread_cpu_seconds() {
  ThreadCpu out;
  for (const auto& [tid, thread] : runnel::bench::thread_cpu()) {
    if (thread.name.rfind("rdk:", 0) == 0) {
      out.rdkafka += thread.seconds;
    } else if (thread.name.rfind("rocksdb:", 0) == 0) {
      out.rocksdb += thread.seconds;
    } else {
      out.stream += thread.seconds;
    }
  }
  return out;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void print_line(const Args& a, nx::Query q, std::int64_t events, double wall, double cpu,
                std::int64_t output, std::int64_t changelog, std::int64_t repartition,
                std::uint64_t dropped_late, std::int64_t commit_ms,
                std::optional<ThreadCpu> threads = std::nullopt) {
  std::printf(
      "nexmark query=%s mode=%s guarantee=%s events=%lld partitions=%d threads=%d wall_s=%.3f "
      "cpu_s=%.3f events_per_cpu_s=%.0f events_per_wall_s=%.0f output=%lld changelog=%lld "
      "repartition=%lld dropped_late=%llu commit_ms=%lld grace_ms=%lld",
      std::string(nx::query_name(q)).c_str(), a.mode.c_str(),
      a.mode == "inprocess" ? "none" : a.guarantee.c_str(), static_cast<long long>(events),
      a.mode == "inprocess" ? 1 : a.partitions, a.mode == "inprocess" ? 1 : a.threads, wall, cpu,
      static_cast<double>(events) / cpu, static_cast<double>(events) / wall,
      static_cast<long long>(output), static_cast<long long>(changelog),
      static_cast<long long>(repartition), static_cast<unsigned long long>(dropped_late),
      static_cast<long long>(commit_ms), static_cast<long long>(a.grace_ms));
  if (threads) {
    // Appended to the same line: where the application's CPU went, by thread kind.
    std::printf(" cpu_stream_threads_s=%.3f cpu_rdkafka_s=%.3f cpu_rocksdb_s=%.3f", threads->stream,
                threads->rdkafka, threads->rocksdb);
  }
  std::printf("\n");
  std::fflush(stdout);
}

void run_in_process(const Args& a, const std::vector<nx::Query>& queries) {
  const nx::Generator generator(generator_config(a));
  const nx::SerializedEvents events = nx::serialize_events(generator, a.events);
  std::size_t bytes = 0;
  for (const runnel::Bytes& v : events.values) bytes += v.size();
  std::fprintf(stderr, "input: %lld events, %.1f serialized bytes per event\n",
               static_cast<long long>(a.events),
               static_cast<double>(bytes) / static_cast<double>(a.events));
  nx::InProcessOptions options;
  if (a.commit_interval_ms)
    options.commit_interval = std::chrono::milliseconds(*a.commit_interval_ms);
  for (nx::Query q : queries) {
    auto result = nx::run_in_process(q, query_options(a, generator), events, options);
    check(result.status(), "in-process run");
    print_line(a, q, result->events, result->wall_seconds, result->cpu_seconds,
               result->output_records, result->changelog_records, result->repartition_records,
               result->dropped_late, options.commit_interval.count());
  }
}

// The child: runs the query as a KafkaStreams application until it has processed everything,
// then reports. Its stdout line is the run's result.
int run_app(const Args& a) {
  const nx::Query q = *nx::parse_query(a.query);
  const nx::Generator generator(generator_config(a));
  const std::string app_id = "nexmark-" + a.query;
  const std::int64_t commit_ms =
      a.commit_interval_ms.value_or(a.guarantee == "exactly_once_v2" ? 100 : 1000);
  runnel::StreamsProperties props{{"application.id", app_id},
                                  {"bootstrap.servers", a.bootstrap},
                                  {"state.dir", a.state_dir},
                                  {"num.stream.threads", std::to_string(a.threads)},
                                  {"processing.guarantee", a.guarantee},
                                  {"commit.interval.ms", std::to_string(commit_ms)}};
  runnel::KafkaStreams app(nx::build_query(q, query_options(a, generator)), props);
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  check(app.start(), "start");
  std::uint64_t last_processed = 0;
  auto last_progress = Clock::now();
  double cpu_at_progress = process_cpu_seconds();
  ThreadCpu threads_at_progress = thread_cpu_seconds();
  for (;;) {
    std::this_thread::sleep_for(20ms);
    if (app.state() == runnel::KafkaStreams::State::kError) {
      std::fprintf(stderr, "the application failed\n");
      return 1;
    }
    const auto m = app.metrics();
    if (m.processed != last_processed) {
      last_processed = m.processed;
      last_progress = Clock::now();
      cpu_at_progress = process_cpu_seconds();
      threads_at_progress = thread_cpu_seconds();
      continue;
    }
    int input_partitions_caught_up = 0;
    std::int64_t lag = 0;
    for (const auto& t : m.threads) {
      for (const auto& [tp, l] : t.consumer_lag) {
        lag += l;
        if (tp.topic == nx::kEventsTopic && l == 0) ++input_partitions_caught_up;
      }
    }
    if (input_partitions_caught_up == a.partitions && lag == 0 &&
        Clock::now() - last_progress > std::chrono::milliseconds(2 * commit_ms + 500)) {
      break;
    }
    // A run that stopped making progress without catching up (no assignment, a stuck
    // partition) has nothing to report.
    if (Clock::now() - last_progress > 120s) {
      std::fprintf(stderr, "no progress for 120 s and not caught up (lag %lld)\n",
                   static_cast<long long>(lag));
      return 1;
    }
  }
  const double wall = std::chrono::duration<double>(last_progress - start).count();
  const double cpu = cpu_at_progress - cpu_start;
  std::uint64_t dropped_late = app.metrics().dropped_late;
  app.close();

  // What the application wrote, by topic kind.
  auto admin = runnel::client::Admin::create({{"bootstrap.servers", a.bootstrap}});
  check(admin.status(), "admin");
  auto topics = (*admin)->list_topics(10s);
  check(topics.status(), "list topics");
  std::int64_t changelog = 0, repartition = 0, output = 0;
  const auto ends_with = [](const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (const auto& t : *topics) {
    if (t.name.rfind(app_id + "-", 0) == 0 && ends_with(t.name, "-changelog")) {
      changelog += runnel::bench::end_offsets(a.bootstrap, t.name, t.partitions);
    } else if (t.name.rfind(app_id + "-", 0) == 0 && ends_with(t.name, "-repartition")) {
      repartition += runnel::bench::end_offsets(a.bootstrap, t.name, t.partitions);
    } else if (t.name == nx::output_topic(q)) {
      output += runnel::bench::end_offsets(a.bootstrap, t.name, t.partitions);
    }
  }
  print_line(a, q, a.events, wall, cpu, output, changelog, repartition, dropped_late, commit_ms,
             threads_at_progress);
  return 0;
}

// Produces the events; returns the seconds taken.
double produce_events(const std::string& bootstrap, const nx::Generator& generator,
                      std::int64_t count, int partitions) {
  auto producer = runnel::client::Producer::create(
      {{"bootstrap.servers", bootstrap}, {"linger.ms", "5"}, {"batch.size", "1000000"}});
  check(producer.status(), "producer");
  nx::EventSerde serde;
  const auto start = Clock::now();
  runnel::Bytes value;
  std::size_t bytes = 0;
  for (std::int64_t n = 0; n < count; ++n) {
    value = runnel::Bytes();
    check(serde.serialize_to(generator.event(n), value), "serialize");
    bytes += value.size();
    check((*producer)->send({.topic = nx::kEventsTopic,
                             .partition = static_cast<std::int32_t>(n % partitions),
                             .key = std::nullopt,
                             .value = value.view(),
                             .timestamp = generator.timestamp(n)}),
          "send");
  }
  check((*producer)->flush(300s), "flush");
  std::fprintf(stderr, "input: %lld events, %.1f serialized bytes per event\n",
               static_cast<long long>(count),
               static_cast<double>(bytes) / static_cast<double>(count));
  return seconds_since(start);
}

int run_end_to_end(const Args& a, const std::vector<nx::Query>& queries, const char* self) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("runnel-nexmark-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto broker = runnel::bench::start_broker(dir / "broker");
  const std::string bootstrap = broker->bootstrap_servers();
  const nx::Generator generator(generator_config(a));
  std::vector<std::string> topics = {nx::kEventsTopic};
  for (nx::Query q : queries) topics.push_back(nx::output_topic(q));
  runnel::bench::create_topics(bootstrap, topics, a.partitions);
  const double produce_seconds = produce_events(bootstrap, generator, a.events, a.partitions);
  std::fprintf(stderr, "produced %lld events in %d partitions in %.2f s\n",
               static_cast<long long>(a.events), a.partitions, produce_seconds);
  int failures = 0;
  for (nx::Query q : queries) {
    std::vector<std::string> child_args = {self,
                                           "--role",
                                           "app",
                                           "--bootstrap",
                                           bootstrap,
                                           "--state-dir",
                                           (dir / "state").string(),
                                           "--query",
                                           std::string(nx::query_name(q)),
                                           "--events",
                                           std::to_string(a.events),
                                           "--mode",
                                           "e2e",
                                           "--guarantee",
                                           a.guarantee,
                                           "--partitions",
                                           std::to_string(a.partitions),
                                           "--threads",
                                           std::to_string(a.threads),
                                           "--seed",
                                           std::to_string(a.seed),
                                           "--rate",
                                           std::to_string(a.rate),
                                           "--grace-ms",
                                           std::to_string(a.grace_ms)};
    if (a.commit_interval_ms) {
      child_args.push_back("--commit-interval-ms");
      child_args.push_back(std::to_string(*a.commit_interval_ms));
    }
    std::vector<char*> argv;
    for (std::string& s : child_args) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid < 0) check(runnel::io_error("fork"), "child");
    if (pid == 0) {
      ::execv("/proc/self/exe", argv.data());
      std::_Exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "query %s: the application process failed (status %d)\n",
                   std::string(nx::query_name(q)).c_str(), status);
      ++failures;
    }
  }
  broker->stop();
  std::filesystem::remove_all(dir);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  std::vector<nx::Query> queries;
  if (a.query == "all") {
    queries = nx::all_queries();
  } else {
    // A comma-separated list, run in order over the same input.
    std::string_view rest = a.query;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view name = rest.substr(0, comma);
      auto q = nx::parse_query(name);
      if (!q) usage(("unknown query " + std::string(name)).c_str());
      queries.push_back(*q);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (a.role == "app") return run_app(a);
  if (a.mode == "inprocess") {
    run_in_process(a, queries);
    return 0;
  }
  return run_end_to_end(a, queries, argv[0]);
}
