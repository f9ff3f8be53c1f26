#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "tools/cluster_connection.h"

namespace runnel::tools {

// `runnel users create|delete|list`: SCRAM users of runneld or any Kafka 2.7+ cluster,
// through DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554). `create`
// salts and hashes the password here (PBKDF2 with a fresh random salt), so that only the
// salted password crosses the network; it reads the password from --password or, without
// it, from the first line of standard input.
void add_users_command(CLI::App& parent, const ClusterConnection& cluster,
                       std::function<int()>& run);

}  // namespace runnel::tools
