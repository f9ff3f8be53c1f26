#include "tools/acls_command.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "broker/protocol/error_code.h"
#include "broker/protocol/generated/create_acls_request.h"
#include "broker/protocol/generated/create_acls_response.h"
#include "broker/protocol/generated/delete_acls_request.h"
#include "broker/protocol/generated/delete_acls_response.h"
#include "broker/protocol/generated/describe_acls_request.h"
#include "broker/protocol/generated/describe_acls_response.h"
#include "broker/security/acl.h"
#include "broker/security/authorizer.h"
#include "tools/command_output.h"
#include "tools/kafka_wire_client.h"

namespace runnel::tools {
namespace {

using broker::AclBinding;
using broker::AclBindingFilter;
using broker::AclOperation;
using broker::AclPermission;
using broker::PatternType;
using broker::ResourceType;

// v1 (KIP-290, prefixed patterns) is served by every Kafka since 2.0 and by runneld.
constexpr int16_t kAclApiVersion = 1;

// What the flags of one `runnel acls` invocation say, as kafka-acls.sh's options.
struct AclFlags {
  std::vector<std::string> allow_principals;
  std::vector<std::string> deny_principals;
  std::string allow_host = "*";
  std::string deny_host = "*";
  std::vector<std::string> operations;
  std::vector<std::string> topics;
  std::vector<std::string> groups;
  std::vector<std::string> transactional_ids;
  bool cluster = false;
  std::string pattern_type;
  std::string principal;  // list: only this principal's ACLs
  std::string data_dir;   // add: write into a stopped broker's data directory
};

struct Resource {
  ResourceType type;
  std::string name;
};

std::vector<Resource> resources(const AclFlags& flags) {
  std::vector<Resource> out;
  for (const auto& name : flags.topics) out.push_back({ResourceType::kTopic, name});
  for (const auto& name : flags.groups) out.push_back({ResourceType::kGroup, name});
  for (const auto& name : flags.transactional_ids) {
    out.push_back({ResourceType::kTransactionalId, name});
  }
  if (flags.cluster) {
    out.push_back({ResourceType::kCluster, std::string(broker::kClusterResourceName)});
  }
  return out;
}

Result<std::vector<AclOperation>> operations(const AclFlags& flags, bool required) {
  std::vector<AclOperation> out;
  for (const std::string& name : flags.operations) {
    const AclOperation operation = broker::parse_operation(name);
    if (operation == AclOperation::kUnknown || operation == AclOperation::kAny) {
      return invalid_argument_error(
          fmt::format("unknown operation '{}' (All, Read, Write, Create, Delete, Alter, Describe, "
                      "ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite)",
                      name));
    }
    out.push_back(operation);
  }
  if (out.empty() && required) return invalid_argument_error("give at least one --operation");
  return out;
}

Result<PatternType> pattern_type(const AclFlags& flags, PatternType fallback) {
  if (flags.pattern_type.empty()) return fallback;
  const PatternType type = broker::parse_pattern_type(flags.pattern_type);
  if (type == PatternType::kUnknown) {
    return invalid_argument_error(
        fmt::format("unknown --resource-pattern-type '{}' (literal, prefixed, any, match)",
                    flags.pattern_type));
  }
  return type;
}

// Every (principal, host, permission) x operation x resource the flags name.
Result<std::vector<AclBinding>> bindings(const AclFlags& flags) {
  RUNNEL_ASSIGN_OR_RETURN(auto ops, operations(flags, true));
  RUNNEL_ASSIGN_OR_RETURN(PatternType pattern, pattern_type(flags, PatternType::kLiteral));
  const std::vector<Resource> targets = resources(flags);
  if (targets.empty()) {
    return invalid_argument_error(
        "give a resource: --topic, --group, --transactional-id or --cluster");
  }
  if (flags.allow_principals.empty() && flags.deny_principals.empty()) {
    return invalid_argument_error("give --allow-principal or --deny-principal");
  }
  std::vector<AclBinding> out;
  auto add = [&](const std::string& principal, const std::string& host, AclPermission permission) {
    for (const Resource& resource : targets) {
      for (AclOperation operation : ops) {
        out.push_back(AclBinding{.resource_type = resource.type,
                                 .resource_name = resource.name,
                                 .pattern_type = resource.type == ResourceType::kCluster
                                                     ? PatternType::kLiteral
                                                     : pattern,
                                 .principal = principal,
                                 .host = host,
                                 .operation = operation,
                                 .permission = permission});
      }
    }
  };
  for (const auto& principal : flags.allow_principals) {
    add(principal, flags.allow_host, AclPermission::kAllow);
  }
  for (const auto& principal : flags.deny_principals) {
    add(principal, flags.deny_host, AclPermission::kDeny);
  }
  for (const AclBinding& binding : out) {
    if (auto reason = broker::invalid_binding_reason(binding)) {
      return invalid_argument_error(*reason);
    }
  }
  return out;
}

Status protocol_error(int16_t code, const std::optional<std::string>& message,
                      const std::string& what) {
  return unavailable_error(fmt::format("{}: {} ({}){}", what, broker::error_name(code), code,
                                       message ? ": " + *message : std::string()));
}

void print_binding(const AclBinding& acl) {
  std::printf("%-16s %-9s %-30s %-24s %-15s %-16s %s\n",
              std::string(broker::to_string(acl.resource_type)).c_str(),
              std::string(broker::to_string(acl.pattern_type)).c_str(), acl.resource_name.c_str(),
              acl.principal.c_str(), acl.host.c_str(),
              std::string(broker::to_string(acl.operation)).c_str(),
              std::string(broker::to_string(acl.permission)).c_str());
}

void print_header() {
  std::printf("%-16s %-9s %-30s %-24s %-15s %-16s %s\n", "RESOURCE TYPE", "PATTERN", "NAME",
              "PRINCIPAL", "HOST", "OPERATION", "PERMISSION");
}

int add_offline(const AclFlags& flags, const std::vector<AclBinding>& acls) {
  // A fresh broker's directory may not exist yet: runneld creates the rest on start.
  std::error_code error;
  std::filesystem::create_directories(flags.data_dir, error);
  if (error) {
    return fail(io_error(fmt::format("creating {}: {}", flags.data_dir, error.message())));
  }
  auto authorizer = broker::Authorizer::open(flags.data_dir, {});
  if (!authorizer.ok()) return fail(authorizer.status());
  if (Status added = (*authorizer)->add(acls); !added.ok()) return fail(added);
  for (const AclBinding& acl : acls) std::printf("Added ACL %s\n", describe(acl).c_str());
  return 0;
}

int add_acls(const ClusterConnection& cluster, const AclFlags& flags) {
  auto acls = bindings(flags);
  if (!acls.ok()) return fail(acls.status());
  if (!flags.data_dir.empty()) return add_offline(flags, *acls);
  auto client = cluster.connect_wire(cluster.bootstrap_server);
  if (!client.ok()) return fail(client.status());
  broker::CreateAclsRequest request;
  for (const AclBinding& acl : *acls) {
    request.creations.push_back({.resource_type = static_cast<int8_t>(acl.resource_type),
                                 .resource_name = acl.resource_name,
                                 .resource_pattern_type = static_cast<int8_t>(acl.pattern_type),
                                 .principal = acl.principal,
                                 .host = acl.host,
                                 .operation = static_cast<int8_t>(acl.operation),
                                 .permission_type = static_cast<int8_t>(acl.permission)});
  }
  auto response = (*client)->call<broker::CreateAclsResponse>(request, kAclApiVersion);
  if (!response.ok()) return fail(response.status());
  int exit_code = 0;
  for (size_t i = 0; i < response->results.size() && i < acls->size(); ++i) {
    const auto& result = response->results[i];
    if (result.error_code != 0) {
      exit_code = fail(protocol_error(result.error_code, result.error_message,
                                      "adding " + describe((*acls)[i])));
      continue;
    }
    std::printf("Added ACL %s\n", describe((*acls)[i]).c_str());
  }
  return exit_code;
}

// The filter `list` and `remove` send: what the flags name, everything else ANY.
Result<std::vector<AclBindingFilter>> filters(const AclFlags& flags, PatternType default_pattern,
                                              bool remove) {
  RUNNEL_ASSIGN_OR_RETURN(auto ops, operations(flags, false));
  RUNNEL_ASSIGN_OR_RETURN(PatternType pattern, pattern_type(flags, default_pattern));
  std::vector<Resource> targets = resources(flags);
  if (targets.empty()) {
    if (remove) {
      return invalid_argument_error(
          "give the resource to remove ACLs from: --topic, --group, --transactional-id or "
          "--cluster");
    }
    targets.push_back({ResourceType::kAny, ""});
  }
  if (ops.empty()) ops.push_back(AclOperation::kAny);
  struct Who {
    std::optional<std::string> principal;
    std::optional<std::string> host;
    AclPermission permission;
  };
  std::vector<Who> who;
  for (const auto& p : flags.allow_principals) {
    who.push_back({p, flags.allow_host, AclPermission::kAllow});
  }
  for (const auto& p : flags.deny_principals) {
    who.push_back({p, flags.deny_host, AclPermission::kDeny});
  }
  if (who.empty()) {
    who.push_back({flags.principal.empty() ? std::nullopt : std::optional(flags.principal),
                   std::nullopt, AclPermission::kAny});
  }
  std::vector<AclBindingFilter> out;
  for (const Resource& resource : targets) {
    for (AclOperation operation : ops) {
      for (const Who& w : who) {
        out.push_back(AclBindingFilter{
            .resource_type = resource.type,
            .resource_name = resource.type == ResourceType::kAny
                                 ? std::nullopt
                                 : std::optional<std::string>(resource.name),
            .pattern_type = resource.type == ResourceType::kAny ? PatternType::kAny : pattern,
            .principal = w.principal,
            .host = w.host,
            .operation = operation,
            .permission = w.permission});
      }
    }
  }
  return out;
}

AclBinding from_description(
    const broker::DescribeAclsResponse::DescribeAclsResource& resource,
    const broker::DescribeAclsResponse::DescribeAclsResource::AclDescription& acl) {
  return AclBinding{.resource_type = broker::resource_type_from_code(resource.resource_type),
                    .resource_name = resource.resource_name,
                    .pattern_type = broker::pattern_type_from_code(resource.pattern_type),
                    .principal = acl.principal,
                    .host = acl.host,
                    .operation = broker::operation_from_code(acl.operation),
                    .permission = broker::permission_from_code(acl.permission_type)};
}

int list_acls(const ClusterConnection& cluster, const AclFlags& flags) {
  auto selected = filters(flags, PatternType::kAny, false);
  if (!selected.ok()) return fail(selected.status());
  auto client = cluster.connect_wire(cluster.bootstrap_server);
  if (!client.ok()) return fail(client.status());
  std::vector<AclBinding> found;
  for (const AclBindingFilter& filter : *selected) {
    broker::DescribeAclsRequest request;
    request.resource_type_filter = static_cast<int8_t>(filter.resource_type);
    request.resource_name_filter = filter.resource_name;
    request.pattern_type_filter = static_cast<int8_t>(filter.pattern_type);
    request.principal_filter = filter.principal;
    request.host_filter = filter.host;
    request.operation = static_cast<int8_t>(filter.operation);
    request.permission_type = static_cast<int8_t>(filter.permission);
    auto response = (*client)->call<broker::DescribeAclsResponse>(request, kAclApiVersion);
    if (!response.ok()) return fail(response.status());
    if (response->error_code != 0) {
      return fail(protocol_error(response->error_code, response->error_message, "listing ACLs"));
    }
    for (const auto& resource : response->resources) {
      for (const auto& acl : resource.acls) found.push_back(from_description(resource, acl));
    }
  }
  print_header();
  for (const AclBinding& acl : found) print_binding(acl);
  return 0;
}

int remove_acls(const ClusterConnection& cluster, const AclFlags& flags) {
  auto selected = filters(flags, PatternType::kLiteral, true);
  if (!selected.ok()) return fail(selected.status());
  auto client = cluster.connect_wire(cluster.bootstrap_server);
  if (!client.ok()) return fail(client.status());
  broker::DeleteAclsRequest request;
  for (const AclBindingFilter& filter : *selected) {
    request.filters.push_back({.resource_type_filter = static_cast<int8_t>(filter.resource_type),
                               .resource_name_filter = filter.resource_name,
                               .pattern_type_filter = static_cast<int8_t>(filter.pattern_type),
                               .principal_filter = filter.principal,
                               .host_filter = filter.host,
                               .operation = static_cast<int8_t>(filter.operation),
                               .permission_type = static_cast<int8_t>(filter.permission)});
  }
  auto response = (*client)->call<broker::DeleteAclsResponse>(request, kAclApiVersion);
  if (!response.ok()) return fail(response.status());
  int exit_code = 0;
  size_t removed = 0;
  for (const auto& result : response->filter_results) {
    if (result.error_code != 0) {
      exit_code = fail(protocol_error(result.error_code, result.error_message, "removing ACLs"));
      continue;
    }
    for (const auto& acl : result.matching_acls) {
      ++removed;
      std::printf(
          "Removed ACL %s\n",
          describe(AclBinding{.resource_type = broker::resource_type_from_code(acl.resource_type),
                              .resource_name = acl.resource_name,
                              .pattern_type = broker::pattern_type_from_code(acl.pattern_type),
                              .principal = acl.principal,
                              .host = acl.host,
                              .operation = broker::operation_from_code(acl.operation),
                              .permission = broker::permission_from_code(acl.permission_type)})
              .c_str());
    }
  }
  if (exit_code == 0 && removed == 0) std::printf("No ACL matched\n");
  return exit_code;
}

void add_resource_flags(CLI::App* command, AclFlags& flags) {
  command->add_option("--topic", flags.topics, "Topic (repeatable; '*' is every topic)");
  command->add_option("--group", flags.groups, "Consumer group (repeatable; '*' is every group)");
  command->add_option("--transactional-id", flags.transactional_ids,
                      "Transactional id (repeatable; '*' is every id)");
  command->add_flag("--cluster", flags.cluster, "The cluster resource (kafka-cluster)");
  command->add_option("--resource-pattern-type", flags.pattern_type,
                      "literal or prefixed (list also: any, match)");
}

void add_principal_flags(CLI::App* command, AclFlags& flags) {
  command->add_option("--allow-principal", flags.allow_principals,
                      "Principal to allow, e.g. User:alice or User:* (repeatable)");
  command->add_option("--deny-principal", flags.deny_principals, "Principal to deny (repeatable)");
  command->add_option("--allow-host", flags.allow_host, "Host the allow applies to (default *)");
  command->add_option("--deny-host", flags.deny_host, "Host the deny applies to (default *)");
  command->add_option("--operation", flags.operations,
                      "All, Read, Write, Create, Delete, Alter, Describe, ClusterAction, "
                      "DescribeConfigs, AlterConfigs, IdempotentWrite (repeatable)");
}

}  // namespace

void add_acls_command(CLI::App& parent, const ClusterConnection& cluster,
                      std::function<int()>& run) {
  CLI::App* acls = parent.add_subcommand(
      "acls", "Add, list and remove ACLs (runneld --authorizer, or any Kafka cluster)");
  acls->require_subcommand(1);
  auto flags = std::make_shared<AclFlags>();

  CLI::App* add = acls->add_subcommand("add", "Add ACLs (CreateAcls)");
  add_principal_flags(add, *flags);
  add_resource_flags(add, *flags);
  add->add_option("--data-dir", flags->data_dir,
                  "Write into this stopped runneld's data directory instead of calling a "
                  "broker: how the first admin ACL is bootstrapped");
  add->callback(
      [&cluster, &run, flags] { run = [&cluster, flags] { return add_acls(cluster, *flags); }; });

  CLI::App* list = acls->add_subcommand("list", "List ACLs (DescribeAcls)");
  add_resource_flags(list, *flags);
  list->add_option("--principal", flags->principal, "Only this principal's ACLs");
  list->callback(
      [&cluster, &run, flags] { run = [&cluster, flags] { return list_acls(cluster, *flags); }; });

  CLI::App* remove =
      acls->add_subcommand("remove",
                           "Remove ACLs (DeleteAcls): those the flags select; without principal or "
                           "operation, every ACL of the resource");
  add_principal_flags(remove, *flags);
  add_resource_flags(remove, *flags);
  remove->callback([&cluster, &run, flags] {
    run = [&cluster, flags] { return remove_acls(cluster, *flags); };
  });
}

}  // namespace runnel::tools
