#include "broker/handlers/describe_acls_handler.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "broker/protocol/error_code.h"
#include "broker/security/authorizer.h"

namespace runnel::broker {

AclBindingFilter acl_filter(int8_t resource_type, const std::optional<std::string>& resource_name,
                            int8_t pattern_type, const std::optional<std::string>& principal,
                            const std::optional<std::string>& host, int8_t operation,
                            int8_t permission) {
  return AclBindingFilter{.resource_type = resource_type_from_code(resource_type),
                          .resource_name = resource_name,
                          .pattern_type = pattern_type_from_code(pattern_type),
                          .principal = principal,
                          .host = host,
                          .operation = operation_from_code(operation),
                          .permission = permission_from_code(permission)};
}

DescribeAclsResponse handle_describe_acls(BrokerContext& context, const Access& access,
                                          const DescribeAclsRequest& request, int16_t version) {
  (void)version;  // v0 has no pattern type filter; the codec defaults it to LITERAL.
  DescribeAclsResponse response;
  auto fail = [&response](ErrorCode error, std::string message) {
    response.error_code = static_cast<int16_t>(error);
    response.error_message = std::move(message);
    return response;
  };
  if (context.authorizer == nullptr) {
    return fail(ErrorCode::kSecurityDisabled, "no authorizer is configured (runneld --authorizer)");
  }
  if (!access.cluster(AclOperation::kDescribe)) {
    return fail(ErrorCode::kClusterAuthorizationFailed,
                "DESCRIBE on the cluster is needed to describe ACLs");
  }
  const AclBindingFilter filter = acl_filter(
      request.resource_type_filter, request.resource_name_filter, request.pattern_type_filter,
      request.principal_filter, request.host_filter, request.operation, request.permission_type);
  if (auto reason = invalid_filter_reason(filter)) return fail(ErrorCode::kInvalidRequest, *reason);
  response.error_code = static_cast<int16_t>(ErrorCode::kNone);
  for (const AclBinding& acl : context.authorizer->list(filter)) {
    const auto type = static_cast<int8_t>(acl.resource_type);
    const auto pattern = static_cast<int8_t>(acl.pattern_type);
    auto resource = std::find_if(response.resources.begin(), response.resources.end(),
                                 [&](const DescribeAclsResponse::DescribeAclsResource& r) {
                                   return r.resource_type == type && r.pattern_type == pattern &&
                                          r.resource_name == acl.resource_name;
                                 });
    if (resource == response.resources.end()) {
      DescribeAclsResponse::DescribeAclsResource added;
      added.resource_type = type;
      added.resource_name = acl.resource_name;
      added.pattern_type = pattern;
      response.resources.push_back(std::move(added));
      resource = std::prev(response.resources.end());
    }
    resource->acls.push_back({.principal = acl.principal,
                              .host = acl.host,
                              .operation = static_cast<int8_t>(acl.operation),
                              .permission_type = static_cast<int8_t>(acl.permission)});
  }
  return response;
}

}  // namespace runnel::broker
