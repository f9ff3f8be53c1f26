#include "tools/topics_command.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/client/consumer.h"
#include "tools/command_output.h"

namespace runnel::tools {
namespace {

struct CreateOptions {
  std::string topic;
  int partitions = 1;
  std::vector<std::string> configs;
  bool if_not_exists = false;
};

int create_topic(const ClusterConnection& cluster, const CreateOptions& options) {
  client::NewTopic topic{options.topic, options.partitions, 1, {}};
  for (const std::string& config : options.configs) {
    const auto equals = config.find('=');
    if (equals == std::string::npos || equals == 0) {
      return fail(invalid_argument_error("--config " + config + ": expected NAME=VALUE"));
    }
    topic.configs[config.substr(0, equals)] = config.substr(equals + 1);
  }
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto results = (*admin)->create_topics({topic}, cluster.timeout);
  if (!results.ok()) return fail(results.status());
  const Status& created = results->front();
  if (created.code() == StatusCode::kAlreadyExists && options.if_not_exists) return 0;
  if (!created.ok()) return fail(created);
  std::printf("created topic %s with %d partition(s)\n", options.topic.c_str(), options.partitions);
  return 0;
}

int list_topics(const ClusterConnection& cluster) {
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto topics = (*admin)->list_topics(cluster.timeout);
  if (!topics.ok()) return fail(topics.status());
  std::sort(topics->begin(), topics->end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& topic : *topics) std::printf("%s\n", topic.name.c_str());
  return 0;
}

int describe_topic(const ClusterConnection& cluster, const std::string& name) {
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto topic = (*admin)->describe_topic(name, cluster.timeout);
  if (!topic.ok()) return fail(topic.status());
  auto consumer = client::Consumer::create(cluster.client_config());
  if (!consumer.ok()) return fail(consumer.status());
  std::printf("topic %s: %d partition(s)\n", topic->name.c_str(), topic->partitions);
  std::printf("%-10s %15s %15s %12s\n", "partition", "start offset", "end offset", "records");
  for (int32_t p = 0; p < topic->partitions; ++p) {
    auto marks = (*consumer)->watermark_offsets({name, p}, cluster.timeout);
    if (!marks.ok()) return fail(marks.status());
    std::printf("%-10d %15lld %15lld %12lld\n", p, static_cast<long long>(marks->first),
                static_cast<long long>(marks->second),
                static_cast<long long>(marks->second - marks->first));
  }
  return 0;
}

int delete_topics(const ClusterConnection& cluster, const std::vector<std::string>& names) {
  auto admin = cluster.connect();
  if (!admin.ok()) return fail(admin.status());
  auto results = (*admin)->delete_topics(names, cluster.timeout);
  if (!results.ok()) return fail(results.status());
  int code = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if ((*results)[i].ok()) {
      std::printf("deleted topic %s\n", names[i].c_str());
    } else {
      code = fail((*results)[i]);
    }
  }
  return code;
}

}  // namespace

void add_topics_command(CLI::App& parent, const ClusterConnection& cluster,
                        std::function<int()>& run) {
  CLI::App* topics = parent.add_subcommand("topics", "Create, list, describe and delete topics");
  topics->require_subcommand(1);

  auto create = std::make_shared<CreateOptions>();
  CLI::App* create_cmd = topics->add_subcommand("create", "Create a topic");
  create_cmd->add_option("topic", create->topic, "Topic name")->required();
  create_cmd->add_option("--partitions,-p", create->partitions, "Number of partitions")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  create_cmd->add_option("--config,-c", create->configs,
                         "Topic config NAME=VALUE, repeatable (cleanup.policy=compact, ...)");
  create_cmd->add_flag("--if-not-exists", create->if_not_exists,
                       "Succeed when the topic exists already");
  create_cmd->callback([&cluster, &run, create] {
    run = [&cluster, create] { return create_topic(cluster, *create); };
  });

  topics->add_subcommand("list", "List every topic")->callback([&cluster, &run] {
    run = [&cluster] { return list_topics(cluster); };
  });

  auto describe_name = std::make_shared<std::string>();
  CLI::App* describe = topics->add_subcommand(
      "describe", "Show a topic's partitions with their start and end offsets");
  describe->add_option("topic", *describe_name, "Topic name")->required();
  describe->callback([&cluster, &run, describe_name] {
    run = [&cluster, describe_name] { return describe_topic(cluster, *describe_name); };
  });

  auto delete_names = std::make_shared<std::vector<std::string>>();
  CLI::App* remove = topics->add_subcommand("delete", "Delete topics and all their records");
  remove->add_option("topics", *delete_names, "Topic names")->required();
  remove->callback([&cluster, &run, delete_names] {
    run = [&cluster, delete_names] { return delete_topics(cluster, *delete_names); };
  });
}

}  // namespace runnel::tools
