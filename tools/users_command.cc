#include "tools/users_command.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "broker/protocol/error_code.h"
#include "broker/protocol/generated/alter_user_scram_credentials_request.h"
#include "broker/protocol/generated/alter_user_scram_credentials_response.h"
#include "broker/protocol/generated/describe_user_scram_credentials_request.h"
#include "broker/protocol/generated/describe_user_scram_credentials_response.h"
#include "broker/security/scram.h"
#include "tools/command_output.h"

namespace runnel::tools {
namespace {

using broker::ScramMechanism;

Status protocol_error(int16_t code, const std::optional<std::string>& message,
                      const std::string& what) {
  return invalid_argument_error(
      fmt::format("{}: {} ({})", what, message.value_or(""), broker::error_name(code)));
}

Result<broker::DescribeUserScramCredentialsResponse> describe(
    KafkaWireClient& client, const std::vector<std::string>& users) {
  broker::DescribeUserScramCredentialsRequest request;
  if (!users.empty()) {
    request.users.emplace();
    for (const std::string& user : users) request.users->push_back({.name = user});
  }
  RUNNEL_ASSIGN_OR_RETURN(auto response,
                          client.call<broker::DescribeUserScramCredentialsResponse>(request, 0));
  if (response.error_code != 0) {
    return protocol_error(response.error_code, response.error_message, "describing users");
  }
  return response;
}

Status alter(KafkaWireClient& client, const broker::AlterUserScramCredentialsRequest& request,
             const std::string& what) {
  RUNNEL_ASSIGN_OR_RETURN(auto response,
                          client.call<broker::AlterUserScramCredentialsResponse>(request, 0));
  for (const auto& result : response.results) {
    if (result.error_code != 0) {
      return protocol_error(result.error_code, result.error_message,
                            fmt::format("{} '{}'", what, result.user));
    }
  }
  return ok_status();
}

int create_user(const ClusterConnection& cluster, const std::string& name,
                const std::string& mechanism_name, int32_t iterations,
                std::optional<std::string> password) {
  const auto mechanism = broker::scram_mechanism_from_name(mechanism_name);
  if (!mechanism) {
    return fail(invalid_argument_error("--mechanism: SCRAM-SHA-256 or SCRAM-SHA-512"));
  }
  if (!password) {
    std::string line;
    if (!std::getline(std::cin, line)) {
      return fail(invalid_argument_error("no password: pass --password or one line on stdin"));
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    password = std::move(line);
  }
  if (password->empty()) return fail(invalid_argument_error("the password is empty"));
  auto salt = broker::secure_random_bytes(32);
  if (!salt.ok()) return fail(salt.status());
  auto client = cluster.connect_wire(cluster.bootstrap_server);
  if (!client.ok()) return fail(client.status());
  broker::AlterUserScramCredentialsRequest request;
  request.upsertions.push_back({
      .name = name,
      .mechanism = static_cast<int8_t>(*mechanism),
      .iterations = iterations,
      .salt = *salt,
      .salted_password =
          broker::scram_salted_password(*mechanism, *password, salt->view(), iterations),
  });
  if (Status done = alter(**client, request, "creating user"); !done.ok()) return fail(done);
  std::printf("created user %s (%s, %d iterations)\n", name.c_str(), mechanism_name.c_str(),
              iterations);
  return 0;
}

int delete_user(const ClusterConnection& cluster, const std::string& name,
                const std::string& mechanism_name) {
  auto client = cluster.connect_wire(cluster.bootstrap_server);
  if (!client.ok()) return fail(client.status());
  broker::AlterUserScramCredentialsRequest request;
  if (!mechanism_name.empty()) {
    const auto mechanism = broker::scram_mechanism_from_name(mechanism_name);
    if (!mechanism) {
      return fail(invalid_argument_error("--mechanism: SCRAM-SHA-256 or SCRAM-SHA-512"));
    }
    request.deletions.push_back({.name = name, .mechanism = static_cast<int8_t>(*mechanism)});
  } else {
    // Every mechanism the user has.
    auto described = describe(**client, {name});
    if (!described.ok()) return fail(described.status());
    for (const auto& result : described->results) {
      if (result.error_code != 0) {
        return fail(protocol_error(result.error_code, result.error_message,
                                   fmt::format("deleting user '{}'", name)));
      }
      for (const auto& info : result.credential_infos) {
        request.deletions.push_back({.name = name, .mechanism = info.mechanism});
      }
    }
  }
  if (Status done = alter(**client, request, "deleting user"); !done.ok()) return fail(done);
  std::printf("deleted user %s\n", name.c_str());
  return 0;
}

int list_users(const ClusterConnection& cluster) {
  auto client = cluster.connect_wire(cluster.bootstrap_server);
  if (!client.ok()) return fail(client.status());
  auto described = describe(**client, {});
  if (!described.ok()) return fail(described.status());
  std::printf("%-24s %-14s %s\n", "USER", "MECHANISM", "ITERATIONS");
  for (const auto& result : described->results) {
    for (const auto& info : result.credential_infos) {
      const auto mechanism = broker::scram_mechanism_from_code(info.mechanism);
      std::printf(
          "%-24s %-14s %d\n", result.user.c_str(),
          mechanism ? std::string(broker::scram_mechanism_name(*mechanism)).c_str() : "UNKNOWN",
          info.iterations);
    }
  }
  return 0;
}

}  // namespace

void add_users_command(CLI::App& parent, const ClusterConnection& cluster,
                       std::function<int()>& run) {
  CLI::App* users = parent.add_subcommand("users", "SCRAM users: create, delete, list");
  users->require_subcommand(1);

  struct CreateArgs {
    std::string name;
    std::string mechanism = "SCRAM-SHA-256";
    int32_t iterations = 8192;
    std::optional<std::string> password;
  };
  auto create_args = std::make_shared<CreateArgs>();
  CLI::App* create =
      users->add_subcommand("create", "Create a user, or replace its password for a mechanism");
  create->add_option("name", create_args->name, "User name")->required();
  create->add_option("--mechanism", create_args->mechanism, "SCRAM-SHA-256 or SCRAM-SHA-512")
      ->check(CLI::IsMember({"SCRAM-SHA-256", "SCRAM-SHA-512"}))
      ->capture_default_str();
  create->add_option("--iterations", create_args->iterations, "PBKDF2 iterations (4096-16384)")
      ->check(CLI::Range(broker::kScramMinIterations, broker::kScramMaxIterations))
      ->capture_default_str();
  create->add_option("--password", create_args->password,
                     "The password (default: read one line from standard input)");
  create->callback([&cluster, &run, create_args] {
    run = [&cluster, create_args] {
      return create_user(cluster, create_args->name, create_args->mechanism,
                         create_args->iterations, create_args->password);
    };
  });

  struct DeleteArgs {
    std::string name;
    std::string mechanism;
  };
  auto delete_args = std::make_shared<DeleteArgs>();
  CLI::App* remove = users->add_subcommand("delete", "Delete a user's credentials");
  remove->add_option("name", delete_args->name, "User name")->required();
  remove
      ->add_option("--mechanism", delete_args->mechanism,
                   "Only this mechanism's credential (default: all of the user's)")
      ->check(CLI::IsMember({"SCRAM-SHA-256", "SCRAM-SHA-512"}));
  remove->callback([&cluster, &run, delete_args] {
    run = [&cluster, delete_args] {
      return delete_user(cluster, delete_args->name, delete_args->mechanism);
    };
  });

  CLI::App* list = users->add_subcommand("list", "Every user with its mechanisms and iterations");
  list->callback([&cluster, &run] { run = [&cluster] { return list_users(cluster); }; });
}

}  // namespace runnel::tools
