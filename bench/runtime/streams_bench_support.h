#pragma once

// What the end-to-end streams benchmarks share (streams_throughput, streams_eos): an
// in-process runneld on loopback, the input they read, and counts of what came out. Every
// failure ends the process with a message: a benchmark that cannot run has nothing to report.

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker.h"
#include "core/client/admin.h"
#include "core/client/consumer.h"
#include "core/client/producer.h"

namespace runnel::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline void check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.to_string().c_str());
    std::exit(1);
  }
}

// The CPU seconds (user + system) of each live thread of this process, by thread id, with
// its name, from /proc/self/task. Two snapshots tell what the threads started between them
// spent: an application's stream threads and librdkafka's threads (named rdk:*), apart from
// the in-process broker's threads, which were there before.
struct ThreadCpu {
  std::string name;
  double seconds = 0;
};
inline std::map<int, ThreadCpu> thread_cpu() {
  std::map<int, ThreadCpu> out;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::FILE* f = std::fopen((entry.path() / "stat").c_str(), "r");
    if (f == nullptr) continue;
    char buffer[1024];
    const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, f);
    std::fclose(f);
    buffer[n] = 0;
    // pid (comm) state ...: the comm may hold spaces, so fields count from its ')'.
    const char* open = std::strchr(buffer, '(');
    const char* close = std::strrchr(buffer, ')');
    if (open == nullptr || close == nullptr) continue;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    if (std::sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                    &stime) != 2) {
      continue;
    }
    out[std::atoi(entry.path().filename().c_str())] = {std::string(open + 1, close),
                                                       static_cast<double>(utime + stime) / tick};
  }
  return out;
}

// What the threads that are in `after` but not in `before` spent: librdkafka's (rdk:*) and
// the others (an application's stream threads).
struct NewThreadsCpu {
  double rdkafka = 0;
  double other = 0;
  double total() const { return rdkafka + other; }
};
inline NewThreadsCpu new_threads_cpu(const std::map<int, ThreadCpu>& before,
                                     const std::map<int, ThreadCpu>& after) {
  NewThreadsCpu out;
  for (const auto& [tid, t] : after) {
    if (before.count(tid) != 0) continue;
    (t.name.rfind("rdk:", 0) == 0 ? out.rdkafka : out.other) += t.seconds;
  }
  return out;
}

// A runneld in this process, its data in `data_dir`, on an ephemeral loopback port, with no
// initial rebalance delay (the benchmarks time group joins as part of the run).
inline std::unique_ptr<broker::Broker> start_broker(const std::filesystem::path& data_dir) {
  broker::BrokerConfig config;
  config.data_dir = data_dir;
  config.server.host = "127.0.0.1";
  config.server.port = 0;
  config.group_initial_rebalance_delay_ms = 0;
  auto broker = broker::Broker::start(config);
  check(broker.status(), "broker");
  return std::move(*broker);
}

inline void create_topics(const std::string& bootstrap, const std::vector<std::string>& topics,
                          int partitions) {
  using namespace std::chrono_literals;
  auto admin = client::Admin::create({{"bootstrap.servers", bootstrap}});
  check(admin.status(), "admin");
  for (const std::string& topic : topics) {
    auto created = (*admin)->create_topics({{topic, partitions, 1, {}}}, 10s);
    check(created.status(), "create");
    check((*created)[0], topic.c_str());
  }
}

// `count` records with 8-byte keys (`keys` distinct, round-robin) and `value_bytes` values,
// record i in partition i % partitions, timestamps 1 ms apart; returns the seconds taken.
inline double produce_input(const std::string& bootstrap, const std::string& topic,
                            std::int64_t count, int value_bytes, int partitions,
                            std::int64_t keys = 100'000) {
  using namespace std::chrono_literals;
  auto producer = client::Producer::create(
      {{"bootstrap.servers", bootstrap}, {"linger.ms", "5"}, {"batch.size", "1000000"}});
  check(producer.status(), "producer");
  const std::string value(static_cast<std::size_t>(value_bytes), 'v');
  char key[24];  // Room for any int64; keys below 10^8 take the 8 bytes sent.
  const auto start = Clock::now();
  for (std::int64_t i = 0; i < count; ++i) {
    std::snprintf(key, sizeof key, "%08lld", static_cast<long long>(i % keys));
    check((*producer)->send({.topic = topic,
                             .partition = static_cast<std::int32_t>(i % partitions),
                             .key = BytesView(std::string_view(key, 8)),
                             .value = BytesView(std::string_view(value)),
                             .timestamp = 1'700'000'000'000 + i}),
          "send");
  }
  check((*producer)->flush(120s), "flush");
  return seconds_since(start);
}

// The sum of `topic`'s end offsets: its records, control records (transaction markers)
// included.
inline std::int64_t end_offsets(const std::string& bootstrap, const std::string& topic,
                                int partitions) {
  using namespace std::chrono_literals;
  auto consumer = client::Consumer::create({{"bootstrap.servers", bootstrap}});
  check(consumer.status(), "consumer");
  std::int64_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    auto marks = (*consumer)->watermark_offsets({topic, p}, 10s);
    check(marks.status(), "watermarks");
    total += marks->second;
  }
  return total;
}

// The records a read_committed consumer reads from `topic` from its start (transaction
// markers are not records, aborted records are not read), once `want` of them came or none
// came for 5 s, and then for half a second more, so that a surplus shows.
inline std::int64_t committed_records(const std::string& bootstrap, const std::string& topic,
                                      int partitions, std::int64_t want) {
  using namespace std::chrono_literals;
  auto consumer = client::Consumer::create({{"bootstrap.servers", bootstrap},
                                            {"group.id", "bench-committed-reader"},
                                            {"enable.auto.commit", "false"},
                                            {"isolation.level", "read_committed"}});
  check(consumer.status(), "consumer");
  std::vector<client::TopicPartitionOffset> assignment;
  for (int p = 0; p < partitions; ++p) {
    assignment.push_back({{topic, p}, client::kOffsetBeginning, {}});
  }
  check((*consumer)->assign(assignment), "assign");
  std::int64_t records = 0;
  auto last = Clock::now();
  while (records < want && seconds_since(last) < 5) {
    auto batch = (*consumer)->poll(100ms, 10'000);
    check(batch.status(), "poll");
    if (!batch->empty()) last = Clock::now();
    records += static_cast<std::int64_t>(batch->size());
  }
  for (const auto until = Clock::now() + 500ms; Clock::now() < until;) {
    auto batch = (*consumer)->poll(100ms, 10'000);
    check(batch.status(), "poll");
    records += static_cast<std::int64_t>(batch->size());
  }
  return records;
}

}  // namespace runnel::bench
