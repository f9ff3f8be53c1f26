#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "tools/cluster_connection.h"

namespace runnel::tools {

// `runnel transactions list|describe`: the transactions every broker's coordinator knows
// (KIP-664: ListTransactions on every broker, DescribeTransactions at the transactional id's
// coordinator), so that an operator can find a hanging transaction, its producer, its
// partitions and how long it has been open.
void add_transactions_command(CLI::App& parent, const ClusterConnection& cluster,
                              std::function<int()>& run);

}  // namespace runnel::tools
