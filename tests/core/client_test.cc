// The librdkafka client layer against an in-process runneld on an ephemeral loopback port.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "broker/broker.h"
#include "core/client/admin.h"
#include "core/client/consumer.h"
#include "core/client/internal/rdkafka_handle.h"
#include "core/client/producer.h"
#include "runtime/internal/default_partitioner.h"

namespace runnel::client {
namespace {

using namespace std::chrono_literals;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("runnel-client-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    broker::BrokerConfig config;
    config.data_dir = dir_;
    config.server.host = "127.0.0.1";
    config.server.port = 0;
    auto started = broker::Broker::start(config);
    ASSERT_TRUE(started.ok()) << started.status().to_string();
    broker_ = std::move(*started);
    bootstrap_ = broker_->bootstrap_servers();
  }
  void TearDown() override {
    if (broker_) broker_->stop();
    std::filesystem::remove_all(dir_);
  }

  ClientConfig config(ClientConfig extra = {}) const {
    extra["bootstrap.servers"] = bootstrap_;
    return extra;
  }

  void create_topic(const std::string& name, int partitions) {
    auto admin = Admin::create(config());
    ASSERT_TRUE(admin.ok());
    auto results = (*admin)->create_topics({{name, partitions, 1, {}}}, 10s);
    ASSERT_TRUE(results.ok()) << results.status().to_string();
    ASSERT_TRUE((*results)[0].ok()) << (*results)[0].to_string();
  }

  // Every record of `partitions` of `topic`, from the beginning to the high watermark.
  std::vector<ConsumerRecord> read_all(const std::string& topic, int partitions, size_t expected) {
    auto consumer =
        Consumer::create(config({{"group.id", "reader"}, {"enable.auto.commit", "false"}}));
    EXPECT_TRUE(consumer.ok()) << consumer.status().to_string();
    if (!consumer.ok()) return {};
    // Records must not outlive their consumer: the fixture keeps it.
    reader_ = std::move(*consumer);
    std::vector<TopicPartitionOffset> assignment;
    for (int p = 0; p < partitions; ++p) assignment.push_back({{topic, p}, kOffsetBeginning, {}});
    EXPECT_TRUE(reader_->assign(assignment).ok());
    std::vector<ConsumerRecord> records;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (records.size() < expected && std::chrono::steady_clock::now() < deadline) {
      auto batch = reader_->poll(200ms);
      EXPECT_TRUE(batch.ok()) << batch.status().to_string();
      if (!batch.ok()) break;
      for (auto& record : *batch) records.push_back(std::move(record));
    }
    return records;
  }

  std::filesystem::path dir_;
  std::unique_ptr<broker::Broker> broker_;
  std::string bootstrap_;
  std::unique_ptr<Consumer> reader_;
};

TEST_F(ClientTest, AProducedRecordIsConsumedWithItsKeyValueHeadersAndTimestamp) {
  create_topic("records", 1);
  auto producer = Producer::create(config({{"acks", "all"}}));
  ASSERT_TRUE(producer.ok()) << producer.status().to_string();
  Headers headers{{"trace", Bytes::from_string("abc")}, {"empty", Bytes()}, {"null", std::nullopt}};
  std::vector<DeliveryReport> reports;
  auto remember = [&](const DeliveryReport& report) { reports.push_back(report); };
  const Bytes key = Bytes::from_string("card-1");
  const Bytes value = Bytes::from_string("42.00");
  ASSERT_TRUE((*producer)
                  ->send({.topic = "records",
                          .partition = 0,
                          .key = key.view(),
                          .value = value.view(),
                          .timestamp = 1'700'000'000'000,
                          .headers = &headers},
                         remember)
                  .ok());
  // Null key and null value, then empty key and empty value: four distinct things.
  ASSERT_TRUE((*producer)->send({.topic = "records", .partition = 0}, remember).ok());
  ASSERT_TRUE(
      (*producer)
          ->send({.topic = "records", .partition = 0, .key = BytesView(), .value = BytesView()},
                 remember)
          .ok());
  ASSERT_TRUE((*producer)->flush(10s).ok());
  ASSERT_EQ(reports.size(), 3u);
  for (size_t i = 0; i < reports.size(); ++i) {
    EXPECT_TRUE(reports[i].status.ok());
    EXPECT_EQ(reports[i].offset, static_cast<int64_t>(i));
  }

  std::vector<ConsumerRecord> records = read_all("records", 1, 3);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].topic(), "records");
  EXPECT_EQ(records[0].offset(), 0);
  EXPECT_EQ(records[0].timestamp(), 1'700'000'000'000);
  EXPECT_EQ(*records[0].key(), key.view());
  EXPECT_EQ(*records[0].value(), value.view());
  EXPECT_EQ(records[0].headers(), headers);
  EXPECT_FALSE(records[1].key().has_value());
  EXPECT_FALSE(records[1].value().has_value());
  ASSERT_TRUE(records[2].key().has_value());
  ASSERT_TRUE(records[2].value().has_value());
  EXPECT_TRUE(records[2].key()->empty());
  EXPECT_TRUE(records[2].value()->empty());
}

TEST_F(ClientTest, FlushReportsTheFirstDeliveryFailure) {
  // The broker refuses batches above the topic's max.message.bytes: a delivery failure that
  // comes back from the broker, with no timing involved.
  auto admin = Admin::create(config());
  ASSERT_TRUE(admin.ok());
  auto created = (*admin)->create_topics({{"doomed", 1, 1, {{"max.message.bytes", "2000"}}}}, 10s);
  ASSERT_TRUE(created.ok() && (*created)[0].ok());
  auto producer = Producer::create(config({{"message.send.max.retries", "0"}}));
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE(
      (*producer)->send({.topic = "doomed", .value = BytesView(std::string_view("x"))}).ok());
  ASSERT_TRUE((*producer)->flush(10s).ok());
  bool failed = false;
  const std::string too_large(5000, 'y');
  ASSERT_TRUE((*producer)
                  ->send({.topic = "doomed", .value = BytesView(too_large)},
                         [&](const DeliveryReport& report) { failed = !report.status.ok(); })
                  .ok());
  const Status flushed = (*producer)->flush(10s);
  EXPECT_FALSE(flushed.ok());
  EXPECT_NE(flushed.to_string().find("doomed"), std::string::npos) << flushed.to_string();
  EXPECT_TRUE(failed);
  EXPECT_EQ((*producer)->in_flight(), 0);
  // The failure is reported once: the next flush starts clean.
  EXPECT_TRUE((*producer)->flush(1s).ok());
}

TEST_F(ClientTest, AnUnknownConfigPropertyIsRefusedByName) {
  auto producer = Producer::create(config({{"acks.typo", "1"}}));
  ASSERT_FALSE(producer.ok());
  EXPECT_EQ(producer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(producer.status().to_string().find("acks.typo"), std::string::npos);
}

TEST_F(ClientTest, AdminCreatesDescribesAndDeletesTopics) {
  auto admin = Admin::create(config());
  ASSERT_TRUE(admin.ok());
  auto created = (*admin)->create_topics(
      {{"orders", 3, 1, {{"cleanup.policy", "compact"}}}, {"payments", 2, 1, {}}}, 10s);
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  ASSERT_EQ(created->size(), 2u);
  EXPECT_TRUE((*created)[0].ok()) << (*created)[0].to_string();
  EXPECT_TRUE((*created)[1].ok()) << (*created)[1].to_string();

  auto again = (*admin)->create_topics({{"orders", 3, 1, {}}}, 10s);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].code(), StatusCode::kAlreadyExists) << (*again)[0].to_string();

  auto validated = (*admin)->create_topics({{"dry-run", 4, 1, {}}}, 10s, /*validate_only=*/true);
  ASSERT_TRUE(validated.ok());
  EXPECT_TRUE((*validated)[0].ok());

  auto orders = (*admin)->describe_topic("orders", 10s);
  ASSERT_TRUE(orders.ok()) << orders.status().to_string();
  EXPECT_EQ(orders->partitions, 3);
  EXPECT_EQ((*admin)->describe_topic("dry-run", 10s).status().code(), StatusCode::kNotFound);

  auto deleted = (*admin)->delete_topics({"orders", "no-such-topic"}, 10s);
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE((*deleted)[0].ok()) << (*deleted)[0].to_string();
  EXPECT_EQ((*deleted)[1].code(), StatusCode::kNotFound) << (*deleted)[1].to_string();
  EXPECT_EQ((*admin)->describe_topic("orders", 10s).status().code(), StatusCode::kNotFound);
}

TEST_F(ClientTest, WatermarksAndOffsetsForTimesComeFromTheBroker) {
  create_topic("timed", 1);
  auto producer = Producer::create(config());
  ASSERT_TRUE(producer.ok());
  for (Timestamp ts : {1000, 2000, 3000}) {
    ASSERT_TRUE((*producer)
                    ->send({.topic = "timed",
                            .partition = 0,
                            .value = BytesView(std::string_view("v")),
                            .timestamp = ts})
                    .ok());
  }
  ASSERT_TRUE((*producer)->flush(10s).ok());
  auto consumer =
      Consumer::create(config({{"group.id", "timer"}, {"enable.auto.commit", "false"}}));
  ASSERT_TRUE(consumer.ok());
  auto marks = (*consumer)->watermark_offsets({"timed", 0}, 10s);
  ASSERT_TRUE(marks.ok()) << marks.status().to_string();
  EXPECT_EQ(marks->first, 0);
  EXPECT_EQ(marks->second, 3);
  auto at = (*consumer)->offset_for_time({"timed", 0}, 2500, 10s);
  ASSERT_TRUE(at.ok()) << at.status().to_string();
  EXPECT_EQ(*at, 2);
  auto after_all = (*consumer)->offset_for_time({"timed", 0}, 9999, 10s);
  ASSERT_TRUE(after_all.ok());
  EXPECT_EQ(*after_all, 3);
}

TEST_F(ClientTest, TrackedTopicsRememberTheLargestAcknowledgedOffsetPerPartition) {
  create_topic("tracked", 2);
  create_topic("untracked", 1);
  auto producer = Producer::create(config());
  ASSERT_TRUE(producer.ok());
  (*producer)->track_acknowledged_offsets("tracked");
  auto send = [&](std::string_view topic, std::int32_t partition) {
    ASSERT_TRUE(
        (*producer)
            ->send(
                {.topic = topic, .partition = partition, .value = BytesView(std::string_view("v"))})
            .ok());
  };
  for (int i = 0; i < 3; ++i) send("tracked", 0);
  send("tracked", 1);
  send("untracked", 0);
  ASSERT_TRUE((*producer)->flush(10s).ok());
  std::map<TopicPartition, std::int64_t> expected{{{"tracked", 0}, 2}, {{"tracked", 1}, 0}};
  EXPECT_EQ((*producer)->acknowledged_offsets(), expected);

  (*producer)->clear_acknowledged_offsets();
  EXPECT_TRUE((*producer)->acknowledged_offsets().empty());
  send("tracked", 1);
  ASSERT_TRUE((*producer)->flush(10s).ok());
  expected = {{{"tracked", 1}, 1}};
  EXPECT_EQ((*producer)->acknowledged_offsets(), expected);
}

TEST_F(ClientTest, SeekMovesTheReadPositionOfAnAssignedPartition) {
  create_topic("seekable", 1);
  auto producer = Producer::create(config());
  ASSERT_TRUE(producer.ok());
  for (int i = 0; i < 5; ++i) {
    const std::string value = std::to_string(i);
    ASSERT_TRUE(
        (*producer)->send({.topic = "seekable", .partition = 0, .value = BytesView(value)}).ok());
  }
  ASSERT_TRUE((*producer)->flush(10s).ok());
  auto consumer =
      Consumer::create(config({{"group.id", "seeker"}, {"enable.auto.commit", "false"}}));
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE((*consumer)->assign({{{"seekable", 0}, 3, {}}}).ok());
  std::vector<int64_t> offsets;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (offsets.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->poll(200ms);
    ASSERT_TRUE(batch.ok());
    for (const auto& record : *batch) offsets.push_back(record.offset());
  }
  EXPECT_EQ(offsets, (std::vector<int64_t>{3, 4}));
  ASSERT_TRUE((*consumer)->seek({"seekable", 0}, 1, 5s).ok());
  offsets.clear();
  while (offsets.size() < 4 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->poll(200ms);
    ASSERT_TRUE(batch.ok());
    for (const auto& record : *batch) offsets.push_back(record.offset());
  }
  EXPECT_EQ(offsets, (std::vector<int64_t>{1, 2, 3, 4}));
  auto assigned = (*consumer)->assignment();
  ASSERT_TRUE(assigned.ok());
  EXPECT_EQ(*assigned, (std::vector<TopicPartition>{{"seekable", 0}}));
}

TEST_F(ClientTest, KeyedRecordsLandWhereJavasPartitionerPutsThem) {
  create_topic("spread", 6);
  auto producer = Producer::create(config());
  ASSERT_TRUE(producer.ok());
  std::map<std::string, int32_t> landed;
  for (int i = 0; i < 60; ++i) {
    const std::string key = "card-" + std::to_string(i);
    ASSERT_TRUE(
        (*producer)
            ->send({.topic = "spread",
                    .key = BytesView(key),
                    .value = BytesView(std::string_view("v"))},
                   [&landed, key](const DeliveryReport& report) { landed[key] = report.partition; })
            .ok());
  }
  ASSERT_TRUE((*producer)->flush(10s).ok());
  ASSERT_EQ(landed.size(), 60u);
  for (const auto& [key, partition] : landed) {
    // Kafka's DefaultPartitioner: murmur2(key) with the sign bit cleared, modulo partitions;
    // the DSL's repartitioning uses the same function.
    EXPECT_EQ(partition, runnel::internal::default_partition(BytesView(key), 6)) << key;
  }
}

class RecordingListener : public RebalanceListener {
 public:
  void on_partitions_assigned(const std::vector<TopicPartition>& partitions) override {
    assigned.insert(assigned.end(), partitions.begin(), partitions.end());
  }
  void on_partitions_revoked(const std::vector<TopicPartition>& partitions) override {
    revoked.insert(revoked.end(), partitions.begin(), partitions.end());
  }
  std::vector<TopicPartition> assigned;
  std::vector<TopicPartition> revoked;
};

TEST_F(ClientTest, AGroupMemberIsAssignedCommitsAndIsSeenByTheAdmin) {
  create_topic("grouped", 2);
  auto producer = Producer::create(config());
  ASSERT_TRUE(producer.ok());
  for (int i = 0; i < 6; ++i) {
    const std::string value = std::to_string(i);
    ASSERT_TRUE((*producer)
                    ->send({.topic = "grouped", .partition = i % 2, .value = BytesView(value)})
                    .ok());
  }
  ASSERT_TRUE((*producer)->flush(10s).ok());

  RecordingListener listener;
  auto consumer = Consumer::create(config({{"group.id", "billing"},
                                           {"enable.auto.commit", "false"},
                                           {"auto.offset.reset", "earliest"},
                                           {"client.id", "billing-1"}}),
                                   &listener);
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE((*consumer)->subscribe({"grouped"}).ok());
  std::map<int32_t, int64_t> next;
  size_t read = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (read < 6 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->poll(200ms);
    ASSERT_TRUE(batch.ok()) << batch.status().to_string();
    for (const auto& record : *batch) next[record.partition()] = record.offset() + 1;
    read += batch->size();
  }
  ASSERT_EQ(read, 6u);
  std::sort(listener.assigned.begin(), listener.assigned.end());
  EXPECT_EQ(listener.assigned, (std::vector<TopicPartition>{{"grouped", 0}, {"grouped", 1}}));
  ASSERT_TRUE(
      (*consumer)
          ->commit({{{"grouped", 0}, next[0], "checkpoint-a"}, {{"grouped", 1}, next[1], {}}})
          .ok());
  auto committed = (*consumer)->committed({{"grouped", 0}, {"grouped", 1}}, 10s);
  ASSERT_TRUE(committed.ok()) << committed.status().to_string();
  EXPECT_EQ((*committed)[0].offset, 3);
  EXPECT_EQ((*committed)[0].metadata, "checkpoint-a");
  EXPECT_EQ((*committed)[1].offset, 3);

  auto admin = Admin::create(config());
  ASSERT_TRUE(admin.ok());
  auto groups = (*admin)->list_groups(10s);
  ASSERT_TRUE(groups.ok()) << groups.status().to_string();
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].group_id, "billing");
  auto described = (*admin)->describe_group("billing", 10s);
  ASSERT_TRUE(described.ok()) << described.status().to_string();
  EXPECT_EQ(described->state, "Stable");
  EXPECT_EQ(described->assignor, "range");
  ASSERT_EQ(described->members.size(), 1u);
  EXPECT_EQ(described->members[0].client_id, "billing-1");
  auto assignment = described->members[0].assignment;
  std::sort(assignment.begin(), assignment.end());
  EXPECT_EQ(assignment, (std::vector<TopicPartition>{{"grouped", 0}, {"grouped", 1}}));
  auto offsets = (*admin)->list_group_offsets("billing", 10s);
  ASSERT_TRUE(offsets.ok()) << offsets.status().to_string();
  std::sort(offsets->begin(), offsets->end(),
            [](const auto& a, const auto& b) { return a.topic_partition < b.topic_partition; });
  EXPECT_EQ(*offsets, (std::vector<TopicPartitionOffset>{{{"grouped", 0}, 3, "checkpoint-a"},
                                                         {{"grouped", 1}, 3, ""}}));

  // A group with a member cannot be deleted; once the member left, it can.
  const Status refused = (*admin)->delete_group("billing", 10s);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.to_string().find("billing"), std::string::npos);
  ASSERT_TRUE((*consumer)->close().ok());
  std::sort(listener.revoked.begin(), listener.revoked.end());
  EXPECT_EQ(listener.revoked, (std::vector<TopicPartition>{{"grouped", 0}, {"grouped", 1}}));
  EXPECT_TRUE((*admin)->delete_group("billing", 10s).ok());
  auto after = (*admin)->list_group_offsets("billing", 10s);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
}

TEST_F(ClientTest, TransactionalCallsOnAPlainProducerAreRefusedAsInvalid) {
  auto producer = Producer::create(config());
  ASSERT_TRUE(producer.ok());
  const Status init = (*producer)->init_transactions(1s);
  EXPECT_EQ(init.code(), StatusCode::kInvalidArgument) << init;
  EXPECT_EQ((*producer)->begin_transaction().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*producer)->commit_transaction(1s).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*producer)->fatal_error().ok());
}

TEST_F(ClientTest, ATransactionalProducerRefusesToSendOrBeginBeforeInit) {
  create_topic("txn-out", 1);
  auto producer = Producer::create(config({{"transactional.id", "txn-early"}}));
  ASSERT_TRUE(producer.ok()) << producer.status();
  const std::string value = "v";
  const Status sent =
      (*producer)->send({.topic = "txn-out", .partition = 0, .value = BytesView(value)});
  EXPECT_EQ(sent.code(), StatusCode::kInvalidArgument) << sent;
  const Status begun = (*producer)->begin_transaction();
  EXPECT_EQ(begun.code(), StatusCode::kInvalidArgument) << begun;
  EXPECT_EQ((*producer)
                ->send_offsets_to_transaction({{{"txn-in", 0}, 1, {}}},
                                              ConsumerGroupMetadata::for_group("g"), 1s)
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(ClientStatusTest, FencingErrorsMapToFencedAndAreNotRetryable) {
  for (rd_kafka_resp_err_t error :
       {RD_KAFKA_RESP_ERR__FENCED, RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
        RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH, RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID}) {
    const Status status = internal::status_from(error, "commit");
    EXPECT_EQ(status.code(), StatusCode::kFenced) << status;
    EXPECT_FALSE(status.is_retryable());
  }
  EXPECT_TRUE(internal::status_from(RD_KAFKA_RESP_ERR__TIMED_OUT, "x").is_retryable());
}

TEST_F(ClientTest, AGroupConsumerGivesItsGroupMetadataAndPositionAfterConsuming) {
  create_topic("positioned", 1);
  auto producer = Producer::create(config());
  ASSERT_TRUE(producer.ok());
  for (int i = 0; i < 3; ++i) {
    const std::string value = std::to_string(i);
    ASSERT_TRUE(
        (*producer)->send({.topic = "positioned", .partition = 0, .value = BytesView(value)}).ok());
  }
  ASSERT_TRUE((*producer)->flush(10s).ok());
  auto consumer =
      Consumer::create(config({{"group.id", "positions"}, {"enable.auto.commit", "false"}}));
  ASSERT_TRUE(consumer.ok());
  auto metadata = (*consumer)->group_metadata();
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  EXPECT_NE(metadata->get(), nullptr);
  ASSERT_TRUE((*consumer)->assign({{{"positioned", 0}, kOffsetBeginning, {}}}).ok());
  auto before = (*consumer)->position({"positioned", 0});
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_LT(*before, 0);
  size_t read = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (read < 3 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->poll(200ms);
    ASSERT_TRUE(batch.ok());
    read += batch->size();
  }
  ASSERT_EQ(read, 3u);
  auto after = (*consumer)->position({"positioned", 0});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, 3);
}

TEST_F(ClientTest, PerPartitionQueuesGiveEachPartitionOnlyWhatItHasRoomFor) {
  create_topic("busy", 2);
  auto producer = Producer::create(config());
  ASSERT_TRUE(producer.ok());
  // Partition 0 has a backlog of 5,000 records (about 0.5 MB: one fetch); partition 1 three,
  // written after it.
  const std::string value(100, 'v');
  for (int i = 0; i < 5'000; ++i) {
    ASSERT_TRUE(
        (*producer)->send({.topic = "busy", .partition = 0, .value = BytesView(value)}).ok());
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        (*producer)->send({.topic = "busy", .partition = 1, .value = BytesView(value)}).ok());
  }
  ASSERT_TRUE((*producer)->flush(10s).ok());
  auto consumer = Consumer::create(config({{"group.id", "fair"}, {"enable.auto.commit", "false"}}),
                                   nullptr, Consumer::Queueing::kPerPartition);
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE(
      (*consumer)
          ->assign({{{"busy", 0}, kOffsetBeginning, {}}, {{"busy", 1}, kOffsetBeginning, {}}})
          .ok());
  // A shared queue would hand out partition 1's records after the 5,000 fetched before them;
  // here partition 0, given no room, gives nothing, and partition 1's come at once.
  std::map<std::int32_t, std::size_t> room{{0, 0}, {1, 100}};
  auto room_of = [&](const TopicPartition& tp) { return room[tp.partition]; };
  std::map<std::int32_t, std::size_t> taken;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (taken[1] < 3 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->poll_partitions(200ms, room_of);
    ASSERT_TRUE(batch.ok()) << batch.status();
    for (const ConsumerRecord& r : *batch) ++taken[r.partition()];
  }
  EXPECT_EQ(taken[1], 3u);
  EXPECT_EQ(taken[0], 0u);
  // Given room, partition 0 gives at most that much per poll, in offset order.
  room = {{0, 100}, {1, 100}};
  std::int64_t next = 0;
  while (next < 5'000 && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*consumer)->poll_partitions(200ms, room_of);
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_LE(batch->size(), 100u);
    for (const ConsumerRecord& r : *batch) {
      ASSERT_EQ(r.partition(), 0);
      ASSERT_EQ(r.offset(), next++);
    }
  }
  EXPECT_EQ(next, 5'000);
  // Positions follow what the partition queues handed out.
  auto position = (*consumer)->position({"busy", 0});
  ASSERT_TRUE(position.ok()) << position.status();
  EXPECT_EQ(*position, 5'000);
  position = (*consumer)->position({"busy", 1});
  ASSERT_TRUE(position.ok()) << position.status();
  EXPECT_EQ(*position, 3);
  // A consumer with one shared queue has no partition queues to poll.
  auto shared = Consumer::create(config({{"group.id", "shared"}}));
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ((*shared)->poll_partitions(0ms, room_of).status().code(), StatusCode::kInvalidArgument);
}

// Whether the fixture's broker serves transactions (runneld from its transaction coordinator
// on); the transaction tests skip, saying so, when it does not.
bool serves_transactions(const ClientConfig& config) {
  ClientConfig probe = config;
  probe["transactional.id"] = "probe";
  auto producer = Producer::create(probe);
  return producer.ok() && (*producer)->init_transactions(5s).ok();
}

TEST_F(ClientTest, ACommittedTransactionIsSeenByReadCommittedReadersAndAnAbortedOneIsNot) {
  if (!serves_transactions(config())) GTEST_SKIP() << "the broker does not serve transactions";
  create_topic("txn-in", 1);
  create_topic("txn-out", 1);
  auto producer = Producer::create(config({{"transactional.id", "txn-a"}}));
  ASSERT_TRUE(producer.ok()) << producer.status();
  ASSERT_TRUE((*producer)->init_transactions(10s).ok());
  auto send = [&](const std::string& value) {
    return (*producer)->send({.topic = "txn-out", .partition = 0, .value = BytesView(value)});
  };
  ASSERT_TRUE((*producer)->begin_transaction().ok());
  ASSERT_TRUE(send("aborted").ok());
  ASSERT_TRUE((*producer)->abort_transaction(10s).ok());
  ASSERT_TRUE((*producer)->begin_transaction().ok());
  ASSERT_TRUE(send("committed").ok());
  auto consumer =
      Consumer::create(config({{"group.id", "txn-group"}, {"enable.auto.commit", "false"}}));
  ASSERT_TRUE(consumer.ok());
  auto group = (*consumer)->group_metadata();
  ASSERT_TRUE(group.ok()) << group.status();
  const Status offsets =
      (*producer)->send_offsets_to_transaction({{{"txn-in", 0}, 7, {}}}, *group, 10s);
  ASSERT_TRUE(offsets.ok()) << offsets;
  const Status committed = (*producer)->commit_transaction(10s);
  ASSERT_TRUE(committed.ok()) << committed;

  auto reader = Consumer::create(config({{"group.id", "txn-reader"},
                                         {"enable.auto.commit", "false"},
                                         {"isolation.level", "read_committed"}}));
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE((*reader)->assign({{{"txn-out", 0}, kOffsetBeginning, {}}}).ok());
  auto end = (*reader)->watermark_offsets({"txn-out", 0}, 10s);
  ASSERT_TRUE(end.ok());
  std::vector<std::string> values;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    auto position = (*reader)->position({"txn-out", 0});
    if ((position.ok() && *position >= end->second) ||
        std::chrono::steady_clock::now() > deadline) {
      break;
    }
    auto batch = (*reader)->poll(100ms);
    ASSERT_TRUE(batch.ok());
    for (const auto& r : *batch) values.emplace_back(r.value()->as_string_view());
  }
  EXPECT_EQ(values, std::vector<std::string>{"committed"});
  // The offsets went with the transaction to the group.
  auto group_offsets = (*consumer)->committed({{"txn-in", 0}}, 10s);
  ASSERT_TRUE(group_offsets.ok()) << group_offsets.status();
  EXPECT_EQ((*group_offsets)[0].offset, 7);
}

TEST_F(ClientTest, ANewProducerWithTheSameTransactionalIdFencesTheOldOne) {
  if (!serves_transactions(config())) GTEST_SKIP() << "the broker does not serve transactions";
  create_topic("txn-fenced", 1);
  auto old = Producer::create(config({{"transactional.id", "txn-f"}}));
  ASSERT_TRUE(old.ok());
  ASSERT_TRUE((*old)->init_transactions(10s).ok());
  ASSERT_TRUE((*old)->begin_transaction().ok());
  auto newer = Producer::create(config({{"transactional.id", "txn-f"}}));
  ASSERT_TRUE(newer.ok());
  ASSERT_TRUE((*newer)->init_transactions(10s).ok());
  const std::string value = "zombie";
  Status sent = (*old)->send({.topic = "txn-fenced", .partition = 0, .value = BytesView(value)});
  Status committed = sent.ok() ? (*old)->commit_transaction(10s) : sent;
  EXPECT_EQ(committed.code(), StatusCode::kFenced) << committed;
  EXPECT_EQ((*old)->fatal_error().code(), StatusCode::kFenced);
}

}  // namespace
}  // namespace runnel::client
