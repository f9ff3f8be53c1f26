#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace runnel::broker {

// Kafka's ACL vocabulary (org.apache.kafka.common.acl and .resource), with the same int8 codes
// the wire protocol carries in CreateAcls, DescribeAcls and DeleteAcls. ANY and MATCH only
// appear in filters; a stored ACL always has concrete values.

enum class ResourceType : int8_t {
  kUnknown = 0,
  kAny = 1,
  kTopic = 2,
  kGroup = 3,
  kCluster = 4,
  kTransactionalId = 5,
};

enum class PatternType : int8_t {
  kUnknown = 0,
  kAny = 1,
  kMatch = 2,
  kLiteral = 3,
  kPrefixed = 4,
};

enum class AclOperation : int8_t {
  kUnknown = 0,
  kAny = 1,
  kAll = 2,
  kRead = 3,
  kWrite = 4,
  kCreate = 5,
  kDelete = 6,
  kAlter = 7,
  kDescribe = 8,
  kClusterAction = 9,
  kDescribeConfigs = 10,
  kAlterConfigs = 11,
  kIdempotentWrite = 12,
};

enum class AclPermission : int8_t {
  kUnknown = 0,
  kAny = 1,
  kDeny = 2,
  kAllow = 3,
};

// The one name a CLUSTER resource has, as in Kafka.
inline constexpr std::string_view kClusterResourceName = "kafka-cluster";
// A LITERAL resource name, principal or host that matches every name.
inline constexpr std::string_view kWildcard = "*";
inline constexpr std::string_view kWildcardPrincipal = "User:*";

// One ACL: `principal` from `host` is allowed or denied `operation` on the resources that
// (resource_type, pattern_type, resource_name) names.
struct AclBinding {
  ResourceType resource_type = ResourceType::kTopic;
  std::string resource_name;
  PatternType pattern_type = PatternType::kLiteral;
  std::string principal;  // "User:alice", or "User:*" for every principal
  std::string host = "*";
  AclOperation operation = AclOperation::kAll;
  AclPermission permission = AclPermission::kAllow;

  bool operator==(const AclBinding&) const = default;
};

// Selects ACLs (DescribeAcls, DeleteAcls): nullopt strings and ANY enums match everything;
// pattern type MATCH selects the ACLs that would apply to the named resource (the literal
// name, the literal wildcard and every prefix of it).
struct AclBindingFilter {
  ResourceType resource_type = ResourceType::kAny;
  std::optional<std::string> resource_name;
  PatternType pattern_type = PatternType::kAny;
  std::optional<std::string> principal;
  std::optional<std::string> host;
  AclOperation operation = AclOperation::kAny;
  AclPermission permission = AclPermission::kAny;

  bool matches(const AclBinding& binding) const;
};

// Why `binding` cannot be stored (an ANY in it, a principal without "Type:", a cluster ACL
// not on "kafka-cluster"...), or nullopt when it can.
std::optional<std::string> invalid_binding_reason(const AclBinding& binding);
// Why `filter` cannot select anything (an UNKNOWN code), or nullopt.
std::optional<std::string> invalid_filter_reason(const AclBindingFilter& filter);

// Kafka's names ("TOPIC", "PREFIXED", "DESCRIBE_CONFIGS", "ALLOW"), for logs and the CLI.
std::string_view to_string(ResourceType type);
std::string_view to_string(PatternType type);
std::string_view to_string(AclOperation operation);
std::string_view to_string(AclPermission permission);
// Case-insensitive, accepting kafka-acls.sh's spellings ("DescribeConfigs", "describe_configs",
// "IdempotentWrite"); UNKNOWN when the name is not one.
ResourceType parse_resource_type(std::string_view name);
PatternType parse_pattern_type(std::string_view name);
AclOperation parse_operation(std::string_view name);
AclPermission parse_permission(std::string_view name);

// The int8 on the wire as an enum; codes this broker does not know become UNKNOWN.
ResourceType resource_type_from_code(int8_t code);
PatternType pattern_type_from_code(int8_t code);
AclOperation operation_from_code(int8_t code);
AclPermission permission_from_code(int8_t code);

// "(principal=User:alice, host=*, operation=READ, permission=ALLOW) on TOPIC:LITERAL:orders".
std::string describe(const AclBinding& binding);

}  // namespace runnel::broker
