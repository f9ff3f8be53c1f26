#include "tools/app_reset_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/client/consumer.h"
#include "tools/command_output.h"
#include "tools/time_arg.h"

namespace runnel::tools {
namespace {

struct ResetOptions {
  std::string application_id;
  std::vector<std::string> input_topics;
  bool to_earliest = false;
  std::string to_datetime;
  std::string by_duration;
  std::string state_dir = "/tmp/runnel-streams";
  bool dry_run = false;
};

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Internal topics as Kafka Streams names them: <id>-<name>-changelog, <id>-<name>-repartition,
// and a foreign-key join's <id>-<name>-subscription-registration-topic and
// -subscription-response-topic (generated names end in
// KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-<n>-topic and ...-RESPONSE-<n>-topic).
bool is_internal_topic_of(const std::string& topic, const std::string& application_id) {
  if (topic.rfind(application_id + "-", 0) != 0) return false;
  if (ends_with(topic, "-changelog") || ends_with(topic, "-repartition") ||
      ends_with(topic, "-subscription-registration-topic") ||
      ends_with(topic, "-subscription-response-topic")) {
    return true;
  }
  const auto generated = [&](std::string_view kind) {
    const size_t at = topic.find(kind, application_id.size());
    if (at == std::string::npos || !ends_with(topic, "-topic")) return false;
    const size_t digits_begin = at + kind.size();
    const size_t digits_end = topic.size() - std::string_view("-topic").size();
    if (digits_begin >= digits_end) return false;
    for (size_t i = digits_begin; i < digits_end; ++i) {
      if (topic[i] < '0' || topic[i] > '9') return false;
    }
    return true;
  };
  return generated("KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-") ||
         generated("KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-");
}

int reset(const ClusterConnection& cluster, const ResetOptions& options) {
  const int targets = (options.to_earliest ? 1 : 0) + (options.to_datetime.empty() ? 0 : 1) +
                      (options.by_duration.empty() ? 0 : 1);
  if (targets > 1) {
    return fail(
        invalid_argument_error("choose one of --to-earliest, --to-datetime and --by-duration"));
  }
  // Where to move the input offsets: a time, or the earliest offset (nullopt).
  std::optional<Timestamp> to_time;
  if (!options.to_datetime.empty()) {
    auto parsed = parse_time_point(options.to_datetime);
    if (!parsed.ok()) return fail(parsed.status());
    to_time = *parsed;
  } else if (!options.by_duration.empty()) {
    auto duration = parse_duration(options.by_duration);
    if (!duration.ok()) return fail(duration.status());
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    to_time = now - *duration;
  }

  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  const std::string& id = options.application_id;
  auto group = (*admin)->describe_group(id, cluster.timeout);
  if (!group.ok()) return fail(group.status());
  if (!group->members.empty()) {
    return fail(aborted_error("application " + id + " still has " +
                              std::to_string(group->members.size()) +
                              " active member(s) in its consumer group: stop every instance "
                              "first (the reset would be overwritten by their commits); an "
                              "instance with state stays a static member for its "
                              "session.timeout.ms (10 s by default) after it stops"));
  }
  auto topics = (*admin)->list_topics(cluster.timeout);
  if (!topics.ok()) return fail(topics.status());
  std::vector<std::string> internal_topics;
  std::vector<client::TopicDescription> inputs;
  for (const auto& name : options.input_topics) {
    bool found = false;
    for (const auto& topic : *topics) {
      if (topic.name == name) {
        inputs.push_back(topic);
        found = true;
      }
    }
    if (!found) return fail(not_found_error("input topic " + name + " does not exist"));
  }
  for (const auto& topic : *topics) {
    if (is_internal_topic_of(topic.name, id)) internal_topics.push_back(topic.name);
  }

  auto consumer = client::Consumer::create(
      cluster.client_config({{"group.id", id}, {"enable.auto.commit", "false"}}));
  if (!consumer.ok()) return fail(consumer.status());
  std::vector<client::TopicPartitionOffset> offsets;
  for (const auto& topic : inputs) {
    for (int32_t p = 0; p < topic.partitions; ++p) {
      const client::TopicPartition partition{topic.name, p};
      Result<int64_t> offset = 0;
      if (to_time) {
        offset = (*consumer)->offset_for_time(partition, *to_time, cluster.timeout);
      } else {
        auto marks = (*consumer)->watermark_offsets(partition, cluster.timeout);
        if (!marks.ok()) return fail(marks.status());
        offset = marks->first;
      }
      if (!offset.ok()) return fail(offset.status());
      offsets.push_back({partition, *offset, {}});
    }
  }
  const std::filesystem::path state = std::filesystem::path(options.state_dir) / id;

  const char* mode = options.dry_run ? "would reset" : "reset";
  for (const auto& offset : offsets) {
    std::printf("%s %s[%d] to offset %lld\n", mode, offset.topic_partition.topic.c_str(),
                offset.topic_partition.partition, static_cast<long long>(offset.offset));
  }
  for (const auto& topic : internal_topics) {
    std::printf("%s internal topic %s\n", options.dry_run ? "would delete" : "delete",
                topic.c_str());
  }
  const bool has_state = std::filesystem::exists(state);
  if (has_state) {
    std::printf("%s local state %s\n", options.dry_run ? "would delete" : "delete", state.c_str());
  }
  if (options.dry_run) return 0;

  // The group's old commits name internal topics about to vanish: the group goes, then
  // the input offsets are committed afresh (as a simple commit, outside any generation).
  if (group->state != "Dead") {
    const Status deleted = (*admin)->delete_group(id, cluster.timeout);
    if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return fail(deleted);
  }
  const Status committed = (*consumer)->commit(offsets);
  if (!committed.ok()) return fail(committed);
  if (!internal_topics.empty()) {
    auto results = (*admin)->delete_topics(internal_topics, cluster.timeout);
    if (!results.ok()) return fail(results.status());
    for (const Status& result : *results) {
      if (!result.ok()) return fail(result);
    }
  }
  if (has_state) {
    std::error_code error;
    std::filesystem::remove_all(state, error);
    if (error) {
      return fail(io_error("deleting local state " + state.string() + ": " + error.message()));
    }
  }
  std::printf("application %s reset: %zu input partition(s), %zu internal topic(s)%s\n", id.c_str(),
              offsets.size(), internal_topics.size(), has_state ? ", local state" : "");
  return 0;
}

}  // namespace

void add_app_reset_command(CLI::App& parent, const ClusterConnection& cluster,
                           std::function<int()>& run) {
  CLI::App* app = parent.add_subcommand("app", "Manage stream applications");
  app->require_subcommand(1);
  auto options = std::make_shared<ResetOptions>();
  CLI::App* cmd = app->add_subcommand(
      "reset",
      "Make an application replay its input: reset its input offsets, delete its internal "
      "topics and local state (stop every instance first)");
  cmd->add_option("--application-id", options->application_id,
                  "The application's application.id (its consumer group)")
      ->required();
  cmd->add_option("--input-topics", options->input_topics,
                  "The application's input topics, whose offsets are reset")
      ->delimiter(',');
  cmd->add_flag("--to-earliest", options->to_earliest,
                "Reset to each partition's first record (the default)");
  cmd->add_option("--to-datetime", options->to_datetime,
                  "Reset to the first record at or after this time (2026-01-01T00:00:00Z or "
                  "epoch ms)");
  cmd->add_option("--by-duration", options->by_duration,
                  "Reset to the first record at or after this long ago (PT1H, P1DT12H)");
  cmd->add_option("--state-dir", options->state_dir,
                  "The application's state.dir; <state-dir>/<application-id> is deleted")
      ->capture_default_str();
  cmd->add_flag("--dry-run", options->dry_run, "Print what would be done and change nothing");
  cmd->callback([&cluster, &run, options] {
    run = [&cluster, options] { return reset(cluster, *options); };
  });
}

}  // namespace runnel::tools
