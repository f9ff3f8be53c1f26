#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "tools/cluster_connection.h"

namespace runnel::tools {

// `runnel consume TOPIC`: prints records, one per line: partition, offset, timestamp, key,
// value (tab-separated; a null key or value prints as "(null)"), from the beginning, an
// offset, a time or the end; in a consumer group or on its own.
void add_consume_command(CLI::App& parent, const ClusterConnection& cluster,
                         std::function<int()>& run);

}  // namespace runnel::tools
