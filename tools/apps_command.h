#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "tools/cluster_connection.h"

namespace runnel::tools {

// `runnel apps list` and `runnel apps describe APP`: the Runnel applications running on the
// cluster, as their instances report themselves to the compacted topic __runnel_app_reports
// (runtime/app_reporter.h): one row per instance, or one application's instances with their
// threads, tasks (state, input partitions, lag), stores and topology.
void add_apps_command(CLI::App& parent, const ClusterConnection& cluster,
                      std::function<int()>& run);

}  // namespace runnel::tools
