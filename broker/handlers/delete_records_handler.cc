#include "broker/handlers/delete_records_handler.h"

#include "broker/handlers/internal_topics.h"
#include "broker/protocol/error_code.h"
#include "core/log.h"

namespace runnel::broker {
namespace {}  // namespace

DeleteRecordsResponse handle_delete_records(BrokerContext& context, const Access& access,
                                            const DeleteRecordsRequest& request, int16_t version) {
  (void)version;  // Versions 0-2 differ only in encoding (2 is flexible).
  DeleteRecordsResponse response;
  for (const auto& topic : request.topics) {
    DeleteRecordsResponse::DeleteRecordsTopicResult topic_result;
    topic_result.name = topic.name;
    const bool allowed = access.topic(AclOperation::kDelete, topic.name);
    for (const auto& partition : topic.partitions) {
      DeleteRecordsResponse::DeleteRecordsTopicResult::DeleteRecordsPartitionResult result;
      result.partition_index = partition.partition_index;
      result.low_watermark = -1;
      std::shared_ptr<Log> log;
      if (!allowed) {
        result.error_code = code(ErrorCode::kTopicAuthorizationFailed);
      } else if (is_broker_internal_topic(topic.name)) {
        // Kafka's words: "Cannot delete records of internal topic".
        result.error_code = code(ErrorCode::kInvalidTopicException);
      } else if ((log = context.logs.log(topic.name, partition.partition_index)) == nullptr) {
        result.error_code = code(ErrorCode::kUnknownTopicOrPartition);
      } else {
        Result<int64_t> start = log->delete_records_before(partition.offset);
        if (start.ok()) {
          result.error_code = code(ErrorCode::kNone);
          result.low_watermark = *start;
        } else if (start.status().code() == StatusCode::kOutOfRange) {
          result.error_code = code(ErrorCode::kOffsetOutOfRange);
        } else if (start.status().code() == StatusCode::kNotFound) {  // deleted meanwhile
          result.error_code = code(ErrorCode::kUnknownTopicOrPartition);
        } else {
          log::error("delete records of {}-{} before {} failed: {}", topic.name,
                     partition.partition_index, partition.offset, start.status().to_string());
          result.error_code = code(ErrorCode::kKafkaStorageError);
        }
      }
      topic_result.partitions.push_back(result);
    }
    response.topics.push_back(std::move(topic_result));
  }
  return response;
}

}  // namespace runnel::broker
