#pragma once

#include <string>
#include <string_view>

#include "broker/security/acl.h"
#include "broker/server/request_handler.h"

namespace runnel::broker {

class Authorizer;

// What the caller of one request may do: the authorizer's answers for the request's principal
// and client address. Handlers ask it once per check (access.topic(AclOperation::kWrite, name))
// and never look at principals themselves. With no authorizer (authorization off, the default)
// every check passes.
class Access {
 public:
  // Everything allowed.
  Access() = default;
  Access(const Authorizer* authorizer, std::string principal, std::string host);
  // The caller of `request_context` (User:ANONYMOUS until authenticated; its peer's address).
  static Access of(const Authorizer* authorizer, const RequestContext& request_context);

  bool topic(AclOperation operation, std::string_view topic) const;
  bool group(AclOperation operation, std::string_view group) const;
  bool transactional_id(AclOperation operation, std::string_view transactional_id) const;
  bool cluster(AclOperation operation) const;
  // Kafka's rule for creating a topic: CREATE on the cluster, or CREATE on that topic.
  bool create_topic(std::string_view topic) const;
  // Kafka 3's rule for an idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on at
  // least one topic (KIP-679).
  bool idempotent_write() const;

  // Null when authorization is off (the ACL APIs then answer SECURITY_DISABLED).
  const Authorizer* authorizer() const { return authorizer_; }
  const std::string& principal() const { return principal_; }

 private:
  bool allowed(AclOperation operation, ResourceType type, std::string_view name) const;

  const Authorizer* authorizer_ = nullptr;
  std::string principal_ = ConnectionSession::kAnonymous;
  std::string host_;
};

}  // namespace runnel::broker
