// runnel: the command-line tool for Runnel and any Kafka cluster: topics, produce, consume,
// consumer groups, transactions, ACLs and application reset.
#include <functional>

#include <CLI/CLI.hpp>

#include "tools/acls_command.h"
#include "tools/app_reset_command.h"
#include "tools/cluster_connection.h"
#include "tools/consume_command.h"
#include "tools/groups_command.h"
#include "tools/produce_command.h"
#include "tools/topics_command.h"
#include "tools/transactions_command.h"

int main(int argc, char** argv) {
  runnel::tools::ClusterConnection cluster;
  long long timeout_ms = cluster.timeout.count();
  std::function<int()> run;

  CLI::App app{"runnel: topics, records and consumer groups on runneld or any Kafka cluster"};
  app.get_formatter()->column_width(40);
  app.require_subcommand(1);
  app.add_option("--bootstrap-server,-b", cluster.bootstrap_server,
                 "HOST:PORT of a broker to start from")
      ->envname("RUNNEL_BOOTSTRAP_SERVER")
      ->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "How long to wait for the cluster's answers")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.parse_complete_callback([&] { cluster.timeout = std::chrono::milliseconds(timeout_ms); });

  runnel::tools::add_topics_command(app, cluster, run);
  runnel::tools::add_produce_command(app, cluster, run);
  runnel::tools::add_consume_command(app, cluster, run);
  runnel::tools::add_groups_command(app, cluster, run);
  runnel::tools::add_transactions_command(app, cluster, run);
  runnel::tools::add_acls_command(app, cluster, run);
  runnel::tools::add_app_reset_command(app, cluster, run);

  CLI11_PARSE(app, argc, argv);
  return run ? run() : 1;
}
