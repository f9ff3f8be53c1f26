// Consumer groups end to end: librdkafka consumers (C++ API, one polling thread each) against
// an in-process runneld on loopback, sharing this machine's cores with it.
//
//   - form: N members subscribe at once; time until every member has its assignment.
//   - join: one more member subscribes to the formed group; time until every member (old
//     ones revoked and reassigned, eager "range" protocol) has its new assignment. The old
//     members learn of the rebalance through their heartbeat (heartbeat.interval.ms=100).
//   - commit: synchronous commits of one partition's offset from one member, per second.
//
//   RUNNEL_LOG_LEVEL=warn build/bin/group_bench
//
// The broker runs with group.initial.rebalance.delay.ms=0, so "form" measures the protocol,
// not Kafka's deliberate 3 s wait for more members.
// GROUP_BENCH_RDKAFKA_DEBUG=cgrp prints librdkafka's group protocol debug log.

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <librdkafka/rdkafkacpp.h>

#include "broker/broker.h"

namespace runnel::broker {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPartitions = 32;
constexpr const char* kTopic = "group-bench";

class Member : public RdKafka::RebalanceCb {
 public:
  Member(const std::string& bootstrap, const std::string& group) {
    std::string error;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", bootstrap, error);
    conf->set("group.id", group, error);
    conf->set("session.timeout.ms", "6000", error);
    conf->set("heartbeat.interval.ms", "100", error);
    conf->set("partition.assignment.strategy", "range", error);
    conf->set("enable.auto.commit", "false", error);
    conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), error);
    if (const char* debug = std::getenv("GROUP_BENCH_RDKAFKA_DEBUG"))
      conf->set("debug", debug, error);
    consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
    if (!consumer_) {
      std::fprintf(stderr, "consumer: %s\n", error.c_str());
      std::exit(1);
    }
  }

  void start() {
    consumer_->subscribe({kTopic});
    thread_ = std::thread([this] {
      while (!stop_) delete consumer_->consume(20);
    });
  }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    consumer_->close();
  }

  int assignments() const { return assignments_.load(); }
  int assigned_partitions() const { return assigned_.load(); }

  // Synchronous commits of partition 0's offset from this member's thread-free handle.
  double commit_rate(std::chrono::milliseconds duration) {
    std::vector<RdKafka::TopicPartition*> offsets{RdKafka::TopicPartition::create(kTopic, 0, 0)};
    int64_t count = 0;
    const auto start = Clock::now();
    while (Clock::now() - start < duration) {
      offsets[0]->set_offset(++count);
      if (consumer_->commitSync(offsets) != RdKafka::ERR_NO_ERROR) {
        std::fprintf(stderr, "commit failed\n");
        break;
      }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    RdKafka::TopicPartition::destroy(offsets);
    return static_cast<double>(count) / seconds;
  }

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      consumer->assign(partitions);
      assigned_ = static_cast<int>(partitions.size());
      ++assignments_;
    } else {
      consumer->unassign();
      assigned_ = 0;
    }
  }

 private:
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> assignments_{0};
  std::atomic<int> assigned_{0};
};

// Waits until every member has had more than `before[i]` assignments and the partitions
// are all assigned; returns the seconds it took from `start`.
double wait_assigned(const std::vector<std::unique_ptr<Member>>& members,
                     const std::vector<int>& before, Clock::time_point start) {
  while (true) {
    bool done = true;
    int total = 0;
    for (size_t i = 0; i < members.size(); ++i) {
      if (members[i]->assignments() <= before[i]) done = false;
      total += members[i]->assigned_partitions();
    }
    if (done && total == kPartitions) {
      return std::chrono::duration<double>(Clock::now() - start).count();
    }
    if (Clock::now() - start > std::chrono::seconds(60)) {
      std::fprintf(stderr, "timed out waiting for the group\n");
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void produce_one(const std::string& bootstrap) {
  // Auto-creates the topic (num_partitions = kPartitions) as Metadata asks for it.
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, error);
  conf->set("enable.idempotence", "false", error);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
  std::string value = "x";
  producer->produce(kTopic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                    value.data(), value.size(), nullptr, 0, 0, nullptr);
  producer->flush(10000);
}

// "median (min–max)" of a few runs.
std::string summary(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return fmt::format("{:.3f} ({:.3f}–{:.3f})", values[values.size() / 2], values.front(),
                     values.back());
}

int run() {
  std::string pattern = "/tmp/runnel-group-bench-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(pattern.data());
  BrokerConfig config;
  config.data_dir = dir;
  config.server.host = "127.0.0.1";
  config.server.port = 0;
  config.num_partitions = kPartitions;
  config.group_initial_rebalance_delay_ms = 0;
  auto broker = std::move(Broker::start(config).value());
  const std::string bootstrap = broker->bootstrap_servers();
  produce_one(bootstrap);

  constexpr int kRepetitions = 5;
  std::printf(
      "| members | form a group: s, median (min–max) of %d | one more joins: rebalance, s |\n",
      kRepetitions);
  std::printf("| --- | --- | --- |\n");
  for (int n : {1, 4, 16}) {
    std::vector<double> form, join;
    for (int rep = 0; rep < kRepetitions; ++rep) {
      const std::string group = fmt::format("bench-{}-{}", n, rep);
      std::vector<std::unique_ptr<Member>> members;
      for (int i = 0; i < n; ++i) members.push_back(std::make_unique<Member>(bootstrap, group));
      auto start = Clock::now();
      for (auto& member : members) member->start();
      form.push_back(wait_assigned(members, std::vector<int>(members.size(), 0), start));

      std::vector<int> before;
      for (auto& member : members) before.push_back(member->assignments());
      before.push_back(0);
      members.push_back(std::make_unique<Member>(bootstrap, group));
      start = Clock::now();
      members.back()->start();
      join.push_back(wait_assigned(members, before, start));
      for (auto& member : members) member->stop();
    }
    std::printf("| %d | %s | %s |\n", n, summary(form).c_str(), summary(join).c_str());
    std::fflush(stdout);
  }

  {
    Member member(bootstrap, "bench-commit");
    std::printf("\nsynchronous commits of one offset (commitSync, one member): %.0f /s\n",
                member.commit_rate(std::chrono::seconds(3)));
    member.stop();
  }
  broker->stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}

}  // namespace
}  // namespace runnel::broker

int main() { return runnel::broker::run(); }
