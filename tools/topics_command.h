#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "tools/cluster_connection.h"

namespace runnel::tools {

// `runnel topics create|list|describe|delete`: adds the subcommands to `parent`; the one
// chosen sets `run` to what it does, which returns the process exit code.
void add_topics_command(CLI::App& parent, const ClusterConnection& cluster,
                        std::function<int()>& run);

}  // namespace runnel::tools
