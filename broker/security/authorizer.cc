#include "broker/security/authorizer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <sys/file.h>

#include "broker/security/acls.pb.h"
#include "core/durable_file.h"

namespace runnel::broker {
namespace {

constexpr const char* kFile = "acls.meta";
constexpr const char* kLockFile = "acls.lock";

// Whether a stored ACL's resource pattern applies to the resource (type, name).
bool applies_to(const AclBinding& acl, ResourceType type, std::string_view name) {
  if (acl.resource_type != type) return false;
  if (acl.pattern_type == PatternType::kPrefixed) return name.starts_with(acl.resource_name);
  return acl.resource_name == name || acl.resource_name == kWildcard;
}

bool names_caller(const AclBinding& acl, std::string_view principal, std::string_view host) {
  return (acl.principal == principal || acl.principal == kWildcardPrincipal) &&
         (acl.host == host || acl.host == kWildcard);
}

// The operations whose ALLOW also allows `operation`: Kafka lets whoever may read, write,
// delete or alter a resource see it, and whoever may alter configs see them.
bool allow_covers(AclOperation granted, AclOperation operation) {
  if (granted == operation || granted == AclOperation::kAll) return true;
  if (operation == AclOperation::kDescribe) {
    return granted == AclOperation::kRead || granted == AclOperation::kWrite ||
           granted == AclOperation::kDelete || granted == AclOperation::kAlter;
  }
  if (operation == AclOperation::kDescribeConfigs) return granted == AclOperation::kAlterConfigs;
  return false;
}

}  // namespace

std::vector<std::string> parse_super_users(std::string_view value) {
  std::vector<std::string> users;
  while (!value.empty()) {
    const size_t semicolon = value.find(';');
    std::string_view entry = value.substr(0, semicolon);
    while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.front()))) {
      entry.remove_prefix(1);
    }
    while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.back()))) {
      entry.remove_suffix(1);
    }
    if (!entry.empty()) users.emplace_back(entry);
    if (semicolon == std::string_view::npos) break;
    value.remove_prefix(semicolon + 1);
  }
  return users;
}

Result<std::unique_ptr<Authorizer>> Authorizer::open(const std::filesystem::path& data_dir,
                                                     AuthorizerOptions options) {
  std::unique_ptr<Authorizer> authorizer(new Authorizer(data_dir / kFile, std::move(options)));
  const std::filesystem::path lock_path = data_dir / kLockFile;
  authorizer->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (authorizer->lock_fd_ < 0) {
    return io_error(fmt::format("open {}: {}", lock_path.string(), std::strerror(errno)));
  }
  if (::flock(authorizer->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return unavailable_error(
        fmt::format("the ACLs of {} are in use by another process (is runneld running on it? "
                    "then change them through it: runnel acls add --bootstrap-server ...)",
                    data_dir.string()));
  }
  std::error_code error;
  if (!std::filesystem::exists(authorizer->path_, error)) return authorizer;
  std::ifstream in(authorizer->path_, std::ios::binary);
  security::StoredAcls stored;
  if (!stored.ParseFromIstream(&in)) {
    return corruption_error(fmt::format("{} is not an ACL file", authorizer->path_.string()));
  }
  for (const security::StoredAcl& entry : stored.acls()) {
    AclBinding binding{
        .resource_type = resource_type_from_code(static_cast<int8_t>(entry.resource_type())),
        .resource_name = entry.resource_name(),
        .pattern_type = pattern_type_from_code(static_cast<int8_t>(entry.pattern_type())),
        .principal = entry.principal(),
        .host = entry.host(),
        .operation = operation_from_code(static_cast<int8_t>(entry.operation())),
        .permission = permission_from_code(static_cast<int8_t>(entry.permission())),
    };
    // Refusing to start beats silently enforcing less (or more) than was configured.
    if (auto reason = invalid_binding_reason(binding)) {
      return corruption_error(
          fmt::format("{} holds an invalid ACL: {}", authorizer->path_.string(), *reason));
    }
    authorizer->acls_.push_back(std::move(binding));
  }
  return authorizer;
}

Authorizer::~Authorizer() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

bool Authorizer::is_super_user(std::string_view principal) const {
  return std::find(options_.super_users.begin(), options_.super_users.end(), principal) !=
         options_.super_users.end();
}

bool Authorizer::authorize(std::string_view principal, std::string_view host,
                           AclOperation operation, ResourceType type, std::string_view name) const {
  if (is_super_user(principal)) return true;
  std::shared_lock lock(mutex_);
  bool any_acl = false;
  bool allowed = false;
  for (const AclBinding& acl : acls_) {
    if (!applies_to(acl, type, name)) continue;
    any_acl = true;
    if (!names_caller(acl, principal, host)) continue;
    if (acl.permission == AclPermission::kDeny) {
      if (acl.operation == operation || acl.operation == AclOperation::kAll) return false;
    } else if (allow_covers(acl.operation, operation)) {
      allowed = true;
    }
  }
  if (!any_acl) return options_.allow_everyone_if_no_acl_found;
  return allowed;
}

bool Authorizer::authorize_any(std::string_view principal, std::string_view host,
                               AclOperation operation, ResourceType type) const {
  // As Kafka does: a name no ACL can mention covers super users and, when no ACL applies to
  // it, allow.everyone.if.no.acl.found.
  if (authorize(principal, host, operation, type, "\x01runnel-any-resource")) return true;
  std::shared_lock lock(mutex_);
  std::set<std::string> denied_literals;
  std::set<std::string> denied_prefixes;
  std::vector<const AclBinding*> allows;
  for (const AclBinding& acl : acls_) {
    if (acl.resource_type != type || !names_caller(acl, principal, host)) continue;
    if (acl.operation != operation && acl.operation != AclOperation::kAll) continue;
    if (acl.permission == AclPermission::kDeny) {
      if (acl.pattern_type == PatternType::kLiteral && acl.resource_name == kWildcard) return false;
      (acl.pattern_type == PatternType::kLiteral ? denied_literals : denied_prefixes)
          .insert(acl.resource_name);
    } else {
      allows.push_back(&acl);
    }
  }
  for (const AclBinding* allow : allows) {
    if (allow->pattern_type == PatternType::kLiteral && allow->resource_name == kWildcard) {
      return true;
    }
  }
  // An allowed name (or prefix) counts unless a denied prefix of it (or the same literal
  // name) takes every resource it names away.
  for (const AclBinding* allow : allows) {
    const std::string& name = allow->resource_name;
    if (allow->pattern_type == PatternType::kLiteral && denied_literals.contains(name)) continue;
    bool dominated = false;
    for (size_t length = 1; length <= name.size() && !dominated; ++length) {
      dominated = denied_prefixes.contains(name.substr(0, length));
    }
    if (!dominated) return true;
  }
  return false;
}

Status Authorizer::add(const std::vector<AclBinding>& bindings) {
  std::unique_lock lock(mutex_);
  std::vector<AclBinding> next = acls_;
  for (const AclBinding& binding : bindings) {
    if (std::find(next.begin(), next.end(), binding) == next.end()) next.push_back(binding);
  }
  if (next.size() == acls_.size()) return ok_status();
  RUNNEL_RETURN_IF_ERROR(persist(next));
  acls_ = std::move(next);
  return ok_status();
}

std::vector<AclBinding> Authorizer::list(const AclBindingFilter& filter) const {
  std::shared_lock lock(mutex_);
  std::vector<AclBinding> selected;
  for (const AclBinding& acl : acls_) {
    if (filter.matches(acl)) selected.push_back(acl);
  }
  return selected;
}

Result<std::vector<std::vector<AclBinding>>> Authorizer::remove(
    const std::vector<AclBindingFilter>& filters) {
  std::unique_lock lock(mutex_);
  std::vector<std::vector<AclBinding>> removed(filters.size());
  std::vector<AclBinding> kept;
  for (const AclBinding& acl : acls_) {
    auto filter = std::find_if(filters.begin(), filters.end(),
                               [&acl](const AclBindingFilter& f) { return f.matches(acl); });
    if (filter == filters.end()) {
      kept.push_back(acl);
    } else {
      removed[static_cast<size_t>(filter - filters.begin())].push_back(acl);
    }
  }
  if (kept.size() != acls_.size()) {
    RUNNEL_RETURN_IF_ERROR(persist(kept));
    acls_ = std::move(kept);
  }
  return removed;
}

Status Authorizer::persist(const std::vector<AclBinding>& acls) const {
  security::StoredAcls stored;
  for (const AclBinding& acl : acls) {
    security::StoredAcl* entry = stored.add_acls();
    entry->set_resource_type(static_cast<int32_t>(acl.resource_type));
    entry->set_resource_name(acl.resource_name);
    entry->set_pattern_type(static_cast<int32_t>(acl.pattern_type));
    entry->set_principal(acl.principal);
    entry->set_host(acl.host);
    entry->set_operation(static_cast<int32_t>(acl.operation));
    entry->set_permission(static_cast<int32_t>(acl.permission));
  }
  return replace_file_durably(path_, stored.SerializeAsString());
}

}  // namespace runnel::broker
