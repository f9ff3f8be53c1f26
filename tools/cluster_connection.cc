#include "tools/cluster_connection.h"

namespace runnel::tools {

client::ClientConfig ClusterConnection::client_config(client::ClientConfig extra) const {
  extra["bootstrap.servers"] = bootstrap_server;
  extra["log_level"] = "0";
  extra["client.id"] = "runnel-cli";
  return extra;
}

Result<std::unique_ptr<client::Admin>> ClusterConnection::connect() const {
  RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<client::Admin> admin,
                          client::Admin::create(client_config()));
  Result<std::vector<client::TopicDescription>> probe = admin->list_topics(timeout);
  if (!probe.ok()) {
    return unavailable_error("no Kafka broker answered at " + bootstrap_server + " within " +
                             std::to_string(timeout.count()) + " ms (" +
                             std::string(probe.status().message()) + ")");
  }
  return admin;
}

Status check_partition(const client::TopicDescription& topic, std::int32_t partition) {
  if (partition >= 0 && partition < topic.partitions) return Status();
  return invalid_argument_error("topic " + topic.name + " has " + std::to_string(topic.partitions) +
                                " partition(s); there is no partition " +
                                std::to_string(partition));
}

}  // namespace runnel::tools
