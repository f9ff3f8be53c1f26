#pragma once

// An in-process runneld on an ephemeral loopback port and the client-side helpers the
// KafkaStreams tests share: topics, producing input, reading output back to its end.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "core/client/admin.h"
#include "core/client/consumer.h"
#include "core/client/producer.h"
#include "operators/materialized.h"
#include "operators/streams_builder.h"

namespace runnel::testing {

using namespace std::chrono_literals;

// Kafka's LongDeserializer: a big-endian int64.
inline std::int64_t decode_int64(const std::string& bytes) {
  std::uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return static_cast<std::int64_t>(v);
}

// Word count: lines of "text" split on spaces, regrouped by word (a repartition), counted in
// the store "counts" as `counts` materializes it (RocksDB by default), every update to
// "word-counts" (key the word, value a big-endian int64).
inline Topology word_count_topology(Materialized<std::string, std::int64_t> counts =
                                        Materialized<std::string, std::int64_t>::as("counts")) {
  StreamsBuilder builder;
  builder.stream<std::string, std::string>("text")
      .flat_map_values([](const std::string& line) {
        std::vector<std::string> words;
        std::istringstream in(line);
        for (std::string w; in >> w;) words.push_back(w);
        return words;
      })
      .group_by([](const std::optional<std::string>&, const std::string& word) { return word; })
      .count(std::move(counts))
      .to_stream()
      .to("word-counts");
  return builder.build();
}

struct Message {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp = 0;

  friend bool operator==(const Message&, const Message&) = default;
};

// Waits up to `timeout` for `done`; returns its last answer.
inline bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

class BrokerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("runnel-streams-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    broker::BrokerConfig config;
    config.data_dir = dir_ / "broker";
    config.server.host = "127.0.0.1";
    config.server.port = 0;
    // A new group forms at once instead of after Kafka's default 3 s.
    config.group_initial_rebalance_delay_ms = 0;
    auto started = broker::Broker::start(config);
    ASSERT_TRUE(started.ok()) << started.status().to_string();
    broker_ = std::move(*started);
    bootstrap_ = broker_->bootstrap_servers();
  }
  void TearDown() override {
    if (broker_) broker_->stop();
    std::filesystem::remove_all(dir_);
  }

  client::ClientConfig client_config(client::ClientConfig extra = {}) const {
    extra["bootstrap.servers"] = bootstrap_;
    return extra;
  }

  void create_topic(const std::string& name, int partitions) {
    auto admin = client::Admin::create(client_config());
    ASSERT_TRUE(admin.ok()) << admin.status().to_string();
    auto results = (*admin)->create_topics({{name, partitions, 1, {}}}, 10s);
    ASSERT_TRUE(results.ok()) << results.status().to_string();
    ASSERT_TRUE((*results)[0].ok()) << (*results)[0].to_string();
  }

  std::int32_t partitions_of(const std::string& topic) {
    auto admin = client::Admin::create(client_config());
    if (!admin.ok()) return -1;
    auto d = (*admin)->describe_topic(topic, 10s);
    return d.ok() ? d->partitions : -1;
  }

  // Sends `messages` (partition -1: by the producer's partitioner) and waits for every ack.
  void produce(const std::string& topic, const std::vector<Message>& messages) {
    auto producer = client::Producer::create(client_config());
    ASSERT_TRUE(producer.ok()) << producer.status().to_string();
    for (const Message& m : messages) {
      NullableBytesView key;
      NullableBytesView value;
      if (m.key) key = BytesView(*m.key);
      if (m.value) value = BytesView(*m.value);
      ASSERT_TRUE((*producer)
                      ->send({.topic = topic,
                              .partition = m.partition,
                              .key = key,
                              .value = value,
                              .timestamp = m.timestamp})
                      .ok());
    }
    Status flushed = (*producer)->flush(20s);
    ASSERT_TRUE(flushed.ok()) << flushed.to_string();
  }

  // The sum of the high watermarks of `topic`'s partitions: how many records it holds.
  std::int64_t record_count(const std::string& topic) {
    const std::int32_t partitions = partitions_of(topic);
    if (partitions <= 0) return 0;
    auto consumer = client::Consumer::create(client_config({{"group.id", "counter"}}));
    if (!consumer.ok()) return 0;
    std::int64_t total = 0;
    for (int p = 0; p < partitions; ++p) {
      auto marks = (*consumer)->watermark_offsets({topic, p}, 10s);
      if (!marks.ok()) return 0;
      total += marks->second - marks->first;
    }
    return total;
  }

  // Every record of `topic` a read_committed consumer sees, from the start of each partition
  // to its last stable offset as it is when called. The end is reached when the consumer's
  // position gets there: transaction markers hold offsets it never returns.
  std::vector<Message> read_committed(const std::string& topic,
                                      const std::string& isolation = "read_committed") {
    std::vector<Message> out;
    const std::int32_t partitions = partitions_of(topic);
    EXPECT_GT(partitions, 0) << topic;
    auto consumer = client::Consumer::create(client_config({{"group.id", "committed-reader"},
                                                            {"enable.auto.commit", "false"},
                                                            {"isolation.level", isolation}}));
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    if (!consumer.ok()) return out;
    std::vector<client::TopicPartitionOffset> assignment;
    std::map<client::TopicPartition, std::int64_t> end;
    for (int p = 0; p < partitions; ++p) {
      auto marks = (*consumer)->watermark_offsets({topic, p}, 10s);
      EXPECT_TRUE(marks.ok()) << marks.status();
      if (!marks.ok()) return out;
      if (marks->second > marks->first) end[{topic, p}] = marks->second;
      assignment.push_back({{topic, p}, client::kOffsetBeginning, {}});
    }
    EXPECT_TRUE((*consumer)->assign(assignment).ok());
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!end.empty() && std::chrono::steady_clock::now() < deadline) {
      auto batch = (*consumer)->poll(100ms);
      EXPECT_TRUE(batch.ok()) << batch.status();
      if (!batch.ok()) break;
      for (const client::ConsumerRecord& r : *batch) {
        Message m;
        if (r.key()) m.key = std::string(r.key()->as_string_view());
        if (r.value()) m.value = std::string(r.value()->as_string_view());
        m.partition = r.partition();
        m.offset = r.offset();
        out.push_back(std::move(m));
      }
      for (auto it = end.begin(); it != end.end();) {
        auto position = (*consumer)->position(it->first);
        it = position.ok() && *position >= it->second ? end.erase(it) : std::next(it);
      }
    }
    EXPECT_TRUE(end.empty()) << "read_committed reader did not reach the end of " << topic;
    return out;
  }

  // Every record of `topic`, from the start of each partition to its high watermark as it is
  // when called, in partition then offset order.
  std::vector<Message> read_to_end(const std::string& topic) {
    std::vector<Message> out;
    const std::int32_t partitions = partitions_of(topic);
    EXPECT_GT(partitions, 0) << topic;
    if (partitions <= 0) return out;
    auto consumer = client::Consumer::create(
        client_config({{"group.id", "reader"}, {"enable.auto.commit", "false"}}));
    EXPECT_TRUE(consumer.ok());
    if (!consumer.ok()) return out;
    std::vector<client::TopicPartitionOffset> assignment;
    std::vector<std::int64_t> end(static_cast<std::size_t>(partitions));
    std::int64_t expected = 0;
    for (int p = 0; p < partitions; ++p) {
      auto marks = (*consumer)->watermark_offsets({topic, p}, 10s);
      EXPECT_TRUE(marks.ok());
      if (!marks.ok()) return out;
      expected += marks->second - marks->first;
      assignment.push_back({{topic, p}, client::kOffsetBeginning, {}});
    }
    EXPECT_TRUE((*consumer)->assign(assignment).ok());
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (static_cast<std::int64_t>(out.size()) < expected &&
           std::chrono::steady_clock::now() < deadline) {
      auto batch = (*consumer)->poll(100ms);
      EXPECT_TRUE(batch.ok()) << batch.status().to_string();
      if (!batch.ok()) break;
      for (const client::ConsumerRecord& r : *batch) {
        Message m;
        if (r.key()) m.key = std::string(r.key()->as_string_view());
        if (r.value()) m.value = std::string(r.value()->as_string_view());
        m.partition = r.partition();
        m.offset = r.offset();
        m.timestamp = r.timestamp();
        out.push_back(std::move(m));
      }
    }
    std::stable_sort(out.begin(), out.end(), [](const Message& a, const Message& b) {
      return a.partition != b.partition ? a.partition < b.partition : a.offset < b.offset;
    });
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<broker::Broker> broker_;
  std::string bootstrap_;
};

}  // namespace runnel::testing
