#include "tools/groups_command.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/client/consumer.h"
#include "tools/command_output.h"
#include "tools/group_offsets_reset.h"
#include "tools/time_arg.h"

namespace runnel::tools {
namespace {

int list_groups(const ClusterConnection& cluster) {
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto groups = (*admin)->list_groups(cluster.timeout);
  if (!groups.ok()) return fail(groups.status());
  std::sort(groups->begin(), groups->end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  std::printf("%-40s %-20s %s\n", "GROUP", "STATE", "MEMBERS");
  for (const auto& listing : *groups) {
    // ListGroups' own state needs v4; describing each group works with every broker.
    auto group = (*admin)->describe_group(listing.group_id, cluster.timeout);
    if (!group.ok()) return fail(group.status());
    std::printf("%-40s %-20s %zu\n", listing.group_id.c_str(), group->state.c_str(),
                group->members.size());
  }
  return 0;
}

int describe_group(const ClusterConnection& cluster, const std::string& group_id) {
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto group = (*admin)->describe_group(group_id, cluster.timeout);
  if (!group.ok()) return fail(group.status());
  auto committed = (*admin)->list_group_offsets(group_id, cluster.timeout);
  if (!committed.ok()) return fail(committed.status());
  if (group->state == "Dead" && committed->empty()) {
    return fail(not_found_error("consumer group " + group_id + " does not exist"));
  }

  // Every partition the group commits to or is assigned, with who holds it.
  std::map<client::TopicPartition, const client::GroupMember*> owner;
  std::map<client::TopicPartition, int64_t> offsets;
  for (const auto& member : group->members) {
    for (const auto& partition : member.assignment) owner[partition] = &member;
  }
  for (const auto& offset : *committed) {
    offsets[offset.topic_partition] = offset.offset;
    owner.try_emplace(offset.topic_partition, nullptr);
  }
  auto consumer = client::Consumer::create(cluster.client_config());
  if (!consumer.ok()) return fail(consumer.status());

  std::printf("group %s: %s, %zu member(s)%s%s\n\n", group_id.c_str(), group->state.c_str(),
              group->members.size(), group->assignor.empty() ? "" : ", assignor ",
              group->assignor.c_str());
  std::printf("%-30s %9s %14s %14s %10s  %s\n", "TOPIC", "PARTITION", "COMMITTED", "END OFFSET",
              "LAG", "MEMBER (CLIENT-ID, HOST)");
  for (const auto& [partition, member] : owner) {
    auto marks = (*consumer)->watermark_offsets(partition, cluster.timeout);
    if (!marks.ok()) return fail(marks.status());
    const auto found = offsets.find(partition);
    const std::string committed_text = found == offsets.end() ? "-" : std::to_string(found->second);
    // With nothing committed the whole retained log is behind the group.
    const int64_t lag = marks->second - (found == offsets.end() ? marks->first : found->second);
    const std::string who = member == nullptr ? "-"
                                              : member->member_id + " (" + member->client_id +
                                                    ", " + member->host + ")";
    std::printf("%-30s %9d %14s %14lld %10lld  %s\n", partition.topic.c_str(), partition.partition,
                committed_text.c_str(), static_cast<long long>(marks->second),
                static_cast<long long>(lag), who.c_str());
  }
  return 0;
}

// Deletes each group with its committed offsets, as kafka-consumer-groups.sh --delete does:
// every group is tried; a group with members, or none by that name, is reported and fails
// the command.
int delete_groups(const ClusterConnection& cluster, const std::vector<std::string>& group_ids) {
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  int exit_code = 0;
  for (const auto& group_id : group_ids) {
    const Status deleted = (*admin)->delete_group(group_id, cluster.timeout);
    if (deleted.ok()) {
      std::printf("deleted consumer group %s\n", group_id.c_str());
    } else {
      exit_code = fail(deleted);
    }
  }
  return exit_code;
}

// The reset flags as typed; exactly one target must be given.
struct ResetFlags {
  ResetOffsetsOptions options;
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<std::int64_t> to_offset;
  std::string to_datetime;
  std::optional<std::int64_t> shift_by;
  bool dry_run = false;
};

int reset_offsets(const ClusterConnection& cluster, ResetFlags flags) {
  const int targets = int{flags.to_earliest} + int{flags.to_latest} +
                      int{flags.to_offset.has_value()} + int{!flags.to_datetime.empty()} +
                      int{flags.shift_by.has_value()};
  if (targets != 1) {
    return fail(invalid_argument_error(
        "choose one of --to-earliest, --to-latest, --to-offset, --to-datetime and --shift-by"));
  }
  if (flags.dry_run && flags.options.execute) {
    return fail(invalid_argument_error("choose one of --dry-run and --execute"));
  }
  ResetTarget& target = flags.options.target;
  if (flags.to_latest) target.kind = ResetTarget::Kind::kLatest;
  if (flags.to_offset) target = {ResetTarget::Kind::kOffset, *flags.to_offset};
  if (flags.shift_by) target = {ResetTarget::Kind::kShiftBy, *flags.shift_by};
  if (!flags.to_datetime.empty()) {
    auto time = parse_time_point(flags.to_datetime);
    if (!time.ok()) return fail(time.status());
    target = {ResetTarget::Kind::kDatetime, *time};
  }
  return reset_group_offsets(cluster, flags.options);
}

}  // namespace

void add_groups_command(CLI::App& parent, const ClusterConnection& cluster,
                        std::function<int()>& run) {
  CLI::App* groups =
      parent.add_subcommand("groups", "List, describe, reset and delete consumer groups");
  groups->require_subcommand(1);
  groups->add_subcommand("list", "List consumer groups with their state and member count")
      ->callback([&cluster, &run] { run = [&cluster] { return list_groups(cluster); }; });
  auto name = std::make_shared<std::string>();
  CLI::App* describe = groups->add_subcommand(
      "describe", "Show a group's members, assignments, committed offsets and lag");
  describe->add_option("group", *name, "Group id")->required();
  describe->callback([&cluster, &run, name] {
    run = [&cluster, name] { return describe_group(cluster, *name); };
  });

  auto reset = std::make_shared<ResetFlags>();
  CLI::App* reset_command = groups->add_subcommand(
      "reset-offsets",
      "Move an inactive group's committed offsets (as kafka-consumer-groups.sh "
      "--reset-offsets); prints the plan, and commits it with --execute");
  reset_command->add_option("--group", reset->options.group, "Group id")->required();
  reset_command->add_option("--topic", reset->options.topics,
                            "topic or topic:partition[,partition...] (repeatable)");
  reset_command->add_flag("--all-topics", reset->options.all_topics,
                          "Every partition the group has committed offsets for");
  reset_command->add_flag("--to-earliest", reset->to_earliest, "Each partition's first record");
  reset_command->add_flag("--to-latest", reset->to_latest,
                          "Each partition's end (skip every record there now)");
  reset_command->add_option("--to-offset", reset->to_offset,
                            "This offset (moved into the partition's range if outside)");
  reset_command->add_option("--to-datetime", reset->to_datetime,
                            "The first record at or after this time (2026-01-01T00:00:00Z, "
                            "epoch ms or a time ago: -1h, -15m); the end when there is none");
  reset_command->add_option("--shift-by", reset->shift_by,
                            "The committed offset plus this (negative goes back), kept in the "
                            "partition's range");
  reset_command->add_flag("--dry-run", reset->dry_run, "Print the plan only (the default)");
  reset_command->add_flag("--execute", reset->options.execute, "Commit the plan");
  reset_command->callback([&cluster, &run, reset] {
    run = [&cluster, reset] { return reset_offsets(cluster, *reset); };
  });

  auto delete_ids = std::make_shared<std::vector<std::string>>();
  CLI::App* delete_command = groups->add_subcommand(
      "delete", "Delete inactive consumer groups with their committed offsets");
  delete_command->add_option("--group", *delete_ids, "Group id (repeatable)")->required();
  delete_command->callback([&cluster, &run, delete_ids] {
    run = [&cluster, delete_ids] { return delete_groups(cluster, *delete_ids); };
  });
}

}  // namespace runnel::tools
