#include "broker/security/acl.h"

#include <array>
#include <cctype>
#include <utility>

#include <fmt/format.h>

namespace runnel::broker {
namespace {

template <typename Enum, size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

constexpr NameTable<ResourceType, 6> kResourceTypes = {{
    {ResourceType::kUnknown, "UNKNOWN"},
    {ResourceType::kAny, "ANY"},
    {ResourceType::kTopic, "TOPIC"},
    {ResourceType::kGroup, "GROUP"},
    {ResourceType::kCluster, "CLUSTER"},
    {ResourceType::kTransactionalId, "TRANSACTIONAL_ID"},
}};

constexpr NameTable<PatternType, 5> kPatternTypes = {{
    {PatternType::kUnknown, "UNKNOWN"},
    {PatternType::kAny, "ANY"},
    {PatternType::kMatch, "MATCH"},
    {PatternType::kLiteral, "LITERAL"},
    {PatternType::kPrefixed, "PREFIXED"},
}};

constexpr NameTable<AclOperation, 13> kOperations = {{
    {AclOperation::kUnknown, "UNKNOWN"},
    {AclOperation::kAny, "ANY"},
    {AclOperation::kAll, "ALL"},
    {AclOperation::kRead, "READ"},
    {AclOperation::kWrite, "WRITE"},
    {AclOperation::kCreate, "CREATE"},
    {AclOperation::kDelete, "DELETE"},
    {AclOperation::kAlter, "ALTER"},
    {AclOperation::kDescribe, "DESCRIBE"},
    {AclOperation::kClusterAction, "CLUSTER_ACTION"},
    {AclOperation::kDescribeConfigs, "DESCRIBE_CONFIGS"},
    {AclOperation::kAlterConfigs, "ALTER_CONFIGS"},
    {AclOperation::kIdempotentWrite, "IDEMPOTENT_WRITE"},
}};

constexpr NameTable<AclPermission, 4> kPermissions = {{
    {AclPermission::kUnknown, "UNKNOWN"},
    {AclPermission::kAny, "ANY"},
    {AclPermission::kDeny, "DENY"},
    {AclPermission::kAllow, "ALLOW"},
}};

// "DescribeConfigs", "describe-configs" and "DESCRIBE_CONFIGS" all become "DESCRIBECONFIGS",
// so that kafka-acls.sh's CamelCase spellings and the enum names both parse.
std::string squash(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '_' || c == '-') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

template <typename Enum, size_t N>
std::string_view name_of(const NameTable<Enum, N>& table, Enum value) {
  for (const auto& [entry, name] : table) {
    if (entry == value) return name;
  }
  return "UNKNOWN";
}

template <typename Enum, size_t N>
Enum parse(const NameTable<Enum, N>& table, std::string_view name) {
  const std::string wanted = squash(name);
  for (const auto& [entry, entry_name] : table) {
    if (squash(entry_name) == wanted) return entry;
  }
  return table[0].first;  // UNKNOWN
}

template <typename Enum, size_t N>
Enum from_code(const NameTable<Enum, N>& table, int8_t code) {
  for (const auto& [entry, name] : table) {
    if (static_cast<int8_t>(entry) == code) return entry;
  }
  return table[0].first;
}

// ResourcePatternFilter.matches: a filter name selects a stored pattern exactly, unless the
// filter is MATCH, which selects every pattern that applies to the name.
bool pattern_matches(const AclBindingFilter& filter, const AclBinding& binding) {
  if (filter.resource_type != ResourceType::kAny && filter.resource_type != binding.resource_type) {
    return false;
  }
  if (filter.pattern_type != PatternType::kAny && filter.pattern_type != PatternType::kMatch &&
      filter.pattern_type != binding.pattern_type) {
    return false;
  }
  if (!filter.resource_name) return true;
  const std::string& name = *filter.resource_name;
  if (filter.pattern_type != PatternType::kMatch) return name == binding.resource_name;
  if (binding.pattern_type == PatternType::kLiteral) {
    return name == binding.resource_name || binding.resource_name == kWildcard;
  }
  return name.starts_with(binding.resource_name);  // PREFIXED
}

}  // namespace

bool AclBindingFilter::matches(const AclBinding& binding) const {
  if (!pattern_matches(*this, binding)) return false;
  if (principal && *principal != binding.principal) return false;
  if (host && *host != binding.host) return false;
  if (operation != AclOperation::kAny && operation != binding.operation) return false;
  if (permission != AclPermission::kAny && permission != binding.permission) return false;
  return true;
}

std::optional<std::string> invalid_binding_reason(const AclBinding& binding) {
  if (binding.resource_type == ResourceType::kUnknown ||
      binding.resource_type == ResourceType::kAny) {
    return "the resource type must be TOPIC, GROUP, CLUSTER or TRANSACTIONAL_ID";
  }
  if (binding.pattern_type != PatternType::kLiteral &&
      binding.pattern_type != PatternType::kPrefixed) {
    return "the resource pattern type must be LITERAL or PREFIXED";
  }
  if (binding.resource_name.empty()) return "the resource name must not be empty";
  if (binding.resource_type == ResourceType::kCluster &&
      (binding.pattern_type != PatternType::kLiteral ||
       binding.resource_name != kClusterResourceName)) {
    return fmt::format("the only valid CLUSTER resource is the LITERAL name '{}'",
                       kClusterResourceName);
  }
  if (binding.operation == AclOperation::kUnknown || binding.operation == AclOperation::kAny) {
    return "the operation must be a concrete operation (ALL, READ, WRITE, ...)";
  }
  if (binding.permission != AclPermission::kAllow && binding.permission != AclPermission::kDeny) {
    return "the permission type must be ALLOW or DENY";
  }
  const size_t colon = binding.principal.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == binding.principal.size()) {
    return fmt::format("principal '{}' is not of the form Type:name (User:alice)",
                       binding.principal);
  }
  if (binding.host.empty()) return "the host must be '*' or an address";
  return std::nullopt;
}

std::optional<std::string> invalid_filter_reason(const AclBindingFilter& filter) {
  if (filter.resource_type == ResourceType::kUnknown) return "unknown resource type";
  if (filter.pattern_type == PatternType::kUnknown) return "unknown resource pattern type";
  if (filter.operation == AclOperation::kUnknown) return "unknown operation";
  if (filter.permission == AclPermission::kUnknown) return "unknown permission type";
  return std::nullopt;
}

std::string_view to_string(ResourceType type) { return name_of(kResourceTypes, type); }
std::string_view to_string(PatternType type) { return name_of(kPatternTypes, type); }
std::string_view to_string(AclOperation operation) { return name_of(kOperations, operation); }
std::string_view to_string(AclPermission permission) { return name_of(kPermissions, permission); }

ResourceType parse_resource_type(std::string_view name) { return parse(kResourceTypes, name); }
PatternType parse_pattern_type(std::string_view name) { return parse(kPatternTypes, name); }
AclOperation parse_operation(std::string_view name) { return parse(kOperations, name); }
AclPermission parse_permission(std::string_view name) { return parse(kPermissions, name); }

ResourceType resource_type_from_code(int8_t code) { return from_code(kResourceTypes, code); }
PatternType pattern_type_from_code(int8_t code) { return from_code(kPatternTypes, code); }
AclOperation operation_from_code(int8_t code) { return from_code(kOperations, code); }
AclPermission permission_from_code(int8_t code) { return from_code(kPermissions, code); }

std::string describe(const AclBinding& binding) {
  return fmt::format("(principal={}, host={}, operation={}, permission={}) on {}:{}:{}",
                     binding.principal, binding.host, to_string(binding.operation),
                     to_string(binding.permission), to_string(binding.resource_type),
                     to_string(binding.pattern_type), binding.resource_name);
}

}  // namespace runnel::broker
