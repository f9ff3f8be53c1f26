#include "broker/handlers/describe_producers_handler.h"

#include <memory>
#include <string>
#include <utility>

#include "broker/protocol/error_code.h"

namespace runnel::broker {
namespace {

using TopicResponse = DescribeProducersResponse::TopicResponse;
using PartitionResponse = TopicResponse::PartitionResponse;

PartitionResponse describe_partition(BrokerContext& context, const std::string& topic,
                                     int32_t partition) {
  PartitionResponse response;
  response.partition_index = partition;
  std::shared_ptr<Log> log = context.logs.log(topic, partition);
  if (log == nullptr) {
    response.error_code = code(ErrorCode::kUnknownTopicOrPartition);
    return response;
  }
  response.error_code = code(ErrorCode::kNone);
  for (const ProducerStateTable::ActiveProducer& producer : log->active_producers()) {
    auto& state = response.active_producers.emplace_back();
    state.producer_id = producer.producer_id;
    state.producer_epoch = producer.epoch;
    state.last_sequence = producer.last_sequence;
    state.last_timestamp = producer.last_timestamp;
    state.coordinator_epoch = -1;
    state.current_txn_start_offset = producer.transaction_start_offset;
  }
  return response;
}

}  // namespace

DescribeProducersResponse handle_describe_producers(BrokerContext& context, const Access& access,
                                                    const DescribeProducersRequest& request,
                                                    int16_t version) {
  (void)version;  // v0 only.
  DescribeProducersResponse response;
  for (const auto& topic : request.topics) {
    TopicResponse topic_response;
    topic_response.name = topic.name;
    const bool allowed = access.topic(AclOperation::kRead, topic.name);
    for (int32_t partition : topic.partition_indexes) {
      if (!allowed) {
        PartitionResponse refused;
        refused.partition_index = partition;
        refused.error_code = code(ErrorCode::kTopicAuthorizationFailed);
        topic_response.partitions.push_back(std::move(refused));
        continue;
      }
      topic_response.partitions.push_back(describe_partition(context, topic.name, partition));
    }
    response.topics.push_back(std::move(topic_response));
  }
  return response;
}

}  // namespace runnel::broker
