#include "broker/handlers/describe_log_dirs_handler.h"

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "broker/protocol/error_code.h"

namespace runnel::broker {
namespace {

using LogDirResult = DescribeLogDirsResponse::DescribeLogDirsResult;
using TopicResult = LogDirResult::DescribeLogDirsTopic;
using PartitionResult = TopicResult::DescribeLogDirsPartition;

// The partitions of `name` the request asks for that exist, with their sizes.
TopicResult describe_topic(BrokerContext& context, const std::string& name,
                           const std::vector<int32_t>& partitions) {
  TopicResult result;
  result.name = name;
  for (int32_t partition : partitions) {
    std::shared_ptr<Log> log = context.logs.log(name, partition);
    if (log == nullptr) continue;
    PartitionResult described;
    described.partition_index = partition;
    described.partition_size = static_cast<int64_t>(log->size_bytes());
    described.offset_lag = 0;
    described.is_future_key = false;
    result.partitions.push_back(described);
  }
  return result;
}

std::vector<int32_t> every_partition(int32_t count) {
  std::vector<int32_t> partitions;
  for (int32_t partition = 0; partition < count; ++partition) partitions.push_back(partition);
  return partitions;
}

}  // namespace

DescribeLogDirsResponse handle_describe_log_dirs(BrokerContext& context, const Access& access,
                                                 const DescribeLogDirsRequest& request,
                                                 int16_t version) {
  DescribeLogDirsResponse response;
  if (!access.cluster(AclOperation::kDescribe)) {
    // Before v3 the refusal has no field of its own: no directory at all, as Kafka answers.
    if (version >= 3) response.error_code = code(ErrorCode::kClusterAuthorizationFailed);
    return response;
  }
  LogDirResult dir;
  dir.error_code = code(ErrorCode::kNone);
  dir.log_dir = std::filesystem::absolute(context.config.data_dir).string();
  if (!request.topics.has_value()) {
    for (const TopicInfo& topic : context.logs.list_topics()) {
      TopicResult described =
          describe_topic(context, topic.name, every_partition(topic.partitions));
      if (!described.partitions.empty()) dir.topics.push_back(std::move(described));
    }
  } else {
    for (const auto& topic : *request.topics) {
      TopicResult described = describe_topic(context, topic.topic, topic.partitions);
      if (!described.partitions.empty()) dir.topics.push_back(std::move(described));
    }
  }
  // v4 (KIP-827): the volume's capacity and free space; -1 when they cannot be read.
  std::error_code error;
  const std::filesystem::space_info space = std::filesystem::space(context.config.data_dir, error);
  if (!error) {
    dir.total_bytes = static_cast<int64_t>(space.capacity);
    dir.usable_bytes = static_cast<int64_t>(space.available);
  }
  response.results.push_back(std::move(dir));
  return response;
}

}  // namespace runnel::broker
