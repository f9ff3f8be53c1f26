#include "tools/group_offsets_reset.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "core/client/consumer.h"
#include "tools/command_output.h"

namespace runnel::tools {
namespace {

Result<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return invalid_argument_error("not a number: '" + std::string(text) + "'");
  }
  return value;
}

std::string name(const client::TopicPartition& partition) {
  return partition.topic + "-" + std::to_string(partition.partition);
}

}  // namespace

Result<TopicSelection> parse_topic_selection(std::string_view text) {
  TopicSelection selection;
  const auto colon = text.find(':');
  selection.topic = std::string(text.substr(0, colon));
  if (selection.topic.empty()) {
    return invalid_argument_error("--topic '" + std::string(text) + "' names no topic");
  }
  if (colon == std::string_view::npos) return selection;
  std::string_view rest = text.substr(colon + 1);
  while (true) {
    const auto comma = rest.find(',');
    auto partition = parse_int(rest.substr(0, comma));
    if (!partition.ok() || *partition < 0 || *partition > INT32_MAX) {
      return invalid_argument_error("--topic '" + std::string(text) +
                                    "': expected topic or topic:partition[,partition...]");
    }
    selection.partitions.push_back(static_cast<std::int32_t>(*partition));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return selection;
}

Result<std::int64_t> reset_offset(const ResetTarget& target,
                                  std::pair<std::int64_t, std::int64_t> marks,
                                  std::optional<std::int64_t> committed,
                                  std::optional<std::int64_t> offset_at_time) {
  const auto [start, end] = marks;
  // Kafka moves an offset outside the log to its nearer end (with a warning) rather than
  // commit a position the consumer would have to reset again.
  const auto clamp = [&](std::int64_t offset) { return std::clamp(offset, start, end); };
  switch (target.kind) {
    case ResetTarget::Kind::kEarliest:
      return start;
    case ResetTarget::Kind::kLatest:
      return end;
    case ResetTarget::Kind::kOffset:
      return clamp(target.value);
    case ResetTarget::Kind::kDatetime:
      if (!offset_at_time) return internal_error("--to-datetime needs the offset for the time");
      return clamp(*offset_at_time);
    case ResetTarget::Kind::kShiftBy:
      if (!committed) {
        return invalid_argument_error("--shift-by needs a committed offset to shift");
      }
      return clamp(*committed + target.value);
  }
  return internal_error("unknown reset target");
}

int reset_group_offsets(const ClusterConnection& cluster, const ResetOffsetsOptions& options) {
  if (options.topics.empty() == !options.all_topics) {
    return fail(
        invalid_argument_error("choose the partitions: --topic (repeatable) or "
                               "--all-topics"));
  }
  std::vector<TopicSelection> selections;
  for (const auto& text : options.topics) {
    auto selection = parse_topic_selection(text);
    if (!selection.ok()) return fail(selection.status());
    selections.push_back(std::move(*selection));
  }

  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto group = (*admin)->describe_group(options.group, cluster.timeout);
  if (!group.ok()) return fail(group.status());
  if (!group->members.empty()) {
    return fail(aborted_error("offsets can only be reset while group '" + options.group +
                              "' is inactive, but it is " + group->state + " with " +
                              std::to_string(group->members.size()) +
                              " member(s): stop its consumers first (their commits would "
                              "overwrite the reset)"));
  }
  auto committed_list = (*admin)->list_group_offsets(options.group, cluster.timeout);
  if (!committed_list.ok()) return fail(committed_list.status());
  std::map<client::TopicPartition, std::int64_t> committed;
  for (const auto& offset : *committed_list) {
    if (offset.offset >= 0) committed[offset.topic_partition] = offset.offset;
  }

  std::set<client::TopicPartition> partitions;
  if (options.all_topics) {
    for (const auto& [partition, offset] : committed) partitions.insert(partition);
  }
  for (const auto& selection : selections) {
    auto topic = (*admin)->describe_topic(selection.topic, cluster.timeout);
    if (!topic.ok()) return fail(topic.status());
    if (selection.partitions.empty()) {
      for (std::int32_t p = 0; p < topic->partitions; ++p) partitions.insert({topic->name, p});
    }
    for (const std::int32_t p : selection.partitions) {
      const Status exists = check_partition(*topic, p);
      if (!exists.ok()) return fail(exists);
      partitions.insert({topic->name, p});
    }
  }

  // The group's own consumer, never subscribed: its commits are simple ones (generation -1),
  // which the coordinator accepts from outside an inactive group, as Kafka's tool sends them.
  auto consumer = client::Consumer::create(
      cluster.client_config({{"group.id", options.group}, {"enable.auto.commit", "false"}}));
  if (!consumer.ok()) return fail(consumer.status());
  std::vector<client::TopicPartitionOffset> plan;
  for (const auto& partition : partitions) {
    auto marks = (*consumer)->watermark_offsets(partition, cluster.timeout);
    if (!marks.ok()) return fail(marks.status());
    const auto found = committed.find(partition);
    const std::optional<std::int64_t> current =
        found == committed.end() ? std::nullopt : std::optional(found->second);
    std::optional<std::int64_t> offset_at_time;
    if (options.target.kind == ResetTarget::Kind::kDatetime) {
      auto offset = (*consumer)->offset_for_time(partition, options.target.value, cluster.timeout);
      if (!offset.ok()) return fail(offset.status());
      offset_at_time = *offset;
    }
    auto offset = reset_offset(options.target, *marks, current, offset_at_time);
    if (!offset.ok()) {
      return fail(Status(offset.status().code(),
                         name(partition) + ": " + std::string(offset.status().message())));
    }
    plan.push_back({partition, *offset, {}});
  }

  std::printf("%-30s %-30s %9s %14s %14s\n", "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET",
              "NEW-OFFSET");
  for (const auto& entry : plan) {
    const auto found = committed.find(entry.topic_partition);
    const std::string current = found == committed.end() ? "-" : std::to_string(found->second);
    std::printf("%-30s %-30s %9d %14s %14lld\n", options.group.c_str(),
                entry.topic_partition.topic.c_str(), entry.topic_partition.partition,
                current.c_str(), static_cast<long long>(entry.offset));
  }
  if (!options.execute) {
    std::fprintf(stderr,
                 "runnel: dry run, nothing changed (add --execute to commit these "
                 "offsets)\n");
    return 0;
  }
  if (plan.empty()) return 0;
  const Status committed_now = (*consumer)->commit(plan);
  if (!committed_now.ok()) return fail(committed_now);
  std::printf("committed %zu offset(s) for group %s\n", plan.size(), options.group.c_str());
  return 0;
}

}  // namespace runnel::tools
