#include "broker/handlers/access.h"

#include "broker/security/authorizer.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

// "127.0.0.1:54321" -> "127.0.0.1"; "[::1]:54321" -> "::1": the address ACL hosts name.
std::string host_of(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  std::string host = colon == std::string::npos ? peer : peer.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

}  // namespace

Access::Access(const Authorizer* authorizer, std::string principal, std::string host)
    : authorizer_(authorizer), principal_(std::move(principal)), host_(std::move(host)) {}

Access Access::of(const Authorizer* authorizer, const RequestContext& request_context) {
  // Authorization off: nothing to look up on the request path.
  if (authorizer == nullptr) return Access();
  std::string principal = request_context.session ? request_context.session->principal()
                                                  : std::string(ConnectionSession::kAnonymous);
  return Access(authorizer, std::move(principal), host_of(request_context.peer));
}

bool Access::allowed(AclOperation operation, ResourceType type, std::string_view name) const {
  if (authorizer_ == nullptr) return true;
  if (authorizer_->authorize(principal_, host_, operation, type, name)) return true;
  // Kafka's authorizer logger says the same at INFO; here it is DEBUG because clients retry
  // refused requests and listings filter out what a caller may not see.
  log::debug("authorizer: principal = {} is denied operation = {} from host = {} on {}:{}",
             principal_, to_string(operation), host_, to_string(type), name);
  return false;
}

bool Access::topic(AclOperation operation, std::string_view topic) const {
  return allowed(operation, ResourceType::kTopic, topic);
}

bool Access::group(AclOperation operation, std::string_view group) const {
  return allowed(operation, ResourceType::kGroup, group);
}

bool Access::transactional_id(AclOperation operation, std::string_view transactional_id) const {
  return allowed(operation, ResourceType::kTransactionalId, transactional_id);
}

bool Access::cluster(AclOperation operation) const {
  return allowed(operation, ResourceType::kCluster, kClusterResourceName);
}

bool Access::create_topic(std::string_view topic) const {
  return cluster(AclOperation::kCreate) || this->topic(AclOperation::kCreate, topic);
}

bool Access::idempotent_write() const {
  if (authorizer_ == nullptr) return true;
  return cluster(AclOperation::kIdempotentWrite) ||
         authorizer_->authorize_any(principal_, host_, AclOperation::kWrite, ResourceType::kTopic);
}

}  // namespace runnel::broker
