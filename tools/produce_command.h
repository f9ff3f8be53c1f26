#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "tools/cluster_connection.h"

namespace runnel::tools {

// `runnel produce TOPIC`: one record per line of stdin, "key<TAB>value" or a value alone
// (null key). Waits until every record is acknowledged (acks=all by default).
void add_produce_command(CLI::App& parent, const ClusterConnection& cluster,
                         std::function<int()>& run);

}  // namespace runnel::tools
