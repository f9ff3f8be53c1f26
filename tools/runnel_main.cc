// runnel: the command-line tool for Runnel and any Kafka cluster: topics, produce, consume,
// consumer groups, transactions, ACLs and application reset.
#include <cstdio>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "tools/acls_command.h"
#include "tools/app_reset_command.h"
#include "tools/apps_command.h"
#include "tools/cluster_connection.h"
#include "tools/consume_command.h"
#include "tools/groups_command.h"
#include "tools/produce_command.h"
#include "tools/topics_command.h"
#include "tools/transactions_command.h"
#include "tools/users_command.h"

namespace {

// The value of --command-config, looked for before the flags are parsed: the file sets the
// defaults that the other flags then override.
std::string command_config_of(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--command-config" && i + 1 < argc) return argv[i + 1];
    if (arg.starts_with("--command-config=")) return arg.substr(17);
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  runnel::tools::ClusterConnection cluster;
  std::string command_config = command_config_of(argc, argv);
  if (!command_config.empty()) {
    if (auto loaded = runnel::tools::load_command_config(command_config, cluster); !loaded.ok()) {
      std::fprintf(stderr, "runnel: %s\n", std::string(loaded.message()).c_str());
      return 2;
    }
  }
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
  app.add_option("--command-config", command_config,
                 "Kafka client properties (security.protocol, sasl.*, ssl.*) as Kafka's tools "
                 "take them; flags override it");
  app.add_option("--security-protocol", cluster.security_protocol,
                 "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (security.protocol)")
      ->envname("RUNNEL_SECURITY_PROTOCOL")
      ->check(CLI::IsMember({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}))
      ->capture_default_str();
  app.add_option("--sasl-mechanism", cluster.sasl_mechanism,
                 "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (sasl.mechanism)")
      ->envname("RUNNEL_SASL_MECHANISM")
      ->check(CLI::IsMember({"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}))
      ->capture_default_str();
  app.add_option("--sasl-username", cluster.sasl_username, "SASL user (sasl.username)")
      ->envname("RUNNEL_SASL_USERNAME");
  app.add_option("--sasl-password", cluster.sasl_password,
                 "SASL password (sasl.password; prefer the environment variable)")
      ->envname("RUNNEL_SASL_PASSWORD");
  app.add_option("--ssl-ca-location", cluster.tls.ca_location,
                 "PEM CA certificates the broker's certificate must chain to (ssl.ca.location; "
                 "default: the system's)")
      ->envname("RUNNEL_SSL_CA_LOCATION");
  app.add_option("--ssl-certificate-location", cluster.tls.certificate_location,
                 "PEM client certificate, for brokers that ask for one (ssl.certificate.location)")
      ->envname("RUNNEL_SSL_CERTIFICATE_LOCATION");
  app.add_option("--ssl-key-location", cluster.tls.key_location,
                 "PEM private key of the client certificate (ssl.key.location)")
      ->envname("RUNNEL_SSL_KEY_LOCATION");
  app.add_option("--ssl-key-password", cluster.tls.key_password,
                 "Password of an encrypted client key (ssl.key.password)")
      ->envname("RUNNEL_SSL_KEY_PASSWORD");
  app.parse_complete_callback([&] { cluster.timeout = std::chrono::milliseconds(timeout_ms); });

  runnel::tools::add_topics_command(app, cluster, run);
  runnel::tools::add_produce_command(app, cluster, run);
  runnel::tools::add_consume_command(app, cluster, run);
  runnel::tools::add_groups_command(app, cluster, run);
  runnel::tools::add_transactions_command(app, cluster, run);
  runnel::tools::add_acls_command(app, cluster, run);
  runnel::tools::add_app_reset_command(app, cluster, run);
  runnel::tools::add_users_command(app, cluster, run);
  runnel::tools::add_apps_command(app, cluster, run);

  CLI11_PARSE(app, argc, argv);
  return run ? run() : 1;
}
