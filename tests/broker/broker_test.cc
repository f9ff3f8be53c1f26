// The in-process Broker driven by librdkafka's C++ API: what an application or a test that
// embeds runneld relies on.
#include "broker/broker.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

namespace runnel::broker {
namespace {

constexpr int kMessages = 2000;

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = std::filesystem::temp_directory_path() /
                ("runnel-broker-test-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(data_dir_);
  }
  void TearDown() override {
    broker_.reset();
    std::filesystem::remove_all(data_dir_);
  }

  void start_broker() {
    BrokerConfig config;
    config.data_dir = data_dir_;
    config.server.host = "127.0.0.1";
    config.server.port = 0;
    config.num_partitions = 3;
    auto started = Broker::start(config);
    ASSERT_TRUE(started.ok()) << started.status().to_string();
    broker_ = std::move(started).value();
    ASSERT_NE(broker_->port(), 0);
  }

  std::unique_ptr<RdKafka::Conf> client_conf() {
    std::string error;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    EXPECT_EQ(conf->set("bootstrap.servers", broker_->bootstrap_servers(), error),
              RdKafka::Conf::CONF_OK)
        << error;
    return conf;
  }

  // Produces values "message-<i>" with keys "key-<i % 7>" and returns how many were acked.
  int produce(const std::string& topic, int count) {
    std::string error;
    auto conf = client_conf();
    conf->set("acks", "all", error);
    conf->set("linger.ms", "5", error);
    conf->set("enable.idempotence", "false", error);
    std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
    EXPECT_NE(producer, nullptr) << error;
    if (!producer) return 0;
    for (int i = 0; i < count; ++i) {
      const std::string key = "key-" + std::to_string(i % 7);
      const std::string value = "message-" + std::to_string(i);
      RdKafka::ErrorCode produced;
      do {
        produced = producer->produce(
            topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
            const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, nullptr);
        if (produced == RdKafka::ERR__QUEUE_FULL) producer->poll(10);
      } while (produced == RdKafka::ERR__QUEUE_FULL);
      EXPECT_EQ(produced, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(produced);
    }
    EXPECT_EQ(producer->flush(30000), RdKafka::ERR_NO_ERROR);
    return count - producer->outq_len();
  }

  // Reads every partition of `topic` from the start to its end with librdkafka's simple
  // (group-less) consumer; the values of each partition in offset order.
  std::vector<std::vector<std::string>> consume_all(const std::string& topic, int partitions) {
    std::string error;
    auto conf = client_conf();
    conf->set("enable.partition.eof", "true", error);
    std::unique_ptr<RdKafka::Consumer> consumer(RdKafka::Consumer::create(conf.get(), error));
    EXPECT_NE(consumer, nullptr) << error;
    std::vector<std::vector<std::string>> values(partitions);
    if (!consumer) return values;
    std::unique_ptr<RdKafka::Topic> handle(
        RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
    for (int p = 0; p < partitions; ++p) {
      EXPECT_EQ(consumer->start(handle.get(), p, RdKafka::Topic::OFFSET_BEGINNING),
                RdKafka::ERR_NO_ERROR);
      // Until the partition's end; 300 empty polls (30 s) mean the broker stopped serving.
      for (int empty_polls = 0; empty_polls < 300;) {
        std::unique_ptr<RdKafka::Message> message(consumer->consume(handle.get(), p, 100));
        if (message->err() == RdKafka::ERR__PARTITION_EOF) break;
        if (message->err() == RdKafka::ERR__TIMED_OUT) {
          ++empty_polls;
          continue;
        }
        if (message->err() != RdKafka::ERR_NO_ERROR) {
          ADD_FAILURE() << "consume: " << message->errstr();
          break;
        }
        EXPECT_EQ(message->offset(), static_cast<int64_t>(values[p].size()));
        values[p].emplace_back(static_cast<const char*>(message->payload()), message->len());
      }
      consumer->stop(handle.get(), p);
    }
    return values;
  }

  std::filesystem::path data_dir_;
  std::unique_ptr<Broker> broker_;
};

TEST_F(BrokerTest, EveryAcknowledgedMessageIsReadBackOnceInOrderPerPartition) {
  start_broker();
  ASSERT_EQ(produce("orders", kMessages), kMessages);
  auto values = consume_all("orders", 3);
  size_t total = 0;
  for (const auto& partition : values) {
    total += partition.size();
    // Within a partition, messages keep the order they were produced in.
    for (size_t i = 1; i < partition.size(); ++i) {
      EXPECT_LT(std::stoi(partition[i - 1].substr(8)), std::stoi(partition[i].substr(8)));
    }
  }
  EXPECT_EQ(total, static_cast<size_t>(kMessages));
}

TEST_F(BrokerTest, AStoppedAndRestartedBrokerStillHasEveryAcknowledgedMessage) {
  start_broker();
  ASSERT_EQ(produce("orders", kMessages), kMessages);
  broker_->stop();
  broker_.reset();
  start_broker();
  auto values = consume_all("orders", 3);
  size_t total = 0;
  for (const auto& partition : values) total += partition.size();
  EXPECT_EQ(total, static_cast<size_t>(kMessages));
  // Appends continue after the recovered end.
  ASSERT_EQ(produce("orders", 10), 10);
  total = 0;
  for (const auto& partition : consume_all("orders", 3)) total += partition.size();
  EXPECT_EQ(total, static_cast<size_t>(kMessages + 10));
}

TEST_F(BrokerTest, StopIsIdempotentAndTheDestructorStopsToo) {
  start_broker();
  broker_->stop();
  broker_->stop();
  broker_.reset();
  start_broker();  // The data directory is free again: nothing was left open.
}

}  // namespace
}  // namespace runnel::broker
