#include "tools/groups_command.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/client/consumer.h"
#include "tools/command_output.h"

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

}  // namespace

void add_groups_command(CLI::App& parent, const ClusterConnection& cluster,
                        std::function<int()>& run) {
  CLI::App* groups = parent.add_subcommand("groups", "List and describe consumer groups");
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
}

}  // namespace runnel::tools
