#include "broker/handlers/request_dispatcher.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "broker/coordinator/group_coordinator.h"
#include "broker/coordinator/offset_store.h"
#include "broker/coordinator/producer_id_manager.h"
#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/supported_apis.h"
#include "broker/protocol/api_key.h"
#include "broker/protocol/error_code.h"
#include "broker/protocol/generated/add_offsets_to_txn_request.h"
#include "broker/protocol/generated/add_offsets_to_txn_response.h"
#include "broker/protocol/generated/add_partitions_to_txn_request.h"
#include "broker/protocol/generated/add_partitions_to_txn_response.h"
#include "broker/protocol/generated/alter_configs_request.h"
#include "broker/protocol/generated/alter_configs_response.h"
#include "broker/protocol/generated/alter_user_scram_credentials_request.h"
#include "broker/protocol/generated/alter_user_scram_credentials_response.h"
#include "broker/protocol/generated/api_versions_request.h"
#include "broker/protocol/generated/api_versions_response.h"
#include "broker/protocol/generated/create_acls_request.h"
#include "broker/protocol/generated/create_acls_response.h"
#include "broker/protocol/generated/create_partitions_request.h"
#include "broker/protocol/generated/create_partitions_response.h"
#include "broker/protocol/generated/create_topics_request.h"
#include "broker/protocol/generated/create_topics_response.h"
#include "broker/protocol/generated/delete_acls_request.h"
#include "broker/protocol/generated/delete_acls_response.h"
#include "broker/protocol/generated/delete_groups_request.h"
#include "broker/protocol/generated/delete_groups_response.h"
#include "broker/protocol/generated/delete_records_request.h"
#include "broker/protocol/generated/delete_records_response.h"
#include "broker/protocol/generated/delete_topics_request.h"
#include "broker/protocol/generated/delete_topics_response.h"
#include "broker/protocol/generated/describe_acls_request.h"
#include "broker/protocol/generated/describe_acls_response.h"
#include "broker/protocol/generated/describe_cluster_request.h"
#include "broker/protocol/generated/describe_cluster_response.h"
#include "broker/protocol/generated/describe_configs_request.h"
#include "broker/protocol/generated/describe_configs_response.h"
#include "broker/protocol/generated/describe_groups_request.h"
#include "broker/protocol/generated/describe_groups_response.h"
#include "broker/protocol/generated/describe_log_dirs_request.h"
#include "broker/protocol/generated/describe_log_dirs_response.h"
#include "broker/protocol/generated/describe_producers_request.h"
#include "broker/protocol/generated/describe_producers_response.h"
#include "broker/protocol/generated/describe_transactions_request.h"
#include "broker/protocol/generated/describe_transactions_response.h"
#include "broker/protocol/generated/describe_user_scram_credentials_request.h"
#include "broker/protocol/generated/describe_user_scram_credentials_response.h"
#include "broker/protocol/generated/end_txn_request.h"
#include "broker/protocol/generated/end_txn_response.h"
#include "broker/protocol/generated/fetch_request.h"
#include "broker/protocol/generated/fetch_response.h"
#include "broker/protocol/generated/find_coordinator_request.h"
#include "broker/protocol/generated/find_coordinator_response.h"
#include "broker/protocol/generated/heartbeat_request.h"
#include "broker/protocol/generated/heartbeat_response.h"
#include "broker/protocol/generated/incremental_alter_configs_request.h"
#include "broker/protocol/generated/incremental_alter_configs_response.h"
#include "broker/protocol/generated/init_producer_id_request.h"
#include "broker/protocol/generated/init_producer_id_response.h"
#include "broker/protocol/generated/join_group_request.h"
#include "broker/protocol/generated/join_group_response.h"
#include "broker/protocol/generated/leave_group_request.h"
#include "broker/protocol/generated/leave_group_response.h"
#include "broker/protocol/generated/list_groups_request.h"
#include "broker/protocol/generated/list_groups_response.h"
#include "broker/protocol/generated/list_offsets_request.h"
#include "broker/protocol/generated/list_offsets_response.h"
#include "broker/protocol/generated/list_partition_reassignments_request.h"
#include "broker/protocol/generated/list_partition_reassignments_response.h"
#include "broker/protocol/generated/list_transactions_request.h"
#include "broker/protocol/generated/list_transactions_response.h"
#include "broker/protocol/generated/metadata_request.h"
#include "broker/protocol/generated/metadata_response.h"
#include "broker/protocol/generated/offset_commit_request.h"
#include "broker/protocol/generated/offset_commit_response.h"
#include "broker/protocol/generated/offset_delete_request.h"
#include "broker/protocol/generated/offset_delete_response.h"
#include "broker/protocol/generated/offset_fetch_request.h"
#include "broker/protocol/generated/offset_fetch_response.h"
#include "broker/protocol/generated/offset_for_leader_epoch_request.h"
#include "broker/protocol/generated/offset_for_leader_epoch_response.h"
#include "broker/protocol/generated/produce_request.h"
#include "broker/protocol/generated/produce_response.h"
#include "broker/protocol/generated/sasl_authenticate_request.h"
#include "broker/protocol/generated/sasl_authenticate_response.h"
#include "broker/protocol/generated/sasl_handshake_request.h"
#include "broker/protocol/generated/sasl_handshake_response.h"
#include "broker/protocol/generated/sync_group_request.h"
#include "broker/protocol/generated/sync_group_response.h"
#include "broker/protocol/generated/txn_offset_commit_request.h"
#include "broker/protocol/generated/txn_offset_commit_response.h"
#include "broker/protocol/request_header.h"
#include "broker/protocol/wire_reader.h"
#include "broker/protocol/wire_writer.h"
#include "broker/security/authorizer.h"
#include "broker/security/credential_store.h"
#include "broker/security/scram_client.h"
#include "broker/storage/record_batch_builder.h"
#include "core/big_endian.h"
#include "core/clock.h"
#include "tests/broker/handlers/dispatcher_test_base.h"

namespace runnel::broker {
namespace {

using namespace std::chrono_literals;

// One uncompressed batch holding `values` (no keys), as a producer would send it.
Bytes batch_of(const std::vector<std::string>& values, int64_t timestamp_ms = 1000) {
  RecordBatchBuilder builder(timestamp_ms);
  for (const std::string& value : values) {
    builder.add(std::nullopt, Bytes(BytesView(value)), timestamp_ms, {});
  }
  return builder.build();
}

// The request frame a client would send after the size prefix: header then body.
template <typename Request>
Bytes frame_of(const Request& request, int16_t version, int32_t correlation_id) {
  WireWriter writer;
  writer.write_int16(Request::kApiKey);
  writer.write_int16(version);
  writer.write_int32(correlation_id);
  const std::string client_id = "dispatcher-test";
  writer.write_int16(static_cast<int16_t>(client_id.size()));
  writer.bytes().append(BytesView(client_id));
  if (request_header_version(Request::kApiKey, version) >= 2) writer.write_uvarint(0);
  request.encode(writer, version);
  return writer.take();
}

class RequestDispatcherTest : public testing::DispatcherTestBase {
 protected:
  void SetUp() override {
    open_broker(std::string("dispatcher-test-") +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                2);
  }

  // Hands `frame` to the dispatcher and waits for its outcome (however long a fetch waits).
  HandlerOutcome call(const Bytes& frame) {
    std::promise<HandlerOutcome> outcome;
    RequestContext request_context{.connection_id = 1,
                                   .peer = "127.0.0.1:1",
                                   .executor = io_.get_executor(),
                                   .session = session_};
    dispatcher_->handle(request_context, frame.view(), [&outcome](HandlerOutcome result) {
      outcome.set_value(std::move(result));
    });
    return outcome.get_future().get();
  }

  // Hands `frame` to the dispatcher without waiting: for responses that come later (JoinGroup
  // waiting for the rebalance, SyncGroup waiting for the leader).
  std::future<HandlerOutcome> start_call(const Bytes& frame) {
    auto outcome = std::make_shared<std::promise<HandlerOutcome>>();
    RequestContext request_context{.connection_id = 1,
                                   .peer = "127.0.0.1:1",
                                   .executor = io_.get_executor(),
                                   .session = session_};
    dispatcher_->handle(request_context, frame.view(), [outcome](HandlerOutcome result) {
      outcome->set_value(std::move(result));
    });
    return outcome->get_future();
  }

  template <typename Response>
  Response decode_outcome(const HandlerOutcome& outcome, int16_t api_key, int16_t version) {
    EXPECT_FALSE(outcome.close_connection);
    Response response;
    if (!outcome.response) {
      ADD_FAILURE() << "no response";
      return response;
    }
    WireReader reader(outcome.response->view());
    int32_t correlation_id = 0;
    EXPECT_TRUE(reader.read_int32(correlation_id).ok());
    if (response_header_version(api_key, version) >= 1) {
      uint32_t tagged_fields = 0;
      EXPECT_TRUE(reader.read_uvarint(tagged_fields).ok());
    }
    const Status decoded = response.decode(reader, version);
    EXPECT_TRUE(decoded.ok()) << decoded.to_string();
    EXPECT_EQ(reader.remaining(), 0u);
    return response;
  }

  // Sends `request` and decodes the response body at `response_version`.
  template <typename Response, typename Request>
  Response roundtrip(const Request& request, int16_t version, int16_t response_version = -1) {
    HandlerOutcome outcome = call(frame_of(request, version, 42));
    EXPECT_FALSE(outcome.close_connection);
    EXPECT_TRUE(outcome.response.has_value());
    Response response;
    if (!outcome.response) return response;
    WireReader reader(outcome.response->view());
    int32_t correlation_id = 0;
    EXPECT_TRUE(reader.read_int32(correlation_id).ok());
    EXPECT_EQ(correlation_id, 42);
    if (response_header_version(Request::kApiKey, version) >= 1) {
      uint32_t tagged_fields = 0;
      EXPECT_TRUE(reader.read_uvarint(tagged_fields).ok());
    }
    const Status decoded =
        response.decode(reader, response_version >= 0 ? response_version : version);
    EXPECT_TRUE(decoded.ok()) << decoded.to_string();
    return response;
  }

  // Turns authorization on, as runneld --authorizer does.
  void enable_authorizer(AuthorizerOptions options = {}) {
    auto opened = Authorizer::open(data_dir_, std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    authorizer_ = std::move(opened.value());
    context_->authorizer = authorizer_.get();
  }

  void allow(const std::string& principal, ResourceType type, const std::string& name,
             AclOperation operation, PatternType pattern = PatternType::kLiteral) {
    ASSERT_TRUE(authorizer_
                    ->add({AclBinding{.resource_type = type,
                                      .resource_name = name,
                                      .pattern_type = pattern,
                                      .principal = principal,
                                      .host = "*",
                                      .operation = operation,
                                      .permission = AclPermission::kAllow}})
                    .ok());
  }

  void create_topic(const std::string& name, int32_t partitions) {
    ASSERT_TRUE(logs_->create_topic(name, partitions, {}, false).ok());
  }

  ProduceResponse produce(const std::string& topic, int32_t partition, const Bytes& records,
                          int16_t acks = -1) {
    ProduceRequest request;
    request.acks = acks;
    request.timeout_ms = 1000;
    ProduceRequest::TopicProduceData topic_data;
    topic_data.name = topic;
    ProduceRequest::TopicProduceData::PartitionProduceData partition_data;
    partition_data.index = partition;
    partition_data.records = records.view();
    topic_data.partition_data.push_back(partition_data);
    request.topic_data.push_back(topic_data);
    return roundtrip<ProduceResponse>(request, 7);
  }

  static FetchRequest fetch_request(const std::string& topic, int32_t partition, int64_t offset,
                                    int32_t max_wait_ms, int32_t min_bytes) {
    FetchRequest request;
    request.replica_id = -1;
    request.max_wait_ms = max_wait_ms;
    request.min_bytes = min_bytes;
    request.max_bytes = 1 << 20;
    request.isolation_level = 1;
    FetchRequest::FetchTopic fetch_topic;
    fetch_topic.topic = topic;
    FetchRequest::FetchTopic::FetchPartition fetch_partition;
    fetch_partition.partition = partition;
    fetch_partition.fetch_offset = offset;
    fetch_partition.partition_max_bytes = 1 << 20;
    fetch_topic.partitions.push_back(fetch_partition);
    request.topics.push_back(fetch_topic);
    return request;
  }

  // The connection's session requests are sent on: an anonymous PLAINTEXT one unless a test
  // replaces it (SASL) or changes its principal (authorization).
  std::shared_ptr<ConnectionSession> session_ = std::make_shared<ConnectionSession>();
};

TEST_F(RequestDispatcherTest, ApiVersionsListsExactlyTheServedRanges) {
  auto response = roundtrip<ApiVersionsResponse>(ApiVersionsRequest{}, 3);
  EXPECT_EQ(response.error_code, code(ErrorCode::kNone));
  ASSERT_EQ(response.api_keys.size(), supported_apis().size());
  for (size_t i = 0; i < response.api_keys.size(); ++i) {
    EXPECT_EQ(response.api_keys[i].api_key, supported_apis()[i].api_key);
    EXPECT_EQ(response.api_keys[i].min_version, supported_apis()[i].min_version);
    EXPECT_EQ(response.api_keys[i].max_version, supported_apis()[i].max_version);
  }
}

TEST_F(RequestDispatcherTest, ApiVersionsAboveTheServedRangeGetsUnsupportedVersionInTheV0Layout) {
  // v5, as a client newer than the schemas here sends it (header v2, the body laid out as v4's):
  // the answer must be readable by any client: header v0 and the v0 body, listing what is
  // served so that the client can retry at v4 or lower.
  Bytes frame = frame_of(ApiVersionsRequest{}, 4, 7);
  store_big_endian<int16_t>(frame.data() + 2, 5);  // the header's api_version
  HandlerOutcome outcome = call(frame);
  ASSERT_TRUE(outcome.response.has_value());
  EXPECT_FALSE(outcome.close_connection);
  WireReader reader(outcome.response->view());
  int32_t correlation_id = 0;
  ASSERT_TRUE(reader.read_int32(correlation_id).ok());
  EXPECT_EQ(correlation_id, 7);
  ApiVersionsResponse response;
  ASSERT_TRUE(response.decode(reader, 0).ok());
  EXPECT_EQ(response.error_code, code(ErrorCode::kUnsupportedVersion));
  EXPECT_EQ(response.api_keys.size(), supported_apis().size());
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST_F(RequestDispatcherTest, AnApiThatIsNotServedClosesTheConnection) {
  WireWriter writer;
  writer.write_int16(9999);
  writer.write_int16(0);
  writer.write_int32(1);
  writer.write_int16(-1);
  HandlerOutcome outcome = call(writer.take());
  EXPECT_TRUE(outcome.close_connection);
  EXPECT_FALSE(outcome.response.has_value());
}

TEST_F(RequestDispatcherTest, AVersionOutsideTheServedRangeClosesTheConnection) {
  create_topic("orders", 1);
  ProduceRequest request;
  request.acks = 1;
  HandlerOutcome outcome = call(frame_of(request, 2, 1));  // Produce v2: old message format.
  EXPECT_TRUE(outcome.close_connection);
}

TEST_F(RequestDispatcherTest, ATruncatedProduceClosesTheConnectionAndWritesNothing) {
  create_topic("orders", 1);
  ProduceRequest request;
  request.acks = 1;
  ProduceRequest::TopicProduceData topic_data;
  topic_data.name = "orders";
  ProduceRequest::TopicProduceData::PartitionProduceData partition_data;
  partition_data.index = 0;
  const Bytes batch = batch_of({"a", "b"});
  partition_data.records = batch.view();
  topic_data.partition_data.push_back(partition_data);
  request.topic_data.push_back(topic_data);
  const Bytes frame = frame_of(request, 7, 1);
  for (size_t cut = 8; cut < frame.size(); cut += 7) {
    HandlerOutcome outcome = call(Bytes(frame.view().subview(0, cut)));
    EXPECT_TRUE(outcome.close_connection) << "cut at " << cut;
  }
  EXPECT_EQ(logs_->log("orders", 0)->log_end_offset(), 0);
}

TEST_F(RequestDispatcherTest, ProducedBatchesAreFetchedBackWholeWithOffsetsAssigned) {
  create_topic("orders", 1);
  auto first = produce("orders", 0, batch_of({"a", "b", "c"}));
  auto second = produce("orders", 0, batch_of({"d"}));
  ASSERT_EQ(first.responses.at(0).partition_responses.at(0).error_code, code(ErrorCode::kNone));
  EXPECT_EQ(first.responses[0].partition_responses[0].base_offset, 0);
  EXPECT_EQ(second.responses.at(0).partition_responses.at(0).base_offset, 3);

  auto fetched = roundtrip<FetchResponse>(fetch_request("orders", 0, 0, 0, 1), 11);
  const auto& partition = fetched.responses.at(0).partitions.at(0);
  EXPECT_EQ(partition.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(partition.high_watermark, 4);
  EXPECT_EQ(partition.last_stable_offset, 4);
  EXPECT_EQ(partition.log_start_offset, 0);
  ASSERT_TRUE(partition.records.has_value());
  // Both batches, byte-for-byte as produced except the base offset (first 8 bytes).
  const Bytes expected_second = batch_of({"d"});
  EXPECT_EQ(partition.records->size(), batch_of({"a", "b", "c"}).size() + expected_second.size());
}

TEST_F(RequestDispatcherTest, FetchAtTheHighWatermarkIsEmptyAndPastItIsOutOfRange) {
  create_topic("orders", 1);
  produce("orders", 0, batch_of({"a", "b"}));
  auto at_end = roundtrip<FetchResponse>(fetch_request("orders", 0, 2, 0, 1), 11);
  EXPECT_EQ(at_end.responses.at(0).partitions.at(0).error_code, code(ErrorCode::kNone));
  EXPECT_EQ(at_end.responses[0].partitions[0].records.value_or(BytesView()).size(), 0u);

  auto past_end = roundtrip<FetchResponse>(fetch_request("orders", 0, 3, 0, 1), 11);
  EXPECT_EQ(past_end.responses.at(0).partitions.at(0).error_code,
            code(ErrorCode::kOffsetOutOfRange));
  EXPECT_EQ(past_end.responses[0].partitions[0].high_watermark, 2);
}

TEST_F(RequestDispatcherTest, AWaitingFetchIsAnsweredByTheNextProduce) {
  create_topic("orders", 1);
  // max_wait of an hour: only the append can answer this fetch before the test times out.
  std::promise<HandlerOutcome> fetched;
  RequestContext request_context{
      .connection_id = 2, .peer = "127.0.0.1:2", .executor = io_.get_executor()};
  const Bytes frame = frame_of(fetch_request("orders", 0, 0, 3'600'000, 1), 11, 5);
  dispatcher_->handle(request_context, frame.view(), [&fetched](HandlerOutcome outcome) {
    fetched.set_value(std::move(outcome));
  });
  produce("orders", 0, batch_of({"wake up"}));
  HandlerOutcome outcome = fetched.get_future().get();
  ASSERT_TRUE(outcome.response.has_value());
  WireReader reader(outcome.response->view());
  int32_t correlation_id = 0;
  ASSERT_TRUE(reader.read_int32(correlation_id).ok());
  FetchResponse response;
  ASSERT_TRUE(response.decode(reader, 11).ok());
  EXPECT_EQ(response.responses.at(0).partitions.at(0).high_watermark, 1);
  EXPECT_GT(response.responses[0].partitions[0].records.value_or(BytesView()).size(), 0u);
}

TEST_F(RequestDispatcherTest, AWaitingFetchAnswersEmptyWhenItsMaxWaitPasses) {
  create_topic("orders", 1);
  auto response = roundtrip<FetchResponse>(fetch_request("orders", 0, 0, 20, 1), 11);
  EXPECT_EQ(response.responses.at(0).partitions.at(0).error_code, code(ErrorCode::kNone));
  EXPECT_EQ(response.responses[0].partitions[0].records.value_or(BytesView()).size(), 0u);
}

TEST_F(RequestDispatcherTest, ProduceWithAcksZeroSendsNoResponseButAppends) {
  create_topic("orders", 1);
  ProduceRequest request;
  request.acks = 0;
  ProduceRequest::TopicProduceData topic_data;
  topic_data.name = "orders";
  ProduceRequest::TopicProduceData::PartitionProduceData partition_data;
  partition_data.index = 0;
  const Bytes batch = batch_of({"fire", "and", "forget"});
  partition_data.records = batch.view();
  topic_data.partition_data.push_back(partition_data);
  request.topic_data.push_back(topic_data);
  HandlerOutcome outcome = call(frame_of(request, 7, 1));
  EXPECT_FALSE(outcome.response.has_value());
  EXPECT_FALSE(outcome.close_connection);
  EXPECT_EQ(logs_->log("orders", 0)->log_end_offset(), 3);
}

TEST_F(RequestDispatcherTest, ProduceToAnUnknownTopicIsRefusedWithoutCreatingIt) {
  auto response = produce("nowhere", 0, batch_of({"x"}));
  EXPECT_EQ(response.responses.at(0).partition_responses.at(0).error_code,
            code(ErrorCode::kUnknownTopicOrPartition));
  EXPECT_FALSE(logs_->describe_topic("nowhere").has_value());
}

TEST_F(RequestDispatcherTest, ACorruptBatchGetsCorruptMessageAndWritesNothing) {
  create_topic("orders", 1);
  Bytes batch = batch_of({"a"});
  batch.data()[batch.size() - 1] ^= 0xff;  // Inside the CRC-covered bytes.
  auto response = produce("orders", 0, batch);
  EXPECT_EQ(response.responses.at(0).partition_responses.at(0).error_code,
            code(ErrorCode::kCorruptMessage));
  EXPECT_EQ(logs_->log("orders", 0)->log_end_offset(), 0);
}

TEST_F(RequestDispatcherTest, MetadataAutoCreatesARequestedTopicWithTheDefaultPartitions) {
  MetadataRequest request;
  MetadataRequest::MetadataRequestTopic topic;
  topic.name = "created-on-demand";
  request.topics = std::vector{topic};
  request.allow_auto_topic_creation = true;
  auto response = roundtrip<MetadataResponse>(request, 4);
  ASSERT_EQ(response.topics.size(), 1u);
  EXPECT_EQ(response.topics[0].error_code, code(ErrorCode::kNone));
  EXPECT_EQ(response.topics[0].partitions.size(), 2u);
  EXPECT_EQ(response.controller_id, 0);
  ASSERT_EQ(response.brokers.size(), 1u);
  EXPECT_EQ(response.brokers[0].port, 9092);
}

TEST_F(RequestDispatcherTest, MetadataDoesNotCreateWhenTheClientForbidsIt) {
  MetadataRequest request;
  MetadataRequest::MetadataRequestTopic topic;
  topic.name = "not-wanted";
  request.topics = std::vector{topic};
  request.allow_auto_topic_creation = false;
  auto response = roundtrip<MetadataResponse>(request, 4);
  EXPECT_EQ(response.topics.at(0).error_code, code(ErrorCode::kUnknownTopicOrPartition));
  EXPECT_FALSE(logs_->describe_topic("not-wanted").has_value());
}

TEST_F(RequestDispatcherTest, MetadataV5AndV6AnswerWithNoOfflineReplicas) {
  // Sarama with Version=2.1+ sends these without negotiating.
  create_topic("orders", 2);
  MetadataRequest request;
  request.topics = std::vector<MetadataRequest::MetadataRequestTopic>{{.name = "orders"}};
  for (int16_t version : {5, 6}) {
    const MetadataResponse response = roundtrip<MetadataResponse>(request, version);
    ASSERT_EQ(response.topics.size(), 1u);
    ASSERT_EQ(response.topics[0].partitions.size(), 2u);
    for (const auto& partition : response.topics[0].partitions) {
      EXPECT_EQ(partition.leader_id, 0);
      EXPECT_EQ(partition.isr_nodes, std::vector<int32_t>{0});
      EXPECT_TRUE(partition.offline_replicas.empty());
    }
    EXPECT_EQ(response.cluster_id, "test");
  }
}

TEST_F(RequestDispatcherTest, MetadataWithANullTopicListDescribesEveryTopicAndEmptyNone) {
  create_topic("a", 1);
  create_topic("b", 3);
  MetadataRequest all;
  all.topics = std::nullopt;
  // The user's two topics and the broker's internal __consumer_offsets and
  // __transaction_state, flagged internal (as Kafka lists them; clients filter internal topics
  // themselves).
  const MetadataResponse every = roundtrip<MetadataResponse>(all, 1);
  ASSERT_EQ(every.topics.size(), 4u);
  std::vector<std::string> internal;
  for (const auto& topic : every.topics) {
    if (topic.is_internal) internal.push_back(topic.name.value_or(""));
  }
  EXPECT_EQ(internal, (std::vector<std::string>{"__consumer_offsets", "__transaction_state"}));
  MetadataRequest none;
  none.topics = std::vector<MetadataRequest::MetadataRequestTopic>{};
  EXPECT_EQ(roundtrip<MetadataResponse>(none, 1).topics.size(), 0u);
}

TEST_F(RequestDispatcherTest, CreateTopicsChecksEachTopicOnItsOwn) {
  CreateTopicsRequest request;
  auto topic = [](std::string name, int32_t partitions, int16_t replication) {
    CreateTopicsRequest::CreatableTopic t;
    t.name = std::move(name);
    t.num_partitions = partitions;
    t.replication_factor = replication;
    return t;
  };
  request.topics.push_back(topic("good", 3, 1));
  request.topics.push_back(topic("bad name!", 1, 1));
  request.topics.push_back(topic("no-partitions", 0, 1));
  request.topics.push_back(topic("replicated", 1, 3));
  auto bad_config = topic("bad-config", 1, 1);
  CreateTopicsRequest::CreatableTopic::CreatableTopicConfig config;
  config.name = "cleanup.policy";
  config.value = "shred";
  bad_config.configs.push_back(config);
  request.topics.push_back(bad_config);
  auto response = roundtrip<CreateTopicsResponse>(request, 4);
  ASSERT_EQ(response.topics.size(), 5u);
  EXPECT_EQ(response.topics[0].error_code, code(ErrorCode::kNone));
  EXPECT_EQ(response.topics[1].error_code, code(ErrorCode::kInvalidTopicException));
  EXPECT_EQ(response.topics[2].error_code, code(ErrorCode::kInvalidPartitions));
  EXPECT_EQ(response.topics[3].error_code, code(ErrorCode::kInvalidReplicationFactor));
  EXPECT_EQ(response.topics[4].error_code, code(ErrorCode::kInvalidConfig));
  EXPECT_EQ(logs_->describe_topic("good")->partitions, 3);
  EXPECT_FALSE(logs_->describe_topic("bad-config").has_value());

  auto again = roundtrip<CreateTopicsResponse>(request, 4);
  EXPECT_EQ(again.topics.at(0).error_code, code(ErrorCode::kTopicAlreadyExists));
}

TEST_F(RequestDispatcherTest, CreateTopicsValidateOnlyCreatesNothing) {
  CreateTopicsRequest request;
  CreateTopicsRequest::CreatableTopic topic;
  topic.name = "dry-run";
  topic.num_partitions = 2;
  topic.replication_factor = 1;
  request.topics.push_back(topic);
  request.validate_only = true;
  auto response = roundtrip<CreateTopicsResponse>(request, 4);
  EXPECT_EQ(response.topics.at(0).error_code, code(ErrorCode::kNone));
  EXPECT_FALSE(logs_->describe_topic("dry-run").has_value());
}

TEST_F(RequestDispatcherTest, ListOffsetsGivesEarliestLatestAndByTimestamp) {
  create_topic("orders", 1);
  produce("orders", 0, batch_of({"a", "b"}, 1000));
  produce("orders", 0, batch_of({"c"}, 5000));
  ListOffsetsRequest request;
  request.replica_id = -1;
  ListOffsetsRequest::ListOffsetsTopic topic;
  topic.name = "orders";
  for (int64_t timestamp : {-2L, -1L, 3000L, 9000L}) {
    ListOffsetsRequest::ListOffsetsTopic::ListOffsetsPartition partition;
    partition.partition_index = 0;
    partition.timestamp = timestamp;
    topic.partitions.push_back(partition);
  }
  request.topics.push_back(topic);
  auto response = roundtrip<ListOffsetsResponse>(request, 2);
  const auto& partitions = response.topics.at(0).partitions;
  ASSERT_EQ(partitions.size(), 4u);
  EXPECT_EQ(partitions[0].offset, 0);
  EXPECT_EQ(partitions[1].offset, 3);
  EXPECT_EQ(partitions[2].offset, 2);
  EXPECT_EQ(partitions[2].timestamp, 5000);
  EXPECT_EQ(partitions[3].offset, -1);
}

TEST_F(RequestDispatcherTest, DescribeConfigsTellsTopicOverridesFromDefaults) {
  ASSERT_TRUE(logs_->create_topic("tuned", 1, {{"retention.ms", "1000"}}, false).ok());
  DescribeConfigsRequest request;
  DescribeConfigsRequest::DescribeConfigsResource resource;
  resource.resource_type = 2;
  resource.resource_name = "tuned";
  resource.configuration_keys = std::vector<std::string>{"retention.ms", "segment.bytes"};
  request.resources.push_back(resource);
  auto response = roundtrip<DescribeConfigsResponse>(request, 1);
  const auto& configs = response.results.at(0).configs;
  ASSERT_EQ(configs.size(), 2u);
  for (const auto& config : configs) {
    if (config.name == "retention.ms") {
      EXPECT_EQ(config.value, "1000");
      EXPECT_EQ(config.config_source, 1);  // TOPIC_CONFIG
    } else {
      EXPECT_EQ(config.name, "segment.bytes");
      EXPECT_EQ(config.config_source, 5);  // DEFAULT_CONFIG
    }
  }
}

TEST_F(RequestDispatcherTest, GroupApisAreServedFromVersionZeroAsLibrdkafkaRequires) {
  // librdkafka 2.0.2 enables its group consumer only when these ranges overlap its own.
  for (auto [api, low, high] :
       {std::tuple{ApiKey::kFindCoordinator, 0, 0}, std::tuple{ApiKey::kJoinGroup, 0, 5},
        std::tuple{ApiKey::kSyncGroup, 0, 0}, std::tuple{ApiKey::kHeartbeat, 0, 0},
        std::tuple{ApiKey::kLeaveGroup, 0, 0}, std::tuple{ApiKey::kOffsetCommit, 1, 2},
        std::tuple{ApiKey::kOffsetFetch, 1, 1}}) {
    auto range = supported_range(static_cast<int16_t>(api));
    ASSERT_TRUE(range.has_value()) << api_name(static_cast<int16_t>(api));
    EXPECT_LE(range->min_version, low);
    EXPECT_GE(range->max_version, high);
  }
}

TEST_F(RequestDispatcherTest, ClientsCannotProduceToTheCommittedOffsetsTopic) {
  auto response = produce("__consumer_offsets", 0, batch_of({"forged commit"}));
  EXPECT_EQ(response.responses.at(0).partition_responses.at(0).error_code,
            code(ErrorCode::kInvalidTopicException));
  EXPECT_EQ(logs_->log("__consumer_offsets", 0)->log_end_offset(), 0);
}

TEST_F(RequestDispatcherTest, InitProducerIdGivesEachIdempotentProducerANewId) {
  InitProducerIdRequest request;
  request.transaction_timeout_ms = 60000;
  auto first = roundtrip<InitProducerIdResponse>(request, 0);
  auto second = roundtrip<InitProducerIdResponse>(request, 1);
  EXPECT_EQ(first.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(second.error_code, code(ErrorCode::kNone));
  EXPECT_GE(first.producer_id, 0);
  EXPECT_NE(first.producer_id, second.producer_id);
  EXPECT_EQ(first.producer_epoch, 0);
}

TEST_F(RequestDispatcherTest, ClientsCannotProduceToTheTransactionStateTopic) {
  auto response = produce("__transaction_state", 0, batch_of({"forged state"}));
  EXPECT_EQ(response.responses.at(0).partition_responses.at(0).error_code,
            code(ErrorCode::kInvalidTopicException));
  EXPECT_EQ(logs_->log("__transaction_state", 0)->log_end_offset(), 0);
}

TEST_F(RequestDispatcherTest, InitProducerIdWithATransactionalIdBumpsTheEpochEachTime) {
  InitProducerIdRequest request;
  request.transactional_id = "txn";
  request.transaction_timeout_ms = 60000;
  auto first = roundtrip<InitProducerIdResponse>(request, 4);
  auto second = roundtrip<InitProducerIdResponse>(request, 1);
  EXPECT_EQ(first.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(second.producer_id, first.producer_id);
  EXPECT_EQ(second.producer_epoch, first.producer_epoch + 1);
  request.transaction_timeout_ms = 900001;
  EXPECT_EQ(roundtrip<InitProducerIdResponse>(request, 4).error_code,
            code(ErrorCode::kInvalidTransactionTimeout));
}

TEST_F(RequestDispatcherTest, AFencedProducerHearsProducerFencedOnlyFromVersionsThatKnowIt) {
  InitProducerIdRequest init;
  init.transactional_id = "txn";
  init.transaction_timeout_ms = 60000;
  auto old = roundtrip<InitProducerIdResponse>(init, 4);
  // Two newer instances: the old epoch is not even the one just replaced (which a retried
  // InitProducerId of the previous instance may name, KIP-360).
  roundtrip<InitProducerIdResponse>(init, 4);
  roundtrip<InitProducerIdResponse>(init, 4);
  init.producer_id = old.producer_id;
  init.producer_epoch = old.producer_epoch;
  EXPECT_EQ(roundtrip<InitProducerIdResponse>(init, 4).error_code,
            code(ErrorCode::kProducerFenced));
  EXPECT_EQ(roundtrip<InitProducerIdResponse>(init, 3).error_code,
            code(ErrorCode::kInvalidProducerEpoch));
  EndTxnRequest end;
  end.transactional_id = "txn";
  end.producer_id = old.producer_id;
  end.producer_epoch = old.producer_epoch;
  end.committed = true;
  EXPECT_EQ(roundtrip<EndTxnResponse>(end, 3).error_code, code(ErrorCode::kProducerFenced));
  EXPECT_EQ(roundtrip<EndTxnResponse>(end, 1).error_code, code(ErrorCode::kInvalidProducerEpoch));
}

TEST_F(RequestDispatcherTest, AddPartitionsToTxnRefusesUnknownPartitionsAndAttemptsNoneOfTheRest) {
  ASSERT_TRUE(logs_->create_topic("t", 1, {}, false).ok());
  InitProducerIdRequest init;
  init.transactional_id = "txn";
  init.transaction_timeout_ms = 60000;
  auto producer = roundtrip<InitProducerIdResponse>(init, 4);
  AddPartitionsToTxnRequest request;
  request.v3_and_below_transactional_id = "txn";
  request.v3_and_below_producer_id = producer.producer_id;
  request.v3_and_below_producer_epoch = producer.producer_epoch;
  request.v3_and_below_topics.push_back({.name = "t", .partitions = {0}});
  request.v3_and_below_topics.push_back({.name = "missing", .partitions = {0}});
  auto refused = roundtrip<AddPartitionsToTxnResponse>(request, 3);
  ASSERT_EQ(refused.results_by_topic_v3_and_below.size(), 2u);
  EXPECT_EQ(
      refused.results_by_topic_v3_and_below[0].results_by_partition.at(0).partition_error_code,
      code(ErrorCode::kOperationNotAttempted));
  EXPECT_EQ(
      refused.results_by_topic_v3_and_below[1].results_by_partition.at(0).partition_error_code,
      code(ErrorCode::kUnknownTopicOrPartition));
  // The coordinators' own topics cannot join a transaction: clients may not write there.
  request.v3_and_below_topics.back() = {.name = "__transaction_state", .partitions = {0}};
  auto internal = roundtrip<AddPartitionsToTxnResponse>(request, 3);
  EXPECT_EQ(
      internal.results_by_topic_v3_and_below.at(1).results_by_partition.at(0).partition_error_code,
      code(ErrorCode::kInvalidTopicException));
  request.v3_and_below_topics.pop_back();
  auto added = roundtrip<AddPartitionsToTxnResponse>(request, 0);
  EXPECT_EQ(
      added.results_by_topic_v3_and_below.at(0).results_by_partition.at(0).partition_error_code,
      code(ErrorCode::kNone));
}

TEST_F(RequestDispatcherTest, ATransactionsOffsetsAreFetchedOnlyAfterItCommits) {
  InitProducerIdRequest init;
  init.transactional_id = "txn";
  init.transaction_timeout_ms = 60000;
  auto producer = roundtrip<InitProducerIdResponse>(init, 4);
  AddOffsetsToTxnRequest add;
  add.transactional_id = "txn";
  add.producer_id = producer.producer_id;
  add.producer_epoch = producer.producer_epoch;
  add.group_id = "g";
  ASSERT_EQ(roundtrip<AddOffsetsToTxnResponse>(add, 3).error_code, code(ErrorCode::kNone));
  TxnOffsetCommitRequest commit;
  commit.transactional_id = "txn";
  commit.group_id = "g";
  commit.producer_id = producer.producer_id;
  commit.producer_epoch = producer.producer_epoch;
  commit.topics.push_back({.name = "t",
                           .partitions = {{.partition_index = 0,
                                           .committed_offset = 17,
                                           .committed_leader_epoch = -1,
                                           .committed_metadata = "m"}}});
  auto committed = roundtrip<TxnOffsetCommitResponse>(commit, 3);
  EXPECT_EQ(committed.topics.at(0).partitions.at(0).error_code, code(ErrorCode::kNone));
  EXPECT_FALSE(offsets_->fetch("g", {"t", 0}).has_value());
  // KIP-447: a member id the group does not know is refused.
  commit.generation_id = 1;
  commit.member_id = "stranger";
  EXPECT_EQ(roundtrip<TxnOffsetCommitResponse>(commit, 3).topics.at(0).partitions.at(0).error_code,
            code(ErrorCode::kUnknownMemberId));
  EndTxnRequest end;
  end.transactional_id = "txn";
  end.producer_id = producer.producer_id;
  end.producer_epoch = producer.producer_epoch;
  end.committed = true;
  ASSERT_EQ(roundtrip<EndTxnResponse>(end, 3).error_code, code(ErrorCode::kNone));
  ASSERT_TRUE(offsets_->fetch("g", {"t", 0}).has_value());
  EXPECT_EQ(offsets_->fetch("g", {"t", 0})->offset, 17);
}

TEST_F(RequestDispatcherTest, DescribeAndListTransactionsShowStatesAndPartitions) {
  ASSERT_TRUE(logs_->create_topic("t", 2, {}, false).ok());
  InitProducerIdRequest init;
  init.transactional_id = "txn";
  init.transaction_timeout_ms = 60000;
  auto producer = roundtrip<InitProducerIdResponse>(init, 4);
  AddPartitionsToTxnRequest add;
  add.v3_and_below_transactional_id = "txn";
  add.v3_and_below_producer_id = producer.producer_id;
  add.v3_and_below_producer_epoch = producer.producer_epoch;
  add.v3_and_below_topics.push_back({.name = "t", .partitions = {1, 0}});
  roundtrip<AddPartitionsToTxnResponse>(add, 3);

  DescribeTransactionsRequest describe;
  describe.transactional_ids = {"txn", "unknown"};
  auto described = roundtrip<DescribeTransactionsResponse>(describe, 0);
  ASSERT_EQ(described.transaction_states.size(), 2u);
  const auto& state = described.transaction_states[0];
  EXPECT_EQ(state.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(state.transaction_state, "Ongoing");
  EXPECT_EQ(state.producer_id, producer.producer_id);
  EXPECT_EQ(state.transaction_timeout_ms, 60000);
  ASSERT_EQ(state.topics.size(), 1u);
  EXPECT_EQ(state.topics[0].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(described.transaction_states[1].error_code, code(ErrorCode::kTransactionalIdNotFound));

  ListTransactionsRequest list;
  list.state_filters = {"Ongoing", "Bogus"};
  auto listed = roundtrip<ListTransactionsResponse>(list, 0);
  ASSERT_EQ(listed.transaction_states.size(), 1u);
  EXPECT_EQ(listed.transaction_states[0].transactional_id, "txn");
  EXPECT_EQ(listed.unknown_state_filters, (std::vector<std::string>{"Bogus"}));
  list.state_filters = {"Empty"};
  EXPECT_TRUE(roundtrip<ListTransactionsResponse>(list, 0).transaction_states.empty());
  list.state_filters = {};
  list.producer_id_filters = {producer.producer_id + 1};
  EXPECT_TRUE(roundtrip<ListTransactionsResponse>(list, 0).transaction_states.empty());
}

TEST_F(RequestDispatcherTest, FindCoordinatorNamesThisBroker) {
  FindCoordinatorRequest request;
  request.key = "any-group";
  for (int16_t version : {0, 2}) {
    auto response = roundtrip<FindCoordinatorResponse>(request, version);
    EXPECT_EQ(response.error_code, code(ErrorCode::kNone));
    EXPECT_EQ(response.node_id, 0);
    EXPECT_EQ(response.host, "127.0.0.1");
    EXPECT_EQ(response.port, 9092);
  }
  request.key_type = 1;  // a transactional id
  auto transaction = roundtrip<FindCoordinatorResponse>(request, 2);
  EXPECT_EQ(transaction.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(transaction.node_id, 0);
  request.key_type = 7;
  EXPECT_EQ(roundtrip<FindCoordinatorResponse>(request, 2).error_code,
            code(ErrorCode::kInvalidRequest));
}

JoinGroupRequest join_request(std::string member_id) {
  JoinGroupRequest request;
  request.group_id = "g";
  request.session_timeout_ms = 10000;
  request.rebalance_timeout_ms = 30000;
  request.member_id = std::move(member_id);
  request.protocol_type = "consumer";
  JoinGroupRequest::JoinGroupRequestProtocol protocol;
  protocol.name = "range";
  protocol.metadata = Bytes::from_string("subscription");
  request.protocols.push_back(protocol);
  return request;
}

TEST_F(RequestDispatcherTest, AJoinGroupIsAnsweredWhenTheRebalanceCompletesWithoutHoldingAThread) {
  auto first = roundtrip<JoinGroupResponse>(join_request(""), 5);
  EXPECT_EQ(first.error_code, code(ErrorCode::kMemberIdRequired));
  ASSERT_FALSE(first.member_id.empty());

  // The join waits for the new group's initial delay; handle() has returned meanwhile.
  std::future<HandlerOutcome> join = start_call(frame_of(join_request(first.member_id), 5, 7));
  EXPECT_EQ(join.wait_for(0s), std::future_status::timeout);
  clock_.advance_ms(groups_->options().initial_rebalance_delay_ms);
  groups_->tick();
  ASSERT_EQ(join.wait_for(10s), std::future_status::ready);
  auto joined = decode_outcome<JoinGroupResponse>(join.get(), JoinGroupRequest::kApiKey, 5);
  EXPECT_EQ(joined.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(joined.generation_id, 1);
  EXPECT_EQ(joined.leader, first.member_id);
  EXPECT_EQ(joined.protocol_name, "range");
  ASSERT_EQ(joined.members.size(), 1u);
  EXPECT_EQ(joined.members[0].metadata, Bytes::from_string("subscription"));

  SyncGroupRequest sync;
  sync.group_id = "g";
  sync.generation_id = 1;
  sync.member_id = first.member_id;
  SyncGroupRequest::SyncGroupRequestAssignment assignment;
  assignment.member_id = first.member_id;
  assignment.assignment = Bytes::from_string("partitions");
  sync.assignments.push_back(assignment);
  auto synced = roundtrip<SyncGroupResponse>(sync, 3);
  EXPECT_EQ(synced.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(synced.assignment, Bytes::from_string("partitions"));

  HeartbeatRequest heartbeat;
  heartbeat.group_id = "g";
  heartbeat.generation_id = 1;
  heartbeat.member_id = first.member_id;
  EXPECT_EQ(roundtrip<HeartbeatResponse>(heartbeat, 1).error_code, code(ErrorCode::kNone));
  heartbeat.generation_id = 0;
  EXPECT_EQ(roundtrip<HeartbeatResponse>(heartbeat, 1).error_code,
            code(ErrorCode::kIllegalGeneration));

  DescribeGroupsRequest describe;
  describe.groups = {"g", "unknown"};
  auto described = roundtrip<DescribeGroupsResponse>(describe, 4);
  ASSERT_EQ(described.groups.size(), 2u);
  EXPECT_EQ(described.groups[0].group_state, "Stable");
  EXPECT_EQ(described.groups[0].protocol_data, "range");
  ASSERT_EQ(described.groups[0].members.size(), 1u);
  EXPECT_EQ(described.groups[0].members[0].client_id, "dispatcher-test");
  EXPECT_EQ(described.groups[0].members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(described.groups[0].members[0].member_assignment, Bytes::from_string("partitions"));
  EXPECT_EQ(described.groups[1].group_state, "Dead");

  auto listed = roundtrip<ListGroupsResponse>(ListGroupsRequest{}, 2);
  ASSERT_EQ(listed.groups.size(), 1u);
  EXPECT_EQ(listed.groups[0].group_id, "g");
  EXPECT_EQ(listed.groups[0].protocol_type, "consumer");

  DeleteGroupsRequest remove;
  remove.groups_names = {"g"};
  EXPECT_EQ(roundtrip<DeleteGroupsResponse>(remove, 1).results.at(0).error_code,
            code(ErrorCode::kNonEmptyGroup));
  LeaveGroupRequest leave;
  leave.group_id = "g";
  leave.member_id = first.member_id;
  EXPECT_EQ(roundtrip<LeaveGroupResponse>(leave, 1).error_code, code(ErrorCode::kNone));
  EXPECT_EQ(roundtrip<DeleteGroupsResponse>(remove, 1).results.at(0).error_code,
            code(ErrorCode::kNone));
}

OffsetCommitRequest commit_request(int32_t generation, std::string member, int64_t offset) {
  OffsetCommitRequest request;
  request.group_id = "offsets";
  request.generation_id_or_member_epoch = generation;
  request.member_id = std::move(member);
  OffsetCommitRequest::OffsetCommitRequestTopic topic;
  topic.name = "t";
  OffsetCommitRequest::OffsetCommitRequestTopic::OffsetCommitRequestPartition partition;
  partition.partition_index = 1;
  partition.committed_offset = offset;
  partition.committed_metadata = "checkpoint";
  topic.partitions.push_back(partition);
  request.topics.push_back(topic);
  return request;
}

TEST_F(RequestDispatcherTest, CommittedOffsetsAndMetadataAreFetchedBack) {
  create_topic("t", 2);  // commits to partitions that do not exist are refused
  // kafka-python commits at v2 and fetches at v1; librdkafka goes up to v7 and v5.
  for (int16_t version : {0, 2, 7}) {
    auto committed = roundtrip<OffsetCommitResponse>(commit_request(-1, "", 40 + version), version);
    ASSERT_EQ(committed.topics.size(), 1u);
    EXPECT_EQ(committed.topics[0].partitions.at(0).error_code, code(ErrorCode::kNone));
  }
  OffsetFetchRequest fetch;
  fetch.group_id = "offsets";
  OffsetFetchRequest::OffsetFetchRequestTopic topic;
  topic.name = "t";
  topic.partition_indexes = {0, 1};
  fetch.topics = std::vector{topic};
  for (int16_t version : {1, 5}) {
    auto fetched = roundtrip<OffsetFetchResponse>(fetch, version);
    ASSERT_EQ(fetched.topics.size(), 1u);
    ASSERT_EQ(fetched.topics[0].partitions.size(), 2u);
    // Nothing committed: -1 and no error.
    EXPECT_EQ(fetched.topics[0].partitions[0].committed_offset, -1);
    EXPECT_EQ(fetched.topics[0].partitions[0].error_code, code(ErrorCode::kNone));
    EXPECT_EQ(fetched.topics[0].partitions[1].committed_offset, 47);
    EXPECT_EQ(fetched.topics[0].partitions[1].metadata, "checkpoint");
  }
  // v2+: a null topic list asks for everything the group committed.
  fetch.topics = std::nullopt;
  auto every = roundtrip<OffsetFetchResponse>(fetch, 5);
  ASSERT_EQ(every.topics.size(), 1u);
  ASSERT_EQ(every.topics[0].partitions.size(), 1u);
  EXPECT_EQ(every.topics[0].partitions[0].partition_index, 1);

  // A member's commit for a group the coordinator has no generation of.
  auto stale = roundtrip<OffsetCommitResponse>(commit_request(3, "member", 50), 2);
  EXPECT_EQ(stale.topics[0].partitions[0].error_code, code(ErrorCode::kIllegalGeneration));

  OffsetDeleteRequest remove;
  remove.group_id = "offsets";
  OffsetDeleteRequest::OffsetDeleteRequestTopic remove_topic;
  remove_topic.name = "t";
  remove_topic.partitions.push_back({.partition_index = 1});
  remove.topics.push_back(remove_topic);
  auto removed = roundtrip<OffsetDeleteResponse>(remove, 0);
  EXPECT_EQ(removed.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(removed.topics.at(0).partitions.at(0).error_code, code(ErrorCode::kNone));
  fetch.topics = std::vector{topic};
  EXPECT_EQ(roundtrip<OffsetFetchResponse>(fetch, 1).topics[0].partitions[1].committed_offset, -1);
}

// ---- Client-facing bugs of issue #16 ----

TEST_F(RequestDispatcherTest, APartitionInErrorCarriesAnEmptyRecordSetNeverANullOne) {
  // librdkafka refuses a whole Fetch response in which one partition's records are null
  // ("Protocol parse failure for Fetch v11"); Kafka sends an empty record set.
  create_topic("orders", 1);
  produce("orders", 0, batch_of({"a"}));
  FetchRequest request = fetch_request("orders", 0, 5, 0, 1);  // past the end
  FetchRequest::FetchTopic deleted = request.topics.at(0);
  deleted.topic = "deleted";
  request.topics.push_back(deleted);
  auto fetched = roundtrip<FetchResponse>(request, 11);
  ASSERT_EQ(fetched.responses.size(), 2u);
  EXPECT_EQ(fetched.responses[0].partitions.at(0).error_code, code(ErrorCode::kOffsetOutOfRange));
  EXPECT_EQ(fetched.responses[1].partitions.at(0).error_code,
            code(ErrorCode::kUnknownTopicOrPartition));
  for (const auto& topic : fetched.responses) {
    for (const auto& partition : topic.partitions) {
      ASSERT_TRUE(partition.records.has_value()) << topic.topic;
      EXPECT_EQ(partition.records->size(), 0u);
    }
  }
}

TEST_F(RequestDispatcherTest, FetchStaysWithinItsMaxBytesExceptForTheFirstBatch) {
  create_topic("big", 3);
  const Bytes batch = batch_of({std::string(1000, 'x')});
  for (int32_t partition = 0; partition < 3; ++partition) {
    for (int i = 0; i < 4; ++i) produce("big", partition, batch);
  }
  FetchRequest request = fetch_request("big", 0, 0, 0, 1);
  for (int32_t partition = 1; partition < 3; ++partition) {
    FetchRequest::FetchTopic::FetchPartition more = request.topics[0].partitions[0];
    more.partition = partition;
    request.topics[0].partitions.push_back(more);
  }
  auto total_bytes = [](const FetchResponse& response) {
    size_t total = 0;
    for (const auto& topic : response.responses) {
      for (const auto& partition : topic.partitions) {
        total += partition.records.value_or(BytesView()).size();
      }
    }
    return total;
  };
  // The partitions' own limits (1 MiB each) are far above the request's: the request's wins.
  request.max_bytes = static_cast<int32_t>(2 * batch.size() + batch.size() / 2);
  auto two_and_a_half = roundtrip<FetchResponse>(request, 11);
  EXPECT_EQ(total_bytes(two_and_a_half), 2 * batch.size());
  EXPECT_EQ(two_and_a_half.responses[0].partitions[0].records->size(), 2 * batch.size());

  // Smaller than one batch: the first batch of the first partition still comes whole
  // (KIP-74), so that the consumer makes progress, and nothing else.
  request.max_bytes = 10;
  auto tiny = roundtrip<FetchResponse>(request, 11);
  EXPECT_EQ(total_bytes(tiny), batch.size());
  EXPECT_EQ(tiny.responses[0].partitions[0].records->size(), batch.size());

  // The first partition has nothing at its offset: the first batch of the next one is the
  // response's first.
  request.topics[0].partitions[0].fetch_offset = 4;
  auto skipped = roundtrip<FetchResponse>(request, 11);
  EXPECT_EQ(total_bytes(skipped), batch.size());
  EXPECT_EQ(skipped.responses[0].partitions[1].records->size(), batch.size());
}

TEST_F(RequestDispatcherTest, OffsetCommitForATopicThatDoesNotExistIsUnknownTopicOrPartition) {
  create_topic("t", 1);
  OffsetCommitRequest request = commit_request(-1, "", 7);  // t-1: no such partition
  OffsetCommitRequest::OffsetCommitRequestTopic missing = request.topics.at(0);
  missing.name = "missing";
  request.topics.push_back(missing);
  OffsetCommitRequest::OffsetCommitRequestTopic existing = request.topics.at(0);
  existing.partitions.at(0).partition_index = 0;
  request.topics.push_back(existing);
  auto committed = roundtrip<OffsetCommitResponse>(request, 7);
  ASSERT_EQ(committed.topics.size(), 3u);
  EXPECT_EQ(committed.topics[0].partitions.at(0).error_code,
            code(ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(committed.topics[1].partitions.at(0).error_code,
            code(ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(committed.topics[2].partitions.at(0).error_code, code(ErrorCode::kNone));

  // Only the existing partition's offset was stored.
  OffsetFetchRequest fetch;
  fetch.group_id = "offsets";
  fetch.topics = std::nullopt;
  auto every = roundtrip<OffsetFetchResponse>(fetch, 5);
  ASSERT_EQ(every.topics.size(), 1u);
  EXPECT_EQ(every.topics[0].name, "t");
  ASSERT_EQ(every.topics[0].partitions.size(), 1u);
  EXPECT_EQ(every.topics[0].partitions[0].partition_index, 0);
  EXPECT_EQ(every.topics[0].partitions[0].committed_offset, 7);
}

TEST_F(RequestDispatcherTest, DeleteRecordsMovesTheLogStartThatFetchAndListOffsetsHonour) {
  create_topic("orders", 2);
  for (int i = 0; i < 3; ++i) produce("orders", 0, batch_of({"a", "b"}));  // offsets 0-5
  DeleteRecordsRequest request;
  request.timeout_ms = 1000;
  request.topics.push_back({.name = "orders",
                            .partitions = {{.partition_index = 0, .offset = 4},
                                           {.partition_index = 1, .offset = 1},
                                           {.partition_index = 2, .offset = 0}}});
  request.topics.push_back(
      {.name = "__consumer_offsets", .partitions = {{.partition_index = 0, .offset = -1}}});
  for (int16_t version : {0, 2}) {
    auto deleted = roundtrip<DeleteRecordsResponse>(request, version);
    ASSERT_EQ(deleted.topics.size(), 2u);
    const auto& partitions = deleted.topics[0].partitions;
    ASSERT_EQ(partitions.size(), 3u);
    EXPECT_EQ(partitions[0].error_code, code(ErrorCode::kNone));
    EXPECT_EQ(partitions[0].low_watermark, 4);
    EXPECT_EQ(partitions[1].error_code, code(ErrorCode::kOffsetOutOfRange));  // past its end
    EXPECT_EQ(partitions[2].error_code, code(ErrorCode::kUnknownTopicOrPartition));
    EXPECT_EQ(deleted.topics[1].partitions.at(0).error_code,
              code(ErrorCode::kInvalidTopicException));
  }
  ListOffsetsRequest earliest;
  earliest.replica_id = -1;
  earliest.topics.push_back(
      {.name = "orders", .partitions = {{.partition_index = 0, .timestamp = -2}}});
  EXPECT_EQ(roundtrip<ListOffsetsResponse>(earliest, 2).topics.at(0).partitions.at(0).offset, 4);
  auto below = roundtrip<FetchResponse>(fetch_request("orders", 0, 3, 0, 1), 11);
  EXPECT_EQ(below.responses.at(0).partitions.at(0).error_code, code(ErrorCode::kOffsetOutOfRange));
  auto from = roundtrip<FetchResponse>(fetch_request("orders", 0, 4, 0, 1), 11);
  EXPECT_EQ(from.responses.at(0).partitions.at(0).log_start_offset, 4);
  EXPECT_EQ(from.responses.at(0).partitions.at(0).records->size(), batch_of({"a", "b"}).size());
}

TEST_F(RequestDispatcherTest, AlteredTopicConfigsAreDescribedAsDynamicAndSurviveEachOther) {
  ASSERT_TRUE(logs_->create_topic("tuned", 1, {{"retention.ms", "1000"}}, false).ok());
  auto describe = [&](const std::string& name) {
    DescribeConfigsRequest request;
    request.resources.push_back({.resource_type = 2,
                                 .resource_name = "tuned",
                                 .configuration_keys = std::vector<std::string>{name}});
    return roundtrip<DescribeConfigsResponse>(request, 1).results.at(0).configs.at(0);
  };
  auto incremental =
      [&](std::vector<IncrementalAlterConfigsRequest::AlterConfigsResource::AlterableConfig>
              configs,
          std::string topic = "tuned", int8_t type = 2) {
        IncrementalAlterConfigsRequest request;
        request.resources.push_back(
            {.resource_type = type, .resource_name = topic, .configs = std::move(configs)});
        return roundtrip<IncrementalAlterConfigsResponse>(request, 1).responses.at(0);
      };
  // SET one, the other override stays.
  auto set = incremental({{.name = "segment.ms", .config_operation = 0, .value = "60000"}});
  EXPECT_EQ(set.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(describe("segment.ms").value, "60000");
  EXPECT_EQ(describe("segment.ms").config_source, 1);  // DYNAMIC_TOPIC_CONFIG
  EXPECT_EQ(describe("retention.ms").value, "1000");
  // DELETE: back to the default.
  EXPECT_EQ(incremental({{.name = "retention.ms", .config_operation = 1, .value = std::nullopt}})
                .error_code,
            code(ErrorCode::kNone));
  EXPECT_EQ(describe("retention.ms").value, "604800000");
  EXPECT_EQ(describe("retention.ms").config_source, 5);  // DEFAULT_CONFIG
  // APPEND to a list.
  EXPECT_EQ(incremental({{.name = "cleanup.policy", .config_operation = 2, .value = "compact"}})
                .error_code,
            code(ErrorCode::kNone));
  EXPECT_EQ(describe("cleanup.policy").value, "delete,compact");
  // Refusals change nothing.
  auto bad = incremental({{.name = "retention.ms", .config_operation = 0, .value = "soon"}});
  EXPECT_EQ(bad.error_code, code(ErrorCode::kInvalidConfig));
  EXPECT_NE(bad.error_message.value_or("").find("retention.ms"), std::string::npos);
  EXPECT_EQ(incremental({{.name = "no.such", .config_operation = 0, .value = "1"}}).error_code,
            code(ErrorCode::kInvalidConfig));
  EXPECT_EQ(incremental({{.name = "segment.ms", .config_operation = 0, .value = "1"},
                         {.name = "segment.ms", .config_operation = 1, .value = std::nullopt}})
                .error_code,
            code(ErrorCode::kInvalidRequest));
  EXPECT_EQ(incremental({{.name = "retention.ms", .config_operation = 0, .value = "1"}}, "nope")
                .error_code,
            code(ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(incremental({{.name = "retention.ms", .config_operation = 0, .value = "1"}}, "0", 4)
                .error_code,
            code(ErrorCode::kInvalidRequest));
  EXPECT_EQ(describe("segment.ms").value, "60000");
  // AlterConfigs replaces every override.
  AlterConfigsRequest replace;
  replace.resources.push_back({.resource_type = 2,
                               .resource_name = "tuned",
                               .configs = {{.name = "retention.bytes", .value = "4096"}}});
  EXPECT_EQ(roundtrip<AlterConfigsResponse>(replace, 1).responses.at(0).error_code,
            code(ErrorCode::kNone));
  EXPECT_EQ(logs_->describe_topic("tuned")->overrides,
            (std::map<std::string, std::string>{{"retention.bytes", "4096"}}));
  EXPECT_EQ(logs_->describe_topic("tuned")->config.retention_bytes, 4096);
}

TEST_F(RequestDispatcherTest, DescribeClusterNamesThisBrokerAsControllerAndOnlyBroker) {
  DescribeClusterRequest request;
  const auto response = roundtrip<DescribeClusterResponse>(request, 0);
  EXPECT_EQ(response.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(response.cluster_id, "test");
  EXPECT_EQ(response.controller_id, 0);
  ASSERT_EQ(response.brokers.size(), 1u);
  EXPECT_EQ(response.brokers[0].broker_id, 0);
  EXPECT_EQ(response.brokers[0].host, "127.0.0.1");
  EXPECT_EQ(response.brokers[0].port, 9092);
  EXPECT_FALSE(response.brokers[0].rack.has_value());
  EXPECT_EQ(response.cluster_authorized_operations, std::numeric_limits<int32_t>::min());
  // Without an authorizer everything is allowed: every cluster operation's bit.
  request.include_cluster_authorized_operations = true;
  const int32_t operations =
      roundtrip<DescribeClusterResponse>(request, 0).cluster_authorized_operations;
  for (AclOperation operation :
       {AclOperation::kCreate, AclOperation::kClusterAction, AclOperation::kDescribeConfigs,
        AclOperation::kAlterConfigs, AclOperation::kIdempotentWrite, AclOperation::kAlter,
        AclOperation::kDescribe}) {
    EXPECT_NE(operations & (1 << static_cast<int>(operation)), 0) << static_cast<int>(operation);
  }
  EXPECT_EQ(operations & (1 << static_cast<int>(AclOperation::kRead)), 0);
}

// ---- Authorization (runneld --authorizer) ----

constexpr const char* kAlice = "User:alice";
constexpr const char* kAdmin = "User:admin";

bool is_authorization_error(int16_t error) {
  return error == code(ErrorCode::kTopicAuthorizationFailed) ||
         error == code(ErrorCode::kGroupAuthorizationFailed) ||
         error == code(ErrorCode::kClusterAuthorizationFailed) ||
         error == code(ErrorCode::kTransactionalIdAuthorizationFailed);
}

TEST_F(RequestDispatcherTest, EveryServedApiIsRefusedToAPrincipalWithoutAcls) {
  enable_authorizer(AuthorizerOptions{.super_users = {kAdmin}});
  create_topic("t", 2);  // commit_request commits to partition 1
  // As the admin: a group with committed offsets and a transactional id, for the listings.
  session_->set_principal(kAdmin);
  ASSERT_EQ(roundtrip<OffsetCommitResponse>(commit_request(-1, "", 5), 2)
                .topics.at(0)
                .partitions.at(0)
                .error_code,
            code(ErrorCode::kNone));
  InitProducerIdRequest txn_init;
  txn_init.transactional_id = "txn";
  txn_init.transaction_timeout_ms = 60000;
  ASSERT_EQ(roundtrip<InitProducerIdResponse>(txn_init, 4).error_code, code(ErrorCode::kNone));
  session_->set_principal(kAlice);

  // For each API: send a request naming a resource alice has no ACL on; true when the broker
  // refused it with an authorization error (or, for listings, left the resource out).
  std::map<int16_t, std::function<bool()>> refused;
  auto key = [](ApiKey api) { return static_cast<int16_t>(api); };
  refused[key(ApiKey::kProduce)] = [&] {
    return is_authorization_error(
        produce("t", 0, batch_of({"x"})).responses.at(0).partition_responses.at(0).error_code);
  };
  refused[key(ApiKey::kFetch)] = [&] {
    return is_authorization_error(roundtrip<FetchResponse>(fetch_request("t", 0, 0, 0, 0), 11)
                                      .responses.at(0)
                                      .partitions.at(0)
                                      .error_code);
  };
  refused[key(ApiKey::kListOffsets)] = [&] {
    ListOffsetsRequest request;
    request.replica_id = -1;
    request.topics.push_back(
        {.name = "t", .partitions = {{.partition_index = 0, .timestamp = -1}}});
    return is_authorization_error(
        roundtrip<ListOffsetsResponse>(request, 2).topics.at(0).partitions.at(0).error_code);
  };
  refused[key(ApiKey::kMetadata)] = [&] {
    MetadataRequest request;
    request.topics.emplace();
    request.topics->push_back({.name = "t"});
    return is_authorization_error(roundtrip<MetadataResponse>(request, 4).topics.at(0).error_code);
  };
  refused[key(ApiKey::kCreateTopics)] = [&] {
    CreateTopicsRequest request;
    request.topics.push_back({.name = "new", .num_partitions = 1, .replication_factor = 1});
    return is_authorization_error(
        roundtrip<CreateTopicsResponse>(request, 4).topics.at(0).error_code);
  };
  refused[key(ApiKey::kDeleteTopics)] = [&] {
    DeleteTopicsRequest request;
    request.topic_names = {"t"};
    return is_authorization_error(
        roundtrip<DeleteTopicsResponse>(request, 3).responses.at(0).error_code);
  };
  refused[key(ApiKey::kDescribeConfigs)] = [&] {
    DescribeConfigsRequest request;
    request.resources.push_back({.resource_type = 2, .resource_name = "t"});
    return is_authorization_error(
        roundtrip<DescribeConfigsResponse>(request, 2).results.at(0).error_code);
  };
  refused[key(ApiKey::kCreatePartitions)] = [&] {
    CreatePartitionsRequest request;
    request.topics.push_back({.name = "t", .count = 3});
    return is_authorization_error(
        roundtrip<CreatePartitionsResponse>(request, 0).results.at(0).error_code);
  };
  refused[key(ApiKey::kOffsetCommit)] = [&] {
    return is_authorization_error(roundtrip<OffsetCommitResponse>(commit_request(-1, "", 9), 2)
                                      .topics.at(0)
                                      .partitions.at(0)
                                      .error_code);
  };
  refused[key(ApiKey::kOffsetFetch)] = [&] {
    OffsetFetchRequest request;
    request.group_id = "offsets";
    return is_authorization_error(roundtrip<OffsetFetchResponse>(request, 5).error_code);
  };
  refused[key(ApiKey::kFindCoordinator)] = [&] {
    FindCoordinatorRequest request;
    request.key = "offsets";
    return is_authorization_error(roundtrip<FindCoordinatorResponse>(request, 2).error_code);
  };
  refused[key(ApiKey::kJoinGroup)] = [&] {
    JoinGroupRequest request;
    request.group_id = "g";
    request.session_timeout_ms = 10000;
    request.rebalance_timeout_ms = 10000;
    request.protocol_type = "consumer";
    return is_authorization_error(roundtrip<JoinGroupResponse>(request, 5).error_code);
  };
  refused[key(ApiKey::kHeartbeat)] = [&] {
    HeartbeatRequest request;
    request.group_id = "g";
    return is_authorization_error(roundtrip<HeartbeatResponse>(request, 3).error_code);
  };
  refused[key(ApiKey::kLeaveGroup)] = [&] {
    LeaveGroupRequest request;
    request.group_id = "g";
    return is_authorization_error(roundtrip<LeaveGroupResponse>(request, 3).error_code);
  };
  refused[key(ApiKey::kSyncGroup)] = [&] {
    SyncGroupRequest request;
    request.group_id = "g";
    return is_authorization_error(roundtrip<SyncGroupResponse>(request, 3).error_code);
  };
  refused[key(ApiKey::kDescribeGroups)] = [&] {
    DescribeGroupsRequest request;
    request.groups = {"offsets"};
    return is_authorization_error(
        roundtrip<DescribeGroupsResponse>(request, 4).groups.at(0).error_code);
  };
  refused[key(ApiKey::kListGroups)] = [&] {
    return roundtrip<ListGroupsResponse>(ListGroupsRequest{}, 2).groups.empty();
  };
  refused[key(ApiKey::kDeleteGroups)] = [&] {
    DeleteGroupsRequest request;
    request.groups_names = {"offsets"};
    return is_authorization_error(
        roundtrip<DeleteGroupsResponse>(request, 1).results.at(0).error_code);
  };
  refused[key(ApiKey::kOffsetDelete)] = [&] {
    OffsetDeleteRequest request;
    request.group_id = "offsets";
    return is_authorization_error(roundtrip<OffsetDeleteResponse>(request, 0).error_code);
  };
  refused[key(ApiKey::kInitProducerId)] = [&] {
    InitProducerIdRequest idempotent;
    InitProducerIdRequest transactional = txn_init;
    return is_authorization_error(roundtrip<InitProducerIdResponse>(idempotent, 4).error_code) &&
           is_authorization_error(roundtrip<InitProducerIdResponse>(transactional, 4).error_code);
  };
  refused[key(ApiKey::kAddPartitionsToTxn)] = [&] {
    AddPartitionsToTxnRequest request;
    request.v3_and_below_transactional_id = "txn";
    request.v3_and_below_topics.push_back({.name = "t", .partitions = {0}});
    return is_authorization_error(roundtrip<AddPartitionsToTxnResponse>(request, 3)
                                      .results_by_topic_v3_and_below.at(0)
                                      .results_by_partition.at(0)
                                      .partition_error_code);
  };
  refused[key(ApiKey::kAddOffsetsToTxn)] = [&] {
    AddOffsetsToTxnRequest request;
    request.transactional_id = "txn";
    request.group_id = "offsets";
    return is_authorization_error(roundtrip<AddOffsetsToTxnResponse>(request, 3).error_code);
  };
  refused[key(ApiKey::kEndTxn)] = [&] {
    EndTxnRequest request;
    request.transactional_id = "txn";
    return is_authorization_error(roundtrip<EndTxnResponse>(request, 3).error_code);
  };
  refused[key(ApiKey::kTxnOffsetCommit)] = [&] {
    TxnOffsetCommitRequest request;
    request.transactional_id = "txn";
    request.group_id = "offsets";
    request.topics.push_back({.name = "t", .partitions = {{.partition_index = 0}}});
    return is_authorization_error(
        roundtrip<TxnOffsetCommitResponse>(request, 3).topics.at(0).partitions.at(0).error_code);
  };
  refused[key(ApiKey::kDescribeTransactions)] = [&] {
    DescribeTransactionsRequest request;
    request.transactional_ids = {"txn"};
    return is_authorization_error(
        roundtrip<DescribeTransactionsResponse>(request, 0).transaction_states.at(0).error_code);
  };
  refused[key(ApiKey::kListTransactions)] = [&] {
    return roundtrip<ListTransactionsResponse>(ListTransactionsRequest{}, 0)
        .transaction_states.empty();
  };
  refused[key(ApiKey::kDescribeAcls)] = [&] {
    DescribeAclsRequest request;
    request.resource_type_filter = static_cast<int8_t>(ResourceType::kAny);
    request.pattern_type_filter = static_cast<int8_t>(PatternType::kAny);
    request.operation = static_cast<int8_t>(AclOperation::kAny);
    request.permission_type = static_cast<int8_t>(AclPermission::kAny);
    return is_authorization_error(roundtrip<DescribeAclsResponse>(request, 1).error_code);
  };
  refused[key(ApiKey::kCreateAcls)] = [&] {
    CreateAclsRequest request;
    request.creations.push_back({.resource_type = 2,
                                 .resource_name = "t",
                                 .resource_pattern_type = 3,
                                 .principal = kAlice,
                                 .host = "*",
                                 .operation = 2,
                                 .permission_type = 3});
    return is_authorization_error(
        roundtrip<CreateAclsResponse>(request, 1).results.at(0).error_code);
  };
  refused[key(ApiKey::kDeleteAcls)] = [&] {
    DeleteAclsRequest request;
    request.filters.push_back({.resource_type_filter = 1,
                               .pattern_type_filter = 1,
                               .operation = 1,
                               .permission_type = 1});
    return is_authorization_error(
        roundtrip<DeleteAclsResponse>(request, 1).filter_results.at(0).error_code);
  };

  refused[key(ApiKey::kAlterConfigs)] = [&] {
    AlterConfigsRequest request;
    request.resources.push_back({.resource_type = 2,
                                 .resource_name = "t",
                                 .configs = {{.name = "retention.ms", .value = "1000"}}});
    return is_authorization_error(
        roundtrip<AlterConfigsResponse>(request, 0).responses.at(0).error_code);
  };
  refused[key(ApiKey::kIncrementalAlterConfigs)] = [&] {
    IncrementalAlterConfigsRequest request;
    request.resources.push_back(
        {.resource_type = 2,
         .resource_name = "t",
         .configs = {{.name = "retention.ms", .config_operation = 0, .value = "1000"}}});
    return is_authorization_error(
        roundtrip<IncrementalAlterConfigsResponse>(request, 0).responses.at(0).error_code);
  };
  refused[key(ApiKey::kDescribeCluster)] = [&] {
    // Served to anyone, as in Kafka; what is withheld is the cluster's authorized operations.
    DescribeClusterRequest request;
    request.include_cluster_authorized_operations = true;
    return roundtrip<DescribeClusterResponse>(request, 0).cluster_authorized_operations == 0;
  };
  refused[key(ApiKey::kDeleteRecords)] = [&] {
    DeleteRecordsRequest request;
    request.topics.push_back({.name = "t", .partitions = {{.partition_index = 0, .offset = -1}}});
    return is_authorization_error(
        roundtrip<DeleteRecordsResponse>(request, 0).topics.at(0).partitions.at(0).error_code);
  };
  refused[key(ApiKey::kDescribeUserScramCredentials)] = [&] {
    DescribeUserScramCredentialsRequest request;  // every user
    return is_authorization_error(
        roundtrip<DescribeUserScramCredentialsResponse>(request, 0).error_code);
  };
  refused[key(ApiKey::kAlterUserScramCredentials)] = [&] {
    AlterUserScramCredentialsRequest request;
    request.upsertions.push_back({.name = "mallory",
                                  .mechanism = 1,
                                  .iterations = 4096,
                                  .salt = Bytes::from_string("salt"),
                                  .salted_password = Bytes::from_string("0123456789abcdef")});
    return is_authorization_error(
        roundtrip<AlterUserScramCredentialsResponse>(request, 0).results.at(0).error_code);
  };
  refused[key(ApiKey::kOffsetForLeaderEpoch)] = [&] {
    OffsetForLeaderEpochRequest request;
    request.replica_id = -1;
    request.topics.push_back({.topic = "t", .partitions = {{.partition = 0, .leader_epoch = 0}}});
    return is_authorization_error(roundtrip<OffsetForLeaderEpochResponse>(request, 4)
                                      .topics.at(0)
                                      .partitions.at(0)
                                      .error_code);
  };
  refused[key(ApiKey::kDescribeProducers)] = [&] {
    DescribeProducersRequest request;
    request.topics.push_back({.name = "t", .partition_indexes = {0}});
    return is_authorization_error(
        roundtrip<DescribeProducersResponse>(request, 0).topics.at(0).partitions.at(0).error_code);
  };
  refused[key(ApiKey::kDescribeLogDirs)] = [&] {
    auto response = roundtrip<DescribeLogDirsResponse>(DescribeLogDirsRequest{}, 4);
    return is_authorization_error(response.error_code) && response.results.empty();
  };
  refused[key(ApiKey::kListPartitionReassignments)] = [&] {
    auto response =
        roundtrip<ListPartitionReassignmentsResponse>(ListPartitionReassignmentsRequest{}, 0);
    return is_authorization_error(response.error_code) && response.topics.empty();
  };

  for (const ApiVersionRange& api : supported_apis()) {
    // What a client asks before it is anyone: the versions, and its authentication.
    if (api.api_key == key(ApiKey::kApiVersions) || api.api_key == key(ApiKey::kSaslHandshake) ||
        api.api_key == key(ApiKey::kSaslAuthenticate)) {
      continue;
    }
    auto check = refused.find(api.api_key);
    ASSERT_NE(check, refused.end()) << api_name(api.api_key) << " has no authorization check";
    EXPECT_TRUE(check->second()) << api_name(api.api_key) << " was not refused";
  }
  // The admin, a super user, is refused nothing; the topic and group are still there.
  session_->set_principal(kAdmin);
  EXPECT_EQ(produce("t", 0, batch_of({"x"})).responses.at(0).partition_responses.at(0).error_code,
            code(ErrorCode::kNone));
  EXPECT_FALSE(roundtrip<ListGroupsResponse>(ListGroupsRequest{}, 2).groups.empty());
}

TEST_F(RequestDispatcherTest, WithoutTheAuthorizerAclApisAnswerSecurityDisabled) {
  DescribeAclsRequest request;
  request.resource_type_filter = static_cast<int8_t>(ResourceType::kAny);
  request.pattern_type_filter = static_cast<int8_t>(PatternType::kAny);
  request.operation = static_cast<int8_t>(AclOperation::kAny);
  request.permission_type = static_cast<int8_t>(AclPermission::kAny);
  EXPECT_EQ(roundtrip<DescribeAclsResponse>(request, 1).error_code,
            code(ErrorCode::kSecurityDisabled));
}

TEST_F(RequestDispatcherTest, AnAclAddedThroughCreateAclsLetsThePrincipalProduce) {
  enable_authorizer();
  create_topic("t", 1);
  allow(kAdmin, ResourceType::kCluster, "kafka-cluster", AclOperation::kAlter);
  allow(kAdmin, ResourceType::kCluster, "kafka-cluster", AclOperation::kDescribe);
  session_->set_principal(kAlice);
  EXPECT_EQ(produce("t", 0, batch_of({"x"})).responses.at(0).partition_responses.at(0).error_code,
            code(ErrorCode::kTopicAuthorizationFailed));

  session_->set_principal(kAdmin);
  CreateAclsRequest create;
  create.creations.push_back({.resource_type = static_cast<int8_t>(ResourceType::kTopic),
                              .resource_name = "t",
                              .resource_pattern_type = static_cast<int8_t>(PatternType::kPrefixed),
                              .principal = kAlice,
                              .host = "*",
                              .operation = static_cast<int8_t>(AclOperation::kWrite),
                              .permission_type = static_cast<int8_t>(AclPermission::kAllow)});
  create.creations.push_back({.resource_type = static_cast<int8_t>(ResourceType::kAny),
                              .resource_name = "t",
                              .resource_pattern_type = 3,
                              .principal = kAlice,
                              .host = "*",
                              .operation = static_cast<int8_t>(AclOperation::kRead),
                              .permission_type = static_cast<int8_t>(AclPermission::kAllow)});
  // v3 is flexible (compact strings, tagged fields): what kafka-acls.sh sends.
  auto created = roundtrip<CreateAclsResponse>(create, 3);
  ASSERT_EQ(created.results.size(), 2u);
  EXPECT_EQ(created.results[0].error_code, code(ErrorCode::kNone));
  EXPECT_EQ(created.results[1].error_code, code(ErrorCode::kInvalidRequest));

  session_->set_principal(kAlice);
  EXPECT_EQ(produce("t", 0, batch_of({"x"})).responses.at(0).partition_responses.at(0).error_code,
            code(ErrorCode::kNone));

  session_->set_principal(kAdmin);
  DescribeAclsRequest describe;
  describe.resource_type_filter = static_cast<int8_t>(ResourceType::kTopic);
  describe.resource_name_filter = "t-and-more";
  describe.pattern_type_filter = static_cast<int8_t>(PatternType::kMatch);
  describe.operation = static_cast<int8_t>(AclOperation::kAny);
  describe.permission_type = static_cast<int8_t>(AclPermission::kAny);
  auto described = roundtrip<DescribeAclsResponse>(describe, 3);
  EXPECT_EQ(described.error_code, code(ErrorCode::kNone));
  ASSERT_EQ(described.resources.size(), 1u);
  EXPECT_EQ(described.resources[0].resource_name, "t");
  EXPECT_EQ(described.resources[0].pattern_type, static_cast<int8_t>(PatternType::kPrefixed));
  ASSERT_EQ(described.resources[0].acls.size(), 1u);
  EXPECT_EQ(described.resources[0].acls[0].principal, kAlice);

  DeleteAclsRequest remove;
  remove.filters.push_back({.resource_type_filter = static_cast<int8_t>(ResourceType::kTopic),
                            .resource_name_filter = "t",
                            .pattern_type_filter = static_cast<int8_t>(PatternType::kPrefixed),
                            .principal_filter = kAlice,
                            .operation = static_cast<int8_t>(AclOperation::kAny),
                            .permission_type = static_cast<int8_t>(AclPermission::kAny)});
  auto removed = roundtrip<DeleteAclsResponse>(remove, 1);
  ASSERT_EQ(removed.filter_results.size(), 1u);
  EXPECT_EQ(removed.filter_results[0].matching_acls.size(), 1u);
  session_->set_principal(kAlice);
  EXPECT_EQ(produce("t", 0, batch_of({"x"})).responses.at(0).partition_responses.at(0).error_code,
            code(ErrorCode::kTopicAuthorizationFailed));
}

TEST_F(RequestDispatcherTest, MetadataListsOnlyDescribableTopicsAndAutoCreatesOnlyWithCreate) {
  enable_authorizer();
  create_topic("visible", 1);
  create_topic("hidden", 1);
  session_->set_principal(kAlice);
  allow(kAlice, ResourceType::kTopic, "visible", AclOperation::kRead);
  allow(kAlice, ResourceType::kTopic, "auto-", AclOperation::kDescribe, PatternType::kPrefixed);
  MetadataRequest all;  // null topics: every topic
  auto listed = roundtrip<MetadataResponse>(all, 4);
  ASSERT_EQ(listed.topics.size(), 1u);
  EXPECT_EQ(listed.topics[0].name, "visible");

  MetadataRequest named;
  named.topics.emplace();
  named.topics->push_back({.name = "auto-1"});
  named.allow_auto_topic_creation = true;
  EXPECT_EQ(roundtrip<MetadataResponse>(named, 4).topics.at(0).error_code,
            code(ErrorCode::kTopicAuthorizationFailed));
  EXPECT_FALSE(logs_->describe_topic("auto-1").has_value());
  allow(kAlice, ResourceType::kTopic, "auto-", AclOperation::kCreate, PatternType::kPrefixed);
  EXPECT_EQ(roundtrip<MetadataResponse>(named, 4).topics.at(0).error_code, code(ErrorCode::kNone));
  EXPECT_TRUE(logs_->describe_topic("auto-1").has_value());
}

TEST_F(RequestDispatcherTest, AnIdempotentProducerNeedsWriteOnSomeTopicOrIdempotentWrite) {
  enable_authorizer();
  session_->set_principal(kAlice);
  EXPECT_EQ(roundtrip<InitProducerIdResponse>(InitProducerIdRequest{}, 4).error_code,
            code(ErrorCode::kClusterAuthorizationFailed));
  allow(kAlice, ResourceType::kTopic, "events", AclOperation::kWrite);
  EXPECT_EQ(roundtrip<InitProducerIdResponse>(InitProducerIdRequest{}, 4).error_code,
            code(ErrorCode::kNone));
}

TEST_F(RequestDispatcherTest, OffsetCommitNeedsReadOnTheGroupAndOnEachTopic) {
  create_topic("t", 2);
  enable_authorizer();
  session_->set_principal(kAlice);
  allow(kAlice, ResourceType::kGroup, "offsets", AclOperation::kRead);
  EXPECT_EQ(roundtrip<OffsetCommitResponse>(commit_request(-1, "", 1), 2)
                .topics.at(0)
                .partitions.at(0)
                .error_code,
            code(ErrorCode::kTopicAuthorizationFailed));
  allow(kAlice, ResourceType::kTopic, "t", AclOperation::kRead);
  EXPECT_EQ(roundtrip<OffsetCommitResponse>(commit_request(-1, "", 1), 2)
                .topics.at(0)
                .partitions.at(0)
                .error_code,
            code(ErrorCode::kNone));
}

TEST_F(RequestDispatcherTest, ATransactionalProducerCommitsOffsetsOnlyForTopicsItMayRead) {
  enable_authorizer();
  session_->set_principal(kAlice);
  allow(kAlice, ResourceType::kTransactionalId, "txn", AclOperation::kWrite);
  allow(kAlice, ResourceType::kGroup, "g", AclOperation::kRead);
  allow(kAlice, ResourceType::kTopic, "readable", AclOperation::kRead);
  InitProducerIdRequest init;
  init.transactional_id = "txn";
  init.transaction_timeout_ms = 60000;
  auto producer = roundtrip<InitProducerIdResponse>(init, 4);
  ASSERT_EQ(producer.error_code, code(ErrorCode::kNone));
  AddOffsetsToTxnRequest add;
  add.transactional_id = "txn";
  add.producer_id = producer.producer_id;
  add.producer_epoch = producer.producer_epoch;
  add.group_id = "g";
  ASSERT_EQ(roundtrip<AddOffsetsToTxnResponse>(add, 3).error_code, code(ErrorCode::kNone));
  TxnOffsetCommitRequest commit;
  commit.transactional_id = "txn";
  commit.group_id = "g";
  commit.producer_id = producer.producer_id;
  commit.producer_epoch = producer.producer_epoch;
  for (const char* topic : {"readable", "secret"}) {
    commit.topics.push_back({.name = topic,
                             .partitions = {{.partition_index = 0,
                                             .committed_offset = 17,
                                             .committed_leader_epoch = -1,
                                             .committed_metadata = "m"}}});
  }
  auto committed = roundtrip<TxnOffsetCommitResponse>(commit, 3);
  EXPECT_EQ(committed.topics.at(0).partitions.at(0).error_code, code(ErrorCode::kNone));
  EXPECT_EQ(committed.topics.at(1).partitions.at(0).error_code,
            code(ErrorCode::kTopicAuthorizationFailed));
  EndTxnRequest end;
  end.transactional_id = "txn";
  end.producer_id = producer.producer_id;
  end.producer_epoch = producer.producer_epoch;
  end.committed = true;
  ASSERT_EQ(roundtrip<EndTxnResponse>(end, 3).error_code, code(ErrorCode::kNone));
  EXPECT_TRUE(offsets_->fetch("g", {"readable", 0}).has_value());
  EXPECT_FALSE(offsets_->fetch("g", {"secret", 0}).has_value());
}

// --- SASL and SCRAM users -------------------------------------------------------------------

class SaslDispatchTest : public RequestDispatcherTest {
 protected:
  void SetUp() override {
    RequestDispatcherTest::SetUp();
    session_ = std::make_shared<ConnectionSession>("SASL", "SASL_PLAINTEXT");
    const Bytes salt = Bytes::from_string("0123456789abcdef");
    ASSERT_TRUE(credentials_
                    ->upsert("alice", ScramMechanism::kSha256,
                             scram_credential_from_password(ScramMechanism::kSha256, "secret",
                                                            salt.view(), 4096))
                    .ok());
  }

  HandlerOutcome authenticate(const std::string& password) {
    SaslHandshakeRequest handshake;
    handshake.mechanism = "SCRAM-SHA-256";
    EXPECT_EQ(roundtrip<SaslHandshakeResponse>(handshake, 1).error_code, 0);
    ScramClient client(ScramMechanism::kSha256, "alice", password, "client-nonce");
    SaslAuthenticateRequest first;
    first.auth_bytes = Bytes::from_string(client.client_first());
    auto challenge = roundtrip<SaslAuthenticateResponse>(first, 2);
    EXPECT_EQ(challenge.error_code, 0);
    SaslAuthenticateRequest last;
    last.auth_bytes =
        Bytes::from_string(client.client_final(challenge.auth_bytes.as_string_view()).value());
    return call(frame_of(last, 2, 43));
  }
};

TEST_F(SaslDispatchTest, BeforeAuthenticationOnlyApiVersionsAndSaslAreServed) {
  EXPECT_EQ(roundtrip<ApiVersionsResponse>(ApiVersionsRequest{}, 3).error_code, 0);
  HandlerOutcome metadata = call(frame_of(MetadataRequest{}, 1, 7));
  EXPECT_TRUE(metadata.close_connection);
  EXPECT_FALSE(metadata.response.has_value());
  EXPECT_EQ(session_->principal(), ConnectionSession::kAnonymous);
}

TEST_F(SaslDispatchTest, AScramExchangeAuthenticatesTheSessionAndThenEverythingIsServed) {
  HandlerOutcome outcome = authenticate("secret");
  auto response = decode_outcome<SaslAuthenticateResponse>(outcome, 36, 2);
  EXPECT_EQ(response.error_code, 0);
  EXPECT_TRUE(response.auth_bytes.as_string_view().starts_with("v="));
  EXPECT_TRUE(session_->authenticated());
  EXPECT_EQ(session_->principal(), "User:alice");
  EXPECT_FALSE(call(frame_of(MetadataRequest{}, 1, 8)).close_connection);
  // No second exchange on an authenticated connection.
  SaslHandshakeRequest again;
  again.mechanism = "PLAIN";
  EXPECT_EQ(roundtrip<SaslHandshakeResponse>(again, 1).error_code,
            code(ErrorCode::kIllegalSaslState));
}

TEST_F(SaslDispatchTest, AWrongPasswordAnswersSaslAuthenticationFailedAndCloses) {
  HandlerOutcome outcome = authenticate("wrong");
  ASSERT_TRUE(outcome.response.has_value());
  EXPECT_TRUE(outcome.close_connection);
  WireReader reader(outcome.response->view());
  int32_t correlation_id = 0;
  uint32_t tagged_fields = 0;
  ASSERT_TRUE(reader.read_int32(correlation_id).ok());
  ASSERT_TRUE(reader.read_uvarint(tagged_fields).ok());
  SaslAuthenticateResponse response;
  ASSERT_TRUE(response.decode(reader, 2).ok());
  EXPECT_EQ(response.error_code, code(ErrorCode::kSaslAuthenticationFailed));
  EXPECT_NE(response.error_message.value_or("").find("invalid credentials"), std::string::npos);
  EXPECT_FALSE(session_->authenticated());
}

TEST_F(SaslDispatchTest, AnUnenabledMechanismIsRefusedWithTheEnabledList) {
  config_.sasl_enabled_mechanisms = {"SCRAM-SHA-512"};
  SaslHandshakeRequest handshake;
  handshake.mechanism = "PLAIN";
  HandlerOutcome outcome = call(frame_of(handshake, 1, 9));
  EXPECT_TRUE(outcome.close_connection);
  ASSERT_TRUE(outcome.response.has_value());
  WireReader reader(outcome.response->view());
  int32_t correlation_id = 0;
  ASSERT_TRUE(reader.read_int32(correlation_id).ok());
  SaslHandshakeResponse response;
  ASSERT_TRUE(response.decode(reader, 1).ok());
  EXPECT_EQ(response.error_code, code(ErrorCode::kUnsupportedSaslMechanism));
  EXPECT_EQ(response.mechanisms, std::vector<std::string>{"SCRAM-SHA-512"});
}

TEST_F(SaslDispatchTest, SaslAuthenticateWithoutAHandshakeClosesTheConnection) {
  SaslAuthenticateRequest request;
  request.auth_bytes = Bytes::from_string("n,,n=alice,r=abc");
  EXPECT_TRUE(call(frame_of(request, 1, 5)).close_connection);
}

TEST_F(SaslDispatchTest, AfterAV0HandshakeRawTokensCarryTheExchange) {
  SaslHandshakeRequest handshake;
  handshake.mechanism = "PLAIN";
  EXPECT_EQ(roundtrip<SaslHandshakeResponse>(handshake, 0).error_code, 0);
  HandlerOutcome outcome = call(Bytes::from_string(std::string("\0alice\0secret", 13)));
  EXPECT_FALSE(outcome.close_connection);
  ASSERT_TRUE(outcome.response.has_value());
  EXPECT_TRUE(outcome.response->empty());
  EXPECT_EQ(session_->principal(), "User:alice");
}

TEST_F(RequestDispatcherTest, SaslHandshakeOnAPlaintextListenerIsAnIllegalSaslState) {
  SaslHandshakeRequest handshake;
  handshake.mechanism = "PLAIN";
  EXPECT_EQ(roundtrip<SaslHandshakeResponse>(handshake, 1).error_code,
            code(ErrorCode::kIllegalSaslState));
}

TEST_F(RequestDispatcherTest, MetadataAndFindCoordinatorAdvertiseTheRequestsListener) {
  context_->identity.listeners["INTERNAL"] = AdvertisedEndpoint{.host = "10.0.0.1", .port = 9094};
  session_ = std::make_shared<ConnectionSession>("INTERNAL", "PLAINTEXT");
  auto metadata = roundtrip<MetadataResponse>(MetadataRequest{}, 1);
  ASSERT_EQ(metadata.brokers.size(), 1u);
  EXPECT_EQ(metadata.brokers[0].host, "10.0.0.1");
  EXPECT_EQ(metadata.brokers[0].port, 9094);
  FindCoordinatorRequest find;
  find.key = "g";
  EXPECT_EQ(roundtrip<FindCoordinatorResponse>(find, 1).port, 9094);
  session_ = std::make_shared<ConnectionSession>("OTHER", "PLAINTEXT");
  EXPECT_EQ(roundtrip<MetadataResponse>(MetadataRequest{}, 1).brokers[0].port, 9092);
}

TEST_F(RequestDispatcherTest, AlterUserScramCredentialsStoresOnlyDerivedKeys) {
  const Bytes salt = Bytes::from_string("salt-salt-salt-salt");
  AlterUserScramCredentialsRequest request;
  request.upsertions.push_back({.name = "bob",
                                .mechanism = 2,
                                .iterations = 4096,
                                .salt = salt,
                                .salted_password = scram_salted_password(
                                    ScramMechanism::kSha512, "bob-secret", salt.view(), 4096)});
  auto altered = roundtrip<AlterUserScramCredentialsResponse>(request, 0);
  ASSERT_EQ(altered.results.size(), 1u);
  EXPECT_EQ(altered.results[0].error_code, 0);
  EXPECT_EQ(
      credentials_->find("bob", ScramMechanism::kSha512),
      scram_credential_from_password(ScramMechanism::kSha512, "bob-secret", salt.view(), 4096));
  EXPECT_TRUE(credentials_->verify_password("bob", "bob-secret"));

  DescribeUserScramCredentialsRequest describe;
  auto all = roundtrip<DescribeUserScramCredentialsResponse>(describe, 0);
  ASSERT_EQ(all.results.size(), 1u);
  EXPECT_EQ(all.results[0].user, "bob");
  ASSERT_EQ(all.results[0].credential_infos.size(), 1u);
  EXPECT_EQ(all.results[0].credential_infos[0].mechanism, 2);
  EXPECT_EQ(all.results[0].credential_infos[0].iterations, 4096);
}

TEST_F(RequestDispatcherTest, AlterUserScramCredentialsChecksEachUserOnItsOwn) {
  const Bytes salt = Bytes::from_string("salt");
  const Bytes salted = Bytes::from_string("salted");
  AlterUserScramCredentialsRequest request;
  request.deletions.push_back({.name = "ghost", .mechanism = 1});
  request.upsertions.push_back(
      {.name = "few", .mechanism = 1, .iterations = 100, .salt = salt, .salted_password = salted});
  request.upsertions.push_back(
      {.name = "odd", .mechanism = 9, .iterations = 4096, .salt = salt, .salted_password = salted});
  request.upsertions.push_back({.name = "twice",
                                .mechanism = 1,
                                .iterations = 4096,
                                .salt = salt,
                                .salted_password = salted});
  request.deletions.push_back({.name = "twice", .mechanism = 1});
  request.upsertions.push_back({.name = "fine",
                                .mechanism = 1,
                                .iterations = 4096,
                                .salt = salt,
                                .salted_password = salted});
  auto response = roundtrip<AlterUserScramCredentialsResponse>(request, 0);
  std::map<std::string, int16_t> errors;
  for (const auto& result : response.results) errors[result.user] = result.error_code;
  EXPECT_EQ(errors["ghost"], code(ErrorCode::kResourceNotFound));
  EXPECT_EQ(errors["few"], code(ErrorCode::kUnacceptableCredential));
  EXPECT_EQ(errors["odd"], code(ErrorCode::kUnsupportedSaslMechanism));
  EXPECT_EQ(errors["twice"], code(ErrorCode::kDuplicateResource));
  EXPECT_EQ(errors["fine"], 0);
  ASSERT_EQ(credentials_->list().size(), 1u);
  EXPECT_EQ(credentials_->list()[0].name, "fine");

  DescribeUserScramCredentialsRequest describe;
  describe.users.emplace();
  describe.users->push_back({.name = "fine"});
  describe.users->push_back({.name = "ghost"});
  auto described = roundtrip<DescribeUserScramCredentialsResponse>(describe, 0);
  ASSERT_EQ(described.results.size(), 2u);
  EXPECT_EQ(described.results[0].error_code, 0);
  EXPECT_EQ(described.results[1].error_code, code(ErrorCode::kResourceNotFound));
}

TEST_F(RequestDispatcherTest, FindCoordinatorV4AnswersEveryBatchedKey) {
  FindCoordinatorRequest request;
  request.coordinator_keys = {"group-a", "group-b"};
  auto response = roundtrip<FindCoordinatorResponse>(request, 4);
  ASSERT_EQ(response.coordinators.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(response.coordinators[i].key, request.coordinator_keys[i]);
    EXPECT_EQ(response.coordinators[i].error_code, code(ErrorCode::kNone));
    EXPECT_EQ(response.coordinators[i].node_id, 0);
    EXPECT_EQ(response.coordinators[i].host, "127.0.0.1");
    EXPECT_EQ(response.coordinators[i].port, 9092);
  }
  request.key_type = 7;
  auto refused = roundtrip<FindCoordinatorResponse>(request, 4);
  ASSERT_EQ(refused.coordinators.size(), 2u);
  EXPECT_EQ(refused.coordinators[0].error_code, code(ErrorCode::kInvalidRequest));
}

TEST_F(RequestDispatcherTest, OffsetFetchV8AnswersEachGroupOfTheBatch) {
  create_topic("t", 1);
  ASSERT_TRUE(offsets_->commit("a", {{TopicPartition{"t", 0}, CommittedOffset{.offset = 5}}}).ok());
  OffsetFetchRequest request;
  OffsetFetchRequest::OffsetFetchRequestGroup all_of_a;
  all_of_a.group_id = "a";  // null topics: every offset of the group
  OffsetFetchRequest::OffsetFetchRequestGroup named_of_b;
  named_of_b.group_id = "b";
  named_of_b.topics.emplace().push_back({.name = "t", .partition_indexes = {0}});
  request.groups = {all_of_a, named_of_b};
  auto response = roundtrip<OffsetFetchResponse>(request, 8);
  ASSERT_EQ(response.groups.size(), 2u);
  EXPECT_EQ(response.groups[0].group_id, "a");
  ASSERT_EQ(response.groups[0].topics.size(), 1u);
  EXPECT_EQ(response.groups[0].topics[0].partitions.at(0).committed_offset, 5);
  EXPECT_EQ(response.groups[1].group_id, "b");
  EXPECT_EQ(response.groups[1].error_code, code(ErrorCode::kNone));
  EXPECT_EQ(response.groups[1].topics.at(0).partitions.at(0).committed_offset, -1);
}

TEST_F(RequestDispatcherTest, OffsetFetchRequireStableWithholdsAnOffsetAnOpenTransactionHolds) {
  InitProducerIdRequest init;
  init.transactional_id = "txn";
  init.transaction_timeout_ms = 60000;
  auto producer = roundtrip<InitProducerIdResponse>(init, 4);
  AddOffsetsToTxnRequest add;
  add.transactional_id = "txn";
  add.producer_id = producer.producer_id;
  add.producer_epoch = producer.producer_epoch;
  add.group_id = "g";
  ASSERT_EQ(roundtrip<AddOffsetsToTxnResponse>(add, 3).error_code, code(ErrorCode::kNone));
  TxnOffsetCommitRequest commit;
  commit.transactional_id = "txn";
  commit.group_id = "g";
  commit.producer_id = producer.producer_id;
  commit.producer_epoch = producer.producer_epoch;
  commit.topics.push_back(
      {.name = "t", .partitions = {{.partition_index = 0, .committed_offset = 17}}});
  roundtrip<TxnOffsetCommitResponse>(commit, 3);

  OffsetFetchRequest fetch;
  fetch.group_id = "g";
  fetch.topics.emplace().push_back({.name = "t", .partition_indexes = {0}});
  fetch.require_stable = true;
  auto unstable = roundtrip<OffsetFetchResponse>(fetch, 7);
  EXPECT_EQ(unstable.topics.at(0).partitions.at(0).error_code,
            code(ErrorCode::kUnstableOffsetCommit));
  fetch.require_stable = false;
  auto without = roundtrip<OffsetFetchResponse>(fetch, 7);
  EXPECT_EQ(without.topics.at(0).partitions.at(0).error_code, code(ErrorCode::kNone));
  EXPECT_EQ(without.topics.at(0).partitions.at(0).committed_offset, -1);
}

TEST_F(RequestDispatcherTest, ListGroupsV4FiltersByStateAndV5ByType) {
  ASSERT_TRUE(
      offsets_->commit("idle", {{TopicPartition{"t", 0}, CommittedOffset{.offset = 1}}}).ok());
  ListGroupsRequest request;
  request.states_filter = {"empty"};  // Kafka's coordinator parses states case-insensitively
  auto empty = roundtrip<ListGroupsResponse>(request, 4);
  ASSERT_EQ(empty.groups.size(), 1u);
  EXPECT_EQ(empty.groups[0].group_id, "idle");
  EXPECT_EQ(empty.groups[0].group_state, "Empty");
  request.states_filter = {"Stable"};
  EXPECT_TRUE(roundtrip<ListGroupsResponse>(request, 4).groups.empty());
  request.states_filter = {};
  request.types_filter = {"consumer"};
  EXPECT_TRUE(roundtrip<ListGroupsResponse>(request, 5).groups.empty());
  request.types_filter = {"Classic"};
  auto classic = roundtrip<ListGroupsResponse>(request, 5);
  ASSERT_EQ(classic.groups.size(), 1u);
  EXPECT_EQ(classic.groups[0].group_type, "classic");
}

TEST_F(RequestDispatcherTest, CreateTopicsV5AnswersTheCreatedTopicsPartitionsAndConfigs) {
  CreateTopicsRequest request;
  CreateTopicsRequest::CreatableTopic topic;
  topic.name = "described";
  topic.num_partitions = 3;
  topic.replication_factor = -1;
  topic.configs.push_back({.name = "retention.ms", .value = "1000"});
  request.topics.push_back(topic);
  auto response = roundtrip<CreateTopicsResponse>(request, 5);
  const auto& result = response.topics.at(0);
  ASSERT_EQ(result.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(result.num_partitions, 3);
  EXPECT_EQ(result.replication_factor, 1);
  ASSERT_TRUE(result.configs.has_value());
  bool saw_retention = false;
  for (const auto& config : *result.configs) {
    if (config.name == "retention.ms") {
      saw_retention = true;
      EXPECT_EQ(config.value, "1000");
      EXPECT_EQ(config.config_source, 1);  // TOPIC_CONFIG
    }
  }
  EXPECT_TRUE(saw_retention);
  auto again = roundtrip<CreateTopicsResponse>(request, 5);
  EXPECT_EQ(again.topics.at(0).error_code, code(ErrorCode::kTopicAlreadyExists));
  EXPECT_EQ(again.topics.at(0).num_partitions, -1);
}

TEST_F(RequestDispatcherTest, MetadataV8ReportsAuthorizedOperationsOnlyWhenAsked) {
  create_topic("t", 1);
  MetadataRequest request;
  request.topics.emplace().push_back({.name = "t"});
  auto unasked = roundtrip<MetadataResponse>(request, 8);
  EXPECT_EQ(unasked.topics.at(0).topic_authorized_operations, INT32_MIN);
  EXPECT_EQ(unasked.cluster_authorized_operations, INT32_MIN);
  EXPECT_EQ(unasked.topics.at(0).partitions.at(0).leader_epoch, 0);
  request.include_topic_authorized_operations = true;
  request.include_cluster_authorized_operations = true;
  auto asked = roundtrip<MetadataResponse>(request, 9);
  // Without an authorizer every operation is allowed: READ (3) through ALTER_CONFIGS (11).
  const int32_t topic_ops = asked.topics.at(0).topic_authorized_operations;
  for (AclOperation operation : {AclOperation::kRead, AclOperation::kWrite, AclOperation::kDescribe,
                                 AclOperation::kAlterConfigs}) {
    EXPECT_NE(topic_ops & (1 << static_cast<int>(operation)), 0) << static_cast<int>(operation);
  }
  EXPECT_EQ(topic_ops & (1 << static_cast<int>(AclOperation::kIdempotentWrite)), 0);
  EXPECT_NE(
      asked.cluster_authorized_operations & (1 << static_cast<int>(AclOperation::kIdempotentWrite)),
      0);
}

TEST_F(RequestDispatcherTest, ListOffsetsV4FencesALeaderEpochOtherThanTheBrokers) {
  create_topic("t", 1);
  ListOffsetsRequest request;
  request.replica_id = -1;
  ListOffsetsRequest::ListOffsetsTopic topic;
  topic.name = "t";
  topic.partitions.push_back({.partition_index = 0, .current_leader_epoch = 0, .timestamp = -1});
  request.topics.push_back(topic);
  auto current = roundtrip<ListOffsetsResponse>(request, 6);
  EXPECT_EQ(current.topics.at(0).partitions.at(0).error_code, code(ErrorCode::kNone));
  EXPECT_EQ(current.topics.at(0).partitions.at(0).offset, 0);
  EXPECT_EQ(current.topics.at(0).partitions.at(0).leader_epoch, 0);
  request.topics[0].partitions[0].current_leader_epoch = 3;
  EXPECT_EQ(roundtrip<ListOffsetsResponse>(request, 4).topics.at(0).partitions.at(0).error_code,
            code(ErrorCode::kUnknownLeaderEpoch));
}

TEST_F(RequestDispatcherTest, SyncGroupV5RefusesAProtocolOtherThanTheGroups) {
  JoinGroupRequest join = join_request("");
  auto required = roundtrip<JoinGroupResponse>(join, 5);
  ASSERT_EQ(required.error_code, code(ErrorCode::kMemberIdRequired));
  join.member_id = required.member_id;
  std::future<HandlerOutcome> joining = start_call(frame_of(join, 7, 43));
  clock_.advance_ms(groups_->options().initial_rebalance_delay_ms);
  groups_->tick();
  auto joined = decode_outcome<JoinGroupResponse>(joining.get(), JoinGroupRequest::kApiKey, 7);
  ASSERT_EQ(joined.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(joined.protocol_type, "consumer");

  SyncGroupRequest sync;
  sync.group_id = "g";
  sync.generation_id = joined.generation_id;
  sync.member_id = joined.member_id;
  sync.protocol_type = "connect";
  sync.protocol_name = joined.protocol_name;
  EXPECT_EQ(roundtrip<SyncGroupResponse>(sync, 5).error_code,
            code(ErrorCode::kInconsistentGroupProtocol));
  sync.protocol_type = "consumer";
  sync.assignments.push_back({.member_id = joined.member_id, .assignment = Bytes()});
  auto synced = roundtrip<SyncGroupResponse>(sync, 5);
  EXPECT_EQ(synced.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(synced.protocol_type, "consumer");
  EXPECT_EQ(synced.protocol_name, joined.protocol_name);
}

TEST_F(RequestDispatcherTest, ListTransactionsV1KeepsThoseOpenLongerThanTheDuration) {
  InitProducerIdRequest init;
  init.transactional_id = "txn";
  init.transaction_timeout_ms = 60000;
  auto producer = roundtrip<InitProducerIdResponse>(init, 4);
  create_topic("t", 1);
  AddPartitionsToTxnRequest add;
  add.v3_and_below_transactional_id = "txn";
  add.v3_and_below_producer_id = producer.producer_id;
  add.v3_and_below_producer_epoch = producer.producer_epoch;
  add.v3_and_below_topics.push_back({.name = "t", .partitions = {0}});
  roundtrip<AddPartitionsToTxnResponse>(add, 3);
  ListTransactionsRequest list;
  list.duration_filter = 5000;
  EXPECT_TRUE(roundtrip<ListTransactionsResponse>(list, 1).transaction_states.empty());
  clock_.advance_ms(5001);
  EXPECT_EQ(roundtrip<ListTransactionsResponse>(list, 1).transaction_states.size(), 1u);
}

TEST_F(RequestDispatcherTest, OffsetForLeaderEpochEndsEpochZeroAtTheLogEndOffset) {
  create_topic("t", 1);
  produce("t", 0, batch_of({"a", "b", "c"}));
  OffsetForLeaderEpochRequest request;
  request.replica_id = -1;
  OffsetForLeaderEpochRequest::OffsetForLeaderTopic topic;
  topic.topic = "t";
  topic.partitions.push_back({.partition = 0, .current_leader_epoch = 0, .leader_epoch = 0});
  topic.partitions.push_back({.partition = 1, .current_leader_epoch = -1, .leader_epoch = 0});
  request.topics.push_back(topic);
  auto response = roundtrip<OffsetForLeaderEpochResponse>(request, 4);
  const auto& partitions = response.topics.at(0).partitions;
  ASSERT_EQ(partitions.size(), 2u);
  EXPECT_EQ(partitions[0].error_code, code(ErrorCode::kNone));
  EXPECT_EQ(partitions[0].leader_epoch, 0);
  EXPECT_EQ(partitions[0].end_offset, 3);
  EXPECT_EQ(partitions[1].error_code, code(ErrorCode::kUnknownTopicOrPartition));

  // An epoch the partition never had: undefined, as Kafka answers.
  request.topics[0].partitions = {{.partition = 0, .current_leader_epoch = -1, .leader_epoch = 5}};
  auto unknown = roundtrip<OffsetForLeaderEpochResponse>(request, 3);
  EXPECT_EQ(unknown.topics.at(0).partitions.at(0).error_code, code(ErrorCode::kNone));
  EXPECT_EQ(unknown.topics.at(0).partitions.at(0).leader_epoch, -1);
  EXPECT_EQ(unknown.topics.at(0).partitions.at(0).end_offset, -1);
  // Metadata newer than the broker's.
  request.topics[0].partitions = {{.partition = 0, .current_leader_epoch = 2, .leader_epoch = 0}};
  EXPECT_EQ(
      roundtrip<OffsetForLeaderEpochResponse>(request, 2).topics.at(0).partitions.at(0).error_code,
      code(ErrorCode::kUnknownLeaderEpoch));
}

TEST_F(RequestDispatcherTest, DescribeLogDirsAnswersTheDataDirectoryWithEachPartitionsSize) {
  create_topic("t", 2);
  produce("t", 1, batch_of({"some", "records"}));
  DescribeLogDirsRequest request;
  request.topics.emplace().push_back({.topic = "t", .partitions = {1, 7}});
  auto response = roundtrip<DescribeLogDirsResponse>(request, 4);
  EXPECT_EQ(response.error_code, code(ErrorCode::kNone));
  ASSERT_EQ(response.results.size(), 1u);
  const auto& dir = response.results[0];
  EXPECT_EQ(dir.error_code, code(ErrorCode::kNone));
  EXPECT_EQ(std::filesystem::path(dir.log_dir), std::filesystem::absolute(data_dir_));
  EXPECT_GT(dir.total_bytes, 0);
  EXPECT_GE(dir.usable_bytes, 0);
  ASSERT_EQ(dir.topics.size(), 1u);
  ASSERT_EQ(dir.topics[0].partitions.size(), 1u);  // partition 7 does not exist: left out
  EXPECT_EQ(dir.topics[0].partitions[0].partition_index, 1);
  EXPECT_EQ(dir.topics[0].partitions[0].partition_size,
            static_cast<int64_t>(logs_->log("t", 1)->size_bytes()));
  EXPECT_GT(dir.topics[0].partitions[0].partition_size, 0);

  request.topics.reset();  // every partition
  auto all = roundtrip<DescribeLogDirsResponse>(request, 1);
  ASSERT_EQ(all.results.size(), 1u);
  bool saw_t = false;
  for (const auto& topic : all.results[0].topics) {
    if (topic.name == "t") {
      saw_t = true;
      EXPECT_EQ(topic.partitions.size(), 2u);
    }
  }
  EXPECT_TRUE(saw_t);
}

TEST_F(RequestDispatcherTest, ListPartitionReassignmentsHasNoneInProgress) {
  create_topic("t", 2);
  ListPartitionReassignmentsRequest request;  // every topic (null)
  auto all = roundtrip<ListPartitionReassignmentsResponse>(request, 0);
  EXPECT_EQ(all.error_code, code(ErrorCode::kNone));
  EXPECT_FALSE(all.error_message.has_value());
  EXPECT_TRUE(all.topics.empty());
  request.topics.emplace().push_back({.name = "t", .partition_indexes = {0, 1}});
  request.topics->push_back({.name = "no-such-topic", .partition_indexes = {0}});
  auto named = roundtrip<ListPartitionReassignmentsResponse>(request, 0);
  EXPECT_EQ(named.error_code, code(ErrorCode::kNone));
  EXPECT_TRUE(named.topics.empty());
}

TEST_F(RequestDispatcherTest,
       DescribeProducersListsAPartitionsIdempotentAndTransactionalProducers) {
  create_topic("t", 2);
  InitProducerIdRequest init;
  init.transactional_id = "txn";
  init.transaction_timeout_ms = 60000;
  auto producer = roundtrip<InitProducerIdResponse>(init, 4);
  AddPartitionsToTxnRequest add;
  add.v3_and_below_transactional_id = "txn";
  add.v3_and_below_producer_id = producer.producer_id;
  add.v3_and_below_producer_epoch = producer.producer_epoch;
  add.v3_and_below_topics.push_back({.name = "t", .partitions = {0}});
  roundtrip<AddPartitionsToTxnResponse>(add, 3);
  RecordBatchBuilder builder(5000);
  builder.add(std::nullopt, Bytes::from_string("v1"), 5000, {});
  builder.add(std::nullopt, Bytes::from_string("v2"), 5000, {});
  builder.set_producer(producer.producer_id, producer.producer_epoch, 0, /*transactional=*/true);
  ProduceRequest produce_request;
  produce_request.transactional_id = "txn";
  produce_request.acks = -1;
  produce_request.timeout_ms = 1000;
  const Bytes records = builder.build();
  produce_request.topic_data.push_back(
      {.name = "t", .partition_data = {{.index = 0, .records = records.view()}}});
  ASSERT_EQ(roundtrip<ProduceResponse>(produce_request, 7)
                .responses.at(0)
                .partition_responses.at(0)
                .error_code,
            code(ErrorCode::kNone));

  DescribeProducersRequest request;
  request.topics.push_back({.name = "t", .partition_indexes = {0, 1, 9}});
  auto response = roundtrip<DescribeProducersResponse>(request, 0);
  const auto& partitions = response.topics.at(0).partitions;
  ASSERT_EQ(partitions.size(), 3u);
  EXPECT_EQ(partitions[0].error_code, code(ErrorCode::kNone));
  ASSERT_EQ(partitions[0].active_producers.size(), 1u);
  const auto& active = partitions[0].active_producers[0];
  EXPECT_EQ(active.producer_id, producer.producer_id);
  EXPECT_EQ(active.producer_epoch, producer.producer_epoch);
  EXPECT_EQ(active.last_sequence, 1);
  EXPECT_EQ(active.last_timestamp, 5000);
  EXPECT_EQ(active.current_txn_start_offset, 0);
  EXPECT_EQ(partitions[1].error_code, code(ErrorCode::kNone));
  EXPECT_TRUE(partitions[1].active_producers.empty());
  EXPECT_EQ(partitions[2].error_code, code(ErrorCode::kUnknownTopicOrPartition));
}

}  // namespace
}  // namespace runnel::broker
