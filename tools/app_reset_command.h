#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "tools/cluster_connection.h"

namespace runnel::tools {

// `runnel app reset --application-id ID --input-topics T,...`: what Kafka's application reset
// tool does, so that a Runnel (or Kafka Streams) application replays its history: moves the
// application's committed input offsets (to the earliest, a date-time or a duration ago),
// deletes its internal topics (<id>-...-changelog, <id>-...-repartition) and wipes its local
// state under <state-dir>/<id>. Refuses while the application's group has live members.
void add_app_reset_command(CLI::App& parent, const ClusterConnection& cluster,
                           std::function<int()>& run);

}  // namespace runnel::tools
