#include "broker/handlers/offset_fetch_handler.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {
namespace {

// One group's answer before it takes the shape of a version: v0-7 answer one group at the top
// level, v8+ a list of groups whose types differ from the top-level ones only in name.
struct PartitionOffset {
  int32_t partition = 0;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  ErrorCode error = ErrorCode::kNone;
};
struct TopicOffsets {
  std::string name;
  std::vector<PartitionOffset> partitions;
};
struct GroupOffsets {
  ErrorCode error = ErrorCode::kNone;
  std::vector<TopicOffsets> topics;
};

// The topics a request names: (topic, partitions), or nullopt for every offset of the group.
using RequestedTopics = std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>>;

template <typename Topic>
RequestedTopics requested(const std::optional<std::vector<Topic>>& topics) {
  if (!topics) return std::nullopt;
  std::vector<std::pair<std::string, std::vector<int32_t>>> named;
  for (const Topic& topic : *topics) named.emplace_back(topic.name, topic.partition_indexes);
  return named;
}

PartitionOffset partition_offset(const std::string& group, const TopicPartition& partition,
                                 const CommittedOffset* offset, bool require_stable,
                                 const OffsetStore& offsets) {
  // v7+ require_stable: an offset an open transaction may still change is withheld with a
  // retriable error, as Kafka does for consumers in read_committed.
  if (require_stable && offsets.has_pending(group, partition)) {
    return PartitionOffset{.partition = partition.partition,
                           .error = ErrorCode::kUnstableOffsetCommit};
  }
  if (offset == nullptr) return PartitionOffset{.partition = partition.partition};
  return PartitionOffset{.partition = partition.partition,
                         .offset = offset->offset,
                         .leader_epoch = offset->leader_epoch,
                         .metadata = offset->metadata};
}

GroupOffsets fetch_group(BrokerContext& context, const Access& access, const std::string& group,
                         const RequestedTopics& topics, bool require_stable) {
  GroupOffsets answer;
  if (!access.group(AclOperation::kDescribe, group)) {
    answer.error = ErrorCode::kGroupAuthorizationFailed;
    return answer;
  }
  const std::map<TopicPartition, CommittedOffset> committed = context.offsets.fetch_all(group);
  if (!topics) {
    // Every offset of the group, grouped by topic.
    for (const auto& [partition, offset] : committed) {
      // Offsets of topics the caller may not see are left out, not named.
      if (!access.topic(AclOperation::kDescribe, partition.topic)) continue;
      if (answer.topics.empty() || answer.topics.back().name != partition.topic) {
        answer.topics.push_back(TopicOffsets{.name = partition.topic, .partitions = {}});
      }
      answer.topics.back().partitions.push_back(
          partition_offset(group, partition, &offset, require_stable, context.offsets));
    }
    return answer;
  }
  for (const auto& [name, partitions] : *topics) {
    TopicOffsets topic{.name = name, .partitions = {}};
    const bool allowed = access.topic(AclOperation::kDescribe, name);
    for (int32_t partition : partitions) {
      if (!allowed) {
        topic.partitions.push_back(
            PartitionOffset{.partition = partition, .error = ErrorCode::kTopicAuthorizationFailed});
        continue;
      }
      const TopicPartition key{name, partition};
      auto found = committed.find(key);
      topic.partitions.push_back(
          partition_offset(group, key, found != committed.end() ? &found->second : nullptr,
                           require_stable, context.offsets));
    }
    answer.topics.push_back(std::move(topic));
  }
  return answer;
}

// `answer`'s topics in the response's topic type (top-level or per-group).
template <typename Topic>
std::vector<Topic> topics_of(const GroupOffsets& answer) {
  std::vector<Topic> topics;
  for (const TopicOffsets& offsets : answer.topics) {
    Topic topic;
    topic.name = offsets.name;
    for (const PartitionOffset& offset : offsets.partitions) {
      auto& partition = topic.partitions.emplace_back();
      partition.partition_index = offset.partition;
      partition.committed_offset = offset.offset;
      partition.committed_leader_epoch = offset.leader_epoch;
      partition.metadata = offset.metadata;
      partition.error_code = static_cast<int16_t>(offset.error);
    }
    topics.push_back(std::move(topic));
  }
  return topics;
}

}  // namespace

OffsetFetchResponse handle_offset_fetch(BrokerContext& context, const Access& access,
                                        const OffsetFetchRequest& request, int16_t version) {
  OffsetFetchResponse response;
  const bool require_stable = version >= 7 && request.require_stable;
  if (version >= 8) {
    // KIP-709: several groups in one request, each answered on its own.
    for (const auto& group : request.groups) {
      const GroupOffsets answer =
          fetch_group(context, access, group.group_id, requested(group.topics), require_stable);
      auto& group_response = response.groups.emplace_back();
      group_response.group_id = group.group_id;
      group_response.error_code = static_cast<int16_t>(answer.error);
      group_response.topics =
          topics_of<OffsetFetchResponse::OffsetFetchResponseGroup::OffsetFetchResponseTopics>(
              answer);
    }
    return response;
  }
  const RequestedTopics topics = requested(request.topics);
  GroupOffsets answer = fetch_group(context, access, request.group_id, topics, require_stable);
  if (answer.error != ErrorCode::kNone && version < 2) {
    // v2 added the top-level error; before it, each requested partition carries it.
    for (const auto& [name, partitions] : topics.value_or(RequestedTopics::value_type{})) {
      TopicOffsets refused{.name = name, .partitions = {}};
      for (int32_t partition : partitions) {
        refused.partitions.push_back(
            PartitionOffset{.partition = partition, .error = answer.error});
      }
      answer.topics.push_back(std::move(refused));
    }
  } else {
    response.error_code = static_cast<int16_t>(answer.error);
  }
  response.topics = topics_of<OffsetFetchResponse::OffsetFetchResponseTopic>(answer);
  return response;
}

}  // namespace runnel::broker
