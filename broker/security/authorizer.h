#pragma once

#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "broker/security/acl.h"
#include "core/result.h"
#include "core/status.h"

namespace runnel::broker {

struct AuthorizerOptions {
  // super.users: principals allowed every operation on every resource, whatever the ACLs say.
  std::vector<std::string> super_users;
  // allow.everyone.if.no.acl.found: a resource no ACL applies to (for anyone) is open to all.
  // Off by default, as in Kafka: with the authorizer on, what no ACL allows is refused.
  bool allow_everyone_if_no_acl_found = false;
};

// Kafka's `super.users` value ("User:admin;User:bob") as a list; empty entries are skipped.
std::vector<std::string> parse_super_users(std::string_view value);

// Decides whether a principal connecting from a host may perform an operation on a resource,
// with Kafka's rules (AclAuthorizer / StandardAuthorizer):
// - super users may do everything;
// - the ACLs that apply to a resource are the LITERAL ones on its name, the LITERAL ones on
//   "*", and the PREFIXED ones on any prefix of its name; if there are none at all (for any
//   principal), allow.everyone.if.no.acl.found decides;
// - a DENY for the principal (or User:*) and host (or *) on the operation (or ALL) wins;
// - otherwise an ALLOW on the operation (or ALL) allows it; READ, WRITE, DELETE and ALTER
//   each imply DESCRIBE, and ALTER_CONFIGS implies DESCRIBE_CONFIGS (allows only; a DENY
//   READ does not deny DESCRIBE).
//
// The ACLs live in memory and in <data-dir>/acls.meta, written before a change is visible.
// Thread-safe: requests authorize concurrently while an admin request changes the ACLs.
class Authorizer {
 public:
  // Holds <data-dir>/acls.lock while open: a second Authorizer on the same directory (a
  // `runnel acls add --data-dir` while runneld runs) is refused rather than let the two
  // overwrite each other's changes.
  static Result<std::unique_ptr<Authorizer>> open(const std::filesystem::path& data_dir,
                                                  AuthorizerOptions options);
  ~Authorizer();
  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  bool authorize(std::string_view principal, std::string_view host, AclOperation operation,
                 ResourceType type, std::string_view name) const;

  // Whether the principal may perform `operation` on at least one resource of `type` (Kafka's
  // authorizeByResourceType; an idempotent producer needs WRITE on some topic): some ALLOW
  // applies to it that no DENY for it cancels.
  bool authorize_any(std::string_view principal, std::string_view host, AclOperation operation,
                     ResourceType type) const;

  bool is_super_user(std::string_view principal) const;

  // Adds `bindings` (each valid: see invalid_binding_reason) and persists them; one already
  // present is not added twice. On a failed write nothing changes.
  Status add(const std::vector<AclBinding>& bindings);
  // The ACLs `filter` selects, in the order they were added.
  std::vector<AclBinding> list(const AclBindingFilter& filter) const;
  // Removes the ACLs each filter selects and persists the rest; returns, per filter, what it
  // removed (an ACL two filters select is reported under the first). On a failed write
  // nothing changes.
  Result<std::vector<std::vector<AclBinding>>> remove(const std::vector<AclBindingFilter>& filters);

 private:
  Authorizer(std::filesystem::path path, AuthorizerOptions options)
      : path_(std::move(path)), options_(std::move(options)) {}

  Status persist(const std::vector<AclBinding>& acls) const;

  const std::filesystem::path path_;
  const AuthorizerOptions options_;
  int lock_fd_ = -1;
  mutable std::shared_mutex mutex_;
  std::vector<AclBinding> acls_;  // guarded by mutex_
};

}  // namespace runnel::broker
