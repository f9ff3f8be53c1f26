#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "tools/cluster_connection.h"

namespace runnel::tools {

// `runnel acls add|list|remove`: Kafka's ACLs (CreateAcls, DescribeAcls, DeleteAcls), with
// kafka-acls.sh's flags. `add --data-dir DIR` writes the ACLs straight into a stopped
// runneld's data directory instead, to bootstrap the first admin ACL the way kafka-acls.sh
// once wrote to ZooKeeper.
void add_acls_command(CLI::App& parent, const ClusterConnection& cluster,
                      std::function<int()>& run);

}  // namespace runnel::tools
