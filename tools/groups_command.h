#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "tools/cluster_connection.h"

namespace runnel::tools {

// `runnel groups list|describe|reset-offsets|delete`: consumer groups, their members and
// assignments, and per partition the committed offset, the end offset and the lag between
// them; moving an inactive group's committed offsets, and deleting groups.
void add_groups_command(CLI::App& parent, const ClusterConnection& cluster,
                        std::function<int()>& run);

}  // namespace runnel::tools
